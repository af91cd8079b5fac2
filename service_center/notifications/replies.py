"""Unsubscribing by SMS reply: a resident answers a message with 退订 / TD (or STOP) and no
more messages go to that phone.

The provider forwards replies to ``POST /api/v1/notifications/sms-replies`` (with the shared
token NOTIFY_SMS_REPLY_TOKEN). A reply keyword withdraws every consent the phone holds now: the
到号提醒 of its open tickets (their address erased at once) and the messages about its
bookings; messages not sent yet are withdrawn with them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from ..booking import services as booking
from ..booking.models import Appointment, AppointmentState
from ..db import db, write_transaction
from ..queueing import services as queueing
from ..queueing.models import FINAL_STATES, Ticket
from ..validators import PersonalDataError, clean_mobile

#: what a reply may say to unsubscribe (case and spaces ignored): the keywords Chinese SMS
#: senders print ("回T退订", "回TD退订") and the usual English ones
STOP_WORDS = frozenset({"t", "td", "n", "退订", "取消", "stop", "unsubscribe"})


@dataclass(frozen=True)
class ReplyOutcome:
    stopped: bool  #: the reply was an unsubscribe keyword from a mobile number
    tickets: int = 0  #: open tickets whose 到号提醒 ended
    bookings: int = 0  #: bookings whose messages ended


def is_stop_word(text: str) -> bool:
    return "".join(text.split()).lower() in STOP_WORDS


def handle_reply(phone: str, text: str, *, now: datetime) -> ReplyOutcome:
    """Act on a resident's reply: an unsubscribe keyword ends every consent of the phone."""
    if not is_stop_word(text):
        return ReplyOutcome(stopped=False)
    try:
        phone = clean_mobile(phone)
    except PersonalDataError:
        return ReplyOutcome(stopped=False)
    write_transaction()
    tickets = list(
        db.session.scalars(
            select(Ticket).where(Ticket.notify_address == phone, Ticket.state.not_in(FINAL_STATES))
        )
    )
    for ticket in tickets:
        queueing.opt_out(ticket, now=now)
    appointments = list(
        db.session.scalars(
            select(Appointment).where(
                Appointment.phone == phone,
                Appointment.state == AppointmentState.BOOKED,
                Appointment.notify_consent_dt.is_not(None),
            )
        )
    )
    for appointment in appointments:
        booking.stop_messages(appointment, now=now)
    return ReplyOutcome(stopped=True, tickets=len(tickets), bookings=len(appointments))
