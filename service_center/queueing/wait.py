"""Where a waiting ticket stands: people ahead, and an honest estimated wait
(docs/architecture.md, "Estimated wait")."""

from __future__ import annotations

import functools
import heapq
import math
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from flask import current_app
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
from sqlalchemy.orm import aliased

from ..catalogue.models import ServiceItem
from ..db import UTCDateTime, db
from ..windows.models import Window, WindowState, window_services
from .models import Case, Ticket, TicketState
from .order import for_window, handles, rank, skill_row, walk_in_cutoff


@dataclass(frozen=True)
class QueuePosition:
    """Where a waiting ticket stands: people ahead and an estimated wait in minutes."""

    ahead: int
    estimated_wait_minutes: int | None
    open_windows: int


def windows_for_ticket(ticket: Ticket) -> list[Window]:
    """Return the windows that may call ``ticket`` (its transfer window, or all that handle it)."""
    return [row.Window for row in _windows_of(ticket)]


def queues_of_ticket(ticket: Ticket) -> list[Window]:
    """Return one window of each distinct queue ``ticket`` stands in (windows with the same
    items, or every comprehensive window, share one queue)."""
    return _one_window_per_queue(_windows_of(ticket))


def average_service_minutes(item: ServiceItem) -> float:
    """Mean service time of the item's last QUEUE_RECENT_SERVICE_SAMPLE cases, else its default."""
    mean = db.session.scalar(
        select(_recent_service_seconds()),
        {"item_id": item.id, "sample": current_app.config["QUEUE_RECENT_SERVICE_SAMPLE"]},
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
    mean = _mean_minutes(rows[0].mean_seconds, rows[0].default_minutes)
    currents = [
        (row.current_state, row.current_started_dt)
        for row in rows
        if row.Window.state is WindowState.OPEN
    ]
    return _estimate(ahead, mean, currents, now)


def _estimate(
    ahead: int,
    mean: float,
    currents: list[tuple[TicketState | None, datetime | None]],
    now: datetime,
) -> QueuePosition:
    """The position of a ticket with ``ahead`` people before it, served in ``mean`` minutes
    each by the open windows that may call it (``currents``: the state and start of each
    one's current ticket, None when it holds none)."""
    if not currents:
        return QueuePosition(ahead, None, 0)
    free_at = sorted(
        _minutes_until_free(state, started_dt, mean, now) for state, started_dt in currents
    )
    for _position in range(ahead):
        soonest = heapq.heappop(free_at)
        heapq.heappush(free_at, soonest + mean)
    return QueuePosition(ahead, math.ceil(free_at[0] - 1e-9), len(currents))


def queue_positions(center_id: int, *, now: datetime) -> dict[int, QueuePosition]:
    """``queue_position`` of every ticket waiting at the center, by ticket id, in three
    statements whatever the number waiting: for each window, the waiting tickets it may call
    with the people before each in its queue (``_places_statement``); the windows' current
    tickets; the mean service time of each of their items.

    The same rules as one ticket's position, the same expressions (``order.rank``,
    ``order.for_window``, ``order.skill_row`` for ``order.handles``): a ticket stands in the
    queue of every window that may call it, and the fewest ahead in any of them is its place.
    A ticket no window may call is left out (on its own: nobody ahead, no estimate). A
    phone's poll builds its answer from these when the floor moved under a busy hall
    (``kept.py``): one batch a few seconds instead of one position per phone.
    """
    params = {
        "center_id": center_id,
        "cutoff": walk_in_cutoff(now),
        "sample": current_app.config["QUEUE_RECENT_SERVICE_SAMPLE"],
    }
    item_of: dict[int, int] = {}
    fewest: dict[int, int] = {}  #: ahead in the shortest of the ticket's queues
    opened: dict[int, list[int]] = {}  #: the open windows that may call the ticket
    for ticket_id, item_id, window_id, window_open, ahead in db.session.execute(
        _places_statement(), params
    ):
        item_of[ticket_id] = item_id
        fewest[ticket_id] = min(ahead, fewest.get(ticket_id, ahead))
        if window_open:
            opened.setdefault(ticket_id, []).append(window_id)
    if not item_of:
        return {}
    # each statement sees the database as it is then (PostgreSQL's read committed): the means
    # are asked of the items the first found, and a window whose ticket ended since is free
    currents = {
        window_id: (state, started_dt)
        for window_id, state, started_dt in db.session.execute(_currents_statement(), params)
    }
    means = {
        item_id: _mean_minutes(mean_seconds, default_minutes)
        for item_id, default_minutes, mean_seconds in db.session.execute(
            _means_statement(), {**params, "items": sorted(set(item_of.values()))}
        )
    }
    return {
        ticket_id: _estimate(
            fewest[ticket_id],
            means[item_id],
            [currents.get(window_id, (None, None)) for window_id in opened.get(ticket_id, [])],
            now,
        )
        for ticket_id, item_id in item_of.items()
    }


@functools.cache
def _places_statement():
    """Each (waiting ticket, window that may call it) of ``:center_id``: the ticket's item,
    whether the window is open, and how many wait before the ticket in the window's queue
    (its call-next order: ``order.rank``, place in time, id). The skills are joined
    (``order.skill_row``), not looked up per pair: with 500 waiting and 23 windows, 10,000
    look-ups took 100 ms on either database."""
    cutoff = bindparam("cutoff", type_=UTCDateTime())
    skills = window_services.alias("skills")
    handled = or_(Window.is_comprehensive, skills.c.window_id.is_not(None))
    ahead = func.row_number().over(
        partition_by=Window.id, order_by=(rank(Window.id, cutoff), Ticket.queued_dt, Ticket.id)
    )
    return (
        select(
            Ticket.id,
            Ticket.service_item_id,
            Window.id,
            Window.state == WindowState.OPEN,
            ahead - 1,
        )
        .select_from(Ticket)
        .join(Window, Window.center_id == Ticket.center_id)
        .outerjoin(skills, skill_row(Window.id, skills))
        .where(
            Ticket.center_id == bindparam("center_id"),
            Ticket.state == TicketState.WAITING,
            for_window(Window.id, handled),
        )
    )


def _held_by_window(current):
    """Join ``current`` (an alias of tickets) to the ticket each window holds, if any."""
    return and_(
        current.window_id == Window.id,
        current.state.in_([TicketState.CALLED, TicketState.SERVING]),
    )


@functools.cache
def _currents_statement():
    """The center's windows, each with the state and start of the ticket it holds (if any)."""
    current = aliased(Ticket, name="current")
    return (
        select(Window.id, current.state, current.started_dt)
        .outerjoin(current, _held_by_window(current))
        .where(Window.center_id == bindparam("center_id"))
    )


@functools.cache
def _means_statement():
    """Each item of ``:items``: its default minutes and the mean of its recent cases."""
    return select(
        ServiceItem.id,
        ServiceItem.service_minutes,
        select(_recent_service_seconds(ServiceItem.id)).scalar_subquery(),
    ).where(ServiceItem.id.in_(bindparam("items", expanding=True)))


def _recent_service_seconds(item_id=None):
    """avg(service seconds) of the last ``:sample`` cases of the item ``item_id`` (a column of
    an enclosing statement; by default the parameter ``:item_id``)."""
    recent = select(Case.service_seconds).where(
        Case.service_item_id == (bindparam("item_id") if item_id is None else item_id),
        Case.service_seconds.is_not(None),
    )
    if item_id is not None:
        recent = recent.correlate(ServiceItem)
    recent = (
        recent.order_by(Case.completed_dt.desc())
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
        .outerjoin(current, _held_by_window(current))
        .order_by(Window.number)
    )


def _windows_of(ticket: Ticket) -> list[Row]:
    """The rows of ``_windows_statement`` for ``ticket`` (one statement)."""
    transferred = ticket.transfer_window_id is not None
    params = {
        "center_id": ticket.center_id,
        "item_id": ticket.service_item_id,
        "sample": current_app.config["QUEUE_RECENT_SERVICE_SAMPLE"],
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

    Each count is the queue of ``_waiting_for`` with the window a constant, taken in one pass
    over the center's waiting tickets (a range of ``ix_tickets_queue``): each window's count
    is a ``count(CASE …)`` of the rows in its queue and ahead. A scan per window read every
    waiting ticket once for each of the ticket's queues (two in the demo hall): with 3,000
    waiting 2.75 → 2.38 ms on SQLite, 4.44 → 3.77 ms on PostgreSQL.
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
        handled = true() if comprehensive else handles(window_id)
        ahead = tuple_(rank(window_id, cutoff), Ticket.queued_dt, Ticket.id) < mine
        counts.append(func.count(case((and_(for_window(window_id, handled), ahead), 1))))
    return select(*counts).where(Ticket.center_id == center_id, Ticket.state == TicketState.WAITING)


def _ahead(ticket: Ticket, queues: list[Window], now: datetime) -> int:
    """The fewest tickets ahead of ``ticket`` in the queues of ``queues`` (one statement).

    The ticket waits in each of these queues (they come from the windows that may call it),
    so its sort key is the same in all: rank 0 where it was transferred (its only window),
    else its group.
    """
    cutoff = walk_in_cutoff(now)
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
