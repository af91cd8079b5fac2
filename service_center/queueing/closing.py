"""The end of the day: at a center's closing time its windows are signed off, the tickets
still waiting or called end **unserved**, and what other areas keep for the day (bookings
never checked in) is closed by their own receivers of ``signals.day_closed``.

``close_day`` is idempotent: a scheduler may run it every few minutes (``flask close-day``);
before closing time it only clears what earlier days left behind, so a missed run never
carries yesterday's queue into the morning. A ticket being served at closing time stays with
its clerk (they finish the case and then sign off); once the day itself is over, it too ends
unserved, so no case is ever recorded on the wrong day.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select, update

from .. import audit
from ..catalogue import calendar
from ..catalogue.models import Center
from ..clock import local_date
from ..db import db, write_transaction
from ..windows.models import Window, WindowState
from . import signals
from .events import record_event
from .models import EventKind, Ticket, TicketState
from .order import current_ticket

if TYPE_CHECKING:
    from ..auth.models import User

#: the states the end of the day ends
_OPEN_STATES = (TicketState.WAITING, TicketState.CALLED, TicketState.SERVING)


@dataclass
class DayClosing:
    """What one run of ``close_day`` changed (all empty: the days were closed already)."""

    center: Center
    through: date  #: the last local day closed
    windows: list[int] = field(default_factory=list)  #: the numbers of the windows signed off
    unserved: list[str] = field(default_factory=list)  #: the ticket numbers ended unserved
    #: what the other areas closed, by what they call it (``{"bookings_no_show": 2}``)
    others: dict[str, int] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return bool(self.windows or self.unserved or any(self.others.values()))


def closing_time(center: Center, day: date) -> datetime | None:
    """The moment ``center`` closes on ``day`` (the end of its last period), None if shut."""
    periods = calendar.opening_periods(center, day)
    if not periods:
        return None
    return datetime.combine(day, periods[-1][1], ZoneInfo(center.timezone))


def closed_through(center: Center, now: datetime) -> date:
    """The latest local day of ``center`` that has ended by ``now``: today once it has
    closed (or if it does not open today), else yesterday."""
    today = local_date(now, center.timezone)
    closes = closing_time(center, today)
    return today if closes is None or now >= closes else today - timedelta(days=1)


def close_day(center: Center, *, now: datetime, actor: User | None = None) -> DayClosing:
    """Close every day of ``center`` that has ended by ``now`` (see the module's text).

    Runs in one transaction with the queue's locks: a call racing the closing either ends
    first (and its ticket is closed with the rest) or finds the queue empty. Never commits.
    """
    write_transaction()
    through = closed_through(center, now)
    today = local_date(now, center.timezone)
    result = DayClosing(center=center, through=through)

    tickets = db.session.scalars(
        select(Ticket)
        .where(
            Ticket.center_id == center.id,
            Ticket.service_date <= through,
            Ticket.state.in_(_OPEN_STATES),
        )
        .order_by(Ticket.service_date, Ticket.queued_dt, Ticket.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    for ticket in tickets:
        if ticket.state is TicketState.SERVING and ticket.service_date == today:
            continue  # its clerk finishes it today
        window = ticket.window
        ticket.mark_unserved(now)
        record_event(ticket, EventKind.UNSERVED, now, window=window, actor=actor)
        result.unserved.append(ticket.number)
    # 到号提醒 numbers of the closed days' tickets go with the day (a no-show could requeue
    # until then; the others were erased as they closed)
    db.session.execute(
        update(Ticket)
        .where(
            Ticket.center_id == center.id,
            Ticket.service_date <= through,
            Ticket.notify_address.is_not(None),
            Ticket.state.not_in(_OPEN_STATES),
        )
        .values(notify_address=None)
        .execution_options(synchronize_session=False)
    )
    db.session.flush()

    windows = db.session.scalars(
        select(Window)
        .where(
            Window.center_id == center.id,
            or_(Window.clerk_id.is_not(None), Window.state != WindowState.CLOSED),
        )
        .order_by(Window.number)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    for window in windows:
        since = window.clerk_since_dt or window.state_changed_dt
        if through < today and since is not None and local_date(since, center.timezone) >= today:
            continue  # staffed this morning: the day is still open
        if current_ticket(window) is not None:
            continue  # serving today after closing: the clerk signs off when done
        window.clerk_id = None
        window.clerk_since_dt = None
        window.state = WindowState.CLOSED
        window.state_changed_dt = now
        result.windows.append(window.number)
    db.session.flush()

    for _receiver, closed in signals.day_closed.send(center, through=through, now=now):
        for name, count in (closed or {}).items():
            result.others[name] = result.others.get(name, 0) + count

    if result.changed:
        audit.record(
            "day.close",
            actor=actor,
            now=now,
            obj=center,
            object_type="center",
            object_label=center.code,
            center_id=center.id,
            after={
                "through": through.isoformat(),
                "windows_signed_off": result.windows,
                "tickets_unserved": result.unserved,
                **result.others,
            },
            actor_name=None if actor is not None else "close-day",
        )
    db.session.flush()
    return result
