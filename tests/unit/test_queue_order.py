"""The call-next order and routing, with a fixed clock: the queue view and call-next agree."""

from __future__ import annotations

from datetime import timedelta

import pytest

from service_center.db import db
from service_center.queueing import services
from service_center.queueing.models import Outcome, TicketState


def numbers(tickets):
    return [t.number for t in tickets]


def test_a_window_only_sees_items_it_handles(world, open_windows, issue, clock):
    licence = issue(world.items.licence)
    project = issue(world.items.project)
    marriage = issue(world.items.marriage)
    w = world.windows
    assert numbers(services.window_queue(w.business, now=clock.now)) == [licence.number]
    assert numbers(services.window_queue(w.mixed, now=clock.now)) == [
        licence.number,
        project.number,
    ]
    assert numbers(services.window_queue(w.livelihood, now=clock.now)) == [marriage.number]
    assert numbers(services.window_queue(w.comprehensive, now=clock.now)) == [
        licence.number,
        project.number,
        marriage.number,
    ]
    assert services.window_queue(w.other, now=clock.now) == []


def test_numbers_run_per_case_type_prefix(world, issue):
    tickets = [
        issue(world.items.licence),
        issue(world.items.food),
        issue(world.items.marriage),
        issue(world.items.project),
        issue(world.items.licence_change),
    ]
    assert numbers(tickets) == ["B001", "B002", "M001", "T001", "B003"]


def test_numbers_restart_the_next_day_and_keep_history(world, issue, clock):
    first = issue(world.items.licence)
    clock.advance(days=3)  # Monday
    again = issue(world.items.licence)
    assert (first.number, again.number) == ("B001", "B001")
    assert first.service_date != again.service_date
    assert db.session.get(type(first), first.id) is not None


@pytest.mark.parametrize(
    ("arrivals", "expected"),
    [
        # (label, priority, booked, minutes before "now") → call order by label
        ([("walk1", False, False, 10), ("walk2", False, False, 5)], ["walk1", "walk2"]),
        ([("walk", False, False, 10), ("prio", True, False, 1)], ["prio", "walk"]),
        ([("walk", False, False, 10), ("booked", False, True, 1)], ["booked", "walk"]),
        ([("booked", False, True, 1), ("prio", True, False, 0)], ["prio", "booked"]),
        # a walk-in waiting past 30 minutes is no longer passed over by bookings
        ([("old", False, False, 40), ("booked", False, True, 5)], ["old", "booked"]),
        ([("booked", False, True, 45), ("old", False, False, 40)], ["booked", "old"]),
        (
            [("old", False, False, 31), ("booked", False, True, 2), ("new", False, False, 20)],
            ["old", "booked", "new"],
        ),
        # ... but still not ahead of the priority lane
        ([("old", False, False, 50), ("prio", True, False, 1)], ["prio", "old"]),
    ],
)
def test_call_next_order_truth_table(world, open_windows, clock, arrivals, expected):
    now = clock.now + timedelta(hours=1)
    labels = {}
    for label, priority, booked, minutes_ago in arrivals:
        ticket = services.issue_ticket(
            world.center,
            world.items.licence,
            now=now - timedelta(minutes=minutes_ago),
            priority=priority,
            booked=booked,
        )
        labels[ticket.id] = label
    db.session.commit()
    window = world.windows.business
    queue = [labels[t.id] for t in services.window_queue(window, now=now)]
    assert queue == expected
    called = []
    for _ in expected:
        ticket = services.call_next_ticket(window, now=now)
        called.append(labels[ticket.id])
        services.start_ticket(ticket, now=now)
        services.complete_ticket(ticket, now=now, outcome=Outcome.COMPLETED)
        db.session.commit()
    assert called == expected


def test_transfer_to_a_window_puts_the_ticket_first_there_with_its_time(
    world, open_windows, issue, clock
):
    w = world.windows
    first = issue(world.items.licence)
    later = [issue(world.items.project) for _ in range(2)]
    ticket = services.call_next_ticket(w.business, now=clock.now)
    db.session.commit()
    assert ticket.id == first.id
    services.transfer_ticket(ticket, now=clock.advance(minutes=5), window=w.mixed)
    db.session.commit()
    assert ticket.state is TicketState.WAITING
    assert ticket.queued_dt == ticket.issued_dt
    assert numbers(services.window_queue(w.mixed, now=clock.now))[0] == first.number
    assert first.number not in numbers(services.window_queue(w.comprehensive, now=clock.now))
    assert services.call_next_ticket(w.mixed, now=clock.now).id == first.id
    assert later[0].state is TicketState.WAITING


def test_transfer_to_an_item_requeues_for_its_windows_ahead_of_later_arrivals(
    world, open_windows, issue, clock
):
    w = world.windows
    ticket = issue(world.items.licence)
    later = issue(world.items.marriage)
    services.call_next_ticket(w.business, now=clock.now)
    services.start_ticket(ticket, now=clock.now)
    services.transfer_ticket(ticket, now=clock.advance(minutes=3), item=world.items.marriage)
    db.session.commit()
    assert ticket.case_type.code == "livelihood"
    assert numbers(services.window_queue(w.livelihood, now=clock.now)) == [
        ticket.number,
        later.number,
    ]
    assert services.window_queue(w.business, now=clock.now) == []


def test_requeued_no_show_goes_behind_those_waiting(world, open_windows, issue, clock, app):
    w = world.windows
    missed = issue(world.items.licence)
    waiting = issue(world.items.licence)
    services.call_next_ticket(w.business, now=clock.now)
    services.recall_ticket(missed, now=clock.advance(minutes=1))
    services.mark_no_show(missed, now=clock.advance(minutes=1))
    db.session.commit()
    services.requeue_ticket(missed, now=clock.advance(minutes=2))
    db.session.commit()
    assert numbers(services.window_queue(w.business, now=clock.now)) == [
        waiting.number,
        missed.number,
    ]
    services.complete_ticket(
        services.start_ticket(services.call_next_ticket(w.business, now=clock.now), now=clock.now),
        now=clock.now,
        outcome=Outcome.COMPLETED,
    )
    assert services.call_next_ticket(w.business, now=clock.now).id == missed.id
    services.mark_no_show(missed, now=clock.now)
    db.session.commit()
    with pytest.raises(services.InvalidTransition, match="B001 已重新排队过一次"):
        services.requeue_ticket(missed, now=clock.now)
