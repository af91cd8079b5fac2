"""A center's catalogue from the admin area: add, change, retire and reinstate service items.

The pinyin search keys are derived from the Chinese name, never typed. An item is retired, not
deleted (its tickets, cases and bookings keep pointing at it); retiring one is refused while
tickets for it wait today or bookings for it are still to come, and both are named.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import or_, select

from .. import audit
from ..booking.models import Appointment, AppointmentState
from ..catalogue.calendar_rows import settings_changed
from ..catalogue.models import CaseType, Center, Department, ServiceItem
from ..catalogue.services import set_pinyin
from ..clock import local_date
from ..db import db, write_transaction
from ..errors import Conflict, Invalid
from ..queueing.models import Ticket, TicketState
from ..windows.models import Window

ITEM_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,31}")


@dataclass(frozen=True)
class ItemData:
    """What an administrator sets on a service item."""

    code: str
    name_zh: str
    name_en: str
    department_id: int
    case_type_id: int
    national_code: str | None = None
    materials_zh: str = ""
    materials_en: str = ""
    is_on_the_spot: bool = True
    time_limit_days: int | None = None
    service_minutes: int = 10
    is_bookable: bool = True
    slot_capacity: int | None = None
    needs_applicant: bool = False
    remote_allowed: bool = True
    window_ids: frozenset[int] = field(default_factory=frozenset)


COLUMNS = tuple(name for name in ItemData.__dataclass_fields__ if name != "window_ids")


def check(center: Center, data: ItemData, item: ServiceItem | None = None) -> None:
    """The rules of an item, each named by its field (Invalid; Conflict for a code in use)."""
    if not ITEM_CODE.fullmatch(data.code):
        raise Invalid(
            _("An item's code is 1 to 32 letters, digits, dots, dashes or underscores."),
            field="code",
        )
    if not data.name_zh.strip():
        raise Invalid(_("Give the Chinese name."), field="name_zh")
    if not data.name_en.strip():
        raise Invalid(_("Give the English name."), field="name_en")
    if len(data.name_zh) > 120 or len(data.name_en) > 200:
        raise Invalid(_("The name is too long."), field="name_zh")
    if data.national_code is not None and not 1 <= len(data.national_code) <= 64:
        raise Invalid(_("The national item code has at most 64 characters."), field="national_code")
    if db.session.get(Department, data.department_id) is None:
        raise Invalid(_("Choose a department from the list."), field="department_id")
    if db.session.get(CaseType, data.case_type_id) is None:
        raise Invalid(_("Choose a case type from the list."), field="case_type_id")
    if data.is_on_the_spot and data.time_limit_days is not None:
        raise Invalid(
            _("An on-the-spot item has no promised days; leave them empty."),
            field="time_limit_days",
        )
    if not data.is_on_the_spot and (data.time_limit_days is None or data.time_limit_days < 1):
        raise Invalid(
            _("A promised item needs the working days promised (1 or more)."),
            field="time_limit_days",
        )
    if not 1 <= data.service_minutes <= 480:
        raise Invalid(_("Service minutes: 1 to 480."), field="service_minutes")
    if data.slot_capacity is not None and not 0 <= data.slot_capacity <= 1000:
        raise Invalid(
            _("Places per slot: 0 to 1000, or empty for the center's."), field="slot_capacity"
        )
    others = select(ServiceItem.id).where(
        ServiceItem.center_id == center.id, ServiceItem.id != (item.id if item else -1)
    )
    if db.session.scalar(others.where(ServiceItem.code == data.code)) is not None:
        raise Conflict(
            _("Another item of this center has the code %(code)s.", code=data.code), field="code"
        )
    if (
        data.national_code is not None
        and db.session.scalar(others.where(ServiceItem.national_code == data.national_code))
        is not None
    ):
        raise Conflict(
            _(
                "Another item of this center has the national code %(code)s.",
                code=data.national_code,
            ),
            field="national_code",
        )


def _snapshot(item: ServiceItem) -> dict[str, Any]:
    data = audit.snapshot(item, (*COLUMNS, "is_active"))
    data["windows"] = sorted(w.number for w in windows_of(item))
    return data


def _record(
    action: str, item: ServiceItem, before: dict[str, Any], *, actor: object, now: datetime
) -> None:
    """The audit record of a change to ``item``: its fields ``before`` and now."""
    audit.record(
        action,
        actor=actor,
        now=now,
        obj=item,
        object_label=item.name_zh,
        before=before,
        after=_snapshot(item),
    )


def windows_of(item: ServiceItem) -> list[Window]:
    """The windows given this item by name (comprehensive windows serve it anyway)."""
    return list(
        db.session.scalars(
            select(Window)
            .where(Window.services.any(ServiceItem.id == item.id))
            .order_by(Window.number)
        )
    )


def _windows(center: Center, ids: Iterable[int]) -> list[Window]:
    ids = set(ids)
    if not ids:
        return []
    windows = list(
        db.session.scalars(select(Window).where(Window.id.in_(ids), Window.center_id == center.id))
    )
    if len(windows) != len(ids):
        raise Invalid(_("Choose windows of this center only."), field="window_ids")
    return windows


def _apply(item: ServiceItem, data: ItemData) -> None:
    values = asdict(data)
    values.pop("window_ids")
    for name, value in values.items():
        setattr(item, name, value.strip() if isinstance(value, str) else value)
    set_pinyin(item)


def _set_windows(item: ServiceItem, windows: list[Window], *, now: datetime) -> None:
    for window in windows_of(item):
        if window not in windows:
            window.services.remove(item)
    for window in windows:
        if item not in window.services:
            window.services.append(item)
    db.session.flush()
    if item.is_active:
        _refuse_unserved(item, now=now)


def create_item(center: Center, data: ItemData, *, actor: object, now: datetime) -> ServiceItem:
    write_transaction()
    check(center, data)
    item = ServiceItem(center=center, is_active=True)
    _apply(item, data)
    db.session.add(item)
    db.session.flush()
    _set_windows(item, _windows(center, data.window_ids), now=now)
    settings_changed({center.id})
    _record("item.create", item, {}, actor=actor, now=now)
    return item


def update_item(item: ServiceItem, data: ItemData, *, actor: object, now: datetime) -> ServiceItem:
    write_transaction()
    center = item.center
    check(center, data, item)
    before = _snapshot(item)
    _apply(item, data)
    _set_windows(item, _windows(center, data.window_ids), now=now)
    after = _snapshot(item)
    if after != before:
        settings_changed({center.id})
        _record("item.update", item, before, actor=actor, now=now)
    return item


def set_active(item: ServiceItem, active: bool, *, actor: object, now: datetime) -> ServiceItem:
    """Retire an item (gone from the catalogue, the kiosk and booking) or reinstate it.

    :raises Conflict: when retiring it while tickets for it wait today or bookings for it are
        still to come (named).
    """
    write_transaction()
    if item.is_active == active:
        return item
    if not active:
        _refuse_retiring(item, now=now)
    before = _snapshot(item)
    item.is_active = active
    settings_changed({item.center_id})
    _record("item.reinstate" if active else "item.retire", item, before, actor=actor, now=now)
    return item


def _waiting_numbers(item: ServiceItem, *, now: datetime) -> list[str]:
    today = local_date(now, item.center.timezone)
    return list(
        db.session.scalars(
            select(Ticket.number)
            .where(
                Ticket.service_item_id == item.id,
                Ticket.service_date == today,
                Ticket.state == TicketState.WAITING,
            )
            .order_by(Ticket.number)
        )
    )


def _refuse_retiring(item: ServiceItem, *, now: datetime) -> None:
    waiting = _waiting_numbers(item, now=now)
    if waiting:
        raise Conflict(
            _(
                "Tickets %(tickets)s wait for this item: serve or transfer them first.",
                tickets=", ".join(waiting),
            )
        )
    today = local_date(now, item.center.timezone)
    booked = list(
        db.session.scalars(
            select(Appointment.code)
            .where(
                Appointment.service_item_id == item.id,
                Appointment.service_date >= today,
                Appointment.state == AppointmentState.BOOKED,
            )
            .order_by(Appointment.service_date, Appointment.start_time)
        )
    )
    if booked:
        raise Conflict(
            _(
                "%(n)d bookings for this item are still to come (%(codes)s): move or cancel "
                "them first.",
                n=len(booked),
                codes=", ".join(booked[:10]) + (" …" if len(booked) > 10 else ""),
            )
        )


def _refuse_unserved(item: ServiceItem, *, now: datetime) -> None:
    """Refuse leaving an item no active window serves while tickets for it wait."""
    served = db.session.scalar(
        select(Window.id)
        .where(
            Window.center_id == item.center_id,
            Window.retired_dt.is_(None),
            or_(Window.is_comprehensive, Window.services.any(ServiceItem.id == item.id)),
        )
        .limit(1)
    )
    if served is not None:
        return
    waiting = _waiting_numbers(item, now=now)
    if waiting:
        raise Conflict(
            _(
                "Tickets %(tickets)s wait for this item: no window would serve it. Keep a "
                "window for it until they are served.",
                tickets=", ".join(waiting),
            ),
            field="window_ids",
        )
