"""The rating (好差评) rules: one per closed case, 5 … 1, a reason for the two lowest."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from service_center.db import db
from service_center.errors import Invalid
from service_center.queueing import services as queue
from service_center.queueing import signals
from service_center.queueing.models import Evaluation, Outcome
from service_center.queueing.ratings import AlreadyRated, NotRateable, check_rateable, rate_case

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


# -- the national scheme's sub-ratings and the call-back (回访) --------------------------------


@pytest.fixture
def sent():
    """The ``contact`` each ``case_rated`` carried."""
    contacts: list[str | None] = []

    def receiver(evaluation, *, contact=None, **_):
        contacts.append(contact)

    with signals.case_rated.connected_to(receiver):
        yield contacts


def test_the_sub_ratings_are_kept_and_each_may_be_left_out(world, clock, done):
    evaluation = rate_case(done, rating=4, efficiency=5, service_level=3, now=clock.now)
    db.session.commit()
    assert (evaluation.efficiency, evaluation.attitude, evaluation.service_level) == (5, None, 3)
    assert evaluation.follow_up_consent is False


@pytest.mark.parametrize("name", ["efficiency", "attitude", "service_level"])
@pytest.mark.parametrize("score", [0, 6, "4", 2.0, True])
def test_a_sub_rating_outside_one_to_five_is_refused_on_its_field(world, clock, done, name, score):
    with pytest.raises(Invalid, match="or leave it empty") as refused:
        rate_case(done, rating=5, now=clock.now, **{name: score})
    assert refused.value.field == name
    db.session.rollback()
    assert ratings() == 0


@pytest.mark.parametrize(
    ("given", "kept"),
    [("138 1234 5678", "13812345678"), ("+86 139-0000-1111", "13900001111")],
)
def test_a_call_back_phone_goes_with_the_signal_normalised(world, clock, done, sent, given, kept):
    evaluation = rate_case(
        done, rating=1, comment="没人理", follow_up_consent=True, contact=given, now=clock.now
    )
    assert sent == [kept]
    assert evaluation.follow_up_consent is True
    # the phone is the rectification's business, never the rating's
    assert kept not in repr(vars(evaluation))


def test_without_consent_no_phone_is_taken(world, clock, done, sent):
    with pytest.raises(Invalid, match="only for a call-back") as refused:
        rate_case(done, rating=2, comment="慢", contact="13812345678", now=clock.now)
    assert refused.value.field == "contact"
    db.session.rollback()
    assert ratings() == 0 and sent == []
    rate_case(done, rating=2, comment="慢", contact="  ", now=clock.now)
    assert sent == [None]


@pytest.mark.parametrize("given", ["12345", "23812345678", "1381234567x", "1" * 21])
def test_a_call_back_phone_must_be_a_mobile_number(world, clock, done, given):
    with pytest.raises(Invalid, match="11-digit") as refused:
        rate_case(
            done, rating=1, comment="差", follow_up_consent=True, contact=given, now=clock.now
        )
    assert refused.value.field == "contact"


def test_consent_needs_a_phone_unless_the_case_has_one(world, clock, done, sent):
    with pytest.raises(Invalid, match="phone number the center can call") as refused:
        rate_case(done, rating=1, comment="差", follow_up_consent=True, now=clock.now)
    assert refused.value.field == "contact"
    db.session.rollback()
    done.case.applicant_phone = "13700001111"
    db.session.commit()
    evaluation = rate_case(done, rating=1, comment="差", follow_up_consent=True, now=clock.now)
    # the listener calls the case's phone: the signal says no other was given
    assert evaluation.follow_up_consent is True and sent == [None]


def test_the_kiosk_can_ask_before_showing_the_form(world, clock, done, issue):
    check_rateable(done)
    rate_case(done, rating=5, now=clock.now)
    db.session.commit()
    with pytest.raises(AlreadyRated):
        check_rateable(done)
    with pytest.raises(NotRateable):
        check_rateable(issue(world.items.licence_change))
