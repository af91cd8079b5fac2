"""The queue engine: numbering, routing, call-next order, the ticket life cycle, cases.

Every function takes ``now`` and leaves the commit to its caller. Functions that race with
other app processes (issuing, calling, acting on a ticket) start their own unit of work with
``write_transaction()``: on SQLite that takes the write lock up front, on PostgreSQL the rows
raced for are locked (``FOR UPDATE``, ``SKIP LOCKED`` for call-next).
"""

from __future__ import annotations

import functools
import heapq
import math
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from types import MappingProxyType
from typing import TYPE_CHECKING

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    Integer,
    Row,
    Text,
    and_,
    bindparam,
    case,
    cast,
    func,
    literal,
    or_,
    select,
    true,
    tuple_,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.orm import aliased, joinedload
from sqlalchemy.orm.attributes import set_committed_value

from ..catalogue import calendar, calendar_rows
from ..catalogue.models import Center, ServiceItem
from ..clock import local_date
from ..db import UTCDateTime, db, insert_for, write_transaction
from ..errors import Conflict, DomainError, Invalid, NotFound
from ..windows.models import Window, WindowState, window_services
from . import signals
from .models import (
    Case,
    DailyCounter,
    EventKind,
    Outcome,
    Ticket,
    TicketEvent,
    TicketState,
    WalkInCap,
)

if TYPE_CHECKING:
    from ..auth.models import User
    from ..booking.models import Appointment


class CenterClosed(Conflict):
    default_message = _l("The center is not taking walk-in tickets now.")


class WalkInCapReached(Conflict):
    default_message = _l("Today's walk-in tickets for this case type have all been issued.")


class QueueEmpty(DomainError):
    status = 204
    default_message = _l("Nobody is waiting for this window.")


class WindowNotOpen(Conflict):
    default_message = _l("Open the window before calling.")


class WindowBusy(Conflict):
    default_message = _l(
        "This window still holds a ticket: complete, mark no-show or transfer it first."
    )


class InvalidTransition(Conflict):
    default_message = _l("This action does not fit the ticket's status.")


# --- settings -------------------------------------------------------------------------------


def _setting(key: str, default: int) -> int:
    return int(current_app.config.get(key, default))


# --- numbering ------------------------------------------------------------------------------


def next_daily_value(center_id: int, day, series: str) -> int:
    """Hand out the next number of ``series`` for a center's day, atomically.

    One ``INSERT … ON CONFLICT DO UPDATE … RETURNING`` on both databases: concurrent callers
    queue on the counter row and each gets its own value; a new day starts at 1.
    """
    stmt = _counter_upsert(db.session.get_bind().dialect.name)
    params = {"center_id": center_id, "day": day, "series": series}
    return int(db.session.execute(stmt, params).scalar_one())


@functools.cache
def _counter_upsert(dialect: str):
    stmt = insert_for(dialect)(DailyCounter).values(
        center_id=bindparam("center_id"),
        service_date=bindparam("day"),
        series=bindparam("series"),
        last_value=1,
    )
    return stmt.on_conflict_do_update(
        index_elements=["center_id", "service_date", "series"],
        set_={"last_value": DailyCounter.last_value + 1},
    ).returning(DailyCounter.last_value)


def _new_token() -> str:
    return secrets.token_urlsafe(12)  # 96 bits, 16 URL-safe characters


# --- issuing --------------------------------------------------------------------------------


