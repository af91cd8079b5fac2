"""Delivering the outbox: claim a batch, send each message, record how it ended.

Several workers on several hosts may run at once. A claim takes due messages under a lock
(``FOR UPDATE SKIP LOCKED`` on PostgreSQL: each worker gets others' leftovers; ``BEGIN
IMMEDIATE`` on SQLite: claims queue) and marks them held by its claim until a lease ends. A
worker that dies holding messages loses nothing: when the lease ends another claims them and
sends them again with the same idempotency key, so an idempotent provider delivers each once.
A worker whose lease ran out writes nothing about the message (the claim is no longer its).
A batch's outcomes are recorded together once it is sent: a worker killed mid-batch leaves its
whole batch to be sent again (same keys), which an idempotent provider delivers once.

Failures are retried with exponential backoff and jitter, up to ``NOTIFY_MAX_ATTEMPTS`` tries;
a permanent error (a bad number) ends the message at once. Either way the reason is kept. The
address is erased once a message has ended.
"""

from __future__ import annotations

import json
import logging
import random
import secrets
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, or_, select, update

from ..clock import now_utc
from ..db import db, write_transaction
from .channels import Channel as Sender
from .channels import DeliveryError, Outgoing
from .models import Notification, NotificationState
from .near import Sweep
from .outbox import channels

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Claimed:
    """A message held by this worker, with what sending it needs (read in the claim)."""

    id: int
    claim: str
    attempts: int = 0
    outgoing: Outgoing | None = None  #: None: its address is gone (nothing to send to)


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
    claimed = []
    for message in due:
        message.state = NotificationState.SENDING
        message.claim = claim
        message.lease_until = now + lease
        message.attempts += 1
        outgoing = _outgoing(message) if message.address else None
        claimed.append(Claimed(message.id, claim, message.attempts, outgoing))
    db.session.commit()
    return claimed


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


Outcome = tuple[NotificationState, str, str | None]  #: state, reason, provider's id


def send(claimed: Claimed, senders: dict[str, Sender]) -> Outcome:
    """Hand one claimed message to its channel; nothing is held while the provider answers."""
    sender = senders.get(claimed.outgoing.channel) if claimed.outgoing else None
    if sender is None or claimed.outgoing is None:
        return (NotificationState.NOT_SENT, "not sent: no channel", None)
    try:
        provider_id = sender.send(claimed.outgoing)
    except DeliveryError as exc:
        give_up = exc.permanent or claimed.attempts >= current_app.config["NOTIFY_MAX_ATTEMPTS"]
        state = NotificationState.FAILED if give_up else NotificationState.PENDING
        return (state, exc.reason[:200], None)
    except Exception as exc:  # noqa: BLE001  a message the channel cannot even build
        # ends here: retrying cannot help, and letting it escape would stop the worker and
        # hand the same batch to the next one, again and again (the type only: no address)
        return (NotificationState.FAILED, f"not sendable: {type(exc).__name__}", None)
    return (NotificationState.SENT, "", (provider_id or "")[:100])


def deliver(claimed: Claimed, senders: dict[str, Sender], *, clock: Callable[[], datetime]) -> str:
    """Send one claimed message and record the result; return how it ended (a state value,
    or "lost" when another worker holds it now)."""
    return record([(claimed, send(claimed, senders))], now=clock())[0]


#: a claimed message not sent yet is handed back (to be claimed again at once)
RELEASED = (NotificationState.PENDING, "", None)


def record(results: list[tuple[Claimed, Outcome]], *, now: datetime) -> list[str]:
    """Record how each message ended, in one transaction; a message whose claim is no longer
    this worker's (its lease ran out and another took it over) is left to that one: "lost"."""
    write_transaction()
    ended = []
    for claimed, (state, reason, provider_id) in results:
        values: dict[str, object] = {
            "state": state,
            "last_error": reason,
            "claim": None,
            "lease_until": None,
        }
        if (state, reason, provider_id) == RELEASED:
            values.update(next_attempt_dt=now, attempts=claimed.attempts - 1)
        elif state is NotificationState.PENDING:
            values["next_attempt_dt"] = now + backoff(claimed.attempts)
        else:
            values["address"] = None  # ended: the address is no longer needed
            if state is NotificationState.SENT:
                values.update(sent_dt=now, provider_id=provider_id)
        done = db.session.execute(
            update(Notification)
            .where(Notification.id == claimed.id, Notification.claim == claimed.claim)
            .values(**values)
            .returning(Notification.id)
        ).first()
        ended.append(state.value if done is not None else "lost")
    db.session.commit()
    return ended


def work(
    *,
    once: bool = False,
    idle_seconds: float = 2.0,
    clock: Callable[[], datetime] = now_utc,
    should_stop: Callable[[], bool] = lambda: False,
) -> Counter[str]:
    """Deliver until stopped (``once``: until nothing is due); return how the messages ended.

    Each round first tells those a change moved within N of their turn (``near.Sweep``), so
    their message goes out in the same round; a long batch looks again every SWEEP_EVERY."""
    senders = channels()
    ended: Counter[str] = Counter()
    sweep = Sweep()
    looked_at = -SWEEP_EVERY

    def look(*, unless_recent: bool = False) -> None:
        nonlocal looked_at
        if unless_recent and time.monotonic() - looked_at < SWEEP_EVERY:
            return
        looked_at = time.monotonic()
        try:
            sweep(now=clock())
        except Exception:  # noqa: BLE001  a failing look must not stop delivery
            db.session.rollback()
            log.exception("the look for tickets near their turn failed; delivery goes on")

    while not should_stop():
        look()
        batch = claim_batch(now=clock())
        if not batch:
            if once:
                break
            time.sleep(idle_seconds)
            continue
        ended.update(
            deliver_batch(
                batch,
                senders,
                clock=clock,
                should_stop=should_stop,
                between=lambda: look(unless_recent=True),
            )
        )
    return ended


#: while a batch is being sent (a slow provider may take a minute), the floors are looked at
#: again this often: a ticket called before its round would never be told "N ahead"
SWEEP_EVERY = 2.0


#: outcomes are recorded after this many messages (one transaction for them)
RECORD_EVERY = 10


def deliver_batch(
    batch: list[Claimed],
    senders: dict[str, Sender],
    *,
    clock: Callable[[], datetime],
    should_stop: Callable[[], bool] = lambda: False,
    between: Callable[[], None] = lambda: None,
) -> Counter[str]:
    """Send a claimed batch, recording the outcomes every RECORD_EVERY messages; ``between()``
    runs before each message (the worker's look for tickets near their turn, when due).

    Past half the lease (a slow provider), or when asked to stop, the messages not sent yet
    are handed back rather than kept: their lease must never run out while this worker still
    sends, or another worker would send them too.
    """
    ended: Counter[str] = Counter()
    lease = current_app.config["NOTIFY_LEASE_SECONDS"]
    started = time.monotonic()
    results: list[tuple[Claimed, Outcome]] = []
    for n, claimed in enumerate(batch):
        if should_stop() or time.monotonic() - started > lease / 2:
            results += [(rest, RELEASED) for rest in batch[n:]]
            break
        between()
        results.append((claimed, send(claimed, senders)))
        if len(results) >= RECORD_EVERY:
            ended.update(record(results, now=clock()))
            results = []
    if results:
        ended.update(record(results, now=clock()))
    return ended
