"""What each app process keeps of a center's floor between requests: the floor's version, and
the answers built on it (a ticket's poll; the display builds its board on it too).

Every screen of the hall polls every second or two and every waiting resident's phone every
two seconds, through every app process. A process answers them from what it keeps while the
floor's change stamps (``service_center.stamps``) have not moved, without the database: a
change committed by any process of this host is seen by the very next poll. Another host's
change is seen once the kept version is older than ``DISPLAY_VERSION_TTL`` (1 s), when it is
read again from the database.
"""

from __future__ import annotations

import functools
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import date, datetime
from datetime import time as clock_time
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask, current_app
from flask_babel import gettext as _
from sqlalchemy import bindparam, case, func, inspect, select, true

from .. import stamps
from ..catalogue import services as catalogue
from ..catalogue.models import Center
from ..clock import local_date
from ..db import db
from ..errors import NotFound
from ..keeping import Keeper
from ..windows.models import Window, WindowState
from .models import EventKind, Ticket, TicketEvent, TicketState
from .wait import QueuePosition, queue_position, queue_positions

#: tickets' poll answers (about 1 kB each) and pages (about 14 kB) kept per process
POLLS_KEPT = 5000
PAGES_KEPT = 300


@dataclass(frozen=True)
class KnownFloor:
    """What this process last read of a center's floor: enough to tell whether it changed."""

    code: str
    center_id: int
    timezone: str
    day: date
    version: str  #: changes with every ticket event and window change (``floor_version``)
    seen: tuple[int, int]  #: the change stamps when the version was read
    read_at: float  #: time.monotonic() of the reading


def _stamps_of(center_id: int, file: stamps.StampFile | None = None) -> tuple[int, int]:
    file = file or current_app.extensions["stamps"]
    return file.read(stamps.floor(center_id)), file.read(stamps.floor(stamps.EVERY))


def _still_true(
    kept: KnownFloor | None, now: datetime, ttl: float, file: stamps.StampFile | None = None
) -> bool:
    return (
        kept is not None
        and time.monotonic() - kept.read_at < ttl
        and kept.seen == _stamps_of(kept.center_id, file)
        and local_date(now, kept.timezone) == kept.day
    )


def still_known(app: Flask, code: str, *, now: datetime) -> KnownFloor | None:
    """The floor of center ``code`` as ``app``'s process keeps it, while that still stands
    (``known_floor`` without reading anything: no app context needed, the edge asks it)."""
    kept = app.extensions.get("floors_by_code", {}).get(code)
    ttl = float(app.config["DISPLAY_VERSION_TTL"])
    return kept if _still_true(kept, now, ttl, app.extensions["stamps"]) else None


def known_floor(
    *, now: datetime, code: str | None = None, center_id: int | None = None
) -> KnownFloor:
    """Return the floor version of the center with ``code`` (or ``center_id``) as this process
    keeps it, reading it afresh when a stamp moved, the TTL ran out or the local day changed.

    :raises NotFound: for an unknown center.
    """
    ttl = float(current_app.config["DISPLAY_VERSION_TTL"])
    by_code: dict[str, KnownFloor] = current_app.extensions.setdefault("floors_by_code", {})
    by_id: dict[int, KnownFloor] = current_app.extensions.setdefault("floors_by_id", {})
    kept = by_code.get(code) if code is not None else by_id.get(center_id)  # type: ignore[arg-type]
    if kept is not None and _still_true(kept, now, ttl):
        return kept
    if center_id is None and kept is not None:
        center_id = kept.center_id
    # the stamps before the rows: a change committed after them moves them again
    seen = _stamps_of(center_id) if center_id is not None else None
    center = db.session.get(Center, center_id) if center_id is not None else None
    if center is None or (code is not None and center.code != code):
        center = catalogue.get_center(code) if code is not None else None
        if center is None:
            raise NotFound(_("No service center has the code %(code)s.", code=center_id))
        seen = None
    kept = KnownFloor(
        code=center.code,
        center_id=center.id,
        timezone=center.timezone,
        day=local_date(now, center.timezone),
        # the center's settings version: an administrator's change (a window renamed, added
        # or retired) shows on the screens like a call does
        version=f"{floor_version(center, now=now)}.{center.calendar_version}",
        seen=seen or _stamps_of(center.id),
        read_at=time.monotonic(),
    )
    by_code[kept.code] = kept
    by_id[kept.center_id] = kept
    return kept


def forget_floors() -> None:
    """Drop what this process keeps of every floor (a center removed under it)."""
    current_app.extensions.get("floors_by_code", {}).clear()
    current_app.extensions.get("floors_by_id", {}).clear()
    current_app.extensions.get("queue_places", {}).clear()


