"""Kiosk forms: take a ticket, check a booking in."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, StringField
from wtforms.validators import DataRequired, Length


class KioskTicketForm(FlaskForm):
    service_id = IntegerField(_l("Service item"), validators=[DataRequired()])
    priority = BooleanField(_l("Priority lane (elderly, disabled, pregnant, military)"))


class KioskCheckInForm(FlaskForm):
    code = StringField(
        _l("Booking code"),
        validators=[DataRequired(), Length(max=16)],
        description=_l("The code on your booking confirmation, or scan its QR code."),
    )
