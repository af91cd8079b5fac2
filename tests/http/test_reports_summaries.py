"""A range's figures from stored day summaries: the same as from the cases, and never stale.

Days are counted back from the real today (the summaries close a day by the app's clock), so
every day used here is a closed day, whatever the date the tests run on.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, update

from service_center.clock import now_utc
from service_center.db import db
from service_center.demo.history import seed_history
from service_center.queueing import services as queue
from service_center.queueing.models import Case, Evaluation, Outcome, Ticket, TicketState
from service_center.queueing.ratings import rate_case
from service_center.reports import series
from service_center.reports.api import figures_json
from service_center.reports.models import ReportDay
from service_center.reports.services import Scope, compute_figures
from service_center.reports.summaries import _split, last_closed_day
from service_center.windows.models import WindowState


def today_of(center: Any) -> date:
    """The day after the center's last closed day: its local today, except in the first
    minutes after midnight (``summaries.GRACE``), when yesterday is not closed yet."""
    return last_closed_day(center, now_utc()) + timedelta(days=1)


def at(center: Any, day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), ZoneInfo(center.timezone))


def figures(scope: Scope, first: date, last: date, **kw: Any) -> dict[str, Any]:
    db.session.commit()  # as a new request: see what the last one stored (SQLite's snapshot)
    return figures_json(compute_figures(scope, first, last, **kw))


def chart(scope: Scope, first: date, last: date) -> list[tuple[str, dict[int, int]]]:
    """The range page's bars: cases per case type of each day (one day: from the cases)."""
    return [(b.label, b.counts) for b in series.daily_series(scope, first, last)]


def days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=d) for d in range((last - first).days + 1)]


def stored_days() -> int:
    db.session.commit()
    return db.session.scalar(select(func.count()).select_from(ReportDay))


def seed(center: Any, first: date, last: date, per_day: int = 12) -> None:
    seed_history(center, first=first, last=last, per_day=per_day, today=today_of(center))
    db.session.commit()


def test_a_range_from_summaries_equals_the_range_from_the_cases(world):
    town = world.windows.business.center
    other = world.windows.other.center
    today = today_of(town)
    seed(town, today - timedelta(days=75), today - timedelta(days=1))
    seed(other, today - timedelta(days=75), today - timedelta(days=1), per_day=5)
    # and a ticket of today, which stays live
    queue.issue_ticket(town, world.items.licence, now=now_utc(), booked=True)
    db.session.commit()
    scopes = [Scope((town,)), Scope((town, other), is_county=True)]
    ranges = [  # each holds a whole month (stored as one) and days on either side
        (today - timedelta(days=75), today),
        (today - timedelta(days=70), today - timedelta(days=10)),
        (today - timedelta(days=80), today + timedelta(days=3)),
    ]
    for scope in scopes:
        for first, last in ranges:
            live = figures(scope, first, last, live=True)
            assert live["cases"]["business"] > 0
            assert figures(scope, first, last) == live  # the missing days computed, stored
            assert stored_days() > 0
            assert figures(scope, first, last) == live  # read from the summaries
            assert chart(scope, first, last) == [
                bucket for day in days(first, last) for bucket in chart(scope, day, day)
            ]
            totals = {t.code: n for t, n in series.case_type_totals(scope, first, last)}
            assert totals == live["cases"]
    months = db.session.scalar(select(func.count()).select_from(ReportDay).where(ReportDay.month))
    assert months >= 2


def test_a_rating_given_after_its_day_shows_in_the_range(world):
    town = world.windows.business.center
    today = today_of(town)
    seed(town, today - timedelta(days=70), today - timedelta(days=1))
    scope = Scope((town,))
    first = today - timedelta(days=70)
    before = figures(scope, first, today)
    months, _days = _split(first, today - timedelta(days=1))
    # a case of a month stored whole, then one of the last two weeks (a day or a month)
    for between in (months[0], (today - timedelta(days=14), today - timedelta(days=1))):
        rate_a_case_of(*between)
        after = figures(scope, first, today)
        assert after["satisfaction"]["count"] == before["satisfaction"]["count"] + 1
        assert after == figures(scope, first, today, live=True)
        before = after


def rate_a_case_of(first: date, last: date) -> None:
    ticket = db.session.scalar(
        select(Ticket)
        .join(Case, Case.ticket_id == Ticket.id)
        .outerjoin(Evaluation, Evaluation.case_id == Case.id)
        .where(Case.service_date.between(first, last), Evaluation.id.is_(None))
        .order_by(Case.service_date.desc())
        .limit(1)
    )
    rate_case(ticket, rating=1, comment="nobody explained the form", now=now_utc())
    db.session.commit()


@pytest.fixture
def yesterdays_ticket(world):
    """A ticket issued a few days ago that is still waiting (the queue outlives midnight)."""
    town = world.windows.business.center
    for window in vars(world.windows).values():
        window.state = WindowState.OPEN
    db.session.commit()
    return town


