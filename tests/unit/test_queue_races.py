"""Real races on SQLite and PostgreSQL: separate processes, each with its own connection."""

from __future__ import annotations

import queue
import time
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from service_center.db import db
from service_center.queueing import services
from service_center.queueing.models import Case, EventKind, Ticket, TicketEvent, TicketState
from service_center.windows.models import Window, WindowState
from tests import race_workers
from tests.processes import CONTEXT

pytestmark = pytest.mark.race


def run_workers(targets: list[tuple], timeout: float = 240) -> list[tuple]:
    """Start one process per target, wait for each one's result; fail fast if one dies."""
    results = CONTEXT.Queue()
    processes = [CONTEXT.Process(target=fn, args=(*args, results)) for fn, args in targets]
    for process in processes:
        process.start()
    collected: list[tuple] = []
    deadline = time.monotonic() + timeout
    try:
        while len(collected) < len(processes):
            assert time.monotonic() < deadline, "workers did not finish in time"
            try:
                collected.append(results.get(timeout=0.5))
            except queue.Empty:
                dead = [p.exitcode for p in processes if p.exitcode not in (None, 0)]
                assert not dead, f"a worker process failed (exit codes {dead})"
    finally:
        for process in processes:
            process.join(timeout=30)
            if process.is_alive():
                process.kill()
    assert all(p.exitcode == 0 for p in processes)
    return collected


@pytest.fixture
def eight_windows(world, open_windows):
    """Eight open windows of testtown with overlapping skills."""
    items = world.items
    extra = [
        Window(
            center=world.center,
            number=5,
            name_zh="商事",
            name_en="Business",
            services=[items.licence, items.licence_change],
        ),
        Window(
            center=world.center,
            number=6,
            name_zh="商事投资",
            name_en="Business, investment",
            services=[items.licence_change, items.food, items.project],
        ),
        Window(
            center=world.center,
            number=7,
            name_zh="综合",
            name_en="Comprehensive",
            is_comprehensive=True,
        ),
        Window(
            center=world.center,
            number=8,
            name_zh="民生商事",
            name_en="Livelihood, business",
            services=[items.marriage, items.allowance, items.licence],
        ),
    ]
    for window in extra:
        window.state = WindowState.OPEN
    db.session.add_all(extra)
    db.session.commit()
    return [
        world.windows.business,
        world.windows.mixed,
        world.windows.livelihood,
        world.windows.comprehensive,
        *extra,
    ]


def test_call_next_hands_every_ticket_to_exactly_one_window(
    app, database_url, world, eight_windows, clock
):
    items = [
        world.items.licence,
        world.items.licence_change,
        world.items.food,
        world.items.project,
        world.items.marriage,
        world.items.allowance,
    ]
    for n in range(300):
        item = items[n % len(items)]
        services.issue_ticket(world.center, item, now=clock.now + timedelta(seconds=n))
    db.session.commit()
    now = clock.now + timedelta(hours=1)
    window_ids = [w.id for w in eight_windows]
    item_ids = [i.id for i in items]
    db.session.remove()

    outcome = run_workers(
        [(race_workers.clerk_loop, (database_url, wid, now, 2.0)) for wid in window_ids]
        + [
            (
                race_workers.issuer_loop,
                (database_url, item_ids, 60, clock.now + timedelta(minutes=10)),
            )
        ]
    )

    called = [tid for kind, _, ids in outcome if kind == "clerk" for tid in ids]
    issued = [tid for kind, _, pairs in outcome if kind == "issuer" for tid, _ in pairs]
    assert len(issued) == 60
    assert len(called) == len(set(called)) == 360  # nobody called twice, nobody left out
    tickets = db.session.scalars(select(Ticket)).all()
    assert {t.id for t in tickets} == set(called)
    assert all(t.state is TicketState.DONE for t in tickets)
    by_window = {w.id: w for w in db.session.scalars(select(Window))}
    for kind, window_id, ids in outcome:
        if kind == "clerk":
            for ticket in (db.session.get(Ticket, tid) for tid in ids):
                assert by_window[window_id].handles(ticket.service_item)
                assert ticket.window_id == window_id
    calls = Counter(
        db.session.scalars(
            select(TicketEvent.ticket_id).where(TicketEvent.kind == EventKind.CALLED)
        )
    )
    assert set(calls.values()) == {1}
    cases = db.session.scalars(select(Case.number)).all()
    assert sorted(cases) == [f"TE-20261127-{n:04d}" for n in range(1, 361)]


def test_concurrent_kiosks_never_issue_the_same_number(app, database_url, world, clock):
    item_ids = [world.items.licence.id, world.items.food.id]
    db.session.remove()
    outcome = run_workers(
        [(race_workers.issuer_loop, (database_url, item_ids, 40, clock.now)) for _ in range(8)]
    )
    numbers = [number for _, _, pairs in outcome for _, number in pairs]
    assert len(numbers) == len(set(numbers)) == 320
    assert sorted(numbers) == [f"B{n:03d}" for n in range(1, 321)]
    assert db.session.scalar(select(func.count(Ticket.id))) == 320