def issue_ticket(
    center: Center,
    item: ServiceItem,
    *,
    now: datetime,
    priority: bool = False,
    booked: bool = False,
    appointment: Appointment | None = None,
    applicant_name: str | None = None,
    applicant_phone: str | None = None,
    actor: User | None = None,
) -> Ticket:
    """Issue a ticket for ``item`` and put it in the queue of the windows that handle it.

    Walk-ins are taken only while the center is open and under its daily cap per case type;
    a booking checked in on time (``booked``) is let in before opening too.

    :raises NotFound: when the item is not one of the center's active items.
    :raises CenterClosed: outside opening hours or on a closed day (walk-ins).
    :raises WalkInCapReached: when the day's walk-in tickets of the case type are gone.
    """
    write_transaction(keep_loaded=True)  # decided under the lock: the counters, the ticket
    if item.center_id != center.id or not item.is_active:
        raise NotFound(_("This center offers no such service item."), field="service")
    if not booked and not calendar.is_open_at(center, now):
        raise CenterClosed(_closed_message(center, now))
    day = local_date(now, center.timezone)
    prefix = item.case_type.prefix
    if not booked:
        cap = walk_in_caps(center).get(item.case_type_id)
        if cap is not None and next_daily_value(center.id, day, f"walkin:{prefix}") > cap:
            raise WalkInCapReached()
    sequence = next_daily_value(center.id, day, prefix)
    ticket = Ticket(
        token=_new_token(),
        center=center,
        service_date=day,
        number=f"{prefix}{sequence:03d}",
        service_item=item,
        case_type_id=item.case_type_id,
        state=TicketState.WAITING,
        is_priority=priority,
        is_booked=booked,
        issued_dt=now,
        queued_dt=now,
        applicant_name=applicant_name,
        applicant_phone=applicant_phone,
    )
    if appointment is not None:
        ticket.appointment = appointment
    db.session.add(ticket)
    db.session.flush()
    record_event(ticket, EventKind.ISSUED, now, actor=actor, detail="booked" if booked else "")
    return ticket


def walk_in_caps(center: Center) -> Mapping[int, int]:
    """Return the center's daily walk-in caps by case type id (kept per calendar version)."""
    return calendar_rows.cached(center, "walk_in_caps", _load_walk_in_caps)


def _load_walk_in_caps(center_id: int) -> Mapping[int, int]:
    rows = db.session.execute(
        select(WalkInCap.case_type_id, WalkInCap.daily_cap).where(WalkInCap.center_id == center_id)
    )
    return MappingProxyType({case_type_id: cap for case_type_id, cap in rows})


def _closed_message(center: Center, now: datetime) -> str:
    status = calendar.day_status(center, local_date(now, center.timezone))
    if not status.is_open:
        reason = f" ({status.reason})" if status.reason else ""
        return _(
            "The center is closed today%(reason)s; walk-in tickets are not issued.", reason=reason
        )
    periods = calendar.opening_periods(center, status.day)
    hours = ", ".join(f"{a.strftime('%H:%M')}–{b.strftime('%H:%M')}" for a, b in periods)
    return _("Walk-in tickets are issued during opening hours only: %(hours)s.", hours=hours)


def record_event(
    ticket: Ticket,
    kind: EventKind,
    now: datetime,
    *,
    window: Window | None = None,
    actor: User | None = None,
    detail: str = "",
    **announce: object,
) -> TicketEvent:
    """Write the ticket's event and announce it (``signals``) inside the same transaction.

    :param announce: more for the listeners (e.g. ``item_changed`` on a transfer).
    """
    event = TicketEvent(
        ticket_id=ticket.id,
        center_id=ticket.center_id,
        kind=kind,
        at_dt=now,
        window_id=window.id if window is not None else None,
        actor_id=actor.id if actor is not None else None,
        detail=detail[:200],
    )
    db.session.add(event)
    signals.BY_KIND[kind].send(ticket, event=event, now=now, **announce)
    return event


# --- the call-next order --------------------------------------------------------------------


def _walk_in_cutoff(now: datetime) -> datetime:
    """Walk-ins queued at or before this moment rank with the bookings (see ``_waiting_for``)."""
    return now - timedelta(minutes=_setting("QUEUE_WALKIN_MAX_WAIT_MINUTES", 30))


def _rank(window_id, cutoff):
    """The group of a waiting ticket in the queue of the window ``window_id`` (a value or a
    column): 0 transferred there, 1 priority, 2 booked or queued by ``cutoff``, 3 the rest."""
    return case(
        (Ticket.transfer_window_id == window_id, 0),
        (Ticket.is_priority, 1),
        (or_(Ticket.is_booked, Ticket.queued_dt <= cutoff), 2),
        else_=3,
    )


def _handles(window_id):
    """The ticket's item is one of the window's skills (``window_id``: a value or a column)."""
    return Ticket.service_item_id.in_(
        select(window_services.c.service_item_id).where(window_services.c.window_id == window_id)
    )


