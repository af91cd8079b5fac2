"""The outbox (``Notification``): every message to a resident, from its trigger to its end.

Consent lives with what it is given for: a ticket's ``notify_address`` (到号提醒, typed at the
kiosk; erased when the ticket closes) and a booking's ``notify_consent_dt`` (its own phone).
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..db import UTCDateTime, db, str_enum


class Channel(enum.StrEnum):
    SMS = "sms"
    EMAIL = "email"


class NotificationKind(enum.StrEnum):
    BOOKED = "booked"  #: booking made (code and manage link)
    MOVED = "moved"
    CANCELLED = "cancelled"
    REMINDER = "reminder"  #: the afternoon before the booked day
    CLOSURE = "closure"  #: the center closed the booked day
    AHEAD = "ahead"  #: "N people ahead of you, please come to the hall"
    CALLED = "called"  #: "called to window K"
    MISSED = "missed"  #: a no-show: how to requeue and until when
    RATE = "rate"  #: after completion: the rating link
    TAKEN = "taken"  #: a remote ticket taken: its number, how many ahead, its page
    WARNED = "warned"  #: a missed booking: the warning before a bar
    BARRED = "barred"  #: missed bookings: no booking at the center until a date
    OFFER = "offer"  #: a place freed on a full day, held for the first on its waiting list
    BREACH = "breach"  #: to the supervisor on duty: a service-level limit was breached


class NotificationState(enum.StrEnum):
    PENDING = "pending"  #: waiting for a worker (or for its next try)
    SENDING = "sending"  #: a worker holds it until ``lease_until``
    SENT = "sent"
    FAILED = "failed"  #: given up: a permanent error or out of tries (``last_error``)
    NOT_SENT = "not_sent"  #: no channel is configured for it


#: the states a notification ends in
FINAL = (NotificationState.SENT, NotificationState.FAILED, NotificationState.NOT_SENT)


class Notification(db.Model):
    """One message to a resident, written in the transaction of the change that causes it
    (the outbox) and delivered later by ``flask notifications work``.

    ``key`` is unique: a trigger that fires twice writes one row, and the provider gets it as
    its idempotency key, so a retry after a worker died never sends twice.
    """

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    center_id: Mapped[int] = mapped_column(ForeignKey("centers.id", ondelete="CASCADE"))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"))
    appointment_id: Mapped[int | None] = mapped_column(
        ForeignKey("appointments.id", ondelete="SET NULL")
    )
    kind: Mapped[NotificationKind] = mapped_column(str_enum(NotificationKind, "notification_kind"))
    channel: Mapped[Channel] = mapped_column(str_enum(Channel, "channel"))
    #: the phone or e-mail address; erased once the message has ended (sent, failed, not sent)
    address: Mapped[str | None] = mapped_column(String(254))
    #: a keyed hash of the address (HMAC with the app's secret): the rate limit per phone
    #: still counts once the address itself is erased
    address_key: Mapped[str] = mapped_column(String(32), default="")
    subject: Mapped[str] = mapped_column(String(200), default="")
    body: Mapped[str] = mapped_column(Text)  #: never a name or an ID number
    params: Mapped[str] = mapped_column(Text, default="{}")  #: the template's parameters (JSON)
    state: Mapped[NotificationState] = mapped_column(
        str_enum(NotificationState, "notification_state"), default=NotificationState.PENDING
    )
    attempts: Mapped[int] = mapped_column(default=0)
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime)
    next_attempt_dt: Mapped[datetime] = mapped_column(UTCDateTime)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: the claim of the worker holding it (a worker that lost its lease writes nothing)
    claim: Mapped[str | None] = mapped_column(String(32))
    sent_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    provider_id: Mapped[str | None] = mapped_column(String(100))
    last_error: Mapped[str] = mapped_column(String(200), default="")

    __table_args__ = (
        # the workers' claim: the due messages, oldest first
        Index("ix_notifications_due", "state", "next_attempt_dt"),
        Index("ix_notifications_ticket", "ticket_id"),
        Index("ix_notifications_center_state", "center_id", "state", "channel"),
        # the rate limits: per address and per center over the last hour
        Index("ix_notifications_address_created", "address_key", "created_dt"),
        Index("ix_notifications_center_created", "center_id", "created_dt"),
    )
