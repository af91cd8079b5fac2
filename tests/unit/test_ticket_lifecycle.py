"""Every allowed and refused transition of a ticket, the case it closes into, and its events."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from service_center.db import db
from service_center.queueing import services
from service_center.queueing.models import Case, EventKind, Outcome, TicketEvent, TicketState
from service_center.windows.models import WindowState

STATES = ["waiting", "called", "serving", "done", "no_show", "cancelled"]
ACTIONS = ["recall", "start", "no_show", "transfer", "complete", "cancel", "requeue"]

ALLOWED = {
    ("called", "recall"): "called",
    ("called", "start"): "serving",
    ("called", "no_show"): "no_show",
    ("called", "transfer"): "waiting",
    ("serving", "transfer"): "waiting",
    ("serving", "complete"): "done",
    ("waiting", "cancel"): "cancelled",
    ("no_show", "requeue"): "waiting",
}


def bring_to(state, ticket, window, clock):
    now = clock.now
    if state == "waiting":
        return ticket
    services.call_next_ticket(window, now=now)
    services.recall_ticket(ticket, now=now)  # two calls: a no-show may be marked
    if state == "serving":
        services.start_ticket(ticket, now=now)
    elif state == "done":
        services.start_ticket(ticket, now=now)
        services.complete_ticket(ticket, now=now, outcome=Outcome.COMPLETED)
    elif state == "no_show":
        services.mark_no_show(ticket, now=now)
    elif state == "cancelled":
        raise AssertionError("use the waiting ticket")
    db.session.commit()
    return ticket


def act(action, ticket, world, now):
    if action == "transfer":
        return services.transfer_ticket(ticket, now=now, window=world.windows.comprehensive)
    if action == "complete":
        return services.complete_ticket(ticket, now=now, outcome=Outcome.DOCUMENTS_MISSING)
    return {
        "recall": services.recall_ticket,
        "start": services.start_ticket,
        "no_show": services.mark_no_show,
        "cancel": services.cancel_ticket,
        "requeue": services.requeue_ticket,
    }[action](ticket, now=now)


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("state", STATES)
def test_transition_truth_table(world, open_windows, issue, clock, state, action):
    ticket = issue(world.items.licence)
    if state == "cancelled":
        services.cancel_ticket(ticket, now=clock.now)
        db.session.commit()
    else:
        bring_to(state, ticket, world.windows.business, clock)
    events_before = db.session.scalar(select(func.count(TicketEvent.id)))
    now = clock.advance(minutes=2)
    if (state, action) in ALLOWED:
        act(action, ticket, world, now)
        db.session.commit()
        assert ticket.state is TicketState(ALLOWED[(state, action)])
        assert db.session.scalar(select(func.count(TicketEvent.id))) == events_before + 1
    else:
        with pytest.raises(services.InvalidTransition) as refused:
            act(action, ticket, world, now)
        db.session.rollback()
        assert ticket.number in str(refused.value)
        assert db.session.get(type(ticket), ticket.id).state is TicketState(state)
        assert db.session.scalar(select(func.count(TicketEvent.id))) == events_before


def test_call_next_refuses_while_the_window_holds_a_ticket(world, open_windows, issue, clock):
    issue(world.items.licence)
    issue(world.items.licence)
    window = world.windows.business
    services.call_next_ticket(window, now=clock.now)
    db.session.commit()
    with pytest.raises(services.WindowBusy):
        services.call_next_ticket(window, now=clock.now)
    db.session.rollback()


def test_paused_window_is_not_called_to(world, open_windows, issue, clock):
    issue(world.items.licence)
    services.set_window_state(world.windows.business, WindowState.PAUSED, now=clock.now)
    db.session.commit()
    with pytest.raises(services.WindowNotOpen):
        services.call_next_ticket(world.windows.business, now=clock.now)


def test_empty_queue_is_reported(world, open_windows, clock):
    with pytest.raises(services.QueueEmpty):
        services.call_next_ticket(world.windows.business, now=clock.now)


def test_no_show_needs_the_configured_number_of_calls(world, open_windows, issue, clock):
    ticket = issue(world.items.licence)
    services.call_next_ticket(world.windows.business, now=clock.now)
    db.session.commit()
    with pytest.raises(services.InvalidTransition, match="B001 2"):
        services.mark_no_show(ticket, now=clock.now)


def test_completion_records_a_case_with_times_and_number(world, open_windows, issue, clock):
    ticket = issue(world.items.licence, applicant_name="张三", applicant_phone="13812345678")
    called_at = clock.advance(minutes=7)
    services.call_next_ticket(world.windows.business, now=called_at, actor=world.users.clerk)
    services.start_ticket(ticket, now=clock.advance(minutes=1))
    done_at = clock.advance(minutes=12)
    case = services.complete_ticket(
        ticket, now=done_at, outcome=Outcome.COMPLETED, notes=" ok ", actor=world.users.clerk
    )
    db.session.commit()
    assert case.number == "TE-20261127-0001"
    assert (case.case_type.code, case.outcome, case.notes) == ("business", Outcome.COMPLETED, "ok")
    assert (case.wait_seconds, case.service_seconds) == (8 * 60, 12 * 60)
    assert (case.clerk_id, case.window_id) == (world.users.clerk.id, world.windows.business.id)
    assert (case.applicant_name, case.applicant_phone) == ("张三", "13812345678")
    kinds = db.session.scalars(
        select(TicketEvent.kind).where(TicketEvent.ticket_id == ticket.id).order_by(TicketEvent.id)
    ).all()
    assert kinds == [EventKind.ISSUED, EventKind.CALLED, EventKind.STARTED, EventKind.COMPLETED]
    second = issue(world.items.licence_change)
    services.call_next_ticket(world.windows.business, now=clock.now)
    services.start_ticket(second, now=clock.now)
    assert services.complete_ticket(second, now=clock.now, outcome=Outcome.NOT_ACCEPTED).number == (
        "TE-20261127-0002"
    )


def test_walk_ins_are_refused_outside_hours_and_on_closed_days(world, clock):
    item = world.items.licence
    lunch = clock.now + timedelta(hours=2, minutes=40)  # 12:40
    with pytest.raises(services.CenterClosed, match="09:00–12:00, 13:30–17:30"):
        services.issue_ticket(world.center, item, now=lunch)
    saturday = clock.now + timedelta(days=1)
    with pytest.raises(services.CenterClosed, match="周末"):
        services.issue_ticket(world.center, item, now=saturday)
    booked = services.issue_ticket(
        world.center, item, now=clock.now - timedelta(minutes=20), booked=True
    )
    assert booked.number == "B001"  # a booking checking in at 8:40 is let in


def test_walk_in_cap_per_case_type(world, issue, clock):
    from service_center.queueing.models import WalkInCap

    db.session.add(
        WalkInCap(
            center_id=world.center.id, case_type_id=world.items.licence.case_type_id, daily_cap=2
        )
    )
    db.session.commit()
    issue(world.items.licence)
    issue(world.items.food)
    with pytest.raises(services.WalkInCapReached):
        issue(world.items.licence_change)
    db.session.rollback()
    assert issue(world.items.marriage).number == "M001"
    assert issue(world.items.licence, booked=True).number == "B003"


def test_cases_count_nothing_for_refused_completion(world, open_windows, issue, clock):
    ticket = issue(world.items.licence)
    services.call_next_ticket(world.windows.business, now=clock.now)
    db.session.commit()
    with pytest.raises(services.InvalidTransition):
        services.complete_ticket(ticket, now=clock.now, outcome=Outcome.COMPLETED)
    db.session.rollback()
    assert db.session.scalar(select(func.count(Case.id))) == 0
