"""Kiosk and ticket-page forms: take a ticket, check a booking in, requeue, rate."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from ..api.schema import MAX_ID
from ..validators import PHONE_INPUT_MAX
from .ratings import COMMENT_MAX, RATING_LABELS, SUB_RATINGS


class KioskTicketForm(FlaskForm):
    #: an id beyond any row's is no item (NumberRange: never the database's error)
    service_id = IntegerField(
        _l("Service item"), validators=[DataRequired(), NumberRange(1, MAX_ID)]
    )
    priority = BooleanField(_l("Priority lane (elderly, disabled, pregnant, military)"))


class ActionForm(FlaskForm):
    """A button that changes something: only its CSRF token."""


class NotifyForm(FlaskForm):
    """到号提醒: the holder's number (or e-mail address) for "N ahead" and "called"."""

    notify = StringField(
        _l("Mobile number"),
        validators=[
            DataRequired(_l("Enter a mobile number or an e-mail address.")),
            Length(max=254),
        ],
        description=_l(
            "We send a message when your turn is near and when you are called. The number "
            "is erased when your ticket closes."
        ),
    )


class KioskCheckInForm(FlaskForm):
    code = StringField(
        _l("Booking code"),
        validators=[DataRequired(), Length(max=16)],
        description=_l("The code on your booking confirmation, or scan its QR code."),
    )


class RemoteTicketForm(FlaskForm):
    """远程取号: the phone the ticket's messages go to."""

    phone = StringField(
        _l("Mobile number"),
        validators=[DataRequired(_l("Enter your mobile number.")), Length(max=20)],
        description=_l(
            "We send your number, a message when your turn is near and when you are called. "
            "The number is erased when your ticket closes."
        ),
    )


class KioskArrivalForm(FlaskForm):
    """The kiosk's scan of a remote ticket's QR code (the scanner types its address)."""

    ticket = StringField(_l("Ticket QR code"), validators=[DataRequired(), Length(max=300)])


class KioskRequeueForm(FlaskForm):
    number = StringField(_l("Your ticket number"), validators=[DataRequired(), Length(max=8)])


_SCALE = [SelectChoice(value, label) for value, label in RATING_LABELS.items()]


class TicketRatingForm(FlaskForm):
    rating = RadioField(
        _l("How satisfied are you with the service?"),
        choices=[SelectChoice(value, label) for value, label in RATING_LABELS.items()],
        coerce=int,
        validators=[InputRequired(_l("Choose a rating."))],
    )
    comment = TextAreaField(
        _l("Comment (optional)"),
        validators=[Optional(), Length(max=COMMENT_MAX)],
        description=_l("Required when you are dissatisfied: tell us what went wrong."),
    )
    #: 办事效率 / 服务态度 / 服务水平: optional; the range is the service's rule (its message)
    efficiency = RadioField(
        SUB_RATINGS["efficiency"],
        choices=_SCALE,
        coerce=int,
        validate_choice=False,
        validators=[Optional()],
    )
    attitude = RadioField(
        SUB_RATINGS["attitude"],
        choices=_SCALE,
        coerce=int,
        validate_choice=False,
        validators=[Optional()],
    )
    service_level = RadioField(
        SUB_RATINGS["service_level"],
        choices=_SCALE,
        coerce=int,
        validate_choice=False,
        validators=[Optional()],
    )
    follow_up_consent = BooleanField(_l("The center may call me back about this"))
    contact = StringField(
        _l("Mobile number for the call-back"),
        validators=[Optional(), Length(max=PHONE_INPUT_MAX)],
    )
