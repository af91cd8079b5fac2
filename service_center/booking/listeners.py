"""The bookings' ears on the queue: what ends with a center's day."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import update

from ..catalogue.models import Center
from ..db import db
from ..queueing import signals
from .models import Appointment, AppointmentState


@signals.day_closed.connect
def _no_shows(center: Center, *, through: date, now: datetime, **_: Any) -> dict[str, int]:
    """Bookings of a closed day never checked in are no-shows (their places stay counted)."""
    result = db.session.execute(
        update(Appointment)
        .where(
            Appointment.center_id == center.id,
            Appointment.service_date <= through,
            Appointment.state == AppointmentState.BOOKED,
        )
        .values(state=AppointmentState.NO_SHOW)
        .execution_options(synchronize_session=False)
    )
    return {"bookings_no_show": result.rowcount or 0}
