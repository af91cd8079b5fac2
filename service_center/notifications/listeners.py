"""The triggers: the queue's and the bookings' events, each turned into outbox rows inside the
transaction of the change (``queueing/signals.py``, ``booking/signals.py``).

Each message has a key that names what it is about, so a trigger that fires again (another
call, a retry, a second process) writes nothing new: "N ahead" once per ticket (once more after
a requeue), "called" once per call, "missed" once, "rate" once.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import func, select, update

from ..booking import signals as booking_signals
from ..booking.models import Appointment
from ..catalogue.models import Center
from ..db import db
from ..quality import signals as quality_signals
from ..quality.models import Breach
from ..queueing import signals
from ..queueing.models import EventKind, Ticket, TicketState
from ..queueing.order import window_queue
from ..queueing.wait import queue_position, queues_of_ticket
from ..windows.models import Window
from . import texts
from .models import Notification, NotificationKind, NotificationState
from .outbox import enqueue, quiet_until, to_booking, to_ticket_holder


def _tell_if_near(ticket: Ticket, now: datetime, *, in_front: bool = False) -> None:
    """Send "N ahead" once the opted-in waiting ``ticket`` is within its center's
    ``notify_ahead`` of its turn; ``in_front``: it stands within it in a queue already
    (so the cheap test of being far is skipped; the position still gives the number)."""
    if ticket.state is not TicketState.WAITING or not ticket.notify_address:
        return
    if ticket.notify_near_told:
        return
    limit = ticket.center.notify_ahead
    if not in_front and _surely_far(ticket, limit):
        return
    people = queue_position(ticket, now=now).ahead
    if people > limit:
        return
    # once per consent and requeue: a new opt-in (or a requeue) may be told again
    consent = int(ticket.notify_consent_dt.timestamp()) if ticket.notify_consent_dt else 0
    key = f"ahead:{ticket.id}:{consent}:{int(ticket.is_requeued)}"
    to_ticket_holder(ticket, NotificationKind.AHEAD, key, texts.ahead(ticket, people), now)
    ticket.notify_near_told = True


def _surely_far(ticket: Ticket, limit: int) -> bool:
    """A cheap lower bound first: an ordinary ticket (not priority, booked or transferred)
    has at least every earlier ticket of its own item ahead of it in each queue it is in, so
    more than ``limit`` of them settles it without the position (one counting statement)."""
    if ticket.is_priority or ticket.is_booked or ticket.transfer_window_id is not None:
        return False
    same_item_before = db.session.scalar(
        select(func.count())
        .select_from(Ticket)
        .where(
            Ticket.center_id == ticket.center_id,
            Ticket.state == TicketState.WAITING,
            Ticket.service_item_id == ticket.service_item_id,
            Ticket.transfer_window_id.is_(None),
            Ticket.queued_dt <= ticket.queued_dt,
            Ticket.id != ticket.id,
        )
    )
    return same_item_before > limit


def _check_ahead(left: Ticket, now: datetime, *, called_to: Window | None = None) -> None:
    """``left`` left the waiting line (called to ``called_to``, or withdrawn): tell the opted-in
    tickets it leaves within N of their turn.

    First one statement on a partial index (``ix_tickets_notify_waiting``): is any opted-in
    ticket not told yet? Usually none, and then nothing more is read. Else only the front of
    a queue ``left`` stood in can have moved within N: the first N + 1 of the calling window's
    queue (other windows' queues moved too; their own next call looks at them), or of every
    queue a withdrawn ticket stood in; then the position of those of them who opted in.
    """
    anyone = db.session.scalar(
        select(Ticket.id)
        .where(
            Ticket.center_id == left.center_id,
            Ticket.state == TicketState.WAITING,
            Ticket.notify_address.is_not(None),
            Ticket.notify_near_told.is_(False),
        )
        .limit(1)
    )
    if anyone is None:
        return
    limit = left.center.notify_ahead + 1
    near: dict[int, Ticket] = {}
    # windows with the same items share their queue: each distinct queue is read once
    windows = [called_to] if called_to is not None else queues_of_ticket(left)
    for window in windows:
        for ticket in window_queue(window, now=now, limit=limit):
            if ticket.notify_address and not ticket.notify_near_told:
                near[ticket.id] = ticket
    if not near:
        return
    # a ticket another transaction holds (another window calling it, its holder leaving) is
    # about to change: skip it rather than wait for that transaction and tell a ticket already
    # called "N ahead"; its own change or the next call looks at it again (PostgreSQL; SQLite's
    # write lock leaves nothing to skip)
    free = set(
        db.session.scalars(
            select(Ticket.id).where(Ticket.id.in_(near)).with_for_update(skip_locked=True)
        )
    )
    for ticket_id, ticket in near.items():
        if ticket_id in free:
            _tell_if_near(ticket, now, in_front=True)


@signals.ticket_called.connect
@signals.ticket_recalled.connect
def _called(ticket: Ticket, *, now: datetime, event: Any, **_: Any) -> None:
    if ticket.notify_address and ticket.window is not None:
        key = f"called:{ticket.id}:{ticket.call_count}"
        to_ticket_holder(
            ticket, NotificationKind.CALLED, key, texts.called(ticket, ticket.window.number), now
        )
    if event.kind is EventKind.CALLED and ticket.window is not None:
        _check_ahead(ticket, now, called_to=ticket.window)  # a recall moves nobody


@signals.ticket_issued.connect
@signals.ticket_opted_in.connect
@signals.ticket_requeued.connect
@signals.ticket_transferred.connect
def _joined(ticket: Ticket, *, now: datetime, event: Any = None, **_: Any) -> None:
    """A ticket joined the line (a transfer keeps its place in time): only its own distance
    can have come within N. A ticket taken from the phone is told its number first."""
    if ticket.is_remote and event is not None and event.kind is EventKind.ISSUED:
        people = queue_position(ticket, now=now).ahead
        to_ticket_holder(
            ticket, NotificationKind.TAKEN, f"taken:{ticket.id}", texts.taken(ticket, people), now
        )
        if people <= ticket.center.notify_ahead:  # the number's message says it already
            ticket.notify_near_told = True
    _tell_if_near(ticket, now)


@signals.ticket_cancelled.connect
def _left(ticket: Ticket, *, now: datetime, **_: Any) -> None:
    """A waiting ticket was withdrawn: those behind it moved up."""
    ticket.notify_address = None  # closed: the address goes
    _check_ahead(ticket, now)


@signals.ticket_no_show.connect
def _missed(ticket: Ticket, *, now: datetime, **_: Any) -> None:
    """Told how to get back in the queue, once the clerk's undo time
    (QUEUE_NO_SHOW_UNDO_SECONDS) has passed: an undone no-show is withdrawn unsent."""
    until = now + timedelta(minutes=current_app.config["QUEUE_REQUEUE_MINUTES"])
    if not ticket.is_requeued:
        hold = now + timedelta(seconds=current_app.config["QUEUE_NO_SHOW_UNDO_SECONDS"])
        key = f"missed:{ticket.id}:{int(now.timestamp())}"  # an undone miss may come again
        text = texts.missed(ticket, until)
        to_ticket_holder(ticket, NotificationKind.MISSED, key, text, now, not_before=hold)
    else:
        ticket.notify_address = None  # a second miss is final


@signals.ticket_reinstated.connect
def _missed_undone(ticket: Ticket, **_: Any) -> None:
    _withdraw(
        (Notification.ticket_id == ticket.id) & (Notification.kind == NotificationKind.MISSED),
        "withdrawn: the no-show was undone",
    )


@signals.ticket_completed.connect
def _completed(ticket: Ticket, *, now: datetime, **_: Any) -> None:
    to_ticket_holder(ticket, NotificationKind.RATE, f"rate:{ticket.id}", texts.rate(ticket), now)
    ticket.notify_address = None  # the ticket has closed: the address goes


@signals.ticket_unserved.connect
def _unserved(ticket: Ticket, **_: Any) -> None:
    ticket.notify_address = None


@booking_signals.appointment_booked.connect
def _booked(appointment: Appointment, *, now: datetime, **_: Any) -> None:
    key = f"booked:{appointment.id}"
    to_booking(appointment, NotificationKind.BOOKED, key, texts.booked(appointment), now)


#: not sent yet: what a withdrawal ends (a worker holding one finds its claim gone and writes
#: nothing; one already in the provider's hands cannot be called back)
WAITING = (NotificationState.PENDING, NotificationState.SENDING)


def _withdraw_reminders(appointment: Appointment) -> None:
    """A reminder or closure notice not yet sent no longer fits a moved or cancelled booking."""
    db.session.execute(
        update(Notification)
        .where(
            Notification.appointment_id == appointment.id,
            Notification.kind.in_([NotificationKind.REMINDER, NotificationKind.CLOSURE]),
            Notification.state.in_(WAITING),
        )
        .values(
            state=NotificationState.NOT_SENT,
            last_error="withdrawn: the booking changed",
            address=None,
            claim=None,
        )
    )


@signals.ticket_opted_out.connect
def _ticket_opted_out(ticket: Ticket, **_: Any) -> None:
    """Nothing more goes out for the ticket, not even what is already written."""
    _withdraw(Notification.ticket_id == ticket.id, "withdrawn: the resident opted out")


@booking_signals.booking_warned.connect
def _warned(appointment: Appointment, *, strikes: int, limit: int, now: datetime, **_: Any) -> None:
    text = texts.warned(appointment, strikes, limit, appointment.center.noshow_bar_days)
    key = f"warned:{appointment.id}"
    to_booking(
        appointment,
        NotificationKind.WARNED,
        key,
        text,
        now,
        not_before=quiet_until(now, appointment.center.timezone),
    )


@booking_signals.booking_barred.connect
def _barred(appointment: Appointment, *, bar: Any, now: datetime, **_: Any) -> None:
    key = f"barred:{appointment.id}"
    to_booking(
        appointment,
        NotificationKind.BARRED,
        key,
        texts.barred(appointment, bar.until),
        now,
        not_before=quiet_until(now, appointment.center.timezone),
    )


@booking_signals.appointment_opted_out.connect
def _booking_opted_out(appointment: Appointment, **_: Any) -> None:
    _withdraw(Notification.appointment_id == appointment.id, "withdrawn: the resident opted out")


def _withdraw(which: Any, reason: str) -> None:
    db.session.execute(
        update(Notification)
        .where(which, Notification.state.in_(WAITING))
        .values(state=NotificationState.NOT_SENT, last_error=reason, address=None, claim=None)
    )


@booking_signals.appointment_moved.connect
def _moved(appointment: Appointment, *, now: datetime, **_: Any) -> None:
    _withdraw_reminders(appointment)
    key = f"moved:{appointment.id}:{int(now.timestamp() * 1000)}"  # every move is news
    to_booking(appointment, NotificationKind.MOVED, key, texts.moved(appointment), now)


@booking_signals.appointment_cancelled.connect
def _cancelled(appointment: Appointment, *, now: datetime, **_: Any) -> None:
    _withdraw_reminders(appointment)
    key = f"cancelled:{appointment.id}"
    to_booking(appointment, NotificationKind.CANCELLED, key, texts.cancelled(appointment), now)


@booking_signals.day_reopened.connect
def _reopened(center: Any, *, appointments: list[Appointment], **_: Any) -> None:
    """The closure was taken back: its notices not sent yet are withdrawn."""
    ids = [a.id for a in appointments]
    if ids:
        _withdraw(
            (Notification.appointment_id.in_(ids))
            & (Notification.kind == NotificationKind.CLOSURE),
            "withdrawn: the day opens again",
        )


@booking_signals.bookings_stranded.connect
def _closure(center: Any, *, appointments: list[Appointment], now: datetime, **more: Any) -> None:
    """The center closed a day: every booking of it with consent is told (after quiet hours)."""
    hold = quiet_until(now, center.timezone)
    for appointment in appointments:
        text = texts.closure(appointment, more.get("reason_zh", ""), more.get("reason_en", ""))
        key = f"closure:{appointment.id}:{appointment.service_date}"
        to_booking(appointment, NotificationKind.CLOSURE, key, text, now, not_before=hold)


@quality_signals.breach_opened.connect
def _breach_opened(breach: Breach, *, center: Center, now: datetime, **_: Any) -> None:
    """Tell the supervisor on duty (the center's ``duty_contact``) once per breach; with no
    contact set, nobody."""
    if not center.duty_contact:
        return
    enqueue(
        key=f"breach:{breach.id}",
        kind=NotificationKind.BREACH,
        center_id=center.id,
        address=center.duty_contact,
        locale="zh_CN",
        text=texts.breach(breach, center),
        now=now,
    )
