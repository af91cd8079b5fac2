"""Many residents book the last places of one slot at the same instant.

Ten app processes (each with its own app and connections) and ten API threads race
for a slot with 3 places left, on SQLite and on PostgreSQL: exactly 3 win, the rest hear the
slot is full, and the database agrees.
"""

from __future__ import annotations

import threading
from datetime import date, time
from typing import Any

import pytest
from sqlalchemy import func, select

from service_center import create_app
from service_center.booking import services as booking
from service_center.booking.models import Appointment, AppointmentState, BookingSlot
from service_center.catalogue.models import Center, ServiceItem
from service_center.db import db
from tests.conftest import base_config
from tests.fixtures.booking import BOOKING_NOW, NO_LIMITS, TOMORROW
from tests.processes import CONTEXT

pytestmark = pytest.mark.race

WORKERS = 10
SLOT = time(10)


@pytest.fixture
def app_config() -> dict[str, Any]:
    return dict(NO_LIMITS)


@pytest.fixture
def three_left(world, create_appointment) -> dict[str, Any]:
    """The 10:00 slot of tomorrow at a center of 5 places, 2 already taken."""
    world.center.slot_capacity = 5
    db.session.commit()
    create_appointment(start=SLOT, phone="13700000001")
    create_appointment(start=SLOT, phone="13700000002")
    ids = {"center_id": world.center.id, "item_id": world.items.licence.id}
    db.session.commit()
    db.session.close()  # hold no connection while the others race
    return ids


def _book_in_own_process(
    url: str, center_id: int, item_id: int, phone: str, barrier: Any, results: Any
) -> None:
    """One app process: load, wait for the others, then book the slot."""
    app = create_app(base_config(url))
    with app.app_context():
        try:
            center = db.session.get_one(Center, center_id)
            item = db.session.get_one(ServiceItem, item_id)
            barrier.wait(timeout=60)
            appointment = booking.book_appointment(
                center, item, TOMORROW, SLOT, name="抢号", phone=phone, now=BOOKING_NOW
            )
            db.session.commit()
            results.put(("booked", appointment.code))
        except booking.SlotFull:
            db.session.rollback()
            results.put(("full", None))
        except Exception as exc:  # reported to the test, which fails on it
            db.session.rollback()
            results.put(("error", repr(exc)))
        finally:
            db.session.remove()
            db.engine.dispose()


def _assert_database_agrees(center_id: int, winners: list[str]) -> None:
    db.session.expire_all()
    slot = db.session.scalar(
        select(BookingSlot).where(
            BookingSlot.center_id == center_id,
            BookingSlot.service_date == TOMORROW,
            BookingSlot.start_time == SLOT,
        )
    )
    holding = db.session.scalar(
        select(func.count(Appointment.id)).where(
            Appointment.center_id == center_id,
            Appointment.service_date == TOMORROW,
            Appointment.start_time == SLOT,
            Appointment.state == AppointmentState.BOOKED,
        )
    )
    assert slot.booked == holding == 5
    codes = db.session.scalars(select(Appointment.code)).all()
    assert len(codes) == len(set(codes)) == 5
    assert set(winners) <= set(codes)


def test_processes_racing_for_three_places_get_exactly_three(database_url, three_left):
    barrier = CONTEXT.Barrier(WORKERS)
    results = CONTEXT.Queue()
    workers = [
        CONTEXT.Process(
            target=_book_in_own_process,
            args=(
                database_url,
                three_left["center_id"],
                three_left["item_id"],
                f"1360000{n:04d}",
                barrier,
                results,
            ),
        )
        for n in range(WORKERS)
    ]
    for worker in workers:
        worker.start()
    outcomes = [results.get(timeout=120) for _ in workers]
    for worker in workers:
        worker.join(timeout=30)
    assert [o for o in outcomes if o[0] == "error"] == []
    winners = [code for kind, code in outcomes if kind == "booked"]
    assert len(winners) == 3
    assert sum(kind == "full" for kind, _ in outcomes) == WORKERS - 3
    _assert_database_agrees(three_left["center_id"], winners)


def _race_threads(app, bodies: list[dict[str, Any]]) -> list[Any]:
    barrier = threading.Barrier(len(bodies))
    responses: list[Any] = [None] * len(bodies)

    def post(index: int) -> None:
        client = app.test_client()
        barrier.wait(timeout=30)
        responses[index] = client.post(
            "/api/v1/appointments", json=bodies[index], headers={"Accept-Language": "en"}
        )

    threads = [threading.Thread(target=post, args=(i,)) for i in range(len(bodies))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return responses


def test_api_threads_racing_for_three_places_get_three_201_and_409s(
    app, world, three_left, booking_clock
):
    body = {
        "center": "testtown",
        "service": three_left["item_id"],
        "date": TOMORROW.isoformat(),
        "start": "10:00",
        "name": "抢号",
    }
    responses = _race_threads(app, [{**body, "phone": f"1350000{n:04d}"} for n in range(WORKERS)])
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] * 3 + [409] * (WORKERS - 3)
    problems = [r.get_json() for r in responses if r.status_code == 409]
    assert all(p["status"] == 409 and "full" in p["detail"] for p in problems)
    _assert_database_agrees(
        three_left["center_id"], [r.get_json()["code"] for r in responses if r.status_code == 201]
    )


def test_one_phone_racing_across_slots_stays_within_its_limit(app, world, booking_clock):
    """Different slots do not share a lock: the per-phone lock keeps the limit of 2."""
    starts = ["09:00", "09:30", "10:00", "10:30", "11:00", "11:30", "13:30", "14:00"]
    items = [
        world.items.licence,
        world.items.licence_change,
        world.items.food,
        world.items.project,
        world.items.marriage,
        world.items.allowance,
    ]
    bodies = [
        {
            "center": world.center.code,
            "service": items[n % len(items)].id,
            "date": date(2026, 11, 27 + n // len(items) * 3).isoformat(),
            "start": start,
            "name": "同号",
            "phone": "13511112222",
        }
        for n, start in enumerate(starts)
    ]
    db.session.close()
    responses = _race_threads(app, bodies)
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] * 2 + [409] * (len(starts) - 2)
    db.session.expire_all()
    assert (
        db.session.scalar(
            select(func.count(Appointment.id)).where(Appointment.phone == "13511112222")
        )
        == 2
    )
