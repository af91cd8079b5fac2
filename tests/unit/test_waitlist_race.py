"""A full day's places freed, offered, taken, declined, lapsed and booked directly, all at once.

Separate app processes (each with its own connections) on SQLite and PostgreSQL:
three cancel the day's six bookings while two book its slots directly, one joins its line, two
take every offer they see, one declines them, one sweeps them as lapsed, and one watches the
slots. No slot
ever holds more than its places (bookings and held offers, read in one statement), the
counters agree with the rows at the end, every entry is offered a place at most once and
holds at most one booking, nobody waits in line beside a free place, and nobody deadlocks.
"""

from __future__ import annotations

import time
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from service_center.booking.availability import HOLDING
from service_center.booking.models import Appointment, WaitlistEntry, WaitlistState
from service_center.db import db
from service_center.notifications.models import Notification, NotificationKind
from tests import waitlist_race_workers as workers
from tests.fixtures.booking import BOOKING_NOW, NO_LIMITS
from tests.processes import CONTEXT
from tests.waitlist_support import HALF_NINE, NINE, counter, fill, holding, join, short_friday

pytestmark = pytest.mark.race

CAPACITY = 3
IN_LINE = 8


@pytest.fixture
def app_config() -> dict[str, Any]:
    return dict(NO_LIMITS)


@pytest.fixture
def scene(world) -> dict[str, Any]:
    """The short Friday's six places booked, eight residents in its line."""
    short_friday(world, capacity=CAPACITY)
    booked = fill(world)
    for n in range(IN_LINE):
        join(world, now=BOOKING_NOW + timedelta(seconds=n))
    ids = {
        "center_id": world.center.id,
        "item_id": world.items.licence.id,
        "appointments": [a.id for a in booked],
    }
    db.session.close()  # hold no connection while the others race
    return ids


def test_freed_places_go_to_one_resident_at_a_time_and_never_overfill(database_url, scene):
    stop = CONTEXT.Event()
    results = CONTEXT.Queue()
    ids = scene["appointments"]
    plans: list[tuple[Any, tuple[Any, ...]]] = [
        (workers.canceller, (database_url, [ids[0], ids[5]])),
        (workers.canceller, (database_url, [ids[3], ids[1]])),
        (workers.canceller, (database_url, [ids[4], ids[2]])),
        *(
            (
                workers.booker,
                (
                    database_url,
                    scene["center_id"],
                    scene["item_id"],
                    [f"1370{b}{n:06d}" for n in range(400)],
                    stop,
                ),
            )
            for b in range(2)
        ),
        (
            workers.joiner,
            (
                database_url,
                scene["center_id"],
                scene["item_id"],
                [f"1380{n:07d}" for n in range(400)],
                stop,
            ),
        ),
        (workers.taker, (database_url, False, stop)),
        (workers.taker, (database_url, False, stop)),
        (workers.taker, (database_url, True, stop)),
        (workers.sweeper, (database_url, stop)),
        (workers.monitor, (database_url, scene["center_id"], stop)),
    ]
    barrier = CONTEXT.Barrier(len(plans))
    processes = [
        CONTEXT.Process(target=target, args=(*args, barrier, results)) for target, args in plans
    ]
    for process in processes:
        process.start()
    outcomes: list[tuple[str, str, Any]] = []
    while sum(o[0] == "canceller" for o in outcomes) < 3 and not any(
        o[1] == "error" for o in outcomes
    ):
        outcomes.append(results.get(timeout=180))
    time.sleep(2)  # the rest keep racing over what the cancellations freed
    stop.set()
    outcomes += [results.get(timeout=120) for _ in range(len(plans) - len(outcomes))]
    for process in processes:
        process.join(timeout=30)

    assert [o for o in outcomes if o[1] == "error"] == []
    by_name: dict[str, list[Any]] = {}
    for name, _, value in outcomes:
        by_name.setdefault(name, []).append(value)
    assert sum(len(done) for done in by_name["canceller"]) == 6
    [most] = by_name["monitor"]
    assert most["09:00"] <= CAPACITY and most["09:30"] <= CAPACITY

    db.session.expire_all()
    center_id = scene["center_id"]
    for start in (NINE, HALF_NINE):
        assert counter(center_id, start) == holding(center_id, start) <= CAPACITY
    entries = list(db.session.scalars(select(WaitlistEntry)))
    if any(e.state is WaitlistState.WAITING for e in entries):  # nobody waits beside a free place
        assert [holding(center_id, start) for start in (NINE, HALF_NINE)] == [CAPACITY] * 2
    phones = {e.phone: e for e in entries}
    held_by_entries = Counter(
        a.phone
        for a in db.session.scalars(select(Appointment).where(Appointment.state.in_(HOLDING)))
        if a.phone in phones
    )
    assert all(n == 1 for n in held_by_entries.values())  # nobody in line got two places
    booked = {e.phone for e in entries if e.state is WaitlistState.BOOKED}
    assert booked == set(held_by_entries)
    assert all(e.appointment_id is not None for e in entries if e.state is WaitlistState.BOOKED)
    offers = Counter(
        n.key.split(":")[1]
        for n in db.session.scalars(
            select(Notification).where(Notification.kind == NotificationKind.OFFER)
        )
    )
    assert offers and max(offers.values()) == 1  # every entry was offered a place at most once
    taken = [t for done in by_name["taker"] for t in done["done"]]
    assert len(taken) == len(set(taken)) == len(booked)  # each offer taken by one taker
