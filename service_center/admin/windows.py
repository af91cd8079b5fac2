"""Adding, changing and retiring a center's windows.

A window with history is retired, never deleted. A change is refused, with the tickets named,
when it would leave a resident stranded: retiring a window that holds a called or serving
ticket, or taking away the last window that serves an item while tickets for it wait.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, or_, select

from .. import audit
from ..catalogue.calendar_rows import settings_changed
from ..catalogue.models import CaseType, Center, ServiceItem
from ..clock import local_date
from ..db import db, write_transaction
from ..errors import Conflict, Invalid
from ..i18n import current_language
from ..queueing.models import Ticket, TicketState
from ..windows.models import Window, WindowState, window_services

#: what the audit trail keeps of a window
FIELDS = ("number", "name_zh", "name_en", "is_comprehensive", "services", "retired_dt")
MAX_WINDOW_NUMBER = 999


@dataclass(frozen=True)
class WindowData:
    """What an administrator sets on a window.

    ``case_type_ids``: the window serves every item of these case types the center offers now
    (they join ``service_ids``; an item added later is given its windows on its own form).
    """

    number: int
    name_zh: str
    name_en: str
    is_comprehensive: bool = False
    service_ids: frozenset[int] = field(default_factory=frozenset)
    case_type_ids: frozenset[int] = field(default_factory=frozenset)


def case_types_of(window: Window) -> list[CaseType]:
    """The case types a window serves: every one for a comprehensive window, else its items'."""
    if window.is_comprehensive:
        return list(db.session.scalars(select(CaseType).order_by(CaseType.position)))
    ids = {item.case_type_id for item in window.services}
    return [
        ct
        for ct in db.session.scalars(select(CaseType).order_by(CaseType.position))
        if ct.id in ids
    ]


def _chosen_items(center: Center, data: WindowData) -> list[ServiceItem]:
    ids = set(data.service_ids)
    if data.case_type_ids:
        ids |= set(
            db.session.scalars(
                select(ServiceItem.id).where(
                    ServiceItem.center_id == center.id,
                    ServiceItem.is_active,
                    ServiceItem.case_type_id.in_(data.case_type_ids),
                )
            )
        )
    return _items(center, ids)


def _snapshot(window: Window) -> dict[str, object]:
    data = audit.snapshot(window, ("number", "name_zh", "name_en", "is_comprehensive"))
    data["services"] = sorted(item.id for item in window.services)
    data["retired_dt"] = audit.plain(window.retired_dt)
    return data


def _label(window: Window) -> str:
    return f"{window.number} {window.name_zh}"


def _record(
    action: str, window: Window, before: dict[str, object], *, actor: object, now: datetime
) -> None:
    """The audit record of a change to ``window``: its fields ``before`` and now."""
    audit.record(
        action,
        actor=actor,
        now=now,
        obj=window,
        object_label=_label(window),
        before=before,
        after=_snapshot(window),
    )


def _items(center: Center, ids: Iterable[int]) -> list[ServiceItem]:
    ids = set(ids)
    if not ids:
        return []
    items = list(
        db.session.scalars(
            select(ServiceItem).where(ServiceItem.id.in_(ids), ServiceItem.center_id == center.id)
        )
    )
    if len(items) != len(ids):
        raise Invalid(_("Choose items of this center only."), field="service_ids")
    return items


def _check_number(center: Center, number: int, window: Window | None = None) -> None:
    if not 1 <= number <= MAX_WINDOW_NUMBER:
        raise Invalid(
            _("A window's number is from 1 to %(n)d.", n=MAX_WINDOW_NUMBER), field="number"
        )
    taken = db.session.scalar(
        select(Window.id).where(Window.center_id == center.id, Window.number == number)
    )
    if taken is not None and (window is None or taken != window.id):
        raise Conflict(
            _(
                "This center already has a window %(n)d (retired windows keep their number).",
                n=number,
            ),
            field="number",
        )


def create_window(center: Center, data: WindowData, *, actor: object, now: datetime) -> Window:
    """Add a window (closed, nobody on it) to ``center``.

    :raises Invalid: for a number out of range or items of another center.
    :raises Conflict: when the number is taken.
    """
    write_transaction()
    _check_number(center, data.number)
    items = _chosen_items(center, data)
    window = Window(
        center=center,
        number=data.number,
        name_zh=data.name_zh,
        name_en=data.name_en,
        is_comprehensive=data.is_comprehensive,
        state=WindowState.CLOSED,
        state_changed_dt=now,
        services=items,
    )
    db.session.add(window)
    settings_changed({center.id})
    _record("window.create", window, {}, actor=actor, now=now)
    return window


