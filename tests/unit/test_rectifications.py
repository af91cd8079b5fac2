"""差评整改: the steps of a bad review's rectification, their audit, the deadline, the evidence."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from service_center.audit import AuditRecord
from service_center.auth.models import Role
from service_center.catalogue.calendar import day_status
from service_center.db import db
from service_center.errors import Conflict, Forbidden, Invalid
from service_center.quality import rectifications as steps
from service_center.quality.evidence import evidence
from service_center.quality.models import Breach, BreachKind, FollowUpAnswer, RectificationState
from service_center.quality.rectification_lists import (
    list_rectifications,
    overdue_count,
    rectification_counts,
    rectifications_csv,
)
from tests.fixtures.queueing import Clock
from tests.fixtures.rectifications import PHONE

pytestmark = pytest.mark.usefixtures("english")

S = RectificationState


def _audits(item):
    return list(
        db.session.scalars(
            select(AuditRecord)
            .where(
                AuditRecord.object_type == "rectification", AuditRecord.object_id == str(item.id)
            )
            .order_by(AuditRecord.id)
        )
    )


def _to(item, state, world, clock):
    """Walk ``item`` to ``state`` by the legal steps."""
    sup, admin, now = world.users.supervisor, world.users.admin, clock.now
    path = {
        S.OPEN: [],
        S.VERIFIED: [lambda: steps.verify(item, "窗口未解释", user=sup, now=now)],
        S.APPEALED: [lambda: steps.appeal(item, "当事人材料不齐", user=sup, now=now)],
        S.UPHELD: [
            lambda: steps.appeal(item, "当事人材料不齐", user=sup, now=now),
            lambda: steps.decide_appeal(item, True, "差评成立", user=admin, now=now),
        ],
        S.OVERTURNED: [
            lambda: steps.appeal(item, "当事人材料不齐", user=sup, now=now),
            lambda: steps.decide_appeal(item, False, "差评不实", user=admin, now=now),
        ],
        S.RECTIFIED: [
            lambda: steps.verify(item, "窗口未解释", user=sup, now=now),
            lambda: steps.rectify(item, "培训", user=sup, now=now),
        ],
        S.FOLLOWED_UP: [
            lambda: steps.verify(item, "窗口未解释", user=sup, now=now),
            lambda: steps.rectify(item, "培训", user=sup, now=now),
            lambda: steps.follow_up(item, FollowUpAnswer.SATISFIED, "", user=sup, now=now),
        ],
    }[state]
    for step in path:
        step()
    db.session.commit()
    assert item.state is state


def _step(name, item, world, clock):
    sup, admin, now = world.users.supervisor, world.users.admin, clock.now
    return {
        "verify": lambda: steps.verify(item, "查明", user=sup, now=now),
        "rectify": lambda: steps.rectify(item, "整改", user=sup, now=now),
        "follow_up": lambda: steps.follow_up(item, "satisfied", "", user=sup, now=now),
        "appeal": lambda: steps.appeal(item, "申诉", user=sup, now=now),
        "decide_appeal": lambda: steps.decide_appeal(item, True, "裁定", user=admin, now=now),
    }[name]()


LEGAL = {
    "verify": {S.OPEN: S.VERIFIED},
    "rectify": {S.VERIFIED: S.RECTIFIED, S.UPHELD: S.RECTIFIED},
    "follow_up": {S.RECTIFIED: S.FOLLOWED_UP},
    "appeal": {S.OPEN: S.APPEALED, S.VERIFIED: S.APPEALED},
    "decide_appeal": {S.APPEALED: S.UPHELD},
}


@pytest.mark.parametrize("state", list(S))
@pytest.mark.parametrize("step", list(LEGAL))
def test_each_step_runs_only_from_its_states(world, clock, bad_review, step, state):
    item = bad_review()
    _to(item, state, world, clock)
    if state in LEGAL[step]:
        _step(step, item, world, clock)
        db.session.commit()
        assert item.state is LEGAL[step][state]
        assert _audits(item)[-1].action == f"rectification.{step}"
    else:
        with pytest.raises(Conflict, match="cannot be"):
            _step(step, item, world, clock)
        db.session.rollback()
        assert item.state is state


def test_a_step_is_audited_with_its_fields_before_and_after(world, clock, bad_review):
    item = bad_review()
    steps.verify(item, "叫号后窗口未说明", user=world.users.supervisor, now=clock.now)
    db.session.commit()
    [record] = _audits(item)
    assert record.actor_id == world.users.supervisor.id
    assert record.center_id == world.center.id
    assert record.object_label == item.case.number
    assert record.changes["state"] == ["open", "verified"]
    assert record.changes["finding"] == ["", "叫号后窗口未说明"]


def test_the_follow_up_closes_the_item_and_erases_the_contact(world, clock, bad_review):
    item = bad_review(consent=True)
    assert item.contact == PHONE
    _to(item, S.RECTIFIED, world, clock)
    steps.follow_up(
        item, FollowUpAnswer.NOT_SATISFIED, "仍不满意", user=world.users.supervisor, now=clock.now
    )
    db.session.commit()
    assert item.contact is None
    assert (item.closed_dt, item.closed_date) == (clock.now, date(2026, 11, 27))
    assert item.follow_up_answer is FollowUpAnswer.NOT_SATISFIED
    closing = _audits(item)[-1]
    assert closing.changes["contact_kept"] == [True, False]
    assert PHONE not in str([r.changes for r in _audits(item)])


def test_an_overturned_review_is_closed_and_its_contact_erased(world, clock, bad_review):
    item = bad_review(consent=True)
    _to(item, S.OVERTURNED, world, clock)
    assert (item.contact, item.closed_date) == (None, date(2026, 11, 27))
    assert item.is_final


def test_an_upheld_appeal_goes_on_to_rectify_and_follow_up(world, clock, bad_review):
    item = bad_review()
    _to(item, S.UPHELD, world, clock)
    steps.rectify(item, "整改", user=world.users.supervisor, now=clock.now)
    steps.follow_up(item, "satisfied", "", user=world.users.supervisor, now=clock.now)
    assert item.state is S.FOLLOWED_UP


def test_only_an_administrator_decides_an_appeal(world, clock, bad_review):
    item = bad_review()
    _to(item, S.APPEALED, world, clock)
    with pytest.raises(Forbidden, match="administrator"):
        steps.decide_appeal(item, False, "自己裁定", user=world.users.supervisor, now=clock.now)


@pytest.mark.parametrize("who", ["clerk", "other_supervisor", "admin"])
def test_only_the_centers_supervisors_take_the_steps(world, clock, bad_review, who):
    item = bad_review()
    with pytest.raises(Forbidden):
        steps.verify(item, "查明", user=getattr(world.users, who), now=clock.now)
    assert _audits(item) == []


@pytest.mark.parametrize(
    ("step", "field"),
    [("verify", "finding"), ("rectify", "action"), ("appeal", "reason"), ("decide", "note")],
)
def test_a_step_without_its_text_is_refused_on_its_field(world, clock, bad_review, step, field):
    item = bad_review()
    sup, now = world.users.supervisor, clock.now
    if step == "rectify":
        _to(item, S.VERIFIED, world, clock)
    if step == "decide":
        _to(item, S.APPEALED, world, clock)
    call = {
        "verify": lambda: steps.verify(item, "  ", user=sup, now=now),
        "rectify": lambda: steps.rectify(item, "", user=sup, now=now),
        "appeal": lambda: steps.appeal(item, "", user=sup, now=now),
        "decide": lambda: steps.decide_appeal(item, True, "", user=world.users.admin, now=now),
    }[step]
    with pytest.raises(Invalid) as refused:
        call()
    assert refused.value.field == field


def test_a_follow_up_answer_must_be_one_of_two(world, clock, bad_review):
    item = bad_review()
    _to(item, S.RECTIFIED, world, clock)
    with pytest.raises(Invalid, match="satisfied") as refused:
        steps.follow_up(item, "maybe", "", user=world.users.supervisor, now=clock.now)
    assert refused.value.field == "answer"


def test_reassign_goes_to_a_supervisor_of_the_same_center(world, clock, bad_review, create_user):
    second = create_user("supervisor2", Role.SUPERVISOR, world.center)
    db.session.commit()
    item = bad_review()
    for wrong in (world.users.other_supervisor, world.users.clerk, None):
        with pytest.raises(Invalid, match="supervisor of this center"):
            steps.reassign(item, wrong, user=world.users.supervisor, now=clock.now)
    steps.reassign(item, second, user=world.users.supervisor, now=clock.now)
    db.session.commit()
    assert item.assignee_id == second.id
    assert _audits(item)[-1].changes["assignee_id"] == [world.users.supervisor.id, second.id]
    _to(item, S.OVERTURNED, world, clock)
    with pytest.raises(Conflict):
        steps.reassign(item, world.users.supervisor, user=world.users.supervisor, now=clock.now)


def test_without_consent_no_contact_is_kept(world, clock, bad_review):
    assert bad_review(consent=False).contact is None


def test_the_deadline_runs_in_working_days_across_the_spring_festival(world, bad_review):
    # Friday 13 Feb 2026, 10:00 in Shanghai; the holiday runs 15–23 Feb
    clock = Clock(datetime(2026, 2, 13, 2, 0, tzinfo=UTC))
    center = world.center
    assert center.rectification_days == 5
    assert all(not day_status(center, date(2026, 2, d)).is_open for d in range(15, 24))
    saturday_14 = day_status(center, date(2026, 2, 14)).is_open
    saturday_28 = day_status(center, date(2026, 2, 28)).is_open
    # the 调休 Saturdays are working days of the nation; the center's calendar says
    assert (saturday_14, saturday_28) == (True, True)
    item = _rated_on(clock, world)
    # 14 (调休), 24, 25, 26, 27
    assert item.opened_date == date(2026, 2, 13)
    assert item.due_date == date(2026, 2, 27)


def _rated_on(clock, world):
    from service_center.queueing import services as queue
    from service_center.queueing.models import Outcome
    from service_center.queueing.ratings import rate_case
    from service_center.windows.models import WindowState

    world.windows.business.state = WindowState.OPEN
    db.session.commit()
    ticket = queue.issue_ticket(world.center, world.items.licence_change, now=clock.now)
    db.session.commit()
    queue.call_next_ticket(world.windows.business, now=clock.advance(minutes=5))
    queue.start_ticket(ticket, now=clock.advance(minutes=1))
    queue.complete_ticket(ticket, now=clock.advance(minutes=10), outcome=Outcome.COMPLETED)
    db.session.commit()
    rate_case(ticket, rating=2, comment="太慢", now=clock.advance(minutes=5))
    db.session.commit()
    return db.session.scalars(
        select(steps.Rectification).where(steps.Rectification.case_id == ticket.case.id)
    ).one()


def test_the_evidence_retells_the_ticket(world, clock, bad_review):
    breach = Breach(
        center_id=world.center.id,
        kind=BreachKind.QUEUE,
        subject="queue",
        service_date=date(2026, 11, 27),
        started_dt=clock.now + timedelta(minutes=2),
        ended_dt=clock.now + timedelta(minutes=30),
        limit_value=10,
        worst_value=14,
    )
    later = Breach(
        center_id=world.center.id,
        kind=BreachKind.QUEUE,
        subject="queue",
        service_date=date(2026, 11, 27),
        started_dt=clock.now + timedelta(hours=3),
        limit_value=10,
        worst_value=11,
    )
    db.session.add_all([breach, later])
    db.session.commit()
    item = bad_review(recall=True, transfer=True)
    service = Breach(
        center_id=world.center.id,
        kind=BreachKind.SERVICE,
        subject="service:2",
        service_date=date(2026, 11, 27),
        started_dt=clock.now - timedelta(minutes=10),  # while window 2 served it
        ended_dt=clock.now - timedelta(minutes=5),
        limit_value=10,
        worst_value=15,
        ticket_ids=f"999,{item.case.ticket_id}",
    )
    db.session.add(service)
    db.session.commit()
    ev = evidence(item)
    assert ev.ticket_number == item.case.ticket.number
    assert ev.recalls == 1
    assert [(t.from_window, t.to_window) for t in ev.transfers] == [(1, 2)]
    assert (ev.window_number, ev.clerk_name) == (2, "clerk")
    assert ev.wait_seconds == 11 * 60  # issued, a minute on, then 10 minutes to the call
    assert (ev.service_seconds, ev.standard_minutes, ev.over_standard) == (15 * 60, 10, True)
    assert [b.id for b in ev.breaches] == [breach.id, service.id]
    assert PHONE not in repr(ev)


def test_the_list_puts_overdue_items_first_then_by_due_date(world, clock, bad_review):
    first = bad_review()  # Fri 27 Nov: due Fri 4 Dec
    clock.now = datetime(2026, 11, 30, 2, tzinfo=UTC)
    second = bad_review()  # Mon 30 Nov: due Mon 7 Dec
    clock.now = datetime(2026, 12, 3, 2, tzinfo=UTC)
    third = bad_review()  # Thu 3 Dec: due Thu 10 Dec
    assert [i.due_date for i in (first, second, third)] == [
        date(2026, 12, 4),
        date(2026, 12, 7),
        date(2026, 12, 10),
    ]
    _to(third, S.RECTIFIED, world, clock)
    today = date(2026, 12, 8)  # the first two overdue
    listed = list_rectifications(world.center, today=today)
    assert listed == [first, second, third]
    assert list_rectifications(world.center, today=today, overdue_only=True) == [first, second]
    assert list_rectifications(world.center, today=today, state="rectified") == [third]
    assert overdue_count([world.center.id], today) == 2
    assert overdue_count([world.other.id], today) == 0
    # closed on time: no longer overdue, later than the running ones
    counts = rectification_counts([world.center.id], day=date(2026, 11, 30), today=today)
    assert (counts.opened, counts.open_now, counts.overdue_now) == (1, 3, 2)


def test_the_export_is_keyed_by_case_number_without_contact_or_names(world, clock, bad_review):
    item = bad_review(efficiency=2, attitude=1)
    text = rectifications_csv([item], date(2026, 12, 8))
    header, row = text.lstrip("\ufeff").splitlines()
    assert header.split(",")[:4] == ["case_number", "item_national_code", "item_name", "rating"]
    cells = row.split(",")
    assert cells[0] == item.case.number
    assert cells[3:7] == ["1", "2", "1", ""]
    assert cells[-3:] == ["yes", "", "no"]
    assert PHONE not in text and "clerk" not in text and "supervisor" not in text
