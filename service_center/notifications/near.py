"""Telling an opted-in resident their turn is near ("N ahead", 前面还有 N 人), once.

Whatever moves a floor (a ticket issued, called, withdrawn, requeued, transferred) is looked
at by the worker (``Sweep``): each round, for a center whose floor moved, it reads the front of
every window's queue and tells the opted-in tickets it finds there. Neither the kiosk's issue
nor the clerk's call waits for "N ahead" of anyone, on SQLite under the write lock every
writer shares; the price is the message leaving at the worker's next round (seconds), not at
the commit. An opt-in moves no floor: its own request looks at that ticket (``tell_if_near``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update

from ..catalogue.models import Center
from ..db import db, write_transaction
from ..queueing.kept import floor_version
from ..queueing.models import Ticket, TicketState
from ..queueing.order import window_queue
from ..queueing.wait import queue_position
from ..windows.models import Window
from . import texts
from .models import NotificationKind
from .outbox import to_ticket_holder


def tell_if_near(ticket: Ticket, now: datetime) -> bool:
    """Send "N ahead" once the opted-in waiting ``ticket`` (locked by the caller) is within its
    center's ``notify_ahead`` of its turn; tell whether it was told now."""
    if ticket.state is not TicketState.WAITING or not ticket.notify_address:
        return False
    if ticket.notify_near_told:
        return False
    limit = ticket.center.notify_ahead
    if _surely_far(ticket, limit):
        return False
    people = queue_position(ticket, now=now).ahead
    if people > limit:
        return False
    _send(ticket, people, now)
    ticket.notify_near_told = True
    return True


def _send(ticket: Ticket, people: int, now: datetime) -> None:
    # once per consent and requeue: a new opt-in (or a requeue) may be told again
    consent = int(ticket.notify_consent_dt.timestamp()) if ticket.notify_consent_dt else 0
    key = f"ahead:{ticket.id}:{consent}:{int(ticket.is_requeued)}"
    to_ticket_holder(ticket, NotificationKind.AHEAD, key, texts.ahead(ticket, people), now)


def _surely_far(ticket: Ticket, limit: int) -> bool:
    """A cheap lower bound first: an ordinary ticket (not priority, booked or transferred)
    has at least every earlier ticket of its own item ahead of it in each queue it is in, so
    more than ``limit`` of them settles it without the position. One statement, which stops
    counting past ``limit`` (a long line costs what a short one does)."""
    if ticket.is_priority or ticket.is_booked or ticket.transfer_window_id is not None:
        return False
    before = (
        select(Ticket.id)
        .where(
            Ticket.center_id == ticket.center_id,
            Ticket.state == TicketState.WAITING,
            Ticket.service_item_id == ticket.service_item_id,
            Ticket.transfer_window_id.is_(None),
            Ticket.queued_dt <= ticket.queued_dt,
            Ticket.id != ticket.id,
        )
        .limit(limit + 1)
        .subquery()
    )
    return db.session.scalar(select(func.count()).select_from(before)) > limit


#: a center is looked at again after this long even when nothing seemed to move (a walk-in
#: passing the bookings' cutoff, a window given another item: the queue's order moved alone)
LOOK_AGAIN_SECONDS = 60.0


@dataclass
class Sweep:
    """What one worker has looked at: per center, what it saw of its floor at its last look
    (the floor's version, its opted-in tickets not told, its settings) and when. A center where
    none of that moved costs two statements a round; it is looked at again after
    ``LOOK_AGAIN_SECONDS`` anyway."""

    seen: dict[int, tuple[Any, float]] = field(default_factory=dict)

    def __call__(self, *, now: datetime) -> int:
        """Tell the opted-in tickets now within N of their turn; return how many were told.

        One statement finds the centers with someone opted in and not told yet (the partial
        index ``ix_tickets_notify_waiting``; usually none). For each whose floor moved: the
        first N + 1 of each window's queue (a ticket's "ahead" is its fewest in any queue it
        stands in, so whoever is within N is in one of these fronts) and their positions, read
        without a lock; then one short transaction marks and tells those still waiting.
        """
        waiting = db.session.execute(
            select(Ticket.center_id, func.count(), func.max(Ticket.notify_consent_dt))
            .where(
                Ticket.state == TicketState.WAITING,
                Ticket.notify_address.is_not(None),
                Ticket.notify_near_told.is_(False),
            )
            .group_by(Ticket.center_id)
        ).all()
        told = 0
        for center_id, opted_in, last_consent in waiting:
            center = db.session.get(Center, center_id)
            if center is None:
                continue
            looked = (
                floor_version(center, now=now),
                opted_in,
                last_consent,
                center.notify_ahead,
                center.calendar_version,
            )
            last = self.seen.get(center_id)
            if last is not None and last[0] == looked and _since(last[1]) < LOOK_AGAIN_SECONDS:
                continue
            near = _near_the_front(center, now)
            db.session.rollback()  # the reads end; the writes take the write lock afresh
            if near:
                told += _tell(near, now)
            self.seen[center_id] = (looked, time.monotonic())
        db.session.rollback()
        return told


def _since(moment: float) -> float:
    return time.monotonic() - moment


def _near_the_front(center: Center, now: datetime) -> dict[int, int]:
    """The opted-in, untold tickets among the first N + 1 of each of the center's queues that
    stand within N of their turn: ticket id → people ahead."""
    limit = center.notify_ahead
    windows = list(
        db.session.scalars(
            select(Window).where(Window.center_id == center.id).order_by(Window.number)
        )
    )
    front: dict[int, Ticket] = {}
    for window in windows:
        for ticket in window_queue(window, now=now, limit=limit + 1):
            if ticket.notify_address and not ticket.notify_near_told:
                front[ticket.id] = ticket
    near = {}
    for ticket_id, ticket in front.items():
        people = queue_position(ticket, now=now).ahead
        if people <= limit:
            near[ticket_id] = people
    return near


def _tell(near: dict[int, int], now: datetime) -> int:
    """Mark and tell those of ``near`` (id → people ahead) still waiting, opted in and not
    told, in one short transaction; return how many.

    The positions were read before, without a lock: here each row is locked only from the
    conditional update to the commit (a few statements), so a window calling meanwhile is
    not made to pass over a ticket the worker holds (call-next skips locked rows). A ticket
    called in between no longer matches the update and is not told.
    """
    write_transaction()
    marked = db.session.scalars(
        update(Ticket)
        .where(
            Ticket.id.in_(near),
            Ticket.state == TicketState.WAITING,
            Ticket.notify_address.is_not(None),
            Ticket.notify_near_told.is_(False),
        )
        .values(notify_near_told=True)
        .returning(Ticket.id)
        .execution_options(synchronize_session=False)
    ).all()
    tickets = db.session.scalars(
        select(Ticket)
        .where(Ticket.id.in_(marked))
        .order_by(Ticket.queued_dt, Ticket.id)
        .execution_options(populate_existing=True)
    ).all()
    for ticket in tickets:
        _send(ticket, near[ticket.id], now)
    db.session.commit()
    return len(tickets)
