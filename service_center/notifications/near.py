"""Telling an opted-in resident their turn is near ("N ahead", 前面还有 N 人), once.

Whatever moves a floor (a ticket issued, called, withdrawn, requeued, transferred) is looked
at by the worker (``Sweep``): each round, for a center whose floor moved, it reads the front of
every window's queue and tells the opted-in tickets it finds there. Neither the kiosk's issue
nor the clerk's call waits for "N ahead" of anyone, on SQLite under the write lock every
writer shares; the price is the message leaving at the worker's next round (seconds), not at
the commit. An opt-in moves no floor: its own request looks at that ticket (``tell_if_near``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select

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


def tell_if_near(ticket: Ticket, now: datetime, *, in_front: bool = False) -> bool:
    """Send "N ahead" once the opted-in waiting ``ticket`` is within its center's
    ``notify_ahead`` of its turn; ``in_front``: it stands within it in a queue already
    (so the cheap test of being far is skipped; the position still gives the number).
    Tell whether it was told now."""
    if ticket.state is not TicketState.WAITING or not ticket.notify_address:
        return False
    if ticket.notify_near_told:
        return False
    limit = ticket.center.notify_ahead
    if not in_front and _surely_far(ticket, limit):
        return False
    people = queue_position(ticket, now=now).ahead
    if people > limit:
        return False
    # once per consent and requeue: a new opt-in (or a requeue) may be told again
    consent = int(ticket.notify_consent_dt.timestamp()) if ticket.notify_consent_dt else 0
    key = f"ahead:{ticket.id}:{consent}:{int(ticket.is_requeued)}"
    to_ticket_holder(ticket, NotificationKind.AHEAD, key, texts.ahead(ticket, people), now)
    ticket.notify_near_told = True
    return True


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


@dataclass
class Sweep:
    """What one worker has looked at: each center's floor version at its last sweep, so a
    center whose floor has not moved since costs two statements a round (it and its version)."""

    seen: dict[int, str] = field(default_factory=dict)

    def __call__(self, *, now: datetime) -> int:
        """Tell the opted-in tickets now within N of their turn; return how many were told.

        Per center with someone opted in and not told yet (the partial index
        ``ix_tickets_notify_waiting``; usually nobody, one statement): its floor's version,
        and if it moved, the first N + 1 of each window's queue (a ticket's "ahead" is its
        fewest in any queue it stands in, so whoever is within N is in one of these fronts).
        """
        centers = list(
            db.session.scalars(
                select(Ticket.center_id)
                .where(
                    Ticket.state == TicketState.WAITING,
                    Ticket.notify_address.is_not(None),
                    Ticket.notify_near_told.is_(False),
                )
                .distinct()
            )
        )
        told = 0
        for center_id in centers:
            center = db.session.get(Center, center_id)
            if center is None:
                continue
            version = floor_version(center, now=now)
            if self.seen.get(center_id) == version:
                continue
            front = _front_candidates(center, now)
            db.session.rollback()  # the reads end; the writes take the write lock afresh
            done = _tell(front, now) if front else (0, True)
            told += done[0]
            if done[1]:  # a ticket held elsewhere is looked at again next round
                self.seen[center_id] = version
        db.session.rollback()
        return told


def _front_candidates(center: Center, now: datetime) -> list[int]:
    """The opted-in, untold tickets among the first N + 1 of each of the center's queues."""
    limit = center.notify_ahead + 1
    found: dict[int, None] = {}
    windows = list(
        db.session.scalars(
            select(Window).where(Window.center_id == center.id).order_by(Window.number)
        )
    )
    for window in windows:
        for ticket in window_queue(window, now=now, limit=limit):
            if ticket.notify_address and not ticket.notify_near_told:
                found[ticket.id] = None
    return list(found)


def _tell(ids: list[int], now: datetime) -> tuple[int, bool]:
    """Tell those of ``ids`` still near, in one transaction; (how many, whether none was
    skipped). A ticket another transaction holds (a window calling it, its holder leaving) is
    about to change: skipped rather than waited for, so a ticket just called is never told
    "N ahead" (PostgreSQL; SQLite's write lock leaves nothing to skip)."""
    write_transaction()
    free = list(
        db.session.scalars(
            select(Ticket.id).where(Ticket.id.in_(ids)).with_for_update(skip_locked=True)
        )
    )
    in_turn = select(Ticket).where(Ticket.id.in_(free)).order_by(Ticket.queued_dt, Ticket.id)
    tickets = db.session.scalars(in_turn) if free else []
    told = sum(tell_if_near(ticket, now, in_front=True) for ticket in tickets)
    db.session.commit()
    return told, len(free) == len(ids)
