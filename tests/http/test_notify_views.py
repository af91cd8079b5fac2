"""Opting in to messages: the kiosk's printed ticket, the phone's ticket page, the ticket API,
the booking form and API; the ticket page's list of messages sent."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from service_center.db import db
from service_center.notifications import near
from service_center.notifications.models import Notification, NotificationKind
from service_center.queueing import services
from service_center.queueing.models import Ticket
from tests.fixtures.booking import NO_LIMITS
from tests.fixtures.notifications import webhook_config

EN = {"Accept-Language": "en"}


@pytest.fixture
def english_kiosk(client):
    """The resident chose English with the kiosk's switch (the kiosk ignores Accept-Language)."""
    client.set_cookie("lang", "en")


@pytest.fixture
def app_config(gateway) -> dict[str, Any]:
    return {**NO_LIMITS, **webhook_config(gateway)}


def take(client, world) -> dict[str, Any]:
    response = client.post(
        "/api/v1/tickets", json={"center": "testtown", "service": world.items.licence.id}
    )
    assert response.status_code == 201
    return response.get_json()


def test_the_kiosk_takes_a_number_and_shows_it_masked(english_kiosk, client, world, app_clock):
    ticket = take(client, world)
    url = f"/kiosk/testtown/tickets/{ticket['token']}"
    page = client.get(url, headers=EN).get_data(as_text=True)
    assert 'action="' + url + '/notify"' in page and 'inputmode="tel"' in page

    bad = client.post(url + "/notify", data={"notify": "12345"}, headers=EN)
    assert bad.status_code == 422
    html = bad.get_data(as_text=True)
    assert 'aria-invalid="true"' in html and 'id="notify-error"' in html
    assert db.session.get(Ticket, ticket["id"]).notify_address is None

    good = client.post(url + "/notify", data={"notify": "139-1234-5678"}, headers=EN)
    assert good.status_code == 302 and good.headers["Location"].endswith(url)
    page = client.get(url, headers=EN).get_data(as_text=True)
    assert "Messages go to 139****5678." in page and "13912345678" not in page
    stored = db.session.get(Ticket, ticket["id"])
    assert stored.notify_address == "13912345678" and stored.notify_consent_dt == app_clock.now
    # nobody ahead: "you are next" at once
    (message,) = db.session.scalars(select(Notification)).all()
    assert message.kind is NotificationKind.AHEAD and message.ticket_id == ticket["id"]


def test_the_phone_page_opts_in_until_the_ticket_is_called(client, world, open_windows, app_clock):
    ticket = take(client, world)
    opted = client.post(
        f"/t/{ticket['token']}/notify", data={"notify": "zhang@example.cn"}, headers=EN
    )
    assert opted.status_code == 302
    page = client.get(f"/t/{ticket['token']}", headers=EN).get_data(as_text=True)
    assert "We will send you a message when your turn is near." in page
    assert "Messages go to z****@example.cn." in page
    assert f'data-api="/api/v1/tickets/{ticket["token"]}/messages"' in page

    other = take(client, world)
    services.call_next_ticket(world.windows.business, now=app_clock.now)  # the first ticket
    db.session.commit()
    services.call_next_ticket(world.windows.mixed, now=app_clock.now)  # the other one
    db.session.commit()
    late = client.post(f"/t/{other['token']}/notify", data={"notify": "13912345678"}, headers=EN)
    assert late.status_code == 422
    assert "no longer waits" in late.get_data(as_text=True)

    listed = client.get(f"/api/v1/tickets/{ticket['token']}/messages").get_json()["messages"]
    assert [m["kind"] for m in listed] == ["ahead", "called"]
    # only SMS is configured here: an e-mail is recorded, not sent
    assert listed[1]["status"] == "not_sent" and "window 1" in listed[1]["text"]
    assert "zhang@example.cn" not in str(listed)
    assert client.get("/api/v1/tickets/nosuchtoken/messages").status_code == 404


def test_the_ticket_api_takes_a_number(client, world, app_clock):
    response = client.post(
        "/api/v1/tickets",
        json={
            "center": "testtown",
            "service": world.items.licence.id,
            "notify": "+86 139 1234 5678",
        },
    )
    assert response.status_code == 201
    assert db.session.get(Ticket, response.get_json()["id"]).notify_address == "13912345678"
    bad = client.post(
        "/api/v1/tickets",
        json={"center": "testtown", "service": world.items.licence.id, "notify": "nobody"},
        headers=EN,
    )
    assert bad.status_code == 422
    problem = bad.get_json()
    assert list(problem["errors"]) == ["notify"]
    assert problem["errors"]["notify"] == ["Enter a mobile number or an e-mail address."]
    assert db.session.scalar(select(Ticket).where(Ticket.id > response.get_json()["id"])) is None


def test_the_booking_form_and_api_ask_for_consent(client, world, booking_clock, gateway):
    url = f"/book/testtown/{world.items.licence.id}/2026-11-27/09:00"
    person = {"name": "张三丰", "phone": "139 1234 5678", "id_number": ""}
    form = client.get(url, headers=EN).get_data(as_text=True)
    assert "Text me about this booking" in form
    client.post(url, data={**person, "notify": "y"}, headers=EN)
    client.post(
        f"/book/testtown/{world.items.licence.id}/2026-11-27/09:30", data=person, headers=EN
    )
    booked = db.session.scalars(select(Notification)).all()
    assert [m.kind for m in booked] == [NotificationKind.BOOKED]  # only the one with consent
    assert "张三丰" not in booked[0].body
    api = client.post(
        "/api/v1/appointments",
        json={
            "center": "testtown",
            "service": world.items.licence.id,
            "date": "2026-11-27",
            "start": "10:00",
            "name": "李四",
            "phone": "13800000002",
            "notify": True,
        },
    )
    assert api.status_code == 201
    assert len(db.session.scalars(select(Notification)).all()) == 2


