"""Unsubscribing by SMS reply (退订/TD): the provider forwards the reply with its token; every
consent of the phone ends, messages not sent yet are withdrawn; anything else changes nothing."""

from __future__ import annotations

from datetime import time
from typing import Any

import pytest
from sqlalchemy import select

from service_center.booking import services as booking
from service_center.db import db
from service_center.notifications import near
from service_center.notifications.models import Notification, NotificationState
from service_center.notifications.replies import is_stop_word
from service_center.queueing import services
from tests.fixtures.booking import BOOKING_NOW, TOMORROW
from tests.fixtures.notifications import webhook_config

TOKEN = "reply-secret"
PHONE = "13912345678"


@pytest.fixture
def app_config(gateway) -> dict[str, Any]:
    return {**webhook_config(gateway), "NOTIFY_SMS_REPLY_TOKEN": TOKEN}


def reply(client, text: str, phone: str = PHONE, token: str = TOKEN):
    return client.post(
        "/api/v1/notifications/sms-replies",
        json={"phone": phone, "text": text},
        headers={"X-Reply-Token": token},
    )


@pytest.mark.parametrize("text", ["TD", " td ", "T", "退订", "STOP", "Unsubscribe"])
def test_the_keywords(text):
    assert is_stop_word(text)


@pytest.mark.parametrize("text", ["", "谢谢", "T D please", "stop it"])
def test_other_replies_are_not_keywords(text):
    assert not is_stop_word(text)


def test_td_ends_every_consent_of_the_phone_and_withdraws_what_waits(
    client, world, open_windows, app_clock
):
    ticket = services.issue_ticket(
        world.center, world.items.licence, now=app_clock.now, notify_address=PHONE
    )
    other = services.issue_ticket(
        world.center, world.items.food, now=app_clock.now, notify_address="13800000000"
    )
    appointment = booking.book_appointment(
        world.center,
        world.items.licence,
        TOMORROW,
        time(9),
        name="张三",
        phone=PHONE,
        now=BOOKING_NOW,
        notify=True,
    )
    db.session.commit()
    near.Sweep()(now=app_clock.now)  # the worker's round: both tickets are next
    waiting = db.session.scalars(
        select(Notification).where(Notification.state == NotificationState.PENDING)
    ).all()
    assert len(waiting) == 3  # "next" for both tickets, "booked"

    assert reply(client, "thanks").get_json() == {"stopped": False, "tickets": 0, "bookings": 0}
    answer = reply(client, "退订")
    assert answer.status_code == 200
    assert answer.get_json() == {"stopped": True, "tickets": 1, "bookings": 1}
    db.session.expire_all()
    assert ticket.notify_address is None and other.notify_address == "13800000000"
    assert appointment.notify_consent_dt is None
    notes = db.session.scalars(select(Notification)).all()
    by_ticket = {n.ticket_id: n.state for n in notes if n.ticket_id}
    by_booking = {n.appointment_id: n.state for n in notes if n.appointment_id}
    assert by_ticket[other.id] is NotificationState.PENDING  # another phone: untouched
    assert by_ticket[ticket.id] is not NotificationState.PENDING
    assert by_booking[appointment.id] is not NotificationState.PENDING


def test_only_with_the_providers_token(client, world, app_clock):
    assert reply(client, "TD", token="wrong").status_code == 401
    assert reply(client, "TD", token="").status_code == 401


def test_off_where_no_token_is_configured(client, app, world):
    app.config["NOTIFY_SMS_REPLY_TOKEN"] = ""
    assert reply(client, "TD").status_code == 404
