"""The rating (好差评) rules: one per closed case, 5 … 1, a reason for the two lowest."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from service_center.db import db
from service_center.errors import Invalid
from service_center.queueing import services as queue
from service_center.queueing.models import Evaluation, Outcome
from service_center.queueing.ratings import AlreadyRated, NotRateable, rate_case

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def done(world, clock, issue, open_windows):
    """A ticket completed on Friday 27 Nov 2026 (Shanghai)."""
    ticket = issue(world.items.licence_change)
    window = world.windows.business
    queue.call_next_ticket(window, now=clock.now)
    queue.start_ticket(ticket, now=clock.now)
    queue.complete_ticket(ticket, now=clock.advance(hours=5), outcome=Outcome.COMPLETED)
    db.session.commit()
    return ticket


def ratings():
    return db.session.scalar(select(func.count(Evaluation.id)))


@pytest.mark.parametrize(
    ("rating", "comment"), [(5, ""), (4, None), (3, "还行"), (2, "等太久"), (1, "态度差")]
)
def test_a_closed_case_takes_one_rating(world, clock, done, rating, comment):
    evaluation = rate_case(done, rating=rating, comment=comment, now=clock.now + timedelta(days=1))
    db.session.commit()
    assert (evaluation.rating, evaluation.comment) == (rating, comment or "")
    assert evaluation.case_id == done.case.id
    # rated the next day, counted with its case on the 27th
    assert (evaluation.center_id, evaluation.service_date) == (world.center.id, date(2026, 11, 27))


@pytest.mark.parametrize("rating", [1, 2])
@pytest.mark.parametrize("comment", ["", "   ", None])
def test_the_two_lowest_ratings_need_the_reason(world, clock, done, rating, comment):
    with pytest.raises(Invalid, match="what went wrong") as refused:
        rate_case(done, rating=rating, comment=comment, now=clock.now)
    assert refused.value.field == "comment"
    db.session.rollback()
    assert ratings() == 0


@pytest.mark.parametrize("rating", [0, 6, -1, "5", 4.5, True, None])
def test_a_rating_outside_one_to_five_is_refused(world, clock, done, rating):
    with pytest.raises(Invalid, match="from 5") as refused:
        rate_case(done, rating=rating, comment="", now=clock.now)
    assert refused.value.field == "rating"


def test_a_comment_too_long_is_refused(world, clock, done):
    with pytest.raises(Invalid, match="at most 500"):
        rate_case(done, rating=4, comment="好" * 501, now=clock.now)


def test_a_second_rating_is_refused(world, clock, done):
    rate_case(done, rating=5, now=clock.now)
    db.session.commit()
    with pytest.raises(AlreadyRated):
        rate_case(done, rating=1, comment="改主意了", now=clock.now)
    db.session.rollback()
    assert [e.rating for e in db.session.scalars(select(Evaluation))] == [5]


@pytest.mark.parametrize("state", ["waiting", "called", "serving", "no_show"])
def test_a_ticket_not_completed_cannot_be_rated(world, clock, issue, open_windows, app, state):
    app.config["QUEUE_NO_SHOW_MIN_CALLS"] = 1
    ticket = issue(world.items.licence_change)
    if state != "waiting":
        queue.call_next_ticket(world.windows.business, now=clock.now)
    if state == "serving":
        queue.start_ticket(ticket, now=clock.now)
    if state == "no_show":
        queue.mark_no_show(ticket, now=clock.now)
    db.session.commit()
    with pytest.raises(NotRateable, match="once your case is closed"):
        rate_case(ticket, rating=5, now=clock.now)
    db.session.rollback()
    assert ratings() == 0
