"""The one-trip rate (一次办成率): which cases count as repeat causes, and its breakdowns."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from itertools import count

import pytest

from service_center.db import db
from service_center.privacy import keyed_hash
from service_center.quality.one_trip import most_often_missing, one_trip_report
from service_center.queueing.models import Case, Outcome
from service_center.queueing.services import complete_ticket

DAY = date(2026, 11, 2)
_numbers = count(1)


@pytest.fixture
def add_case(world):
    """Insert a case of ``item`` on ``day`` (at noon UTC plus ``minute``) for a phone."""

    def add(item, day, outcome=Outcome.COMPLETED, *, phone="13800000001", minute=0, **kw):
        done = datetime.combine(day, time(4), tzinfo=UTC) + timedelta(minutes=minute)
        case_ = Case(
            number=f"T-{next(_numbers):06d}",
            center_id=item.center_id,
            service_date=day,
            service_item_id=item.id,
            case_type_id=item.case_type_id,
            outcome=outcome,
            issued_dt=done - timedelta(minutes=10),
            completed_dt=done,
            phone_key=keyed_hash(phone) if phone else None,
            **kw,
        )
        db.session.add(case_)
        db.session.flush()
        return case_

    return add


def tally(world):
    report = one_trip_report(world.center.id, DAY, DAY + timedelta(days=40))
    return report.total.cases, report.total.repeats


@pytest.mark.parametrize(
    ("outcome", "days_later", "repeats"),
    [
        (Outcome.DOCUMENTS_MISSING, 0, 1),  # back the same afternoon
        (Outcome.DOCUMENTS_MISSING, 30, 1),
        (Outcome.NOT_ACCEPTED, 12, 1),
        (Outcome.DOCUMENTS_MISSING, 31, 0),
        (Outcome.COMPLETED, 3, 0),  # a completed first visit is never a repeat cause
    ],
)
def test_a_return_within_30_days_makes_the_first_case_a_repeat_cause(
    world, add_case, outcome, days_later, repeats
):
    add_case(world.items.licence, DAY, outcome)
    add_case(world.items.licence, DAY + timedelta(days=days_later), minute=60)
    assert tally(world) == (2, repeats)


def test_another_item_phone_or_no_phone_is_not_a_return(world, add_case):
    add_case(world.items.licence, DAY, Outcome.DOCUMENTS_MISSING)
    add_case(world.items.food, DAY + timedelta(days=1))
    add_case(world.items.licence, DAY + timedelta(days=2), phone="13900000002")
    add_case(world.items.marriage, DAY, Outcome.NOT_ACCEPTED, phone=None)
    add_case(world.items.marriage, DAY + timedelta(days=1), phone=None)
    assert tally(world) == (5, 0)


def test_the_rate_and_its_breakdowns(world, add_case):
    clerk, window = world.users.clerk, world.windows.business
    add_case(
        world.items.licence,
        DAY,
        Outcome.DOCUMENTS_MISSING,
        clerk_id=clerk.id,
        window_id=window.id,
        missing_materials="身份证原件\n申请表",
    )
    add_case(
        world.items.licence,
        DAY,
        Outcome.DOCUMENTS_MISSING,
        phone="13900000002",
        clerk_id=clerk.id,
        window_id=window.id,
        missing_materials="申请表",
    )
    add_case(world.items.licence, DAY + timedelta(days=5), clerk_id=world.users.clerk2.id)
    report = one_trip_report(world.center.id, DAY, DAY + timedelta(days=10))
    assert (report.total.cases, report.total.repeats) == (3, 1)
    assert report.total.rate == pytest.approx(2 / 3)
    by_clerk = {line.key: (line.tally.cases, line.tally.repeats) for line in report.by_clerk}
    assert by_clerk == {clerk.id: (2, 1), world.users.clerk2.id: (1, 0)}
    assert [(line.key, line.tally.cases) for line in report.by_clerk] == [
        (clerk.id, 2),
        (world.users.clerk2.id, 1),
    ]
    by_reason = {line.key: (line.tally.cases, line.tally.repeats) for line in report.by_reason}
    assert by_reason == {Outcome.COMPLETED: (1, 0), Outcome.DOCUMENTS_MISSING: (2, 1)}
    by_material = {
        line.key[1]: (line.tally.cases, line.tally.repeats) for line in report.by_material
    }
    assert by_material == {"申请表": (2, 1), "身份证原件": (1, 1)}
    assert report.by_material[0].label.endswith("申请表")
    mine = one_trip_report(world.center.id, DAY, DAY, clerk_id=world.users.clerk2.id)
    assert mine.total.cases == 0 and mine.by_clerk == []


def test_cases_of_another_center_do_not_count(world, add_case):
    add_case(world.items.other_licence, DAY, Outcome.DOCUMENTS_MISSING)
    add_case(world.items.other_licence, DAY + timedelta(days=1))
    assert tally(world) == (0, 0)


@pytest.mark.parametrize(("cases", "shown"), [(4, []), (5, [("申请表", 5)])])
def test_most_often_missing_needs_five_cases(world, add_case, cases, shown):
    for n in range(cases):
        add_case(
            world.items.licence,
            DAY,
            Outcome.DOCUMENTS_MISSING,
            phone=f"1380000{n:04d}",
            missing_materials="申请表",
        )
    assert most_often_missing(world.items.licence, DAY + timedelta(days=1)) == shown


def test_most_often_missing_ranks_counts_and_forgets_after_180_days(world, add_case):
    item = world.items.licence
    for _ in range(7):
        add_case(item, DAY, Outcome.DOCUMENTS_MISSING, missing_materials="申请表\n身份证原件")
    for _ in range(2):
        add_case(item, DAY, Outcome.DOCUMENTS_MISSING, missing_materials="申请表")
    add_case(
        item, DAY - timedelta(days=200), Outcome.DOCUMENTS_MISSING, missing_materials="身份证原件"
    )
    assert most_often_missing(item, DAY) == [("申请表", 9), ("身份证原件", 7)]
    assert most_often_missing(item, DAY, top=1) == [("申请表", 9)]
    assert most_often_missing(item, DAY + timedelta(days=181)) == []


@pytest.mark.parametrize(
    ("desk_phone", "notify", "expected"),
    [
        ("138 0000 0001", "13900000002", "13800000001"),  # the phone given at the desk first
        (None, "+86 139-0000-0002", "13900000002"),  # else the number they asked to be told at
        (None, "zhang@example.cn", None),  # an e-mail address is no phone
    ],
)
def test_a_recorded_case_keys_the_first_phone_known(
    world, issue, open_windows, serve, desk_phone, notify, expected
):
    issue(world.items.licence_change, notify_address=notify)
    ticket = serve(world.windows.business, world.users.clerk, start=True)
    case_ = complete_ticket(
        ticket,
        now=ticket.started_dt + timedelta(minutes=5),
        outcome=Outcome.COMPLETED,
        applicant_phone=desk_phone,
    )
    assert case_.phone_key == (keyed_hash(expected) if expected else None)
