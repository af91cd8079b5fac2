"""好差评 at the kiosk: scan the ticket's QR code, rate with big targets, thanks, back to start."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from service_center.db import db
from service_center.queueing import services as queue
from service_center.queueing.models import Evaluation, Outcome

EN = {"Accept-Language": "en"}


@pytest.fixture(autouse=True)
def english_kiosk(client):
    """The resident chose English with the kiosk's switch (the kiosk ignores Accept-Language)."""
    client.set_cookie("lang", "en")


@pytest.fixture
def served(world, clock, issue, open_windows, desk_clock):
    """A walk-in ticket served and completed at window 1."""
    ticket = issue(world.items.licence_change)
    queue.call_next_ticket(world.windows.business, now=clock.now)
    queue.start_ticket(ticket, now=clock.now)
    queue.complete_ticket(ticket, now=clock.advance(minutes=8), outcome=Outcome.COMPLETED)
    db.session.commit()
    return ticket


def scan(client, code):
    return client.post("/kiosk/testtown/rate", data={"ticket": code})


def test_the_start_screen_leads_to_the_scan(client, world, desk_clock):
    start = client.get("/kiosk/testtown").get_data(as_text=True)
    assert re.search(r'id="rate-link" href="/kiosk/testtown/rate">Rate our service<', start)
    screen = client.get("/kiosk/testtown/rate")
    assert screen.headers["Cache-Control"] == "no-store"
    assert re.search(r'<input id="ticket" name="ticket"[^>]*autofocus', screen.get_data(True))


def test_scan_rate_thanks_and_back_to_the_start(client, world, served):
    shown = scan(client, f"https://hall.example.cn/t/{served.token}")
    page = shown.get_data(as_text=True)
    assert shown.status_code == 200 and shown.headers["Cache-Control"] == "no-store"
    assert served.number in page and 'class="kiosk-main kiosk-rating"' in page
    assert re.search(r"<details[^>]*>\s*<summary>More detail \(optional\)", page)
    assert "data-kiosk-return" in page and "kiosk_return.js" in page  # an abandoned form leaves
    sent = client.post(
        f"/kiosk/testtown/rate/{served.token}",
        data={"rating": "5", "efficiency": "5", "service_level": "4"},
    )
    assert sent.status_code == 302
    assert sent.headers["Location"] == "/kiosk/testtown/rate/thanks"  # no token to page back to
    thanks = client.get(sent.headers["Location"]).get_data(as_text=True)
    assert "Thank you for your rating!" in thanks
    assert re.search(r'id="countdown-seconds">10<', thanks)
    done = re.search(r'<a [^>]*id="done" href="([^"]+)" data-kiosk-return="10"', thanks)
    assert done and "testtown" in done.group(1)  # the start, in the kiosk's own language
    evaluation = db.session.scalars(select(Evaluation)).one()
    assert (evaluation.rating, evaluation.efficiency, evaluation.service_level) == (5, 5, 4)


def test_a_low_rating_at_the_kiosk_asks_why_beside_the_field(client, world, served):
    response = client.post(f"/kiosk/testtown/rate/{served.token}", data={"rating": "1"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert re.search(r'id="comment-error">Please tell us what went wrong', page)
    assert 'class="kiosk-main kiosk-rating"' in page
    assert db.session.scalars(select(Evaluation)).all() == []


def test_a_ticket_not_closed_or_rated_already_says_so_on_the_kiosk(client, world, issue, served):
    waiting = issue(world.items.licence_change)
    db.session.commit()
    response = scan(client, waiting.token)
    assert response.status_code == 409
    assert re.search(
        r'id="ticket-error"[^>]*>You can rate the service once your case', response.get_data(True)
    )
    assert (
        client.post(f"/kiosk/testtown/rate/{served.token}", data={"rating": "4"}).status_code == 302
    )
    again = scan(client, served.token)
    assert again.status_code == 409
    assert "This case has already been rated." in again.get_data(as_text=True)
    # a second resident's form sent after the first: the same message, nothing changed
    late = client.post(f"/kiosk/testtown/rate/{served.token}", data={"rating": "1", "comment": "x"})
    assert late.status_code == 409 and "already been rated" in late.get_data(as_text=True)
    assert [e.rating for e in db.session.scalars(select(Evaluation))] == [4]


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("hello", "This is not a ticket"),
        ("", "Scan the QR code"),
        ("x" * 400, "Scan the QR code"),
    ],
)
def test_a_bad_scan_is_422_beside_the_field(client, world, served, code, message):
    response = scan(client, code)
    assert response.status_code == 422
    assert re.search(rf'id="ticket-error"[^>]*>[^<]*{re.escape(message)}', response.get_data(True))


def test_a_ticket_of_another_center_is_not_rated_there(client, world, served):
    response = client.post("/kiosk/otherville/rate", data={"ticket": served.token})
    assert response.status_code == 422
    assert "another service center" in response.get_data(as_text=True)
    form = client.post(f"/kiosk/otherville/rate/{served.token}", data={"rating": "5"})
    assert form.status_code == 404
    assert db.session.scalars(select(Evaluation)).all() == []