def _in_queue_of(window_id, handled):
    """The ticket waits for the window: transferred there, or not transferred and ``handled``."""
    return and_(
        Ticket.state == TicketState.WAITING,
        or_(Ticket.transfer_window_id == window_id, Ticket.transfer_window_id.is_(None) & handled),
    )


@functools.cache
def _waiting_for(comprehensive: bool):
    """The waiting tickets a window may call, in the exact order call-next takes them.

    Order: tickets transferred to this window; then priority tickets (绿色通道); then bookings
    checked in on time together with walk-ins waiting longer than QUEUE_WALKIN_MAX_WAIT_MINUTES;
    then the other walk-ins; oldest place in time first within each group. One statement per
    kind of window, built once; ``_queue_params`` gives its parameters.
    """
    window_id = bindparam("window_id")
    handled = true() if comprehensive else _handles(window_id)
    return (
        select(Ticket)
        .where(Ticket.center_id == bindparam("center_id"), _in_queue_of(window_id, handled))
        .order_by(
            _rank(window_id, bindparam("cutoff", type_=UTCDateTime())), Ticket.queued_dt, Ticket.id
        )
    )


@functools.cache
def _next_for(comprehensive: bool):
    """The head of the queue, locked; a ticket another caller holds is skipped."""
    return _waiting_for(comprehensive).limit(1).with_for_update(skip_locked=True, of=Ticket)


def _queue_params(window: Window, now: datetime) -> dict[str, object]:
    return {"window_id": window.id, "center_id": window.center_id, "cutoff": _walk_in_cutoff(now)}


def window_queue(window: Window, *, now: datetime, limit: int | None = None) -> list[Ticket]:
    """Return the window's queue in the order call-next will take it."""
    stmt = _waiting_for(window.is_comprehensive)
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(db.session.scalars(stmt, _queue_params(window, now)))


@functools.cache
def _current_statement():
    return select(Ticket).where(
        Ticket.window_id == bindparam("window_id"),
        Ticket.state.in_([TicketState.CALLED, TicketState.SERVING]),
    )


def current_ticket(window: Window) -> Ticket | None:
    """Return the ticket the window is calling or serving, if any."""
    return db.session.scalar(_current_statement(), {"window_id": window.id})


def call_next_ticket(window: Window, *, now: datetime, actor: User | None = None) -> Ticket:
    """Call the next ticket to ``window``; exactly once, whatever runs in parallel.

    :raises WindowNotOpen: when the window is paused or closed.
    :raises WindowBusy: when the window still holds a called or serving ticket.
    :raises QueueEmpty: when nobody waits for this window.
    """
    window = _lock_window(window)
    if window.state is not WindowState.OPEN:
        raise WindowNotOpen()
    if current_ticket(window) is not None:
        raise WindowBusy()
    ticket = db.session.scalar(_next_for(window.is_comprehensive), _queue_params(window, now))
    if ticket is None:
        raise QueueEmpty()
    ticket.state = TicketState.CALLED
    ticket.window_id = window.id
    ticket.transfer_window_id = None
    ticket.call_count += 1
    ticket.called_dt = now
    if ticket.first_called_dt is None:
        ticket.first_called_dt = now
    record_event(ticket, EventKind.CALLED, now, window=window, actor=actor)
    db.session.flush()
    return ticket


def _lock_window(window: Window) -> Window:
    """Start the unit of work and lock the window's row (PostgreSQL) or the database (SQLite)."""
    window_id = window.id
    _begin()
    locked = db.session.get(Window, window_id, with_for_update=True, populate_existing=True)
    if locked is None:
        raise NotFound(_("No such window."))
    return locked


def _lock_ticket(ticket: Ticket) -> Ticket:
    ticket_id = ticket.id
    _begin()
    locked = db.session.get(Ticket, ticket_id, with_for_update=True, populate_existing=True)
    if locked is None:
        raise NotFound(_("No such ticket."))
    return locked


def _begin() -> None:
    # the row raced for is read again locked; the caller and catalogue rows are kept
    write_transaction(keep_loaded=True)


# --- the life cycle -------------------------------------------------------------------------

#: action → the states it may start from
ALLOWED: dict[str, tuple[TicketState, ...]] = {
    "recall": (TicketState.CALLED,),
    "start": (TicketState.CALLED,),
    "no_show": (TicketState.CALLED,),
    "transfer": (TicketState.CALLED, TicketState.SERVING),
    "complete": (TicketState.SERVING,),
    "cancel": (TicketState.WAITING,),
    "requeue": (TicketState.NO_SHOW,),
}

