"""The bookings' ears on the queue: what ends with a center's day."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from ..catalogue.models import Center
from ..db import db
from ..queueing import signals
from . import fairness
from .models import Appointment, AppointmentState


@signals.day_closed.connect
def _no_shows(center: Center, *, through: date, now: datetime, **_: Any) -> dict[str, int]:
    """Bookings of a closed day never checked in are no-shows (their places stay counted);
    each counts against its phone and ID number (``fairness``: a warning, or a bar)."""
    missed = list(
        db.session.scalars(
            select(Appointment)
            .where(
                Appointment.center_id == center.id,
                Appointment.service_date <= through,
                Appointment.state == AppointmentState.BOOKED,
            )
            .order_by(Appointment.service_date, Appointment.start_time, Appointment.id)
        )
    )
    for appointment in missed:
        appointment.state = AppointmentState.NO_SHOW
    db.session.flush()
    outcomes = fairness.record_missed(center, missed, now=now)
    counts = {"bookings_no_show": len(missed)}
    barred = sum(1 for o in outcomes if o.bar is not None)
    if barred:
        counts["bookings_barred"] = barred
    return counts