def update_window(window: Window, data: WindowData, *, actor: object, now: datetime) -> Window:
    """Change a window's number, names, items or comprehensive flag.

    :raises Conflict: when the number is taken, or items it stops serving would be left
        without a window while tickets for them wait (the tickets are named).
    """
    write_transaction()
    center = window.center
    before = _snapshot(window)
    if data.number != window.number:
        _check_number(center, data.number, window)
    items = _chosen_items(center, data)
    if not window.is_retired:
        kept = None if data.is_comprehensive else {item.id for item in items}
        _refuse_stranding(window, keeps=kept, now=now)
    window.number = data.number
    window.name_zh = data.name_zh
    window.name_en = data.name_en
    window.is_comprehensive = data.is_comprehensive
    window.services = items
    after = _snapshot(window)
    if after != before:
        settings_changed({center.id})
        _record("window.update", window, before, actor=actor, now=now)
    return window


def retire_window(window: Window, *, actor: object, now: datetime) -> Window:
    """Retire a window: closed, its clerk signed off, gone from every list, queue and screen.

    :raises Conflict: when it holds a called or serving ticket, or items only it serves have
        tickets waiting (both named).
    """
    write_transaction()
    if window.is_retired:
        return window
    held = db.session.scalars(
        select(Ticket.number)
        .where(
            Ticket.window_id == window.id,
            Ticket.state.in_((TicketState.CALLED, TicketState.SERVING)),
        )
        .order_by(Ticket.number)
    ).all()
    if held:
        raise Conflict(
            _(
                "Window %(window)d is serving %(tickets)s: close those cases first.",
                window=window.number,
                tickets=", ".join(held),
            )
        )
    _refuse_stranding(window, keeps=set(), now=now)
    before = _snapshot(window)
    window.retired_dt = now
    window.state = WindowState.CLOSED
    window.state_changed_dt = now
    window.clerk = None
    window.clerk_since_dt = None
    settings_changed({window.center_id})
    _record("window.retire", window, before, actor=actor, now=now)
    return window


def reinstate_window(window: Window, *, actor: object, now: datetime) -> Window:
    """Put a retired window back in service (closed, until a clerk signs on)."""
    write_transaction()
    if not window.is_retired:
        return window
    before = _snapshot(window)
    window.retired_dt = None
    settings_changed({window.center_id})
    _record("window.reinstate", window, before, actor=actor, now=now)
    return window


def _refuse_stranding(window: Window, *, keeps: set[int] | None, now: datetime) -> None:
    """Refuse when items ``window`` would stop serving have no other window, yet tickets wait.

    ``keeps``: the items the window will still serve (None: all, as a comprehensive window).
    """
    if keeps is None:
        return
    center = window.center
    if window.is_comprehensive:
        losing = set(
            db.session.scalars(
                select(ServiceItem.id).where(
                    ServiceItem.center_id == center.id, ServiceItem.is_active
                )
            )
        )
    else:
        losing = {item.id for item in window.services}
    losing -= keeps
    if not losing:
        return
    today = local_date(now, center.timezone)
    other_windows = (
        select(func.count())
        .select_from(Window)
        .where(
            Window.center_id == center.id,
            Window.id != window.id,
            Window.retired_dt.is_(None),
            or_(
                Window.is_comprehensive,
                Window.id.in_(
                    select(window_services.c.window_id).where(
                        window_services.c.service_item_id == Ticket.service_item_id
                    )
                ),
            ),
        )
        .scalar_subquery()
    )
    stranded = db.session.execute(
        select(Ticket.number, ServiceItem.name_zh, ServiceItem.name_en)
        .join(ServiceItem, ServiceItem.id == Ticket.service_item_id)
        .where(
            Ticket.center_id == center.id,
            Ticket.service_date == today,
            Ticket.state == TicketState.WAITING,
            or_(
                Ticket.transfer_window_id == window.id,
                Ticket.service_item_id.in_(losing) & (other_windows == 0),
            ),
        )
        .order_by(Ticket.number)
    ).all()
    if stranded:
        raise Conflict(
            _(
                "Tickets %(tickets)s wait for this window: no other window serves %(items)s. "
                "Serve or transfer them first.",
                tickets=", ".join(row.number for row in stranded),
                items="、".join(sorted({_item_name(row) for row in stranded})),
            )
        )


def _item_name(row: Any) -> str:
    return row.name_zh if current_language() == "zh" else row.name_en