def floor_version(center: Center, *, now: datetime) -> str:
    """Return a string that changes whenever the center's floor may have changed.

    Every ticket change is a ``TicketEvent`` and events are only ever added, so the number of
    the day's events changes with each one, even when an event with a lower id commits after
    a higher one (PostgreSQL hands out ids before commit; a bare max(id) would miss it).
    Window states change ``state_changed_dt`` and the counts per state. One statement over
    two indexes: ``ix_ticket_events_center_kind_at`` (listing every kind lets both databases
    use all three of its columns; PostgreSQL answers from the index alone) and the windows'
    (center, number) key, about 25 rows.
    """
    zone = ZoneInfo(center.timezone)
    midnight = datetime.combine(local_date(now, center.timezone), clock_time.min, zone)
    events = (
        select(func.count().label("n"), func.max(TicketEvent.at_dt).label("last"))
        .where(
            TicketEvent.center_id == center.id,
            TicketEvent.kind.in_(list(EventKind)),
            TicketEvent.at_dt >= midnight,
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


#: a ticket's poll (JSON) and its page (HTML), as the phones of those waiting ask for them
POLLS = Keeper("ticket_polls", POLLS_KEPT, "TICKET_POLL_TTL")
PAGES = Keeper("ticket_pages", PAGES_KEPT, "TICKET_POLL_TTL")


def kept_for_ticket(
    keeper: Keeper,
    key: Hashable,
    *,
    now: datetime,
    build: Callable[[Place], tuple[Ticket, Any, bool]],
    token: str,
) -> Any:
    """Return a ticket's answer (its poll or its page) as this process keeps it.

    While the floor of its center is unchanged the kept answer is given as it is, for at most
    ``TICKET_POLL_TTL`` seconds (the estimated wait moves with the clock too, by minutes). Once
    the floor moved, the ticket's own row is read (one statement): while it is unchanged the
    answer still stands for ``TICKET_POSITION_SLACK`` seconds after it was built, its people
    ahead and wait a few seconds late at most; its own call, or any change of its own, is given
    at once. A hall calling every few seconds would otherwise build every phone's answer again
    at every poll.

    An answer is built with the ticket's position taken from every waiting ticket's, as this
    process keeps them for the center (``_places``): one batch for all the phones of a busy
    hall, standing ``TICKET_POSITION_SLACK`` seconds like the answers built on it. A ticket
    whose own row changed since is placed on its own.

    ``build(place)`` reads the ticket and returns it, the answer (its position from
    ``place(ticket)``) and whether it may be kept. An answer is always read after the floor's
    version it is kept under, so that a change committed in between makes the kept answer
    stale rather than the version new: a ticket this process has not seen yet has its center
    read first (one statement).
    """
    entry = keeper.peek(key)
    tokens: dict[str, int] = current_app.extensions.setdefault("ticket_centers", {})
    center_id = entry.body[0] if entry is not None else tokens.get(token)
    if center_id is None:  # first seen here: its center (one statement), not a second build
        center_id = db.session.scalar(_center_of(), {"token": token})
    version = None
    if center_id is not None:
        version = _poll_version(center_id, now)  # read before the answer, never after
        if entry is not None:
            if keeper.get(key, version) is not None:
                return entry.body[1]
            slack = float(current_app.config["TICKET_POSITION_SLACK"])
            if time.monotonic() - entry.built_at < slack and own_mark(token) == entry.body[2]:
                return entry.body[1]
    built_at = time.monotonic()
    place = Place(center_id, version, now)
    ticket, answer, keep = build(place)
    if len(tokens) > POLLS_KEPT:
        tokens.clear()
    tokens[token] = ticket.center_id
    if place.batch is not None and place.batch.built_at <= built_at:
        # built on an older batch: kept as old as the batch, under the floor it was read at
        version, built_at = place.batch.version, place.batch.built_at
    if (
        keep
        and version is not None
        and center_id == ticket.center_id
        and stamps.floor(ticket.center_id) not in stamps.touched_in(db.session)
    ):
        keeper.put(key, version, (ticket.center_id, answer, mark_of(ticket)), built_at)
    return answer


@dataclass(frozen=True)
class Places:
    """Every waiting ticket's position at a center, as this process read them all at once."""

    version: Hashable  #: the floor's, read before the positions (``_poll_version``)
    built_at: float  #: time.monotonic() before the reading
    #: each waiting ticket's own row as it was read first, hashed (nothing personal kept)
    marks: dict[int, int]
    positions: dict[int, QueuePosition]


#: centers whose batch of positions a process keeps (about 200 bytes a waiting ticket)
PLACES_KEPT = 64


class Place:
    """Where a ticket stands, for an answer being built (``kept_for_ticket``): from the
    batch of its center's positions when its own row is the one the batch read, else on its
    own. ``batch`` is the batch the answer used, if it used one."""

    def __init__(self, center_id: int | None, version: Hashable | None, now: datetime) -> None:
        self.center_id, self.version, self.now = center_id, version, now
        self.batch: Places | None = None

    def __call__(self, ticket: Ticket) -> QueuePosition:
        if (
            ticket.state is TicketState.WAITING
            and self.version is not None
            and ticket.center_id == self.center_id
        ):
            batch = _places(ticket.center_id, self.version, self.now)
            if batch.marks.get(ticket.id) == hash(mark_of(ticket)) and ticket.id in batch.positions:
                self.batch = batch
                return batch.positions[ticket.id]
        return queue_position(ticket, now=self.now)


def _places(center_id: int, version: Hashable, now: datetime) -> Places:
    """The center's positions as this process keeps them: read again once the floor moved
    and ``TICKET_POSITION_SLACK`` seconds passed, or ``TICKET_POLL_TTL`` on a still floor."""
    kept: OrderedDict[int, Places] = current_app.extensions.setdefault(
        "queue_places", OrderedDict()
    )
    found = kept.get(center_id)
    if found is not None:
        age = time.monotonic() - found.built_at
        if age < float(current_app.config["TICKET_POSITION_SLACK"]) or (
            found.version == version and age < float(current_app.config["TICKET_POLL_TTL"])
        ):
            return found
    built_at = time.monotonic()
    # the rows before the positions: a ticket changed in between is placed on its own
    rows = db.session.execute(_waiting_rows(), {"center": center_id})
    marks = {row.id: hash(tuple(row)) for row in rows}
    found = Places(version, built_at, marks, queue_positions(center_id, now=now))
    kept[center_id] = found
    try:
        kept.move_to_end(center_id)
        while len(kept) > PLACES_KEPT:
            kept.popitem(last=False)
    except KeyError:  # dropped meanwhile by another thread
        pass
    return found


def _poll_version(center_id: int, now: datetime) -> tuple[str, tuple[int, int]]:
    """The floor's version as a poll keeps its answer under it: the version read from the
    database (again after ``DISPLAY_VERSION_TTL`` or on a new day, for the other hosts), and
    the host's change stamps as they stand. A change through this host moves the stamps alone:
    a busy hall's polls do not read the version again at each call (the display does, its tag
    is the version's)."""
    seen = _stamps_of(center_id)
    kept = _fresh_floor(current_app, center_id, now) or known_floor(now=now, center_id=center_id)
    return kept.version, seen


def _fresh_floor(app: Flask, center_id: int, now: datetime) -> KnownFloor | None:
    """The floor this process keeps of the center while a poll need not read it again."""
    kept = app.extensions.get("floors_by_id", {}).get(center_id)
    if (
        kept is None
        or time.monotonic() - kept.read_at >= float(app.config["DISPLAY_VERSION_TTL"])
        or local_date(now, kept.timezone) != kept.day
    ):
        return None
    return kept


def kept_poll(app: Flask, token: str, language: str, *, now: datetime) -> bytes | None:
    """A ticket's poll as ``app``'s process keeps it, while it stands without reading anything:
    ``kept_for_ticket``'s first answer, asked outside the app context (by the edge)."""
    key = (token, language)
    entry = POLLS.peek(key, app)
    if entry is None:
        return None
    center_id = entry.body[0]
    seen = _stamps_of(center_id, app.extensions["stamps"])
    floor = _fresh_floor(app, center_id, now)
    if floor is None:
        return None
    kept = POLLS.get(key, (floor.version, seen), app)
    return kept[1] if kept is not None else None


#: a ticket's own columns: what its poll and page show of it, and what changes with each event
_OWN = tuple(attr.key for attr in inspect(Ticket).column_attrs)


def mark_of(ticket: Ticket) -> tuple[Any, ...]:
    """The ticket's own row as loaded: it changed when this differs."""
    return tuple(getattr(ticket, name) for name in _OWN)


def _own_columns():
    """A ticket's own row (``_OWN``), as ``mark_of`` reads it of a loaded ticket."""
    return select(*(getattr(Ticket, name) for name in _OWN))


@functools.cache
def _own_row():
    return _own_columns().where(Ticket.token == bindparam("token"))


@functools.cache
def _waiting_rows():
    return _own_columns().where(
        Ticket.center_id == bindparam("center"), Ticket.state == TicketState.WAITING
    )


@functools.cache
def _center_of():
    return select(Ticket.center_id).where(Ticket.token == bindparam("token"))


def own_mark(token: str) -> tuple[Any, ...] | None:
    """The ticket's own row as the database holds it now (None when there is none)."""
    row = db.session.execute(_own_row(), {"token": token}).first()
    return tuple(row) if row is not None else None
