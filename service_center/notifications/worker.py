"""Delivering the outbox: claim a batch, send each message, record how it ended.

Several workers on several hosts may run at once. A claim takes due messages under a lock
(``FOR UPDATE SKIP LOCKED`` on PostgreSQL: each worker gets others' leftovers; ``BEGIN
IMMEDIATE`` on SQLite: claims queue) and marks them held by its claim until a lease ends. A
worker that dies holding messages loses nothing: when the lease ends another claims them and
sends them again with the same idempotency key, so an idempotent provider delivers each once.
A worker whose lease ran out writes nothing about the message (the claim is no longer its).

Failures are retried with exponential backoff and jitter, up to ``NOTIFY_MAX_ATTEMPTS`` tries;
a permanent error (a bad number) ends the message at once. Either way the reason is kept. The
address is erased once a message has ended.
"""

from __future__ import annotations

import json
import random
import secrets
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, or_, select

from ..clock import now_utc
from ..db import db, write_transaction
from .channels import Channel as Sender
from .channels import DeliveryError, Outgoing
from .models import Notification, NotificationState
from .outbox import channels


@dataclass(frozen=True)
class Claimed:
    id: int
    claim: str


def claim_batch(*, now: datetime, size: int | None = None) -> list[Claimed]:
    """Hold up to ``size`` due messages for this worker (committed before any is sent)."""
    size = size or current_app.config["NOTIFY_BATCH"]
    lease = timedelta(seconds=current_app.config["NOTIFY_LEASE_SECONDS"])
    claim = secrets.token_hex(8)
    write_transaction()
    due = db.session.scalars(
        select(Notification)
        .where(
            or_(
                and_(
                    Notification.state == NotificationState.PENDING,
                    Notification.next_attempt_dt <= now,
                ),
                and_(
                    Notification.state == NotificationState.SENDING,
                    Notification.lease_until < now,
                ),
            )
        )
        .order_by(Notification.next_attempt_dt, Notification.id)
        .limit(size)
        .with_for_update(skip_locked=True)
    ).all()
    for message in due:
        message.state = NotificationState.SENDING
        message.claim = claim
        message.lease_until = now + lease
        message.attempts += 1
    db.session.commit()
    return [Claimed(message.id, claim) for message in due]


def backoff(attempts: int) -> timedelta:
    """The wait before try ``attempts + 1``: doubling from NOTIFY_RETRY_SECONDS, capped, and
    jittered (half to the whole of it), so failing workers do not retry in step."""
    config = current_app.config
    ceiling = min(
        config["NOTIFY_RETRY_MAX_SECONDS"], config["NOTIFY_RETRY_SECONDS"] * 2 ** (attempts - 1)
    )
    return timedelta(seconds=ceiling * (0.5 + random.random() / 2))


def _outgoing(message: Notification) -> Outgoing:
    return Outgoing(
        key=message.key,
        channel=message.channel.value,
        address=message.address or "",
        kind=message.kind.value,
        params=json.loads(message.params or "{}"),
        text=message.body,
        subject=message.subject,
    )


def deliver(claimed: Claimed, senders: dict[str, Sender], *, clock: Callable[[], datetime]) -> str:
    """Send one claimed message and record the result; return how it ended (a state value,
    or "lost" when another worker holds it now)."""
    message = db.session.get(Notification, claimed.id)
    if message is None or message.claim != claimed.claim:
        db.session.rollback()
        return "lost"
    sender = senders.get(message.channel.value)
    outgoing = _outgoing(message) if message.address else None
    attempts = message.attempts
    db.session.rollback()  # nothing is held while the provider answers
    outcome: tuple[NotificationState, str, str | None]
    if sender is None or outgoing is None:
        outcome = (NotificationState.NOT_SENT, "not sent: no channel", None)
    else:
        try:
            provider_id = sender.send(outgoing)
        except DeliveryError as exc:
            give_up = exc.permanent or attempts >= current_app.config["NOTIFY_MAX_ATTEMPTS"]
            state = NotificationState.FAILED if give_up else NotificationState.PENDING
            outcome = (state, exc.reason[:200], None)
        else:
            outcome = (NotificationState.SENT, "", (provider_id or "")[:100])
    return _record(claimed, outcome, now=clock())


def _record(
    claimed: Claimed, outcome: tuple[NotificationState, str, str | None], *, now: datetime
) -> str:
    state, reason, provider_id = outcome
    write_transaction()
    message = db.session.get(Notification, claimed.id, with_for_update=True, populate_existing=True)
    if message is None or message.claim != claimed.claim:
        db.session.rollback()
        return "lost"  # our lease ran out and another worker took it over
    message.state = state
    message.last_error = reason
    message.claim = None
    message.lease_until = None
    if state is NotificationState.PENDING:
        message.next_attempt_dt = now + backoff(message.attempts)
    else:
        message.address = None  # ended: the address is no longer needed
        if state is NotificationState.SENT:
            message.sent_dt = now
            message.provider_id = provider_id
    db.session.commit()
    return state.value


def work(
    *,
    once: bool = False,
    idle_seconds: float = 2.0,
    clock: Callable[[], datetime] = now_utc,
    should_stop: Callable[[], bool] = lambda: False,
) -> Counter[str]:
    """Deliver until stopped (``once``: until nothing is due); return how the messages ended."""
    senders = channels()
    ended: Counter[str] = Counter()
    while not should_stop():
        batch = claim_batch(now=clock())
        if not batch:
            if once:
                break
            time.sleep(idle_seconds)
            continue
        for claimed in batch:
            ended[deliver(claimed, senders, clock=clock)] += 1
    return ended
