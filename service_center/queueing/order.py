"""The call-next order: who a window may call and in which order, calling exactly once, and
the windows' own states. Everything that races takes its lock here (``lock_window``,
``lock_ticket``): SQLite's write lock up front, PostgreSQL's row locks."""

from __future__ import annotations

import functools
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, TypeVar

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, bindparam, case, or_, select, true

from ..db import UTCDateTime, db, write_transaction
from ..errors import Conflict, DomainError, NotFound
from ..windows.models import Window, WindowState, window_services
from .events import record_event
from .models import EventKind, Ticket, TicketState

if TYPE_CHECKING:
    from ..auth.models import User

T = TypeVar("T")


class QueueEmpty(DomainError):
    status = 204
    default_message = _l("Nobody is waiting for this window.")


class WindowNotOpen(Conflict):
    default_message = _l("Open the window before calling.")


class WindowBusy(Conflict):
    default_message = _l(
        "This window still holds a ticket: complete, mark no-show or transfer it first."
    )


def walk_in_cutoff(now: datetime) -> datetime:
    """Walk-ins queued at or before this moment rank with the bookings (see ``_waiting_for``)."""
    return now - timedelta(minutes=current_app.config["QUEUE_WALKIN_MAX_WAIT_MINUTES"])


def rank(window_id, cutoff):
    """The group of a waiting ticket in the queue of the window ``window_id`` (a value or a
    column): 0 transferred there, 1 priority, 2 booked or queued by ``cutoff``, 3 the rest."""
    return case(
        (Ticket.transfer_window_id == window_id, 0),
        (Ticket.is_priority, 1),
        (or_(Ticket.is_booked, Ticket.queued_dt <= cutoff), 2),
        else_=3,
    )


def handles(window_id):
    """The ticket's item is one of the window's skills (``window_id``: a value or a column)."""
    return Ticket.service_item_id.in_(
        select(window_services.c.service_item_id).where(window_services.c.window_id == window_id)
    )


def skill_row(window_id, skills):
    """``handles`` as a join, for many windows at once: ``skills`` (``window_services``)
    outer-joined on this has a row where the ticket's item is one of the window's skills."""
    return and_(skills.c.window_id == window_id, skills.c.service_item_id == Ticket.service_item_id)


def in_queue_of(window_id, handled):
    """The ticket waits for the window: transferred there, or not transferred and ``handled``."""
    return and_(Ticket.state == TicketState.WAITING, for_window(window_id, handled))


def for_window(window_id, handled):
    """The ticket, if it waits, waits for the window (``in_queue_of`` without the state)."""
    return or_(
        Ticket.transfer_window_id == window_id, Ticket.transfer_window_id.is_(None) & handled
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
    handled = true() if comprehensive else handles(window_id)
    return (
        select(Ticket)
        .where(Ticket.center_id == bindparam("center_id"), in_queue_of(window_id, handled))
        .order_by(
            rank(window_id, bindparam("cutoff", type_=UTCDateTime())), Ticket.queued_dt, Ticket.id
        )
    )


@functools.cache
def _next_for(comprehensive: bool):
    """The head of the queue, locked; a ticket another caller holds is skipped."""
    return _waiting_for(comprehensive).limit(1).with_for_update(skip_locked=True, of=Ticket)


def _queue_params(window: Window, now: datetime) -> dict[str, object]:
    return {"window_id": window.id, "center_id": window.center_id, "cutoff": walk_in_cutoff(now)}


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

    A remote ticket at the head whose holder has not said they are in the hall ends a
    no-show instead (``Ticket.mark_not_arrived``), and the next one is called.

    :raises WindowNotOpen: when the window is paused or closed.
    :raises WindowBusy: when the window still holds a called or serving ticket.
    :raises QueueEmpty: when nobody waits for this window.
    """
    window = lock_window(window)
    if window.state is not WindowState.OPEN:
        raise WindowNotOpen()
    if current_ticket(window) is not None:
        raise WindowBusy()
    params = _queue_params(window, now)
    while True:
        ticket = db.session.scalar(_next_for(window.is_comprehensive), params)
        if ticket is None:
            raise QueueEmpty()
        if not ticket.is_away:
            break
        # 远程取号: a remote holder not in the hall is a no-show at once (the requeue rule
        # applies); the window calls whoever is next
        ticket.mark_not_arrived(window.id, now)
        record_event(ticket, EventKind.NO_SHOW, now, window=window, detail="not arrived")
        db.session.flush()
    ticket.mark_called(window.id, now)
    record_event(ticket, EventKind.CALLED, now, window=window, actor=actor)
    db.session.flush()
    return ticket


def lock_window(window: Window) -> Window:
    """Start the unit of work and lock the window's row (PostgreSQL) or the database (SQLite)."""
    return _locked(Window, window.id, _("No such window."))


def lock_ticket(ticket: Ticket) -> Ticket:
    """Start the unit of work and lock the ticket's row (PostgreSQL) or the database (SQLite)."""
    return _locked(Ticket, ticket.id, _("No such ticket."))


def _locked(model: type[T], row_id: int, missing: str) -> T:
    _begin()
    locked = db.session.get(model, row_id, with_for_update=True, populate_existing=True)
    if locked is None:
        raise NotFound(missing)
    return locked


def _begin() -> None:
    # the row raced for is read again locked; the caller and catalogue rows are kept
    write_transaction(keep_loaded=True)


def set_window_state(
    window: Window, state: WindowState, *, now: datetime, actor: User | None = None
) -> Window:
    """Open, pause or close a window; a window holding a ticket cannot close.

    :raises Conflict: when closing a window that still holds a called or serving ticket.
    """
    window = lock_window(window)
    if state is WindowState.CLOSED and current_ticket(window) is not None:
        raise Conflict(_("Finish or transfer the current ticket before closing the window."))
    if window.state is not state:
        window.state = state
        window.state_changed_dt = now
    db.session.flush()
    return window
