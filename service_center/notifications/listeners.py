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
from sqlalchemy import select, update

from ..booking import signals as booking_signals
from ..booking.models import Appointment
from ..db import db
from ..queueing import signals
from ..queueing.models import Ticket, TicketState
from ..queueing.wait import queue_position
from . import texts
from .models import Notification, NotificationKind, NotificationState
from .outbox import enqueue, quiet_until


def _to_holder(ticket: Ticket, kind: NotificationKind, key: str, text: dict, now: datetime) -> None:
    if not ticket.notify_address:
        return
    enqueue(
        key=key,
        kind=kind,
        center_id=ticket.center_id,
        address=ticket.notify_address,
        locale=ticket.notify_locale or "zh_CN",
        text=text,
        now=now,
        ticket_id=ticket.id,
    )


def _tell_if_near(ticket: Ticket, now: datetime) -> None:
    """Send "N ahead" once the opted-in waiting ``ticket`` is within NOTIFY_AHEAD of its turn."""
    if ticket.state is not TicketState.WAITING or not ticket.notify_address:
        return
    people = queue_position(ticket, now=now).ahead
    if people <= current_app.config["NOTIFY_AHEAD"]:
        key = f"ahead:{ticket.id}:{int(ticket.is_requeued)}"
        _to_holder(ticket, NotificationKind.AHEAD, key, texts.ahead(ticket, people), now)


def _check_ahead(center_id: int, now: datetime) -> None:
    """Someone left the waiting line: tell each opted-in waiting ticket now within N.

    One statement on a partial index (``ix_tickets_notify_waiting``) when nobody opted in.
    """
    waiting = db.session.scalars(
        select(Ticket).where(
            Ticket.center_id == center_id,
            Ticket.state == TicketState.WAITING,
            Ticket.notify_address.is_not(None),
        )
    ).all()
    for ticket in waiting:
        _tell_if_near(ticket, now)


@signals.ticket_called.connect
@signals.ticket_recalled.connect
def _called(ticket: Ticket, *, now: datetime, **_: Any) -> None:
    if ticket.notify_address and ticket.window is not None:
        key = f"called:{ticket.id}:{ticket.call_count}"
        _to_holder(
            ticket, NotificationKind.CALLED, key, texts.called(ticket, ticket.window.number), now
        )
    _check_ahead(ticket.center_id, now)


@signals.ticket_issued.connect
@signals.ticket_opted_in.connect
@signals.ticket_requeued.connect
def _joined(ticket: Ticket, *, now: datetime, **_: Any) -> None:
    """A ticket joined the line behind the others: only its own distance can be within N."""
    _tell_if_near(ticket, now)


@signals.ticket_cancelled.connect
@signals.ticket_transferred.connect
def _queue_moved(ticket: Ticket, *, now: datetime, **_: Any) -> None:
    """Someone left (or moved within) the line: the others may now be within N."""
    if ticket.state is TicketState.CANCELLED:
        ticket.notify_address = None  # closed: the address goes
    _check_ahead(ticket.center_id, now)


@signals.ticket_no_show.connect
def _missed(ticket: Ticket, *, now: datetime, **_: Any) -> None:
    until = now + timedelta(minutes=current_app.config["QUEUE_REQUEUE_MINUTES"])
    if not ticket.is_requeued:
        _to_holder(
            ticket, NotificationKind.MISSED, f"missed:{ticket.id}", texts.missed(ticket, until), now
        )
    else:
        ticket.notify_address = None  # a second miss is final
    _check_ahead(ticket.center_id, now)


@signals.ticket_completed.connect
def _completed(ticket: Ticket, *, now: datetime, **_: Any) -> None:
    _to_holder(ticket, NotificationKind.RATE, f"rate:{ticket.id}", texts.rate(ticket), now)
    ticket.notify_address = None  # the ticket has closed: the address goes


@signals.ticket_unserved.connect
def _unserved(ticket: Ticket, **_: Any) -> None:
    ticket.notify_address = None


def _to_booking(
    appointment: Appointment, kind: NotificationKind, key: str, text: dict, now: datetime
) -> None:
    if appointment.notify_consent_dt is None:
        return
    enqueue(
        key=key,
        kind=kind,
        center_id=appointment.center_id,
        address=appointment.phone,
        locale=appointment.notify_locale or "zh_CN",
        text=text,
        now=now,
        appointment_id=appointment.id,
    )


@booking_signals.appointment_booked.connect
def _booked(appointment: Appointment, *, now: datetime, **_: Any) -> None:
    key = f"booked:{appointment.id}"
    _to_booking(appointment, NotificationKind.BOOKED, key, texts.booked(appointment), now)


def _withdraw_reminders(appointment: Appointment) -> None:
    """A reminder or closure notice not yet sent no longer fits a moved or cancelled booking."""
    db.session.execute(
        update(Notification)
        .where(
            Notification.appointment_id == appointment.id,
            Notification.kind.in_([NotificationKind.REMINDER, NotificationKind.CLOSURE]),
            Notification.state == NotificationState.PENDING,
        )
        .values(
            state=NotificationState.NOT_SENT,
            last_error="withdrawn: the booking changed",
            address=None,
        )
    )


@booking_signals.appointment_moved.connect
def _moved(appointment: Appointment, *, now: datetime, **_: Any) -> None:
    _withdraw_reminders(appointment)
    key = f"moved:{appointment.id}:{appointment.service_date}:{appointment.start_time}"
    _to_booking(appointment, NotificationKind.MOVED, key, texts.moved(appointment), now)


@booking_signals.appointment_cancelled.connect
def _cancelled(appointment: Appointment, *, now: datetime, **_: Any) -> None:
    _withdraw_reminders(appointment)
    key = f"cancelled:{appointment.id}"
    _to_booking(appointment, NotificationKind.CANCELLED, key, texts.cancelled(appointment), now)


@booking_signals.bookings_stranded.connect
def _closure(center: Any, *, appointments: list[Appointment], now: datetime, **more: Any) -> None:
    """The center closed a day: every booking of it with consent is told (after quiet hours)."""
    hold = quiet_until(now, center.timezone)
    for appointment in appointments:
        if appointment.notify_consent_dt is None:
            continue
        text = texts.closure(appointment, more.get("reason_zh", ""), more.get("reason_en", ""))
        enqueue(
            key=f"closure:{appointment.id}:{appointment.service_date}",
            kind=NotificationKind.CLOSURE,
            center_id=appointment.center_id,
            address=appointment.phone,
            locale=appointment.notify_locale or "zh_CN",
            text=text,
            now=now,
            appointment_id=appointment.id,
            not_before=hold,
        )
