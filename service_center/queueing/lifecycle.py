"""The ticket's life cycle after its call: recall, start, no-show (and its undo), transfer,
cancel, requeue.

Each function locks its ticket (``order.lock_ticket``), checks the move against the one table
of allowed moves, changes the ticket and writes its event.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from ..catalogue.models import Center, ServiceItem
from ..clock import local_date
from ..db import db
from ..errors import Invalid, NotFound
from ..windows.models import Window
from .events import record_event
from .models import EventKind, InvalidTransition, Ticket, TicketEvent
from .order import current_ticket, lock_ticket, lock_window

if TYPE_CHECKING:
    from ..auth.models import User


def can(ticket: Ticket, action: str) -> bool:
    """Tell whether ``action`` fits the ticket's status (``Ticket.can``)."""
    return ticket.can(action)


def recall_ticket(ticket: Ticket, *, now: datetime, actor: User | None = None) -> Ticket:
    """Announce a called ticket again.

    :raises InvalidTransition: unless the ticket is called.
    """
    ticket = lock_ticket(ticket)
    ticket.require("recall")
    ticket.mark_recalled(now)
    record_event(ticket, EventKind.RECALLED, now, window=ticket.window, actor=actor)
    db.session.flush()
    return ticket


def start_ticket(ticket: Ticket, *, now: datetime, actor: User | None = None) -> Ticket:
    """The resident has arrived at the window: start serving.

    :raises InvalidTransition: unless the ticket is called.
    """
    ticket = lock_ticket(ticket)
    ticket.require("start")
    ticket.mark_started(now)
    record_event(ticket, EventKind.STARTED, now, window=ticket.window, actor=actor)
    db.session.flush()
    return ticket


def mark_no_show(ticket: Ticket, *, now: datetime, actor: User | None = None) -> Ticket:
    """Mark a called resident who did not come (过号), after QUEUE_NO_SHOW_MIN_CALLS calls.

    :raises InvalidTransition: unless the ticket is called often enough.
    """
    ticket = lock_ticket(ticket)
    ticket.require("no_show")
    min_calls = current_app.config["QUEUE_NO_SHOW_MIN_CALLS"]
    if ticket.call_count < min_calls:
        raise InvalidTransition(
            _(
                "Call %(number)s at least %(calls)d times before marking a no-show.",
                number=ticket.number,
                calls=min_calls,
            )
        )
    ticket.mark_no_show(now)
    record_event(ticket, EventKind.NO_SHOW, now, window=ticket.window, actor=actor)
    db.session.flush()
    return ticket


def undo_window(ticket: Ticket, actor: User, *, now: datetime) -> datetime | None:
    """Return until when ``actor`` may still undo the ticket's no-show, or None.

    Only the no-show just marked by ``actor`` at the ticket's window, with nothing since (no
    requeue at the kiosk, no other event), within QUEUE_NO_SHOW_UNDO_SECONDS of it.
    """
    if not ticket.can("undo_no_show") or ticket.window_id is None:
        return None
    last = _last_event(ticket)
    if (
        last is None
        or last.kind is not EventKind.NO_SHOW
        or last.actor_id != actor.id
        or last.window_id != ticket.window_id
    ):
        return None
    until = last.at_dt + timedelta(seconds=current_app.config["QUEUE_NO_SHOW_UNDO_SECONDS"])
    return until if now <= until else None


def _last_event(ticket: Ticket) -> TicketEvent | None:
    return db.session.scalar(
        select(TicketEvent)
        .where(TicketEvent.ticket_id == ticket.id)
        .order_by(TicketEvent.at_dt.desc(), TicketEvent.id.desc())
        .limit(1)
    )


def undo_no_show(ticket: Ticket, *, now: datetime, actor: User) -> Ticket:
    """Take back the no-show ``actor`` just marked: the ticket is called at its window again,
    exactly as before (its calls, its times), and a ``REINSTATED`` event is written.

    :raises InvalidTransition: unless it is the no-show ``actor`` marked at the ticket's window
        at most QUEUE_NO_SHOW_UNDO_SECONDS ago, with nothing since, and the window holds no
        other ticket now.
    """
    window = lock_window(ticket.window) if ticket.window is not None else None
    ticket = lock_ticket(ticket)
    ticket.require("undo_no_show")
    if window is None or undo_window(ticket, actor, now=now) is None:
        raise InvalidTransition(
            _(
                "The no-show of %(number)s is final: only the clerk who marked it can undo it, "
                "within %(seconds)d seconds and before anything else happens to the ticket.",
                number=ticket.number,
                seconds=current_app.config["QUEUE_NO_SHOW_UNDO_SECONDS"],
            )
        )
    busy = current_ticket(window)
    if busy is not None:
        raise InvalidTransition(
            _(
                "Window %(window)d holds %(other)s now; %(number)s cannot be called back to it.",
                window=window.number,
                other=busy.number,
                number=ticket.number,
            )
        )
    ticket.mark_reinstated(now)
    record_event(
        ticket, EventKind.REINSTATED, now, window=window, actor=actor, detail="no-show undone"
    )
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
    ticket = lock_ticket(ticket)
    ticket.require("transfer")
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
    ticket.mark_transferred(now, window_id=window.id if window is not None else None, item=item)
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
        item=item,
        item_changed=item is not None,
    )
    db.session.flush()
    return ticket


def cancel_ticket(ticket: Ticket, *, now: datetime, actor: User | None = None) -> Ticket:
    """Withdraw a waiting ticket (the resident leaves).

    :raises InvalidTransition: unless the ticket is waiting.
    """
    ticket = lock_ticket(ticket)
    ticket.require("cancel")
    ticket.mark_cancelled(now)
    record_event(ticket, EventKind.CANCELLED, now, actor=actor)
    db.session.flush()
    return ticket


def requeue_until(ticket: Ticket) -> datetime | None:
    """Return until when a no-show may get back in the queue (once: None after a requeue)."""
    if not ticket.can("requeue") or ticket.is_requeued or ticket.finished_dt is None:
        return None
    return ticket.finished_dt + timedelta(minutes=current_app.config["QUEUE_REQUEUE_MINUTES"])


def requeue_ticket(ticket: Ticket, *, now: datetime, actor: User | None = None) -> Ticket:
    """Put a no-show back in the queue once, within QUEUE_REQUEUE_MINUTES, behind those waiting.

    :raises InvalidTransition: unless a no-show not requeued before and still in time.
    """
    ticket = lock_ticket(ticket)
    ticket.require("requeue")
    limit = timedelta(minutes=current_app.config["QUEUE_REQUEUE_MINUTES"])
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
    ticket.mark_requeued(now)
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
