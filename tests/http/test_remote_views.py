"""远程取号 over HTTP: the phone's pages and the API, "I am in the hall" on the ticket page and
by the kiosk's scan, the settings, the display's and the report's own channel."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from service_center.db import db
from service_center.notifications.models import Notification, NotificationKind
from service_center.queueing import services
from service_center.queueing.models import Ticket, TicketState
from tests.fixtures.booking import NO_LIMITS
from tests.fixtures.notifications import webhook_config

EN = {"Accept-Language": "en"}


@pytest.fixture
def english_kiosk(client):
    """The resident chose English with the kiosk's switch (the kiosk ignores Accept-Language)."""
    client.set_cookie("lang", "en")


ZH = {"Accept-Language": "zh-CN"}


@pytest.fixture
def app_config(gateway) -> dict[str, Any]:
    return {**NO_LIMITS, **webhook_config(gateway)}


@pytest.fixture
def remote_on(world):
    world.center.remote_tickets = True
    world.center.remote_per_phone = 2
    db.session.commit()
    return world.center


def take(client, world, phone="13800000001", item=None) -> Any:
    return client.post(
        "/api/v1/centers/testtown/remote-tickets",
        json={"service": (item or world.items.licence).id, "phone": phone},
        headers=EN,
    )


def test_the_remote_page_lists_the_items_only_where_the_center_allows_it(client, world, app_clock):
    page = client.get("/remote/testtown", headers=EN).get_data(as_text=True)
    assert 'id="remote-off"' in page and f"/remote/testtown/{world.items.licence.id}" not in page
    world.center.remote_tickets = True
    world.items.food.remote_allowed = False
    db.session.commit()
    page = client.get("/remote/testtown", headers=EN).get_data(as_text=True)
    assert 'id="remote-off"' not in page and 'id="remote-closed"' not in page
    assert f"/remote/testtown/{world.items.licence.id}" in page
    assert f"/remote/testtown/{world.items.food.id}" not in page
    assert client.get("/remote/nowhere").status_code == 404
    assert client.get("/remote/testtown/99999999999").status_code == 404


def test_a_number_from_the_phone_then_i_am_in_the_hall(client, world, remote_on, app_clock):
    url = f"/remote/testtown/{world.items.licence.id}"
    bad = client.post(url, data={"phone": "12345"}, headers=EN)
    assert bad.status_code == 422
    html = bad.get_data(as_text=True)
    assert 'aria-invalid="true"' in html and 'id="phone-error"' in html
    assert db.session.scalars(select(Ticket)).all() == []

    taken = client.post(url, data={"phone": "138 0000 0001"}, headers=EN)
    assert taken.status_code == 302
    ticket = db.session.scalars(select(Ticket)).one()
    assert taken.headers["Location"].endswith(f"/t/{ticket.token}")
    assert ticket.is_remote and ticket.notify_address == "13800000001"
    page = client.get(f"/t/{ticket.token}", headers=EN).get_data(as_text=True)
    assert 'id="arrived-button"' in page and f"/t/{ticket.token}/qr.svg" in page
    assert "13800000001" not in page  # masked: 138****0001
    (message,) = db.session.scalars(select(Notification)).all()
    assert message.kind is NotificationKind.TAKEN and ticket.number in message.body

    arrived = client.post(f"/t/{ticket.token}/arrived", headers=EN)
    assert arrived.status_code == 302
    page = client.get(f"/t/{ticket.token}", headers=EN).get_data(as_text=True)
    assert 'id="arrived"' in page and 'id="arrived-button"' not in page
    db.session.refresh(ticket)
    assert ticket.arrived_dt == app_clock.now


def test_a_refusal_is_said_in_the_residents_language(client, world, remote_on, app_clock):
    world.items.licence.remote_allowed = False
    db.session.commit()
    url = f"/remote/testtown/{world.items.licence.id}"
    page = client.get(url, headers=ZH).get_data(as_text=True)
    assert 'id="remote-off"' in page and "remote-form" not in page
    refused = client.post(url, data={"phone": "13800000001"}, headers=ZH)
    assert refused.status_code == 422
    assert "本中心此事项不能用手机取号" in refused.get_data(as_text=True)


