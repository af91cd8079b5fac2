"""Every waiting ticket's position at once (``wait.queue_positions``, what a busy hall's polls
are answered from) is each ticket's own ``queue_position``, on a floor with every kind of
queue: transfers, priority, bookings, walk-ins past the cutoff, a ticket no open window may
call, windows serving, closed and paused, and items with and without a recent mean."""

from __future__ import annotations

from datetime import timedelta

from service_center.db import db
from service_center.queueing import services
from service_center.queueing.models import Outcome, Ticket, TicketState
from service_center.queueing.wait import QueuePosition, queue_positions
from service_center.windows.models import WindowState


def _each_own(center_id: int, now) -> dict[int, QueuePosition]:
    waiting = db.session.scalars(
        db.select(Ticket).where(Ticket.center_id == center_id, Ticket.state == TicketState.WAITING)
    )
    return {ticket.id: services.queue_position(ticket, now=now) for ticket in waiting}


def test_every_position_at_once_is_each_tickets_own(world, issue, open_windows, clock):
    items, windows = world.items, world.windows
    clock.advance(minutes=-55)  # 09:05, the morning's opening: two hours of cases to come
    # recent means, each its item's own: the licence 13 minutes (its default 10), the
    # investment project 35 (its default 20); the others keep their defaults
    for item, window, minutes in (
        (items.licence, windows.business, 6),
        (items.licence, windows.business, 20),
        (items.project, windows.mixed, 24),
        (items.project, windows.mixed, 28),
    ):
        served = issue(item)
        services.call_next_ticket(window, now=clock.now)
        services.start_ticket(served, now=clock.now)
        clock.advance(minutes=minutes)
        services.complete_ticket(served, now=clock.now, outcome=Outcome.COMPLETED)
        db.session.commit()
    assert services.average_service_minutes(items.licence) == 13
    assert services.average_service_minutes(items.project) == 26
    early = [issue(items.licence), issue(items.project), issue(items.marriage)]
    clock.advance(minutes=40)  # past the walk-ins' cutoff: these rank with the bookings
    issue(items.licence, priority=True)
    issue(items.food, booked=True)
    for item in (items.licence_change, items.project, items.allowance, items.licence) * 3:
        issue(item)
    issue(items.marriage)
    sent = services.call_next_ticket(windows.livelihood, now=clock.now)
    services.transfer_ticket(sent, now=clock.now, window=windows.comprehensive)
    db.session.commit()
    # window 1 serves one ticket, window 3 holds one called; window 4 is paused
    services.call_next_ticket(windows.business, now=clock.now)
    serving = services.call_next_ticket(windows.mixed, now=clock.now)
    services.start_ticket(serving, now=clock.now)
    services.call_next_ticket(windows.livelihood, now=clock.now)
    windows.comprehensive.state = WindowState.PAUSED
    db.session.commit()
    clock.advance(minutes=3)
    center = world.center.id

    everyone = queue_positions(center, now=clock.now)

    assert everyone == _each_own(center, clock.now)
    assert len(everyone) >= 15
    assert {p.ahead for p in everyone.values()} >= {0, 1, 2, 3}  # the queues are real
    assert any(p.estimated_wait_minutes for p in everyone.values())
    assert all(e.id in everyone or e.state is not TicketState.WAITING for e in early)

    # every window closed but the livelihood one: business tickets have no estimate
    for window in (windows.business, windows.mixed, windows.comprehensive):
        window.state = WindowState.CLOSED
    db.session.commit()
    later = clock.now + timedelta(minutes=7)
    alone = queue_positions(center, now=later)
    assert alone == _each_own(center, later)
    assert any(p.estimated_wait_minutes is None for p in alone.values())


def test_a_center_with_nobody_waiting_has_no_positions(world, clock):
    assert queue_positions(world.center.id, now=clock.now) == {}
