"""A scripted May 2026 at testtown, every quality figure asserted exactly (issue 18).

The month has the Labour Day holiday (1–5 May: the hall is closed) and its 调休 Saturday
(9 May: the hall opens and deadlines count it). Two residents, two clerks, four cases:

* 6 May, window 1 (clerk): P's licence change, documents missing (the application form),
  10 minutes of service; Q's, not accepted, after a 25-minute wait and 25 minutes of service.
  P rates 2 and agrees to a call-back; Q rates 1 and does not.
* 9 May (调休), window 2 (clerk2): P comes back for the same item and it is done: P's first
  case caused a repeat visit. P rates 5.
* 11 May, window 2 (clerk2): Q comes for another item (a project filing): not a repeat.

The center's limits: a business ticket waits at most 20 minutes, a service lasts at most 150%
of the item's standard; the checker runs when the script says (cron runs it every minute).
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from service_center.catalogue.models import Center
from service_center.db import db
from service_center.desk.services import complete_at_desk
from service_center.notifications.models import Notification, NotificationKind
from service_center.quality import rectifications as steps
from service_center.quality.evidence import evidence
from service_center.quality.models import (
    BreachKind,
    FollowUpAnswer,
    Rectification,
    RectificationState,
    WaitLimit,
)
from service_center.quality.one_trip import one_trip_report
from service_center.quality.rankings import rankings
from service_center.quality.rectification_lists import (
    csv_rows,
    overdue_count,
    rectification_counts,
)
from service_center.quality.service_levels import check_service_levels, day_breaches
from service_center.queueing import services as queue
from service_center.queueing.issuing import issue_walk_in
from service_center.queueing.models import Outcome
from service_center.queueing.ratings import rate_case
from service_center.reports.scope import Scope
from service_center.reports.services import compute_figures

P, Q = "13800000001", "13800000002"
DUTY = "13900000000"


def at(day: int, hhmm: str) -> datetime:
    """Shanghai local time on that day of May 2026, as UTC."""
    hours, minutes = map(int, hhmm.split(":"))
    return datetime(2026, 5, day, hours - 8, minutes, tzinfo=UTC)


def rect_of(ticket) -> Rectification:
    return db.session.scalars(
        select(Rectification).where(Rectification.case_id == ticket.case.id)
    ).one()


@pytest.fixture
def may(world, open_windows):
    center: Center = world.center
    center.service_limit_percent = 150
    center.duty_contact = DUTY
    db.session.add(
        WaitLimit(center_id=center.id, case_type_id=world.case_types["business"].id, minutes=20)
    )
    db.session.commit()
    items, windows, users = world.items, world.windows, world.users
    clerk, clerk2, supervisor, admin = users.clerk, users.clerk2, users.supervisor, users.admin

    def walk_in(item, when):
        ticket = issue_walk_in(center.code, item.id, now=when)
        db.session.commit()
        return ticket

    def serve(ticket, window, actor, *, called, started, done, outcome, phone, missing=()):
        assert queue.call_next_ticket(window, now=called, actor=actor) == ticket
        queue.start_ticket(ticket, now=started, actor=actor)
        complete_at_desk(
            ticket,
            now=done,
            outcome=outcome,
            applicant_phone=phone,
            missing_materials=missing,
            actor=actor,
        )
        db.session.commit()

    def check(when):
        breaches = check_service_levels(center, when)
        db.session.commit()
        return breaches

    # --- Wednesday 6 May, the first day after the holiday -------------------------------------
    t1 = walk_in(items.licence_change, at(6, "09:00"))
    t2 = walk_in(items.licence_change, at(6, "09:00"))
    serve(
        t1,
        windows.business,
        clerk,
        called=at(6, "09:05"),
        started=at(6, "09:05"),
        done=at(6, "09:15"),
        outcome=Outcome.DOCUMENTS_MISSING,
        phone=P,
        missing=["申请表"],
    )
    assert check(at(6, "09:15")) == []
    wait_breach = check(at(6, "09:21"))  # Q has waited 21 minutes
    assert queue.call_next_ticket(windows.business, now=at(6, "09:25"), actor=clerk) == t2
    queue.start_ticket(t2, now=at(6, "09:25"), actor=clerk)
    db.session.commit()
    assert check(at(6, "09:26")) == []  # the wait breach ends
    service_breach = check(at(6, "09:45"))  # 20 minutes into a 10-minute item
    complete_at_desk(
        t2, now=at(6, "09:50"), outcome=Outcome.NOT_ACCEPTED, applicant_phone=Q, actor=clerk
    )
    db.session.commit()
    assert check(at(6, "09:51")) == []
    rate_case(
        t1,
        rating=2,
        comment="材料清单没写清楚",
        efficiency=2,
        follow_up_consent=True,
        now=at(6, "10:00"),
    )
    db.session.commit()
    rate_case(t2, rating=1, comment="不予受理也没说原因", now=at(6, "10:05"))
    db.session.commit()
    r1, r2 = rect_of(t1), rect_of(t2)

    # --- the supervisor's week; an administrator decides the appeal ---------------------------
    steps.verify(r1, "窗口未提示申请表", user=supervisor, now=at(7, "10:00"))
    steps.appeal(r2, "该事项不在本中心受理范围", user=supervisor, now=at(7, "10:30"))
    db.session.commit()
    steps.rectify(r1, "一次性告知单已补全", user=supervisor, now=at(8, "10:00"))
    steps.decide_appeal(r2, False, "核实属实，差评不成立", user=admin, now=at(8, "11:00"))
    db.session.commit()

    # --- Saturday 9 May (调休): P is back, and it is done -------------------------------------
    t3 = walk_in(items.licence_change, at(9, "09:00"))
    serve(
        t3,
        windows.mixed,
        clerk2,
        called=at(9, "09:02"),
        started=at(9, "09:02"),
        done=at(9, "09:10"),
        outcome=Outcome.COMPLETED,
        phone=P,
    )
    rate_case(t3, rating=5, now=at(9, "09:20"))
    db.session.commit()

    # --- Monday 11 May: Q, another item --------------------------------------------------------
    t4 = walk_in(items.project, at(11, "09:00"))
    serve(
        t4,
        windows.mixed,
        clerk2,
        called=at(11, "09:01"),
        started=at(11, "09:01"),
        done=at(11, "09:21"),
        outcome=Outcome.COMPLETED,
        phone=Q,
    )

    # --- Wednesday 13 May: the follow-up call, a day late -------------------------------------
    overdue_on_13th = overdue_count([center.id], date(2026, 5, 13))
    contact_before = r1.contact
    steps.follow_up(r1, FollowUpAnswer.SATISFIED, "已回访", user=supervisor, now=at(13, "15:00"))
    db.session.commit()
    return dict(
        center=center,
        world=world,
        tickets=(t1, t2, t3, t4),
        r1=r1,
        r2=r2,
        wait_breach=wait_breach,
        service_breach=service_breach,
        overdue_on_13th=overdue_on_13th,
        contact_before=contact_before,
    )


def test_the_hall_is_closed_on_the_holiday_and_open_on_its_调休_saturday(world):
    with pytest.raises(queue.CenterClosed):
        issue_walk_in(world.center.code, world.items.licence_change.id, now=at(5, "10:00"))
    db.session.rollback()
    assert issue_walk_in(world.center.code, world.items.licence_change.id, now=at(9, "10:00"))


def test_the_month_of_bad_reviews_and_their_rectifications(may):
    r1, r2, center = may["r1"], may["r2"], may["center"]
    # due five working days after 6 May: 7, 8, 9 (调休 Saturday), 11, 12
    assert (r1.opened_date, r1.due_date) == (date(2026, 5, 6), date(2026, 5, 12))
    assert (r2.opened_date, r2.due_date) == (date(2026, 5, 6), date(2026, 5, 12))
    assert r1.evaluation.efficiency == 2 and r1.evaluation.attitude is None
    # P agreed to a call-back: the number the desk took was kept while the item ran, then erased
    assert may["contact_before"] == P and r1.contact is None
    assert r2.contact is None  # Q did not agree
    assert r1.state is RectificationState.FOLLOWED_UP and r1.closed_date == date(2026, 5, 13)
    assert r1.is_overdue(date(2026, 5, 31))  # closed a day after its deadline
    assert r2.state is RectificationState.OVERTURNED and r2.closed_date == date(2026, 5, 8)
    assert not r2.is_overdue(date(2026, 5, 31))
    assert may["overdue_on_13th"] == 1  # r1, before its call; r2 was closed
    counts = rectification_counts([center.id], day=date(2026, 5, 6), today=date(2026, 5, 6))
    assert (counts.opened, counts.open_now, counts.overdue_now) == (2, 0, 0)
    rows = {row[0]: row for row in csv_rows([r1, r2], date(2026, 5, 31))}
    t1, t2 = may["tickets"][:2]
    assert set(rows) == {t1.case.number, t2.case.number}


def test_the_month_of_ratings_in_the_reports(may):
    scope = Scope((may["center"],))
    sixth = compute_figures(scope, date(2026, 5, 6), date(2026, 5, 6)).satisfaction
    assert (sixth.count, sixth.total, sixth.low) == (2, 3, 2)
    month = compute_figures(scope, date(2026, 5, 1), date(2026, 5, 31)).satisfaction
    # the overturned review stays in the raw figures
    assert (month.count, month.total, month.low) == (3, 8, 2)


def test_the_month_of_service_level_breaches(may):
    center = may["center"]
    (wait,) = may["wait_breach"]
    assert wait.kind is BreachKind.WAIT
    assert wait.started_dt == at(6, "09:20") and wait.ended_dt == at(6, "09:26")
    assert wait.tickets == may["tickets"][1].number
    (service,) = may["service_breach"]
    assert service.kind is BreachKind.SERVICE
    assert service.started_dt == at(6, "09:40") and service.ended_dt == at(6, "09:51")
    sixth = day_breaches([center.id], date(2026, 5, 6), center.timezone, now=at(31, "12:00"))
    assert (sixth.begun, sixth.minutes) == (2, 6 + 11)
    ninth = day_breaches([center.id], date(2026, 5, 9), center.timezone, now=at(31, "12:00"))
    assert (ninth.begun, ninth.minutes) == (0, 0)
    told = db.session.scalars(
        select(Notification).where(Notification.kind == NotificationKind.BREACH)
    ).all()
    assert len(told) == 2  # one message per breach, not one per check
    # Q's rectification opens with both breaches as its evidence
    assert {b.kind for b in evidence(may["r2"]).breaches} == {BreachKind.WAIT, BreachKind.SERVICE}


def test_the_month_of_one_trip_rates(may):
    world = may["world"]
    report = one_trip_report(may["center"].id, date(2026, 5, 1), date(2026, 5, 31))
    assert (report.total.cases, report.total.repeats, report.total.rate) == (4, 1, 0.75)
    items = {line.key: (line.tally.cases, line.tally.repeats) for line in report.by_item}
    assert items == {world.items.licence_change.id: (3, 1), world.items.project.id: (1, 0)}
    clerks = {line.key: line.tally.rate for line in report.by_clerk}
    assert clerks == {world.users.clerk.id: 0.5, world.users.clerk2.id: 1.0}
    windows = {line.key: line.tally.rate for line in report.by_window}
    assert windows == {world.windows.business.id: 0.5, world.windows.mixed.id: 1.0}
    reasons = {line.key: (line.tally.cases, line.tally.repeats) for line in report.by_reason}
    assert reasons == {
        Outcome.COMPLETED: (2, 0),
        Outcome.DOCUMENTS_MISSING: (1, 1),
        Outcome.NOT_ACCEPTED: (1, 0),
    }
    materials = {line.key: (line.tally.cases, line.tally.repeats) for line in report.by_material}
    assert materials == {(world.items.licence_change.id, "申请表"): (1, 1)}


def test_the_month_of_rankings(may):
    world = may["world"]
    month = rankings(may["center"].id, date(2026, 5, 1), date(2026, 6, 10))
    assert month.as_of == date(2026, 5, 31)
    clerks = {row.key: row for row in month.by_clerk}
    clerk, clerk2 = clerks[world.users.clerk.id], clerks[world.users.clerk2.id]
    assert (clerk.cases, clerk.mean_rating, clerk.bad_reviews) == (2, 1.5, 2)
    assert (clerk.overdue_rectifications, clerk.one_trip.rate) == (1, 0.5)
    assert clerk.median_service_percent == pytest.approx(175.0)  # 100% and 250%
    assert (clerk2.cases, clerk2.mean_rating, clerk2.bad_reviews) == (2, 5.0, 0)
    assert (clerk2.overdue_rectifications, clerk2.one_trip.rate) == (0, 1.0)
    assert clerk2.median_service_percent == pytest.approx(90.0)  # 80% and 100%
    windows = {row.key: row for row in month.by_window}
    assert windows[world.windows.business.id].cases == 2
    assert windows[world.windows.mixed.id].median_service_percent == pytest.approx(90.0)
