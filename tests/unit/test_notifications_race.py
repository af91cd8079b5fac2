"""Delivery under races, on SQLite and PostgreSQL, each worker a process with its own
connection: three workers never send the same message twice; a worker killed in the middle of
its batch loses nothing and, to an idempotent provider, sends nothing twice."""

from __future__ import annotations

import time
from collections import Counter

import pytest
from sqlalchemy import select

from service_center.db import db
from service_center.notifications.models import Notification, NotificationKind, NotificationState
from service_center.notifications.outbox import enqueue
from tests import race_workers
from tests.fixtures.notifications import webhook_config
from tests.processes import CONTEXT
from tests.unit.test_queue_races import run_workers

pytestmark = pytest.mark.race


@pytest.fixture
def app_config(gateway):
    return webhook_config(gateway)


def write_messages(world, clock, count: int) -> None:
    for n in range(count):
        enqueue(
            key=f"test:{n}",
            kind=NotificationKind.CALLED,
            center_id=world.center.id,
            address=f"139{n:08d}",
            locale="zh_CN",
            text={"body": lambda n=n: f"message {n}"},
            now=clock.now,
        )
    db.session.commit()


def states() -> Counter:
    db.session.remove()  # a fresh snapshot: the workers wrote meanwhile
    return Counter(db.session.scalars(select(Notification.state)))


def test_three_workers_send_each_message_exactly_once(app, database_url, world, clock, gateway):
    write_messages(world, clock, 150)
    db.session.remove()
    outcome = run_workers(
        [(race_workers.notification_worker, (database_url, gateway.url, 60)) for _ in range(3)]
    )
    sent = sum(ended.get("sent", 0) for _, _, ended in outcome)
    assert sent == 150
    keys = Counter(r["key"] for r in gateway.requests)
    assert len(keys) == 150 and set(keys.values()) == {1}  # not even a duplicate request
    assert states() == {NotificationState.SENT: 150}
    assert sum(1 for _, _, ended in outcome if ended.get("sent")) >= 2, "one worker did all"


def test_a_killed_worker_loses_nothing_and_sends_nothing_twice(
    app, database_url, world, clock, gateway
):
    write_messages(world, clock, 30)
    db.session.remove()
    stalled = CONTEXT.Event()
    results = CONTEXT.Queue()
    doomed = CONTEXT.Process(
        target=race_workers.notification_worker,
        args=(database_url, gateway.url, 2, results),
        kwargs={"stall": stalled},
    )
    doomed.start()
    assert stalled.wait(timeout=120), "the worker never sent"
    doomed.kill()  # SIGKILL in the middle of its batch: no clean-up runs
    doomed.join(timeout=30)
    assert states()[NotificationState.SENDING] == 10  # its batch, held
    db.session.remove()
    time.sleep(2.5)  # its lease (2 s) runs out
    (outcome,) = run_workers([(race_workers.notification_worker, (database_url, gateway.url, 2))])
    assert outcome[2] == {"sent": 30}
    assert states() == {NotificationState.SENT: 30}
    assert len(gateway.delivered) == 30  # each message delivered once
    keys = Counter(r["key"] for r in gateway.requests)
    assert sorted(keys.values()) == [1] * 29 + [2]  # the one in flight went again, same key
