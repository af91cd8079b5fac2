"""A resident who missed their call puts themselves back in the queue at the kiosk."""

from __future__ import annotations

import pytest

from service_center.db import db
from service_center.queueing import services as queue
from service_center.queueing.models import TicketState

EN = {"Accept-Language": "en"}


@pytest.fixture
def english_kiosk(client):
    """The resident chose English with the kiosk's switch (the kiosk ignores Accept-Language)."""
    client.set_cookie("lang", "en")


@pytest.fixture
def missed(world, clock, issue, open_windows, desk_clock):
    """B001 called twice at window 1, then marked no-show; B002 waiting."""
    ticket = issue(world.items.licence_change)
    issue(world.items.licence_change)
    queue.call_next_ticket(world.windows.business, now=clock.now)
    queue.recall_ticket(ticket, now=clock.now)
    queue.mark_no_show(ticket, now=clock.now)
    db.session.commit()
    return ticket


def test_the_kiosk_has_the_missed_number_form(world, client, desk_clock):
    start = client.get("/kiosk/testtown").get_data(as_text=True)
    assert 'href="/kiosk/testtown/requeue"' in start and "错过叫号" in start
    html = client.get("/kiosk/testtown/requeue").get_data(as_text=True)
    assert 'action="/kiosk/testtown/requeue"' in html and "错过叫号" in html


def test_the_resident_is_put_back_behind_those_waiting(english_kiosk, world, client, missed):
    response = client.post("/kiosk/testtown/requeue", data={"number": "b001"}, headers=EN)
    assert response.headers["Location"] == "/kiosk/testtown"
    page = client.get("/kiosk/testtown", headers=EN).get_data(as_text=True)
    assert "Ticket B001 is back in the queue, behind 1 waiting." in page
    db.session.expire_all()
    assert (missed.state, missed.is_requeued) == (TicketState.WAITING, True)


@pytest.mark.parametrize(
    ("number", "message"),
    [
        ("B002", "Ticket B002 is waiting; it cannot be put back in the queue."),
        ("B404", "No ticket B404 was issued here today."),
        ("", "Enter your ticket number, e.g. B017."),
    ],
)
def test_the_kiosk_refuses_clearly(english_kiosk, world, client, missed, number, message):
    client.post("/kiosk/testtown/requeue", data={"number": number}, headers=EN)
    page = client.get("/kiosk/testtown", headers=EN).get_data(as_text=True)
    assert message in page
    db.session.expire_all()
    assert missed.state is TicketState.NO_SHOW


def test_only_once(english_kiosk, world, client, missed):
    client.post("/kiosk/testtown/requeue", data={"number": "B001"})
    queue.call_next_ticket(world.windows.business, now=missed.queued_dt)  # B002
    db.session.commit()
    client.post("/kiosk/testtown/requeue", data={"number": "B001"}, headers=EN)
    page = client.get("/kiosk/testtown", headers=EN).get_data(as_text=True)
    assert "B001 is waiting; it cannot be put back" in page


def test_the_ticket_page_tells_how_and_until_when_to_get_back_in_the_queue(
    world, client, clock, missed
):
    page = client.get(f"/t/{missed.token}", headers=EN).get_data(as_text=True)
    assert (
        "Until 10:32 you can get back in the queue once: at the kiosk, choose "
        "“Missed your number? Get back in the queue” and enter B001." in page
    )
    assert "information desk" not in page
    clock.advance(minutes=31)
    page = client.get(f"/t/{missed.token}", headers=EN).get_data(as_text=True)
    assert "The time to get back in the queue ended at 10:32: please take a new ticket." in page
