"""Closing the day while clerks call, on SQLite and PostgreSQL: separate processes, each with
its own connection. Every ticket ends exactly once: completed or unserved, never both."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select

from service_center.db import db
from service_center.desk import services as desk
from service_center.queueing import services
from service_center.queueing.closing import close_day
from service_center.queueing.models import EventKind, Ticket, TicketEvent, TicketState
from service_center.windows.models import Window, WindowState
from tests import race_workers
from tests.unit.test_queue_races import run_workers

pytestmark = pytest.mark.race


def test_closing_while_clerks_call_ends_every_ticket_exactly_once(app, database_url, world, clock):
    windows = [world.windows.business, world.windows.mixed, world.windows.comprehensive]
    clerks = [world.users.clerk, world.users.clerk2, world.users.supervisor]
    for window, clerk in zip(windows, clerks, strict=True):
        desk.sign_on(window, clerk, now=clock.now)
        db.session.commit()
    items = [world.items.licence, world.items.licence_change, world.items.project]
    for n in range(240):
        services.issue_ticket(
            world.center, items[n % len(items)], now=clock.now + timedelta(seconds=n)
        )
    db.session.commit()
    closing = clock.now.replace(hour=9, minute=30)  # 17:30 in Shanghai: the day has ended
    window_ids = [w.id for w in windows]
    center_id = world.center.id
    db.session.remove()

    outcome = run_workers(
        [(race_workers.closing_clerk_loop, (database_url, wid, closing)) for wid in window_ids]
        + [(race_workers.closer, (database_url, center_id, closing, 5)) for _ in range(2)]
    )

    completed = [t for kind, _, done, _refused in outcome if kind == "clerk" for t in done]
    refused = [t for kind, _, _done, ids in outcome if kind == "clerk" for t in ids]
    closed = [n for kind, _, numbers, _w in outcome if kind == "closer" for n in numbers]
    tickets = {t.id: t for t in db.session.scalars(select(Ticket))}
    assert len(completed) >= 5 and closed, "the closing raced nobody"
    assert len(closed) == len(set(closed))  # two closers: each ticket closed once
    assert len(completed) == len(set(completed))
    assert {t.state for t in tickets.values()} <= {TicketState.DONE, TicketState.UNSERVED}
    done = {i for i, t in tickets.items() if t.state is TicketState.DONE}
    unserved = {i for i, t in tickets.items() if t.state is TicketState.UNSERVED}
    assert done == set(completed)
    assert {tickets[i].number for i in unserved} == set(closed)
    assert set(refused) <= unserved  # a clerk's step after the closing was refused
    ends = Counter(
        db.session.scalars(
            select(TicketEvent.ticket_id).where(
                TicketEvent.kind.in_([EventKind.COMPLETED, EventKind.UNSERVED])
            )
        )
    )
    assert set(ends) == set(tickets) and set(ends.values()) == {1}
    # a window serving at the closing stayed signed on; the scheduler's next run signs it off
    after = close_day(world.center, now=closing + timedelta(minutes=5))
    db.session.commit()
    assert after.unserved == []
    for window in db.session.scalars(select(Window).where(Window.id.in_(window_ids))):
        assert window.state is WindowState.CLOSED and window.clerk_id is None