STATE_LABELS = {
    TicketState.WAITING: _l("waiting"),
    TicketState.CALLED: _l("called"),
    TicketState.SERVING: _l("being served"),
    TicketState.DONE: _l("done"),
    TicketState.NO_SHOW: _l("a no-show"),
    TicketState.CANCELLED: _l("cancelled"),
}

ACTION_LABELS = {
    "recall": _l("recalled"),
    "start": _l("started"),
    "no_show": _l("marked no-show"),
    "transfer": _l("transferred"),
    "complete": _l("completed"),
    "cancel": _l("cancelled"),
    "requeue": _l("put back in the queue"),
}


def can(ticket: Ticket, action: str) -> bool:
    """Tell whether ``action`` fits the ticket's status."""
    return ticket.state in ALLOWED[action]


def _require(ticket: Ticket, action: str) -> None:
    if not can(ticket, action):
        raise InvalidTransition(
            _(
                "Ticket %(number)s is %(state)s; it cannot be %(action)s.",
                number=ticket.number,
                state=STATE_LABELS[ticket.state],
                action=ACTION_LABELS[action],
            )
        )


def recall_ticket(ticket: Ticket, *, now: datetime, actor: User | None = None) -> Ticket:
    """Announce a called ticket again.

    :raises InvalidTransition: unless the ticket is called.
    """
    ticket = _lock_ticket(ticket)
    _require(ticket, "recall")
    ticket.call_count += 1
    ticket.called_dt = now
    record_event(ticket, EventKind.RECALLED, now, window=ticket.window, actor=actor)
    db.session.flush()
    return ticket


def start_ticket(ticket: Ticket, *, now: datetime, actor: User | None = None) -> Ticket:
    """The resident has arrived at the window: start serving.

    :raises InvalidTransition: unless the ticket is called.
    """
    ticket = _lock_ticket(ticket)
    _require(ticket, "start")
    ticket.state = TicketState.SERVING
    ticket.started_dt = now
    record_event(ticket, EventKind.STARTED, now, window=ticket.window, actor=actor)
    db.session.flush()
    return ticket


def mark_no_show(ticket: Ticket, *, now: datetime, actor: User | None = None) -> Ticket:
    """Mark a called resident who did not come (过号), after QUEUE_NO_SHOW_MIN_CALLS calls.

    :raises InvalidTransition: unless the ticket is called often enough.
    """
    ticket = _lock_ticket(ticket)
    _require(ticket, "no_show")
    min_calls = _setting("QUEUE_NO_SHOW_MIN_CALLS", 1)
    if ticket.call_count < min_calls:
        raise InvalidTransition(
            _(
                "Call %(number)s at least %(calls)d times before marking a no-show.",
                number=ticket.number,
                calls=min_calls,
            )
        )
    ticket.state = TicketState.NO_SHOW
    ticket.finished_dt = now
    record_event(ticket, EventKind.NO_SHOW, now, window=ticket.window, actor=actor)
    db.session.flush()
    return ticket


def transfer_ticket(
    ticket: Ticket,
    *,
    now: datetime,
    window: Window | None = None,
    item: ServiceItem | None = None,
    actor: User | None = None,
) -> Ticket:
    """Send a ticket to another window or item; it waits again with its original place in time.

    A ticket sent to a window waits for that window alone and is called there first.

    :raises Invalid: without a target, or with a target of another center or one that cannot
        handle the item.
    :raises InvalidTransition: unless the ticket is called or being served.
    """
    ticket = _lock_ticket(ticket)
    _require(ticket, "transfer")
    if window is None and item is None:
        raise Invalid(_("Choose a window or an item to transfer to."), field="window")
    if item is not None and (item.center_id != ticket.center_id or not item.is_active):
        raise Invalid(_("This center offers no such service item."), field="service")
    target_item = item or ticket.service_item
    if window is not None:
        if window.center_id != ticket.center_id:
            raise Invalid(_("That window belongs to another center."), field="window")
        if window.id == ticket.window_id and item is None:
            raise Invalid(_("The ticket is already at this window."), field="window")
        if not window.handles(target_item):
            raise Invalid(
                _("Window %(number)d does not handle this item.", number=window.number),
                field="window",
            )
    from_window = ticket.window
    if item is not None:
        ticket.service_item = item
        ticket.case_type = item.case_type
    ticket.state = TicketState.WAITING
    ticket.window_id = None
    ticket.started_dt = None
    ticket.transfer_window_id = window.id if window is not None else None
    detail = []
    if window is not None:
        detail.append(f"window={window.number}")
    if item is not None:
        detail.append(f"service={item.code}")
    record_event(
        ticket,
        EventKind.TRANSFERRED,
        now,
        window=from_window,
        actor=actor,
        detail=" ".join(detail),
        item_changed=item is not None,
    )
    db.session.flush()
    return ticket


