"""Booking forms: the resident's details, the look-up, and the bare action buttons."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, Field, HiddenField, StringField
from wtforms.validators import InputRequired, Length, ValidationError

from ..validators import (
    NAME_MAX,
    PHONE_INPUT_MAX,
    PersonalDataError,
    clean_id_number,
    clean_mobile,
    clean_name,
)


def _format(check: Callable[[Any], Any]) -> Callable[[FlaskForm, Field], None]:
    """Wrap a personal-data check as a WTForms validator."""

    def validate(form: FlaskForm, field: Field) -> None:
        try:
            check(field.data)
        except PersonalDataError as exc:
            raise ValidationError(str(exc)) from None

    return validate


def phone_field(description: str) -> StringField:
    """The resident's mobile number, as the booking and the waiting list ask for it."""
    return StringField(
        _l("Mobile phone number"),
        description=description,
        validators=[_format(clean_mobile)],
        render_kw={
            "autocomplete": "tel",
            "inputmode": "tel",
            "type": "tel",
            "maxlength": PHONE_INPUT_MAX,
            "placeholder": "138 1234 5678",
        },
    )


class PersonForm(FlaskForm):
    """Who books (or waits for a place): name, mobile number, optional ID number."""

    name = StringField(
        _l("Name"),
        validators=[_format(clean_name)],
        render_kw={"autocomplete": "name", "maxlength": NAME_MAX},
    )
    phone = phone_field(_l("You need it, with the booking code, to look the booking up."))
    id_number = StringField(
        _l("Resident ID number (optional)"),
        description=_l(
            "Lets the window prepare your case; masked on public screens and in look-ups, "
            "shown in full only to the clerk serving you."
        ),
        validators=[_format(clean_id_number)],
        render_kw={"autocomplete": "off", "maxlength": 18, "spellcheck": "false"},
    )


class AppointmentBookingForm(PersonForm):
    notify = BooleanField(_l("Text me about this booking (confirmation, changes, cancellation)"))
    assisted = BooleanField(
        _l("I need help at the center (assisted service 帮办代办)"),
        description=_l("For elderly or disabled residents, or anyone without a smartphone."),
    )


class AppointmentLookupForm(FlaskForm):
    code = StringField(
        _l("Booking code"),
        description=_l("10 letters and digits, e.g. 7KQ4M-9XH2P"),
        validators=[InputRequired(_l("Enter the booking code.")), Length(max=40)],
        render_kw={
            "autocomplete": "off",
            "autocapitalize": "characters",
            "spellcheck": "false",
            "maxlength": 40,
        },
    )
    phone = StringField(
        _l("Mobile phone number"),
        description=_l("The number you booked with."),
        validators=[_format(clean_mobile)],
        render_kw={
            "autocomplete": "tel",
            "inputmode": "tel",
            "type": "tel",
            "maxlength": PHONE_INPUT_MAX,
        },
    )


class AppointmentMoveForm(FlaskForm):
    """The slot a booking moves to (a hidden pair behind each slot button)."""

    date = HiddenField(validators=[InputRequired(), Length(max=10)])
    start = HiddenField(validators=[InputRequired(), Length(max=5)])


class ActionForm(FlaskForm):
    """An empty form: a CSRF-protected button."""
