"""The monthly rankings of windows and clerks: exact figures of a small November."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from itertools import count

import pytest

from service_center.db import db
from service_center.privacy import keyed_hash
from service_center.quality.models import Rectification
from service_center.quality.rankings import rankings
from service_center.queueing.models import Case, Evaluation, Outcome

_numbers = count(1)


def add(item, day, outcome, *, phone, seconds, clerk, window, rating=None, due=None, closed=None):
    done = datetime.combine(day, time(4), tzinfo=UTC)
    case_ = Case(
        number=f"R-{next(_numbers):06d}",
        center_id=item.center_id,
        service_date=day,
        service_item_id=item.id,
        case_type_id=item.case_type_id,
        outcome=outcome,
        issued_dt=done - timedelta(minutes=30),
        completed_dt=done,
        service_seconds=seconds,
        clerk_id=clerk.id,
        window_id=window.id,
        phone_key=keyed_hash(phone),
    )
    db.session.add(case_)
    db.session.flush()
    if rating is not None:
        evaluation = Evaluation(
            case_id=case_.id,
            center_id=item.center_id,
            service_date=day,
            rating=rating,
            created_dt=done,
        )
        db.session.add(evaluation)
        db.session.flush()
        if due is not None:
            db.session.add(
                Rectification(
                    center_id=item.center_id,
                    case_id=case_.id,
                    evaluation_id=evaluation.id,
                    opened_dt=done,
                    opened_date=day,
                    due_date=due,
                    closed_date=closed,
                )
            )
    db.session.flush()
    return case_


@pytest.fixture
def november(world):
    """Clerk at window 1: 3 cases; clerk2 at window 2: 1 case; one October case, one elsewhere."""
    items, users, windows = world.items, world.users, world.windows
    clerk, clerk2 = users.clerk, users.clerk2
    first = dict(clerk=clerk, window=windows.business)
    # licence: 10 standard minutes; project: 20
    add(
        items.licence,
        date(2026, 11, 2),
        Outcome.DOCUMENTS_MISSING,
        phone="13800000001",
        seconds=300,
        rating=1,
        due=date(2026, 11, 5),
        **first,
    )
    add(
        items.licence,
        date(2026, 11, 3),
        Outcome.COMPLETED,
        phone="13800000001",
        seconds=600,
        rating=5,
        **first,
    )
    add(
        items.project,
        date(2026, 11, 4),
        Outcome.COMPLETED,
        phone="13800000002",
        seconds=1800,
        rating=4,
        **first,
    )
    add(
        items.marriage,
        date(2026, 11, 10),
        Outcome.NOT_ACCEPTED,
        phone="13800000003",
        seconds=1200,
        rating=2,
        due=date(2026, 11, 20),
        closed=date(2026, 11, 19),
        clerk=clerk2,
        window=windows.mixed,
    )
    add(
        items.licence,
        date(2026, 10, 30),
        Outcome.COMPLETED,
        phone="13800000009",
        seconds=60,
        rating=1,
        **first,
    )
    add(
        items.other_licence,
        date(2026, 11, 2),
        Outcome.COMPLETED,
        phone="13800000009",
        seconds=60,
        clerk=users.other_clerk,
        window=windows.other,
    )
    return world


def figures(row):
    return (
        row.label,
        row.cases,
        None if row.mean_rating is None else round(row.mean_rating, 2),
        row.bad_reviews,
        row.overdue_rectifications,
        None if row.one_trip.rate is None else round(row.one_trip.rate, 4),
        row.median_service_percent,
    )


def test_the_month_ranks_clerks_and_windows_by_cases(november):
    result = rankings(november.center.id, date(2026, 11, 17), date(2026, 12, 6))
    assert (result.first, result.last, result.as_of) == (
        date(2026, 11, 1),
        date(2026, 11, 30),
        date(2026, 11, 30),
    )
    assert [figures(r) for r in result.by_clerk] == [
        ("clerk", 3, 3.33, 1, 1, 0.6667, 100.0),
        ("clerk2", 1, 2.0, 1, 0, 1.0, 200.0),
    ]
    assert [r.cases for r in result.by_window] == [3, 1]
    assert result.by_window[0].key == november.windows.business.id
    assert figures(result.by_window[1])[1:] == (1, 2.0, 1, 0, 1.0, 200.0)


def test_overdue_is_judged_on_today_within_the_month(november):
    result = rankings(november.center.id, date(2026, 11, 1), date(2026, 11, 4))
    assert [r.overdue_rectifications for r in result.by_clerk] == [0, 0]
    result = rankings(november.center.id, date(2026, 11, 1), date(2026, 11, 6))
    assert [r.overdue_rectifications for r in result.by_clerk] == [1, 0]


def test_a_clerk_gets_only_their_own_row(november):
    result = rankings(
        november.center.id,
        date(2026, 11, 1),
        date(2026, 12, 6),
        clerk_id=november.users.clerk2.id,
    )
    assert [r.label for r in result.by_clerk] == ["clerk2"]


def test_an_empty_month_has_no_rows(november):
    result = rankings(november.center.id, date(2026, 9, 1), date(2026, 12, 6))
    assert result.by_clerk == [] and result.by_window == []