def complete_ticket(
    ticket: Ticket,
    *,
    now: datetime,
    outcome: Outcome,
    notes: str = "",
    applicant_name: str | None = None,
    applicant_phone: str | None = None,
    actor: User | None = None,
) -> Case:
    """Close a served ticket and record its case (办件) with a unique case number.

    :raises InvalidTransition: unless the ticket is being served.
    """
    ticket = _lock_ticket(ticket)
    _require(ticket, "complete")
    center = ticket.center
    day = local_date(now, center.timezone)
    sequence = next_daily_value(center.id, day, "case")
    issued = ticket.issued_dt
    case_ = Case(
        number=f"{center.case_prefix}-{day:%Y%m%d}-{sequence:04d}",
        center_id=center.id,
        service_date=day,
        ticket_id=ticket.id,
        service_item_id=ticket.service_item_id,
        case_type_id=ticket.case_type_id,
        outcome=outcome,
        clerk_id=actor.id if actor is not None else None,
        window_id=ticket.window_id,
        is_booked=ticket.is_booked,
        issued_dt=issued,
        first_called_dt=ticket.first_called_dt,
        started_dt=ticket.started_dt,
        completed_dt=now,
        wait_seconds=_seconds(issued, ticket.first_called_dt),
        service_seconds=_seconds(ticket.started_dt, now),
        applicant_name=applicant_name or ticket.applicant_name,
        applicant_phone=applicant_phone or ticket.applicant_phone,
        notes=notes.strip(),
    )
    db.session.add(case_)
    # link both sides in memory without loading the ticket's (absent) case first
    set_committed_value(case_, "ticket", ticket)
    set_committed_value(ticket, "case", case_)
    ticket.state = TicketState.DONE
    ticket.finished_dt = now
    record_event(
        ticket, EventKind.COMPLETED, now, window=ticket.window, actor=actor, detail=outcome.value
    )
    signals.case_recorded.send(case_, center=center, now=now)
    db.session.flush()
    return case_


def _seconds(start: datetime | None, end: datetime | None) -> int | None:
    if start is None or end is None:
        return None
    return max(int((end - start).total_seconds()), 0)


def cancel_ticket(ticket: Ticket, *, now: datetime, actor: User | None = None) -> Ticket:
    """Withdraw a waiting ticket (the resident leaves).

    :raises InvalidTransition: unless the ticket is waiting.
    """
    ticket = _lock_ticket(ticket)
    _require(ticket, "cancel")
    ticket.state = TicketState.CANCELLED
    ticket.finished_dt = now
    record_event(ticket, EventKind.CANCELLED, now, actor=actor)
    db.session.flush()
    return ticket


