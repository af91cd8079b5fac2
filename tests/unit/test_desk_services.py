"""Desk rules: signing on and off, completing with the applicant, counts, requeue, priority."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from service_center.db import db
from service_center.desk import services as desk
from service_center.errors import Conflict, Forbidden, Invalid, NotFound
from service_center.queueing import services as queue
from service_center.queueing.models import Case, EventKind, Outcome, TicketEvent, TicketState
from service_center.windows.models import WindowState

pytestmark = pytest.mark.usefixtures("english")


def test_signing_on_opens_the_window_for_the_clerk(world, clock):
    window = desk.sign_on(world.windows.business, world.users.clerk, now=clock.now)
    db.session.commit()
    assert (window.clerk_id, window.state) == (world.users.clerk.id, WindowState.OPEN)
    assert window.clerk_since_dt == clock.now
    assert desk.signed_on_window(world.users.clerk) is window


def test_signing_on_elsewhere_signs_off_and_closes_the_previous_window(world, clock):
    desk.sign_on(world.windows.business, world.users.clerk, now=clock.now)
    db.session.commit()
    desk.sign_on(world.windows.mixed, world.users.clerk, now=clock.advance(minutes=5))
    db.session.commit()
    assert world.windows.business.clerk_id is None
    assert world.windows.business.state is WindowState.CLOSED
    assert world.windows.mixed.clerk_id == world.users.clerk.id


def test_a_window_staffed_today_by_another_clerk_is_refused(world, clock):
    desk.sign_on(world.windows.business, world.users.clerk, now=clock.now)
    db.session.commit()
    with pytest.raises(Conflict, match="staffed by clerk today"):
        desk.sign_on(world.windows.business, world.users.clerk2, now=clock.advance(hours=2))


def test_a_sign_on_left_over_from_yesterday_is_taken_over(world, clock):
    desk.sign_on(world.windows.business, world.users.clerk, now=clock.now - timedelta(days=1))
    db.session.commit()
    desk.sign_on(world.windows.business, world.users.clerk2, now=clock.now)
    db.session.commit()
    assert world.windows.business.clerk_id == world.users.clerk2.id


def test_moving_away_from_a_window_holding_a_ticket_is_refused(world, clock, issue, serve):
    issue(world.items.licence)
    desk.sign_on(world.windows.business, world.users.clerk, now=clock.now)
    db.session.commit()
    serve(world.windows.business, world.users.clerk)
    with pytest.raises(Conflict, match="still holds a ticket"):
        desk.sign_on(world.windows.mixed, world.users.clerk, now=clock.now)
    db.session.rollback()
    with pytest.raises(Conflict, match="still holds a ticket"):
        desk.sign_off(world.windows.business, world.users.clerk, now=clock.now)
    db.session.rollback()
    assert world.windows.business.clerk_id == world.users.clerk.id


@pytest.mark.parametrize("who", ["admin", "other_clerk", "other_supervisor"])
def test_only_staff_of_the_center_sign_on(world, clock, who):
    with pytest.raises(Forbidden):
        desk.sign_on(world.windows.business, getattr(world.users, who), now=clock.now)


def test_signing_off_closes_the_window(world, clock):
    desk.sign_on(world.windows.business, world.users.clerk, now=clock.now)
    db.session.commit()
    window = desk.sign_off(world.windows.business, world.users.clerk, now=clock.now)
    db.session.commit()
    assert (window.clerk_id, window.clerk_since_dt, window.state) == (
        None,
        None,
        WindowState.CLOSED,
    )


@pytest.fixture
def serving(world, clock, issue, sign_on, serve):
    """A walk-in for the licence item (which needs the applicant), being served at window 1."""

    def make(item=None, **issue_kw):
        issue(item or world.items.licence, **issue_kw)
        sign_on(world.users.clerk, world.windows.business)
        return serve(world.windows.business, world.users.clerk, start=True)

    return make


@pytest.mark.parametrize(
    ("name", "phone", "field", "message"),
    [
        ("", "13812345678", "applicant_name", "needs the applicant's name"),
        ("张三", "", "applicant_phone", "needs the applicant's mobile number"),
        ("张三", "0530-3511000", "applicant_phone", "11-digit mainland mobile"),
        ("张三", "12812345678", "applicant_phone", "11-digit mainland mobile"),
        ("张" * 61, "13812345678", "applicant_name", "too long"),
    ],
)
def test_an_item_needing_the_applicant_refuses_a_missing_or_bad_one(
    world, clock, serving, name, phone, field, message
):
    ticket = serving()
    with pytest.raises(Invalid, match=message) as refused:
        desk.complete_at_desk(
            ticket,
            now=clock.now,
            outcome=Outcome.COMPLETED,
            applicant_name=name,
            applicant_phone=phone,
            actor=world.users.clerk,
        )
    assert refused.value.field == field
    db.session.rollback()
    assert db.session.scalar(select(func.count(Case.id))) == 0
    assert ticket.state is TicketState.SERVING


def test_the_typed_applicant_goes_on_the_case_with_the_phone_normalised(world, clock, serving):
    ticket = serving()
    case_ = desk.complete_at_desk(
        ticket,
        now=clock.now,
        outcome=Outcome.DOCUMENTS_MISSING,
        notes="  缺营业场所证明 ",
        applicant_name=" 张三 ",
        applicant_phone="+86 138-1234-5678",
        actor=world.users.clerk,
    )
    db.session.commit()
    assert (case_.applicant_name, case_.applicant_phone) == ("张三", "13812345678")
    assert (case_.outcome, case_.notes, case_.clerk_id) == (
        Outcome.DOCUMENTS_MISSING,
        "缺营业场所证明",
        world.users.clerk.id,
    )


def test_the_bookings_applicant_needs_no_typing(world, clock, serving):
    ticket = serving(applicant_name="李四", applicant_phone="13900001111")
    case_ = desk.complete_at_desk(
        ticket, now=clock.now, outcome=Outcome.COMPLETED, actor=world.users.clerk
    )
    assert (case_.applicant_name, case_.applicant_phone) == ("李四", "13900001111")


def test_an_item_without_applicant_completes_without_one(world, clock, serving):
    case_ = desk.complete_at_desk(
        serving(world.items.licence_change),
        now=clock.now,
        outcome=Outcome.NOT_ACCEPTED,
        actor=world.users.clerk,
    )
    assert (case_.applicant_name, case_.outcome) == (None, Outcome.NOT_ACCEPTED)


def test_completing_a_called_ticket_is_refused_before_the_form(world, clock, issue, sign_on, serve):
    issue(world.items.licence)
    sign_on(world.users.clerk, world.windows.business)
    ticket = serve(world.windows.business, world.users.clerk)
    events = db.session.scalar(select(func.count(TicketEvent.id)))
    with pytest.raises(queue.InvalidTransition, match="cannot be completed"):
        desk.complete_at_desk(ticket, now=clock.now, outcome=Outcome.COMPLETED)
    db.session.rollback()
    assert db.session.scalar(select(func.count(TicketEvent.id))) == events


def test_counts_are_the_clerks_own_for_today(world, clock, issue, sign_on, serve, app):
    app.config["QUEUE_NO_SHOW_MIN_CALLS"] = 1
    clerk, window = world.users.clerk, world.windows.business
    for _ in range(4):
        issue(world.items.licence_change)
    sign_on(clerk, window)
    outcomes = [Outcome.COMPLETED, Outcome.COMPLETED, Outcome.DOCUMENTS_MISSING]
    for outcome in outcomes:
        ticket = serve(window, clerk, start=True)
        clock.advance(minutes=6)
        desk.complete_at_desk(ticket, now=clock.now, outcome=outcome, actor=clerk)
        db.session.commit()
    queue.mark_no_show(serve(window, clerk), now=clock.now, actor=clerk)
    db.session.commit()
    counts = desk.today_counts(clerk, world.center, now=clock.now)
    assert (counts.cases, counts.completed, counts.documents_missing, counts.not_accepted) == (
        3,
        2,
        1,
        0,
    )
    assert (counts.no_shows, counts.transfers, counts.mean_service_minutes) == (1, 0, 6.0)
    other = desk.today_counts(world.users.clerk2, world.center, now=clock.now)
    assert (other.cases, other.no_shows) == (0, 0)
    tomorrow = desk.today_counts(clerk, world.center, now=clock.now + timedelta(days=1))
    assert (tomorrow.cases, tomorrow.no_shows) == (0, 0)


@pytest.fixture
def missed(world, clock, issue, sign_on, serve):
    """Ticket B001, called twice at window 1 and marked no-show."""
    issue(world.items.licence_change)
    sign_on(world.users.clerk, world.windows.business)
    ticket = serve(world.windows.business, world.users.clerk)
    queue.recall_ticket(ticket, now=clock.now)
    queue.mark_no_show(ticket, now=clock.now)
    db.session.commit()
    return ticket


def test_the_kiosk_requeues_todays_no_show_by_number_behind_those_waiting(
    world, clock, issue, missed
):
    later = issue(world.items.licence)
    ticket = queue.requeue_missed_ticket(world.center, " b001 ", now=clock.advance(minutes=5))
    db.session.commit()
    assert (ticket.state, ticket.is_requeued) == (TicketState.WAITING, True)
    order = queue.window_queue(world.windows.business, now=clock.now)
    assert [t.number for t in order] == [later.number, "B001"]
    with pytest.raises(queue.InvalidTransition):
        queue.requeue_missed_ticket(world.center, "B001", now=clock.now)


def test_requeue_by_number_refuses_unknown_late_and_other_days(world, clock, missed):
    with pytest.raises(NotFound, match="B999"):
        queue.requeue_missed_ticket(world.center, "B999", now=clock.now)
    with pytest.raises(NotFound):
        queue.requeue_missed_ticket(world.other, "B001", now=clock.now)
    with pytest.raises(NotFound):
        queue.requeue_missed_ticket(world.center, "B001", now=clock.now + timedelta(days=1))
    with pytest.raises(queue.InvalidTransition, match="more than 30 minutes ago"):
        queue.requeue_missed_ticket(world.center, "B001", now=clock.now + timedelta(minutes=31))
    assert not desk.can_requeue(missed, now=clock.now + timedelta(minutes=31))
    assert desk.can_requeue(missed, now=clock.now + timedelta(minutes=29))


def test_priority_moves_a_waiting_ticket_to_the_head_of_the_queue(world, clock, issue):
    issue(world.items.licence)
    second = issue(world.items.food)
    desk.grant_priority(second, world.windows.business, now=clock.now, actor=world.users.supervisor)
    db.session.commit()
    order = queue.window_queue(world.windows.business, now=clock.now)
    assert [t.number for t in order] == ["B002", "B001"]
    event = db.session.scalars(
        select(TicketEvent)
        .where(TicketEvent.ticket_id == second.id)
        .order_by(TicketEvent.id.desc())
    ).first()
    assert (event.kind, event.actor_id) == (EventKind.PRIORITISED, world.users.supervisor.id)


def test_granting_priority_twice_writes_one_event_and_answers_the_same(world, clock, issue):
    ticket = issue(world.items.licence)
    supervisor = world.users.supervisor
    first = desk.grant_priority(ticket, world.windows.business, now=clock.now, actor=supervisor)
    db.session.commit()
    again = desk.grant_priority(ticket, world.windows.business, now=clock.now, actor=supervisor)
    db.session.commit()
    assert again is first and again.is_priority
    kinds = db.session.scalars(
        select(TicketEvent.kind).where(TicketEvent.ticket_id == ticket.id).order_by(TicketEvent.id)
    ).all()
    assert kinds == [EventKind.ISSUED, EventKind.PRIORITISED]


def test_priority_only_for_a_ticket_waiting_for_this_window(world, clock, issue, sign_on, serve):
    marriage = issue(world.items.marriage)
    with pytest.raises(Invalid, match="does not wait for this window"):
        desk.grant_priority(marriage, world.windows.business, now=clock.now)
    db.session.rollback()
    issue(world.items.licence)
    sign_on(world.users.clerk, world.windows.business)
    called = serve(world.windows.business, world.users.clerk)
    with pytest.raises(queue.InvalidTransition, match="only a waiting ticket"):
        desk.grant_priority(called, world.windows.business, now=clock.now)


def test_the_current_panel_is_not_redrawn_for_the_queue_while_a_ticket_is_current(
    world, clock, issue, sign_on, serve
):
    clerk, window = world.users.clerk, world.windows.business
    issue(world.items.licence_change)
    sign_on(clerk, window)

    at = clock.now  # one moment, so the queue's minute-by-minute redraw stays out of it

    def versions():
        return desk.region_versions(desk.desk_state(window, clerk, now=at), now=at)

    empty = versions()
    issue(world.items.licence_change)
    assert versions()["current"] != empty["current"]  # "2 waiting" on the empty panel
    serve(window, clerk, start=True)
    serving = versions()
    issue(world.items.licence_change)
    after = versions()
    assert after["current"] == serving["current"]  # the clerk may be typing the case
    assert after["queue"] != serving["queue"]
