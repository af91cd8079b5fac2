"""Read-only queries behind the hall display: its cheap version, the calls, windows, waiting.

Nothing here selects a name, phone or ID number: the display's queries name their columns.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import case, func, select, true

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
    """One announcement: a ticket called (or recalled) to a window."""

    event_id: int
    kind: EventKind
    number: str
    window_number: int
    at: datetime
    case_type_id: int


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


def board_version(center: Center, *, now: datetime) -> str:
    """Return a string that changes whenever the center's board may have changed.

    Every ticket change is a ``TicketEvent`` and events are only ever added, so the number of
    the day's events changes with each one, even when an event with a lower id commits after
    a higher one (PostgreSQL hands out ids before commit; a bare max(id) would miss it).
    Window states change ``state_changed_dt`` and the counts per state. One statement over
    two indexes: ``ix_ticket_events_center_kind_at`` (listing every kind lets both databases
    use all three of its columns; PostgreSQL answers from the index alone) and the windows'
    (center, number) key, about 25 rows.
    """
    events = (
        select(func.count().label("n"), func.max(TicketEvent.at_dt).label("last"))
        .where(
            TicketEvent.center_id == center.id,
            TicketEvent.kind.in_(list(EventKind)),
            TicketEvent.at_dt >= day_start(center, now),
        )
        .subquery()
    )
    windows = (
        select(
            func.count().label("n"),
            func.max(Window.state_changed_dt).label("last"),
            func.sum(case((Window.state == WindowState.OPEN, 1), else_=0)).label("open"),
            func.sum(case((Window.state == WindowState.PAUSED, 1), else_=0)).label("paused"),
        )
        .where(Window.center_id == center.id)
        .subquery()
    )
    row = db.session.execute(
        select(
            events.c.n,
            events.c.last,
            windows.c.n,
            windows.c.last,
            windows.c.open,
            windows.c.paused,
        ).select_from(events.join(windows, true()))
    ).one()
    day = local_date(now, center.timezone)
    return "|".join(str(part) for part in (center.id, day.isoformat(), *row))


def recent_calls(center: Center, *, now: datetime, limit: int = CALLS_LIMIT) -> list[Call]:
    """Return the day's latest calls and recalls, newest first."""
    rows = db.session.execute(
        select(
            TicketEvent.id,
            TicketEvent.kind,
            Ticket.number,
            Window.number,
            TicketEvent.at_dt,
            Ticket.case_type_id,
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
    return [Call(*row) for row in rows]


def window_statuses(center: Center) -> list[WindowStatus]:
    """Return every window of the center in number order with the ticket it calls or serves."""
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
    return [
        WindowStatus(number, name_zh, name_en, state, *holding.get(window_id, (None, None)))
        for window_id, number, name_zh, name_en, state in rows
    ]


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