def test_tickets_of_an_earlier_day_changed_today_show_in_the_range(world, yesterdays_ticket):
    town = yesterdays_ticket
    today = today_of(town)
    day = today - timedelta(days=2)
    scope = Scope((town,))
    first, last = today - timedelta(days=5), today

    def current() -> dict[str, Any]:
        shown = figures(scope, first, last)
        assert shown == figures(scope, first, last, live=True)
        return shown

    assert current()["tickets_issued"] == 0 and stored_days() > 0
    ticket = queue.issue_ticket(town, world.items.licence, now=at(town, day), booked=True)
    db.session.commit()
    assert current()["tickets_issued"] == 1

    window = world.windows.business
    ticket = queue.call_next_ticket(window, now=now_utc())
    queue.recall_ticket(ticket, now=now_utc())  # called twice before a no-show
    db.session.commit()
    queue.mark_no_show(ticket, now=now_utc())
    db.session.commit()
    assert current()["no_shows"] == 1

    queue.requeue_ticket(ticket, now=now_utc())
    db.session.commit()
    assert current()["no_shows"] == 0

    ticket = queue.call_next_ticket(window, now=now_utc())
    db.session.commit()
    queue.transfer_ticket(ticket, now=now_utc(), item=world.items.project)
    db.session.commit()
    shown = current()
    assert shown["tickets_issued"] == 1
    assert shown["tickets"]["investment"]["issued"] == 1
    assert ticket.state is TicketState.WAITING


def test_a_case_completed_with_a_past_moment_shows_in_the_range(world, yesterdays_ticket):
    town = yesterdays_ticket
    today = today_of(town)
    day = today - timedelta(days=4)
    scope = Scope((town,))
    first, last = today - timedelta(days=6), today - timedelta(days=1)
    assert figures(scope, first, last)["cases"]["business"] == 0
    moment = at(town, day)
    ticket = queue.issue_ticket(town, world.items.licence, now=moment, booked=True)
    db.session.commit()
    ticket = queue.call_next_ticket(world.windows.business, now=moment + timedelta(minutes=1))
    queue.start_ticket(ticket, now=moment + timedelta(minutes=2))
    queue.complete_ticket(ticket, now=moment + timedelta(minutes=9), outcome=Outcome.COMPLETED)
    db.session.commit()
    shown = figures(scope, first, last)
    assert shown["cases"]["business"] == 1
    assert shown["service_seconds"]["p90"] == 7 * 60
    assert shown == figures(scope, first, last, live=True)


def test_seeding_history_into_summarised_days_shows_in_the_range(world):
    town = world.windows.business.center
    today = today_of(town)
    scope = Scope((town,))
    first, last = today - timedelta(days=20), today - timedelta(days=1)
    assert figures(scope, first, last)["cases"]["business"] == 0
    assert stored_days() == 20  # empty days are summarised too
    seed(town, first, last)
    shown = figures(scope, first, last)
    assert shown["cases"]["business"] > 0
    assert shown == figures(scope, first, last, live=True)


def test_a_day_read_alone_equals_the_day_read_within_a_range(world):
    """A day alone reads both times as (wait, service) pairs and its low comments with the
    ratings; a range reads one histogram per time and its comments with the ratings too
    (live), or adds stored summaries and reads its comments on their own: the same figures."""
    town = world.windows.business.center
    other = world.windows.other.center
    today = today_of(town)
    seed(town, today - timedelta(days=9), today - timedelta(days=2), per_day=80)
    seed(other, today - timedelta(days=9), today - timedelta(days=2), per_day=20)
    day = db.session.scalar(select(func.max(Case.service_date)))
    # cases without a waiting time (never called) or a service time (never started)
    of_the_day = select(Case.id).where(Case.center_id == town.id, Case.service_date == day)
    ids = db.session.scalars(of_the_day.order_by(Case.id).limit(6)).all()
    db.session.execute(update(Case).where(Case.id.in_(ids[:3])).values(wait_seconds=None))
    db.session.execute(update(Case).where(Case.id.in_(ids[2:])).values(service_seconds=None))
    in_town = db.session.scalar(select(func.count()).select_from(of_the_day.subquery()))
    alone = figures(Scope((town,)), day, day)
    assert (alone["wait_seconds"]["count"], alone["service_seconds"]["count"]) == (
        in_town - 3,
        in_town - 4,
    )
    assert alone["satisfaction"]["low_comments"]
    for scope in (Scope((town,)), Scope((town, other), is_county=True)):
        alone = figures(scope, day, day)
        # the days after ``day`` up to yesterday hold no case
        assert figures(scope, day, today - timedelta(days=1), live=True) == alone
        assert figures(scope, day, today - timedelta(days=1)) == alone
        assert figures(scope, day, today - timedelta(days=1)) == alone  # stored
