"""The resident's rating (好差评): the API and the form on the ticket page."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from service_center.db import db
from service_center.quality.models import Rectification
from service_center.queueing import services as queue
from service_center.queueing.models import Case, Evaluation, Outcome

EN = {"Accept-Language": "en"}


@pytest.fixture
def closed(world, clock, issue, open_windows, desk_clock):
    """A walk-in ticket served and completed at window 1: its token."""
    ticket = issue(world.items.licence_change)
    queue.call_next_ticket(world.windows.business, now=clock.now)
    queue.start_ticket(ticket, now=clock.now)
    queue.complete_ticket(ticket, now=clock.advance(minutes=8), outcome=Outcome.COMPLETED)
    db.session.commit()
    return ticket.token


def rate(client, token, **body):
    return client.post(f"/api/v1/tickets/{token}/evaluation", json=body, headers=EN)


def evaluations() -> list[tuple[int, str]]:
    return [(e.rating, e.comment) for e in db.session.scalars(select(Evaluation))]


def test_a_rating_is_201_once_then_409(client, closed):
    response = rate(client, closed, rating=4, comment="办得很快")
    assert response.status_code == 201
    assert response.get_json() == {
        "rating": 4,
        "comment": "办得很快",
        "rated_at": "2026-11-27T10:09:00+08:00",
        "efficiency": None,
        "attitude": None,
        "service_level": None,
        "follow_up_consent": False,
    }
    again = rate(client, closed, rating=5)
    assert again.status_code == 409
    assert again.get_json()["detail"] == "This case has already been rated. Thank you!"
    assert evaluations() == [(4, "办得很快")]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"rating": 2}, "comment"),
        ({"rating": 1, "comment": "  "}, "comment"),
        ({"rating": 0}, "rating"),
        ({"rating": "5"}, "rating"),
        ({}, "rating"),
        ({"rating": 3, "comment": 7}, "comment"),
        ({"rating": 3, "comment": "长" * 501}, "comment"),
    ],
)
def test_bad_ratings_are_422_with_the_field(client, closed, body, field):
    response = rate(client, closed, **body)
    assert response.status_code == 422
    assert field in response.get_json()["errors"]
    assert evaluations() == []


def test_a_low_rating_with_its_reason_is_taken(client, closed):
    assert rate(client, closed, rating=1, comment="等了一个小时").status_code == 201
    assert evaluations() == [(1, "等了一个小时")]


def test_a_ticket_not_completed_is_409_and_an_unknown_one_404(world, client, issue):
    waiting = issue(world.items.licence_change)
    response = rate(client, waiting.token, rating=5)
    assert response.status_code == 409
    assert "once your case is closed" in response.get_json()["detail"]
    assert rate(client, "no-such-token", rating=5).status_code == 404


def test_the_ticket_page_offers_the_form_only_when_done(world, client, issue, closed, desk_clock):
    waiting = issue(world.items.licence_change)
    page = client.get(f"/t/{waiting.token}", headers=EN).get_data(as_text=True)
    assert '<form id="rating"' not in page
    # the script fetches the form from here once the case closes: nothing to rate before
    slot = re.search(r'<div id="rating-slot" data-src="([^"]+)"', page).group(1)
    assert slot == f"/t/{waiting.token}/evaluation"
    assert client.get(slot).status_code == 204
    form = client.get(f"/t/{closed}/evaluation", headers=EN)
    assert form.status_code == 200
    assert '<form id="rating"' in form.get_data(as_text=True)
    assert "Very dissatisfied" in form.get_data(as_text=True)
    assert rate(client, closed, rating=5).status_code == 201
    assert client.get(f"/t/{closed}/evaluation").status_code == 204  # rated: nothing more
    assert 'id="rating-slot"' not in client.get(f"/t/{closed}").get_data(as_text=True)


def test_rating_from_the_page_without_javascript(app, world, client, closed):
    app.config["WTF_CSRF_ENABLED"] = True
    page = client.get(f"/t/{closed}", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    form = page.split('<form id="rating"')[1].split("</form>")[0]
    assert " hidden" not in form.split(">")[0]
    for label in ("非常满意", "满意", "一般", "不满意", "非常不满意"):
        assert label in form
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form).group(1)
    refused = client.post(f"/t/{closed}/evaluation", data={"rating": "5"})
    assert refused.status_code == 400  # no CSRF token
    response = client.post(
        f"/t/{closed}/evaluation", data={"rating": "5", "csrf_token": token}, headers=EN
    )
    assert response.status_code == 302 and response.headers["Location"] == f"/t/{closed}"
    page = client.get(f"/t/{closed}", headers=EN).get_data(as_text=True)
    assert "Thank you for your rating!" in page and "Very satisfied" in page
    assert '<form id="rating"' not in page
    assert evaluations() == [(5, "")]


def test_a_low_rating_on_the_page_asks_why_and_keeps_the_choice(world, client, closed):
    response = client.post(f"/t/{closed}/evaluation", data={"rating": "2"}, headers=EN)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Please tell us what went wrong" in page
    assert re.search(r'value="2"[^>]*checked|checked[^>]*value="2"', page)
    assert db.session.scalar(select(func.count(Evaluation.id))) == 0
    response = client.post(
        f"/t/{closed}/evaluation", data={"rating": "2", "comment": "材料说明不清楚"}, headers=EN
    )
    assert response.status_code == 302
    assert evaluations() == [(2, "材料说明不清楚")]


def test_a_second_rating_on_the_page_is_refused_with_a_message(world, client, closed):
    client.post(f"/t/{closed}/evaluation", data={"rating": "3"})
    response = client.post(
        f"/t/{closed}/evaluation", data={"rating": "1", "comment": "x"}, headers=EN
    )
    assert response.status_code == 302
    page = client.get(f"/t/{closed}", headers=EN).get_data(as_text=True)
    assert "This case has already been rated." in page
    assert evaluations() == [(3, "")]


# -- the national scheme: sub-ratings and the call-back (回访) ----------------------------------


def test_the_api_takes_the_sub_ratings_and_a_call_back_phone_it_never_echoes(client, closed):
    response = rate(
        client,
        closed,
        rating=1,
        comment="窗口没人",
        efficiency=2,
        attitude=1,
        follow_up_consent=True,
        contact="+86 138-1234-5678",
    )
    assert response.status_code == 201
    body = response.get_json()
    assert (body["efficiency"], body["attitude"], body["service_level"]) == (2, 1, None)
    assert body["follow_up_consent"] is True
    assert "contact" not in body and "5678" not in response.get_data(as_text=True)
    # the bad review's follow-up calls the number given, normalised
    assert db.session.scalars(select(Rectification.contact)).all() == ["13812345678"]


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"rating": 4, "efficiency": 6}, "efficiency", "or leave it empty"),
        ({"rating": 4, "attitude": "5"}, "attitude", "or leave it empty"),
        ({"rating": 4, "service_level": 0}, "service_level", "or leave it empty"),
        ({"rating": 4, "follow_up_consent": "yes"}, "follow_up_consent", "true or false"),
        ({"rating": 4, "contact": "13812345678"}, "contact", "only for a call-back"),
        ({"rating": 1, "comment": "x", "follow_up_consent": True}, "contact", "can call you"),
        (
            {"rating": 1, "comment": "x", "follow_up_consent": True, "contact": "12345"},
            "contact",
            "11-digit",
        ),
        ({"rating": 4, "contact": "1" * 21}, "contact", "too long"),
    ],
)
def test_bad_sub_ratings_and_phones_are_422_on_their_field(client, closed, body, field, message):
    response = rate(client, closed, **body)
    assert response.status_code == 422
    assert message in response.get_json()["errors"][field][0]
    assert evaluations() == []


def test_the_page_folds_the_sub_ratings_away_and_offers_the_call_back(client, closed):
    page = client.get(f"/t/{closed}", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    form = page.split('<form id="rating"')[1].split("</form>")[0]
    details = re.search(r"<details[^>]*>(.*?)</details>", form, re.S)
    assert " open" not in details.group(0).split(">")[0]  # closed for those who skip it
    assert "更多评价（选填）" in details.group(1)
    for legend in ("办事效率", "服务态度", "服务水平"):
        assert f"<legend>{legend}</legend>" in details.group(1)
    assert 'name="efficiency" type="radio"' in details.group(1)
    after = form.split("</details>")[1]  # outside the fold: seen by everyone
    assert "同意工作人员回访" in after and 'type="tel"' in after
    assert "本次办件没有您的电话" in after  # a walk-in without a phone: it is needed


def test_sub_ratings_and_a_call_back_from_the_page(client, closed):
    response = client.post(
        f"/t/{closed}/evaluation",
        data={
            "rating": "2",
            "comment": "等太久",
            "attitude": "4",
            "follow_up_consent": "y",
            "contact": "139 0000 1111",
        },
        headers=EN,
    )
    assert response.status_code == 302
    evaluation = db.session.scalars(select(Evaluation)).one()
    assert (evaluation.efficiency, evaluation.attitude, evaluation.follow_up_consent) == (
        None,
        4,
        True,
    )
    assert db.session.scalars(select(Rectification.contact)).all() == ["13900001111"]


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"rating": "4", "efficiency": "9"}, "efficiency", "or leave it empty"),
        ({"rating": "4", "contact": "13812345678"}, "contact", "only for a call-back"),
        ({"rating": "1", "comment": "差", "follow_up_consent": "y"}, "contact", "can call you"),
        (
            {"rating": "1", "comment": "差", "follow_up_consent": "y", "contact": "555"},
            "contact",
            "11-digit",
        ),
    ],
)
def test_bad_input_on_the_page_is_422_beside_its_field(client, closed, data, field, message):
    response = client.post(f"/t/{closed}/evaluation", data=data, headers=EN)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    error = re.search(rf'<p class="error" id="{field}-error">([^<]*)</p>', page)
    assert error and message in error.group(1)
    if field == "efficiency":  # the fold opens to show what to correct
        assert re.search(r"<details[^>]*\bopen\b", page)
    assert evaluations() == []


def test_the_page_says_the_phone_is_optional_when_the_case_has_one(client, closed):
    case_ = db.session.scalars(select(Case)).one()
    case_.applicant_phone = "13700001111"
    db.session.commit()
    page = client.get(f"/t/{closed}", headers=EN).get_data(as_text=True)
    assert "Optional: without it, the center calls the number it already has" in page
    response = client.post(
        f"/t/{closed}/evaluation",
        data={"rating": "1", "comment": "差", "follow_up_consent": "y"},
        headers=EN,
    )
    assert response.status_code == 302
    assert db.session.scalars(select(Rectification.contact)).all() == ["13700001111"]
