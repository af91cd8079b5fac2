"""The waiting list's offer message: written with the offer, in the resident's language, to
the phone they joined with, never their name; taken back when the offer ends unsent."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from service_center.booking import services as booking
from service_center.booking import waitlist
from service_center.db import db
from service_center.notifications import worker
from service_center.notifications.models import Notification, NotificationKind, NotificationState
from tests.fixtures.booking import BOOKING_NOW
from tests.fixtures.notifications import webhook_config
from tests.waitlist_support import fill, join, short_friday


@pytest.fixture
def app_config(gateway):
    return webhook_config(gateway)


@pytest.fixture
def full_day(world):
    short_friday(world)
    return fill(world)


def offers() -> list[Notification]:
    return list(
        db.session.scalars(
            select(Notification)
            .where(Notification.kind == NotificationKind.OFFER)
            .order_by(Notification.id)
        )
    )


def test_the_offer_goes_to_the_phone_in_chinese_with_its_link(world, full_day, gateway):
    entry = join(world, name="王小明", id_number="11010519491231002X")
    booking.cancel_appointment(full_day[0], now=BOOKING_NOW)
    db.session.commit()
    worker.work(once=True, clock=lambda: BOOKING_NOW)
    [sent] = gateway.delivered.values()
    assert sent["to"] == entry.phone
    text = sent["text"]
    assert "09:00" in text and "09:30" in text and f"/book/waitlist/{entry.token}" in text
    assert "王" not in text and "002X" not in text
    assert "保留" in text  # zh_CN, the default
    [message] = offers()
    assert message.state is NotificationState.SENT and message.address is None


def test_the_offer_speaks_the_language_the_resident_joined_in(world, full_day, gateway):
    join(world, locale="en")
    booking.cancel_appointment(full_day[1], now=BOOKING_NOW)
    db.session.commit()
    [message] = offers()
    assert message.body.startswith(world.center.name_en)
    assert "is held for you until 09:30" in message.body


def test_an_offer_ended_before_its_message_went_takes_the_message_back(world, full_day):
    entry = join(world)
    booking.cancel_appointment(full_day[0], now=BOOKING_NOW)
    db.session.commit()
    waitlist.decline_offer(entry.token, now=BOOKING_NOW)
    db.session.commit()
    [message] = offers()
    assert message.state is NotificationState.NOT_SENT
    assert message.last_error.startswith("withdrawn") and message.address is None


def test_each_offer_to_an_entry_is_its_own_message(world, full_day):
    first = join(world)
    second = join(world, now=BOOKING_NOW + timedelta(seconds=1))
    booking.cancel_appointment(full_day[0], now=BOOKING_NOW)
    db.session.commit()
    waitlist.expire_offers(now=BOOKING_NOW + timedelta(minutes=30))
    db.session.commit()
    keys = [m.key for m in offers()]
    assert [k.split(":")[1] for k in keys] == [str(first.id), str(second.id)]
