"""The items a center's residents take tickets for most: the kiosk's shortcuts."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select

from ..catalogue.models import Center, ServiceItem
from ..db import db
from .models import Ticket

POPULAR_DAYS = 30
POPULAR_LIMIT = 6


def most_taken_items(
    center: Center, *, now: datetime, days: int = POPULAR_DAYS, limit: int = POPULAR_LIMIT
) -> list[ServiceItem]:
    """Return the center's active items with the most tickets issued in the ``days`` before
    ``now``, most first (ties by item code); items without a ticket are left out."""
    taken = func.count(Ticket.id)
    stmt = (
        select(ServiceItem)
        .join(Ticket, Ticket.service_item_id == ServiceItem.id)
        .where(
            Ticket.center_id == center.id,
            Ticket.issued_dt >= now - timedelta(days=days),
            Ticket.issued_dt < now,
            ServiceItem.is_active,
        )
        .group_by(ServiceItem.id)
        .order_by(taken.desc(), ServiceItem.code)
        .limit(limit)
    )
    return list(db.session.scalars(stmt))