def test_the_live_floor_shows_messages_per_channel_and_warns_of_failures(
    client, world, login_as, app_clock, gateway, monkeypatch
):
    from service_center.notifications import worker

    monkeypatch.setattr("service_center.reports.views.now_utc", lambda: app_clock.now)
    take_with = {"center": "testtown", "service": world.items.licence.id}
    client.post("/api/v1/tickets", json={**take_with, "notify": "13912345678"})
    client.post("/api/v1/tickets", json={**take_with, "notify": "13912345679"})
    client.post("/api/v1/tickets", json={**take_with, "notify": "li@example.cn"})
    near.Sweep()(now=app_clock.now)  # the worker's round: each is within 3 of their turn
    login_as(world.users.supervisor)
    page = client.get("/reports/live", headers=EN).get_data(as_text=True)
    assert '<td class="num" id="messages-sms-waiting">2</td>' in page
    assert '<td class="num" id="messages-email-not-sent">1</td>' in page
    assert 'id="messages-warning-sms"' not in page

    gateway.fail_next = [400, 200]  # the gateway refuses one (permanent), takes the other
    worker.work(once=True, clock=lambda: app_clock.now)
    page = client.get("/reports/live", headers=EN).get_data(as_text=True)
    assert '<td class="num" id="messages-sms-sent">1</td>' in page
    assert '<td class="num" id="messages-sms-failed">1</td>' in page
    assert 'id="messages-warning-sms"' in page and "SMS: messages are failing" in page


def test_stopping_messages_erases_the_number_and_withdraws_what_waits(client, world, app_clock):
    ticket = take(client, world)
    client.post(f"/t/{ticket['token']}/notify", data={"notify": "13912345678"}, headers=EN)
    (waiting,) = db.session.scalars(select(Notification)).all()  # "you are next"
    page = client.get(f"/t/{ticket['token']}", headers=EN).get_data(as_text=True)
    assert 'id="notify-stop"' in page
    stopped = client.post(f"/t/{ticket['token']}/notify/stop", headers=EN)
    assert stopped.status_code == 302
    assert db.session.get(Ticket, ticket["id"]).notify_address is None
    db.session.refresh(waiting)
    assert waiting.state.value == "not_sent" and waiting.address is None
    assert "No more messages will be sent" in client.get(
        f"/t/{ticket['token']}", headers=EN
    ).get_data(as_text=True)


def test_a_booking_can_stop_its_text_messages(client, world, booking_clock):
    url = f"/book/testtown/{world.items.licence.id}/2026-11-27/09:00"
    client.post(url, data={"name": "张三丰", "phone": "13912345678", "notify": "y"}, headers=EN)
    from service_center.booking.models import Appointment

    appointment = db.session.scalars(select(Appointment)).one()
    manage = client.get(f"/book/manage/{appointment.code}", headers=EN).get_data(as_text=True)
    assert "Text messages about this booking go to 139****5678." in manage
    client.post(f"/book/manage/{appointment.code}/notify/stop", headers=EN)
    db.session.refresh(appointment)
    assert appointment.notify_consent_dt is None
    client.post(f"/book/manage/{appointment.code}/cancel", headers=EN)
    kinds = [m.kind for m in db.session.scalars(select(Notification))]
    assert kinds == [NotificationKind.BOOKED]  # nothing after the opt-out


def test_a_runaway_trigger_is_capped_per_address(client, world, app, app_clock):
    app.config["NOTIFY_PER_ADDRESS_HOURLY"] = 2
    for _ in range(3):
        client.post(
            "/api/v1/tickets",
            json={"center": "testtown", "service": world.items.licence.id, "notify": "13912345678"},
        )
    near.Sweep()(now=app_clock.now)  # "N ahead" to each, in their turn
    states = [(m.state.value, m.last_error) for m in db.session.scalars(select(Notification))]
    assert states == [
        ("pending", ""),
        ("pending", ""),
        ("not_sent", "not sent: rate limit"),
    ]


def test_a_flood_of_opt_ins_is_capped_per_center_for_an_hour(client, world, app, app_clock):
    app.config["NOTIFY_PER_CENTER_HOURLY"] = 2
    phones = ["13912345601", "13912345602", "13912345603", "13912345604"]

    def take_with(phone: str) -> None:
        body = {"center": "testtown", "service": world.items.licence.id, "notify": phone}
        assert client.post("/api/v1/tickets", json=body).status_code == 201

    for phone in phones[:3]:
        take_with(phone)
    near.Sweep()(now=app_clock.now)  # "N ahead" to each, in their turn
    app_clock.advance(hours=1, seconds=1)  # the hour has passed: room again
    take_with(phones[3])
    near.Sweep()(now=app_clock.now)
    states = [(m.state.value, m.last_error) for m in db.session.scalars(select(Notification))]
    assert states == [
        ("pending", ""),
        ("pending", ""),
        ("not_sent", "not sent: rate limit"),
        ("pending", ""),
    ]


def test_odd_input_gets_a_message_never_a_500(client, world, app_clock):
    ticket = take(client, world)
    url = f"/kiosk/testtown/tickets/{ticket['token']}/notify"
    for odd in ("a@[b.cn", "x@y", "zhang @example.cn", "1" * 300):
        answer = client.post(url, data={"notify": odd}, headers=EN)
        assert answer.status_code == 422, odd
    # a rating sent for a ticket still waiting: the page again, with its message
    rated = client.post(f"/t/{ticket['token']}/evaluation", data={}, headers=EN)
    assert rated.status_code == 422
    assert 'id="notify-section"' in rated.get_data(as_text=True)
