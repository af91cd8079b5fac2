"""Read-only queries behind the hall display: its cheap version, the calls, windows, waiting.

Nothing here selects a name, phone or ID number: the display's queries name their columns.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import func, select

from ..catalogue.models import CaseType, Center
from ..clock import local_date
from ..db import db
from ..errors import NotFound
from ..queueing.models import EventKind, Ticket, TicketEvent, TicketState
from ..windows.models import Window, WindowState

#: call events of the day the feed lists, newest first: enough for a burst of calls to be
#: announced one by one after a network blip, and for the board's most recent tickets
CALLS_LIMIT = 20

CALL_KINDS = (EventKind.CALLED, EventKind.RECALLED)


@dataclass(frozen=True)
class Call:
    """One announcement: a ticket called (or recalled) to a window, and how things stand now."""

    event_id: int
    kind: EventKind
    number: str
    window_number: int
    at: datetime
    case_type_id: int
    ticket_id: int
    ticket_state: TicketState  #: the ticket's state now
    ticket_window_id: int | None  #: the window that holds the ticket now
    window_id: int  #: the window called to
    window_state: WindowState  #: that window's state now
    is_current: bool = False  #: the call still stands (``mark_current``)


def call_stands(call: Call) -> bool:
    """Tell whether the resident should still go where ``call`` sent them: its ticket is held
    at the call's window (called there or being served) and that window is open.

    A no-show, a completion, a transfer or the window's pause takes the call off.
    """
    return (
        call.ticket_state in (TicketState.CALLED, TicketState.SERVING)
        and call.ticket_window_id == call.window_id
        and call.window_state is WindowState.OPEN
    )


def mark_current(calls: Sequence[Call]) -> list[Call]:
    """Flag, of ``calls`` newest first, those that still stand: a ticket's latest call only
    (a recall, or a call after a requeue, replaces the calls before it)."""
    seen: set[int] = set()
    marked = []
    for call in calls:
        latest = call.ticket_id not in seen
        seen.add(call.ticket_id)
        marked.append(replace(call, is_current=latest and call_stands(call)))
    return marked


@dataclass(frozen=True)
class WindowStatus:
    """A window as the hall sees it: open, paused or closed, and the ticket it holds."""

    number: int
    name_zh: str
    name_en: str
    state: WindowState
    ticket_number: str | None
    ticket_state: TicketState | None


@dataclass(frozen=True)
class Board:
    """Everything the hall display shows for one center's day."""

    day: date
    calls: list[Call]
    windows: list[WindowStatus]
    waiting: dict[int, int]  #: case type id → tickets waiting
    case_types: list[CaseType]
    waiting_remote: int = 0  #: of those waiting, taken from the phone (远程取号)


def day_start(center: Center, now: datetime) -> datetime:
    """Return midnight of the center's local day, in UTC."""
    zone = ZoneInfo(center.timezone)
    return datetime.combine(local_date(now, center.timezone), time.min, zone).astimezone(UTC)


def recent_calls(center: Center, *, now: datetime, limit: int = CALLS_LIMIT) -> list[Call]:
    """Return the day's latest calls and recalls, newest first, those still standing flagged."""
    rows = db.session.execute(
        select(
            TicketEvent.id,
            TicketEvent.kind,
            Ticket.number,
            Window.number,
            TicketEvent.at_dt,
            Ticket.case_type_id,
            Ticket.id,
            Ticket.state,
            Ticket.window_id,
            Window.id,
            Window.state,
        )
        .join(Ticket, Ticket.id == TicketEvent.ticket_id)
        .join(Window, Window.id == TicketEvent.window_id)
        .where(
            TicketEvent.center_id == center.id,
            TicketEvent.kind.in_(CALL_KINDS),
            TicketEvent.at_dt >= day_start(center, now),
        )
        .order_by(TicketEvent.at_dt.desc(), TicketEvent.id.desc())
        .limit(limit)
    )
    return mark_current([Call(*row) for row in rows])


def window_statuses(center: Center) -> list[WindowStatus]:
    """Return every window of the center in number order with the ticket it calls or serves;
    a paused window shows none, as its call no longer stands (``call_stands``)."""
    holding = {
        window_id: (number, state)
        for window_id, number, state in db.session.execute(
            select(Ticket.window_id, Ticket.number, Ticket.state).where(
                Ticket.center_id == center.id,
                Ticket.state.in_([TicketState.CALLED, TicketState.SERVING]),
            )
        )
    }
    rows = db.session.execute(
        select(Window.id, Window.number, Window.name_zh, Window.name_en, Window.state)
        .where(Window.center_id == center.id, Window.retired_dt.is_(None))
        .order_by(Window.number)
    )
    statuses = []
    for window_id, number, name_zh, name_en, state in rows:
        held = holding.get(window_id) if state is WindowState.OPEN else None
        statuses.append(WindowStatus(number, name_zh, name_en, state, *(held or (None, None))))
    return statuses


def waiting_counts(center: Center) -> tuple[dict[int, int], int]:
    """Return the number of tickets waiting per case type id (types with none are absent),
    and how many of them were taken from the phone."""
    rows = db.session.execute(
        select(Ticket.case_type_id, Ticket.is_remote, func.count())
        .where(Ticket.center_id == center.id, Ticket.state == TicketState.WAITING)
        .group_by(Ticket.case_type_id, Ticket.is_remote)
    )
    counts: dict[int, int] = {}
    remote = 0
    for case_type_id, is_remote, count in rows:
        counts[case_type_id] = counts.get(case_type_id, 0) + count
        remote += count if is_remote else 0
    return counts, remote


def get_board(center: Center, *, now: datetime) -> Board:
    """Read the whole board of the center's day."""
    waiting, waiting_remote = waiting_counts(center)
    return Board(
        day=local_date(now, center.timezone),
        calls=recent_calls(center, now=now),
        windows=window_statuses(center),
        waiting=waiting,
        waiting_remote=waiting_remote,
        case_types=list(
            db.session.scalars(select(CaseType).order_by(CaseType.position, CaseType.id))
        ),
    )


def get_window(center: Center, number: int) -> Window:
    """Return the center's window with ``number``.

    :raises NotFound: when the center has no such window.
    """
    window = db.session.scalar(
        select(Window).where(
            Window.center_id == center.id,
            Window.number == number,
            Window.retired_dt.is_(None),
        )
    )
    if window is None:
        raise NotFound(_("This center has no window %(number)d.", number=number))
    return window
