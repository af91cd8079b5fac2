"""Which windows handle what: a center's windows with their skills, an item's windows."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from ..auth.models import User
from ..catalogue.models import Center, ServiceItem
from ..db import db
from .models import Window, window_services, window_staff


def list_windows(center: Center) -> list[Window]:
    """Return the center's windows by number, their skills and the skills' case types loaded."""
    return list(
        db.session.scalars(
            select(Window)
            .where(Window.center_id == center.id, Window.retired_dt.is_(None))
            .options(selectinload(Window.services).selectinload(ServiceItem.case_type))
            .order_by(Window.number)
        )
    )


def windows_for(item: ServiceItem) -> list[Window]:
    """Return the windows of the item's center that handle it, by number.

    The item's public page lists them: ``create_app`` makes this the template global
    ``windows_for``, since the catalogue below cannot import the windows.
    """
    handles = Window.id.in_(
        select(window_services.c.window_id).where(window_services.c.service_item_id == item.id)
    )
    stmt = (
        select(Window)
        .where(
            Window.center_id == item.center_id,
            Window.retired_dt.is_(None),
            or_(Window.is_comprehensive, handles),
        )
        .order_by(Window.number)
    )
    return list(db.session.scalars(stmt))


def staffable_window_ids(user: User) -> set[int]:
    """The windows an administrator gave the clerk ``user`` to staff (empty: any window)."""
    return set(
        db.session.scalars(
            select(window_staff.c.window_id).where(window_staff.c.user_id == user.id)
        )
    )
