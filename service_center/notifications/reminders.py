"""Booking reminders: the afternoon before the booked day (``flask notifications remind``).

Run it every 15 minutes: from NOTIFY_REMINDER_TIME (the center's local time) until the quiet
hours begin, each booking of tomorrow whose resident agreed to messages gets one reminder (its
key is the booking and its day, so a moved booking is reminded of its new day, once).
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from flask import current_app
from sqlalchemy import select

from ..booking.models import Appointment, AppointmentState
from ..catalogue.calendar import day_status
from ..catalogue.models import Center
from ..clock import to_local
from ..db import db, write_transaction
from . import texts
from .models import NotificationKind
from .outbox import quiet_until, to_booking


def reminders_due(center: Center, now: datetime) -> bool:
    """Tell whether ``now`` is reminder time at ``center``: after NOTIFY_REMINDER_TIME, out of
    the quiet hours."""
    start = time.fromisoformat(current_app.config["NOTIFY_REMINDER_TIME"])
    local = to_local(now, center.timezone)
    return local.time() >= start and quiet_until(now, center.timezone) is None


def send_reminders(*, now: datetime) -> int:
    """Write the reminders due now; return how many were new. Starts its write transaction
    (SQLite's lock up front: the reads decide the writes)."""
    write_transaction()
    written = 0
    for center in db.session.scalars(select(Center).order_by(Center.id)):
        if not reminders_due(center, now):
            continue
        tomorrow = to_local(now, center.timezone).date() + timedelta(days=1)
        if not day_status(center, tomorrow).is_open:
            continue  # its bookings had the closure notice instead
        booked = db.session.scalars(
            select(Appointment)
            .where(
                Appointment.center_id == center.id,
                Appointment.service_date == tomorrow,
                Appointment.state == AppointmentState.BOOKED,
                Appointment.notify_consent_dt.is_not(None),
            )
            .order_by(Appointment.start_time, Appointment.id)
        )
        for appointment in booked:
            key = f"reminder:{appointment.id}:{appointment.service_date}:{appointment.start_time}"
            text = texts.reminder(appointment)
            written += to_booking(appointment, NotificationKind.REMINDER, key, text, now)
    return written