def requeue_ticket(ticket: Ticket, *, now: datetime, actor: User | None = None) -> Ticket:
    """Put a no-show back in the queue once, within QUEUE_REQUEUE_MINUTES, behind those waiting.

    :raises InvalidTransition: unless a no-show not requeued before and still in time.
    """
    ticket = _lock_ticket(ticket)
    _require(ticket, "requeue")
    limit = timedelta(minutes=_setting("QUEUE_REQUEUE_MINUTES", 30))
    if ticket.is_requeued:
        raise InvalidTransition(
            _("Ticket %(number)s was already put back once.", number=ticket.number)
        )
    if ticket.finished_dt is not None and now - ticket.finished_dt > limit:
        raise InvalidTransition(
            _(
                "Ticket %(number)s was missed more than %(minutes)d minutes ago; "
                "take a new ticket.",
                number=ticket.number,
                minutes=int(limit.total_seconds() // 60),
            )
        )
    ticket.state = TicketState.WAITING
    ticket.is_requeued = True
    ticket.queued_dt = now
    ticket.window_id = None
    ticket.finished_dt = None
    record_event(ticket, EventKind.REQUEUED, now, actor=actor)
    db.session.flush()
    return ticket


def requeue_missed_ticket(center: Center, number: str, *, now: datetime) -> Ticket:
    """Put today's no-show ``number`` (e.g. "B017") back in the queue: the kiosk's way.

    :raises NotFound: when the center issued no such ticket today.
    :raises InvalidTransition: unless a no-show not requeued before and still in time.
    """
    number = "".join(number.split()).upper()
    ticket = db.session.scalar(
        select(Ticket).where(
            Ticket.center_id == center.id,
            Ticket.service_date == local_date(now, center.timezone),
            Ticket.number == number,
        )
    )
    if ticket is None:
        raise NotFound(_("No ticket %(number)s was issued here today.", number=number))
    return requeue_ticket(ticket, now=now)



# --- windows --------------------------------------------------------------------------------


def set_window_state(
    window: Window, state: WindowState, *, now: datetime, actor: User | None = None
) -> Window:
    """Open, pause or close a window; a window holding a ticket cannot close.

    :raises Conflict: when closing a window that still holds a called or serving ticket.
    """
    window = _lock_window(window)
    if state is WindowState.CLOSED and current_ticket(window) is not None:
        raise Conflict(_("Finish or transfer the current ticket before closing the window."))
    if window.state is not state:
        window.state = state
        window.state_changed_dt = now
    db.session.flush()
    return window


# --- position and estimated wait ------------------------------------------------------------


@dataclass(frozen=True)
class QueuePosition:
    """Where a waiting ticket stands: people ahead and an estimated wait in minutes."""

    ahead: int
    estimated_wait_minutes: int | None
    open_windows: int


def windows_for_ticket(ticket: Ticket) -> list[Window]:
    """Return the windows that may call ``ticket`` (its transfer window, or all that handle it)."""
    return [row.Window for row in _windows_of(ticket)]


def average_service_minutes(item: ServiceItem) -> float:
    """Mean service time of the item's last QUEUE_RECENT_SERVICE_SAMPLE cases, else its default."""
    mean = db.session.scalar(
        select(_recent_service_seconds()),
        {"item_id": item.id, "sample": _setting("QUEUE_RECENT_SERVICE_SAMPLE", 20)},
    )
    return _mean_minutes(mean, item.service_minutes)


def _mean_minutes(mean_seconds: float | Decimal | None, default_minutes: int) -> float:
    if mean_seconds is None:
        return float(default_minutes)
    return float(mean_seconds) / 60


def queue_position(ticket: Ticket, *, now: datetime) -> QueuePosition:
    """Estimate the wait of a waiting ticket (the method is in docs/architecture.md).

    ``ahead`` is the fewest tickets before it in the queue of any window that may call it.
    The wait replays the open windows that may call it: each becomes free when its current
    ticket ends (the item's mean service time, less what has been served already; a whole
    mean for a ticket only called), then takes the tickets ahead one by one, each lasting the
    mean; the ticket's estimate is when the next window frees after those. With no window
    open there is no estimate (None).

    Two statements, whatever the number of windows: the windows with what the position needs
    of each (``_windows_of``), then the tickets ahead in each distinct queue (``_ahead``).
    """
    if ticket.state is not TicketState.WAITING:
        return QueuePosition(0, 0 if ticket.state is TicketState.CALLED else None, 0)
    rows = _windows_of(ticket)
    if not rows:
        return QueuePosition(0, None, 0)
    ahead = _ahead(ticket, _one_window_per_queue(rows), now)
    open_rows = [row for row in rows if row.Window.state is WindowState.OPEN]
    if not open_rows:
        return QueuePosition(ahead, None, 0)
    mean = _mean_minutes(rows[0].mean_seconds, rows[0].default_minutes)
    free_at = sorted(
        _minutes_until_free(row.current_state, row.current_started_dt, mean, now)
        for row in open_rows
    )
    for _position in range(ahead):
        soonest = heapq.heappop(free_at)
        heapq.heappush(free_at, soonest + mean)
    return QueuePosition(ahead, math.ceil(free_at[0] - 1e-9), len(open_rows))


def _recent_service_seconds():
    """avg(service seconds) of the last ``:sample`` cases of the item ``:item_id``."""
    recent = (
        select(Case.service_seconds)
        .where(Case.service_item_id == bindparam("item_id"), Case.service_seconds.is_not(None))
        .order_by(Case.completed_dt.desc())
        .limit(bindparam("sample", type_=Integer()))
        .subquery()
    )
    return func.avg(recent.c.service_seconds)


def _item_list(item, dialect: str):
    """The ids of a window's items as one string, ``"3,7,12"``: equal strings, equal skills.

    PostgreSQL sorts them; SQLite (before 3.44 no ORDER BY in an aggregate) concatenates in
    the order it reads its key (window, item), so sorted in practice. Were it not, equal
    skills would only count as two queues: slower, never wrong.
    """
    if dialect == "postgresql":
        return func.string_agg(cast(item, Text), aggregate_order_by(literal(","), item))
    return func.group_concat(item, ",")


@functools.cache
def _windows_statement(transferred: bool, dialect: str):
    """The windows that may call a ticket, one row each in number order, with what the
    position needs of them: their items (``_item_list``), whether a ticket waits transferred
    to them, their current ticket, and the mean service time of the ticket's item.

    Built once per dialect (bound parameters): building it per call cost more than running
    it. The CTEs are materialised on PostgreSQL, whose planner otherwise may join them again
    for every window.
    """
    center_id, item_id = bindparam("center_id"), bindparam("item_id")
    if transferred:
        may_call = Window.id == bindparam("transfer_window_id")
    else:
        may_call = or_(
            Window.is_comprehensive,
            Window.id.in_(
                select(window_services.c.window_id).where(
                    window_services.c.service_item_id == item_id
                )
            ),
        )
    candidates = (
        select(Window.id, Window.is_comprehensive)
        .where(Window.center_id == center_id, may_call)
        .cte("candidates")
        .prefix_with("MATERIALIZED", dialect="postgresql")
    )
    skills = (
        select(
            window_services.c.window_id,
            _item_list(window_services.c.service_item_id, dialect).label("item_ids"),
        )
        .where(
            window_services.c.window_id.in_(
                select(candidates.c.id).where(candidates.c.is_comprehensive.is_(False))
            )
        )
        .group_by(window_services.c.window_id)
        .cte("skills")
        .prefix_with("MATERIALIZED", dialect="postgresql")
    )
    targets = (
        select(Ticket.transfer_window_id.label("window_id"))
        .where(
            Ticket.center_id == center_id,
            Ticket.state == TicketState.WAITING,
            Ticket.transfer_window_id.is_not(None),
        )
        .distinct()
        .cte("targets")
        .prefix_with("MATERIALIZED", dialect="postgresql")
    )
    current = aliased(Ticket, name="current")
    mean = select(_recent_service_seconds()).scalar_subquery()
    default = select(ServiceItem.service_minutes).where(ServiceItem.id == item_id).scalar_subquery()
    return (
        select(
            Window,
            skills.c.item_ids,
            targets.c.window_id.is_not(None).label("is_target"),
            current.state.label("current_state"),
            current.started_dt.label("current_started_dt"),
            mean.label("mean_seconds"),
            default.label("default_minutes"),
        )
        .join(candidates, candidates.c.id == Window.id)
        .outerjoin(skills, skills.c.window_id == Window.id)
        .outerjoin(targets, targets.c.window_id == Window.id)
        .outerjoin(
            current,
            and_(
                current.window_id == Window.id,
                current.state.in_([TicketState.CALLED, TicketState.SERVING]),
            ),
        )
        .order_by(Window.number)
    )


def _windows_of(ticket: Ticket) -> list[Row]:
    """The rows of ``_windows_statement`` for ``ticket`` (one statement)."""
    transferred = ticket.transfer_window_id is not None
    params = {
        "center_id": ticket.center_id,
        "item_id": ticket.service_item_id,
        "sample": _setting("QUEUE_RECENT_SERVICE_SAMPLE", 20),
    }
    if transferred:
        params["transfer_window_id"] = ticket.transfer_window_id
    dialect = db.session.get_bind().dialect.name
    return list(db.session.execute(_windows_statement(transferred, dialect), params))


def _one_window_per_queue(rows: list[Row]) -> list[Window]:
    """Keep one window of each distinct queue: windows with the same items share a queue,
    unless a ticket waits transferred to one of them."""
    queues: dict[object, Window] = {}
    for row in rows:
        w = row.Window
        if row.is_target:
            key: object = ("transfers", w.id)
        elif w.is_comprehensive:
            key = ("all", w.center_id)
        else:
            key = ("skills", w.center_id, row.item_ids or "")
        queues.setdefault(key, w)
    return list(queues.values())


def _minutes_until_free(
    state: TicketState | None, started_dt: datetime | None, mean: float, now: datetime
) -> float:
    if state is None:
        return 0.0
    if state is TicketState.SERVING and started_dt is not None:
        served = (now - started_dt).total_seconds() / 60
        return max(mean - served, 1.0)
    return mean


@functools.lru_cache(maxsize=64)
def _ahead_statement(kinds: tuple[bool, ...]):
    """Count, for each window ``:w0``, ``:w1`` … (``kinds``: whether each is comprehensive),
    the tickets waiting there whose call-next sort key (``_rank``, place in time, id) is
    smaller than (``:rank``, ``:queued_dt``, ``:ticket_id``): one column a window.

    Each count is the queue of ``_waiting_for`` with the window a constant, a range of the
    center's waiting tickets in ``ix_tickets_queue`` whatever the planner knows.
    """
    center_id, cutoff = bindparam("center_id"), bindparam("cutoff", type_=UTCDateTime())
    mine = tuple_(
        bindparam("rank", type_=Integer()),
        bindparam("queued_dt", type_=UTCDateTime()),
        bindparam("ticket_id", type_=Integer()),
    )
    counts = []
    for n, comprehensive in enumerate(kinds):
        window_id = bindparam(f"w{n}", type_=Integer())
        handled = true() if comprehensive else _handles(window_id)
        counts.append(
            select(func.count())
            .select_from(Ticket)
            .where(
                Ticket.center_id == center_id,
                _in_queue_of(window_id, handled),
                tuple_(_rank(window_id, cutoff), Ticket.queued_dt, Ticket.id) < mine,
            )
            .scalar_subquery()
        )
    return select(*counts)


def _ahead(ticket: Ticket, queues: list[Window], now: datetime) -> int:
    """The fewest tickets ahead of ``ticket`` in the queues of ``queues`` (one statement).

    The ticket waits in each of these queues (they come from the windows that may call it),
    so its sort key is the same in all: rank 0 where it was transferred (its only window),
    else its group.
    """
    cutoff = _walk_in_cutoff(now)
    if ticket.transfer_window_id is not None:
        rank = 0
    elif ticket.is_priority:
        rank = 1
    elif ticket.is_booked or ticket.queued_dt <= cutoff:
        rank = 2
    else:
        rank = 3
    params: dict[str, object] = {
        "center_id": ticket.center_id,
        "cutoff": cutoff,
        "rank": rank,
        "queued_dt": ticket.queued_dt,
        "ticket_id": ticket.id,
    }
    params.update({f"w{n}": w.id for n, w in enumerate(queues)})
    counts = db.session.execute(
        _ahead_statement(tuple(w.is_comprehensive for w in queues)), params
    ).one()
    return min(int(count or 0) for count in counts)


# --- look-ups -------------------------------------------------------------------------------


@functools.cache
def _by_token():
    # with the rows its page and its API answer show (one statement instead of four)
    return (
        select(Ticket)
        .where(Ticket.token == bindparam("token"))
        .options(
            joinedload(Ticket.center), joinedload(Ticket.service_item), joinedload(Ticket.case_type)
        )
    )


def get_ticket_by_token(token: str) -> Ticket:
    """Return the ticket behind a QR token.

    :raises NotFound: for an unknown token.
    """
    ticket = db.session.scalar(_by_token(), {"token": token})
    if ticket is None:
        raise NotFound(_("No ticket has this code."))
    return ticket
