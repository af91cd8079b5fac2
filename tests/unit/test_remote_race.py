"""The caps of remote tickets hold under a real race, on SQLite and PostgreSQL: processes with
their own connections take tickets from the same phone and from others at once."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import select

from service_center.db import db
from service_center.queueing.models import Ticket
from tests import remote_workers
from tests.fixtures.queueing import OPENING_MORNING
from tests.unit.test_queue_races import run_workers

pytestmark = pytest.mark.race


def test_the_daily_cap_and_the_cap_per_phone_hold_under_a_race(world, database_url):
    center = world.center
    center.remote_tickets = True
    center.remote_daily_cap = 5
    center.remote_per_phone = 2
    db.session.commit()
    item_id = world.items.licence.id
    same = "13800000001"
    phones = [same, same, "13800000002", "13800000003"]  # at most 2 + 2 + 2 = 6 > the cap
    results = run_workers(
        [
            (
                remote_workers.remote_taker,
                (database_url, "testtown", item_id, phone, 3, OPENING_MORNING),
            )
            for phone in phones
        ]
    )
    taken: Counter[str] = Counter()
    refused: Counter[str] = Counter()
    for phone, answers in results:
        for answer in answers:
            if answer.endswith("cap"):
                refused[answer] += 1
            else:
                taken[phone] += 1
    assert sum(taken.values()) == 5  # exactly the daily cap
    assert all(n <= 2 for n in taken.values())  # never more than 2 for a phone
    assert sum(refused.values()) == 12 - 5
    db.session.rollback()  # a fresh snapshot: the workers' commits
    tickets = db.session.scalars(select(Ticket).where(Ticket.is_remote)).all()
    assert len(tickets) == 5
    assert len({t.number for t in tickets}) == 5  # and every number once
    assert Counter(t.notify_address for t in tickets)[same] <= 2