def test_the_api_takes_a_remote_ticket_and_its_arrival(client, world, remote_on, app_clock):
    response = take(client, world)
    assert response.status_code == 201
    ticket = response.get_json()
    assert (ticket["remote"], ticket["arrived"], ticket["status"]) == (True, False, "waiting")
    again = client.post(f"/api/v1/tickets/{ticket['token']}/arrival")
    assert again.status_code == 200 and again.get_json()["arrived"] is True
    walk_in = client.post(
        "/api/v1/tickets", json={"center": "testtown", "service": world.items.licence.id}
    ).get_json()
    assert (walk_in["remote"], walk_in["arrived"]) == (False, True)


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"service": 1, "phone": "12345"}, 422, "phone"),
        ({"service": 1}, 422, "phone"),
        ({"phone": "13800000001"}, 422, "service"),
    ],
)
def test_the_api_names_the_bad_field(client, world, remote_on, app_clock, body, status, field):
    body = {**body}
    if "service" in body:
        body["service"] = world.items.licence.id
    response = client.post("/api/v1/centers/testtown/remote-tickets", json=body, headers=EN)
    assert response.status_code == status
    assert response.headers["Content-Type"].startswith("application/problem+json")
    problem = response.get_json()
    assert field in str(problem), problem


def test_the_api_refuses_where_not_allowed_and_over_the_caps(client, world, remote_on, app_clock):
    world.center.remote_daily_cap = 1
    db.session.commit()
    assert take(client, world).status_code == 201
    over = take(client, world, phone="13800000002")
    assert over.status_code == 409 and "from the phone" in over.get_json()["detail"]
    world.center.remote_tickets = False
    db.session.commit()
    assert take(client, world, phone="13800000003").status_code == 403
    assert (
        client.post(
            "/api/v1/centers/nowhere/remote-tickets",
            json={"service": world.items.licence.id, "phone": "13800000001"},
        ).status_code
        == 404
    )


def test_the_kiosk_scan_confirms_arrival_and_puts_a_missed_number_back(
    english_kiosk, client, world, remote_on, open_windows, app_clock
):
    first = take(client, world).get_json()
    second = take(client, world, phone="13800000002").get_json()
    scanned = client.post(
        "/kiosk/testtown/arrivals",
        data={"ticket": f"https://hall.example.cn/t/{second['token']}"},
        headers=EN,
    )
    assert scanned.status_code == 302
    page = client.get("/kiosk/testtown", headers=EN).get_data(as_text=True)
    assert f"Ticket {second['number']}: welcome" in page
    # the first is not in the hall when its turn comes: a no-show; the second is called
    called = services.call_next_ticket(world.windows.business, now=app_clock.now)
    db.session.commit()
    assert called.number == second["number"]
    missed = db.session.get(Ticket, first["id"])
    assert missed.state is TicketState.NO_SHOW
    page = client.get(f"/t/{first['token']}", headers=EN).get_data(as_text=True)
    assert "Your turn came before you were in the hall" in page
    app_clock.advance(minutes=3)
    client.post("/kiosk/testtown/arrivals", data={"ticket": first["token"]}, headers=EN)
    db.session.refresh(missed)
    assert missed.state is TicketState.WAITING and missed.arrived_dt == app_clock.now

    bad = client.post("/kiosk/testtown/arrivals", data={"ticket": "hello"}, headers=EN)
    assert bad.status_code == 302
    assert "not a ticket" in client.get("/kiosk/testtown", headers=EN).get_data(as_text=True)


def test_supervisors_set_the_switches_and_caps(client, world, login_as, app_clock):
    login_as(world.users.supervisor)
    response = client.put(
        "/api/v1/admin/centers/testtown",
        json={"remote_tickets": True, "remote_daily_cap": 50, "remote_per_phone": 2},
        headers=EN,
    )
    assert response.status_code == 200, response.get_json()
    data = response.get_json()
    assert (data["remote_tickets"], data["remote_daily_cap"], data["remote_per_phone"]) == (
        True,
        50,
        2,
    )
    bad = client.put("/api/v1/admin/centers/testtown", json={"remote_per_phone": 0}, headers=EN)
    assert bad.status_code == 422 and "per phone" in str(bad.get_json())
    item = client.put(
        f"/api/v1/admin/centers/testtown/items/{world.items.food.id}",
        json={"remote_allowed": False},
        headers=EN,
    )
    assert item.status_code == 200 and item.get_json()["remote_allowed"] is False


def test_the_display_and_the_report_count_the_phones_own_channel(
    client, world, remote_on, login_as, app_clock
):
    take(client, world)
    client.post("/api/v1/tickets", json={"center": "testtown", "service": world.items.food.id})
    feed = client.get("/api/v1/centers/testtown/display").get_json()
    assert feed["waiting_remote"] == 1 and sum(feed["waiting"].values()) == 2
    hall = client.get("/display/testtown", headers=EN).get_data(as_text=True)
    assert 'data-channel="remote"' in hall
    login_as(world.users.supervisor)
    day = app_clock.now.date().isoformat()
    report = client.get(f"/api/v1/reports/daily?center=testtown&date={day}").get_json()
    assert (report["tickets_remote"], report["tickets_walk_in"]) == (1, 1)
    assert report["tickets"]["business"]["remote"] == 1
