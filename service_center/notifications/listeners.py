"""The triggers: the queue's and the bookings' events, each turned into outbox rows inside the
transaction of the change (``queueing/signals.py``, ``booking/signals.py``); "N ahead" is the
worker's look at the floors that moved (``near.py``), but for an opt-in, told at once.

Each message has a key that names what it is about, so a trigger that fires again (another
call, a retry, a second process) writes nothing new: "N ahead" once per ticket (once more after
a requeue), "called" once per call, "missed" once, "rate" once.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import update

from ..booking import signals as booking_signals
from ..booking.models import Appointment
from ..catalogue.models import Center
from ..db import db
from ..quality import signals as quality_signals
from ..quality.models import Breach
from ..queueing import signals
from ..queueing.models import EventKind, Ticket
from ..queueing.wait import queue_position
from . import texts
from .models import Notification, NotificationKind, NotificationState
from .near import tell_if_near
from .outbox import enqueue, quiet_until, to_booking, to_ticket_holder


@signals.ticket_called.connect
@signals.ticket_recalled.connect
def _called(ticket: Ticket, *, now: datetime, **_: Any) -> None:
    if ticket.notify_address and ticket.window is not None:
        key = f"called:{ticket.id}:{ticket.call_count}"
        to_ticket_holder(
            ticket, NotificationKind.CALLED, key, texts.called(ticket, ticket.window.number), now
        )


@signals.ticket_issued.connect
def _issued(ticket: Ticket, *, now: datetime, event: Any = None, **_: Any) -> None:
    """A ticket taken from the phone is told its number first, with the people before it (at
    N or fewer that message says it all). Whether any other new ticket is near is for the
    worker's round (``near.Sweep``): the issue moved its floor."""
    if ticket.is_remote and event is not None and event.kind is EventKind.ISSUED:
        people = queue_position(ticket, now=now).ahead
        to_ticket_holder(
            ticket, NotificationKind.TAKEN, f"taken:{ticket.id}", texts.taken(ticket, people), now
        )
        if people <= ticket.center.notify_ahead:  # the number's message says it already
            ticket.notify_near_told = True


@signals.ticket_opted_in.connect
def _opted_in(ticket: Ticket, *, now: datetime, **_: Any) -> None:
    """An opt-in moves no floor, so the worker's round would not look: only this ticket's own
    distance is new, and it is told at once if near (a requeue or a transfer moves the floor,
    and the round looks)."""
    tell_if_near(ticket, now)


@signals.ticket_cancelled.connect
def _left(ticket: Ticket, *, now: datetime, **_: Any) -> None:
    """A waiting ticket was withdrawn (those behind it moved up: ``near.Sweep``)."""
    ticket.notify_address = None  # closed: the address goes


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
