"""Booking reminders the afternoon before, quiet hours, and the closure notice to every booking
of a day the center closes; time is an input (a fixed clock, the center's zone)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import select

from service_center.booking import availability
from service_center.booking import services as booking
from service_center.db import db
from service_center.notifications.models import (
    Notification,
    NotificationKind,
    NotificationState,
)
from service_center.notifications.outbox import quiet_until
from service_center.notifications.reminders import send_reminders
from tests.fixtures.booking import BOOKING_NOW, TOMORROW
from tests.fixtures.notifications import webhook_config


@pytest.fixture
def app_config(gateway):
    return webhook_config(gateway)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    """``hour:minute`` in Shanghai on ``day``, as UTC."""
    return datetime.combine(day, time(hour, minute), UTC) - timedelta(hours=8)


def book(world, start: time, *, notify: bool = True, phone: str = "13800000001"):
    appointment = booking.book_appointment(
        world.center,
        world.items.licence,
        TOMORROW,
        start,
        name="张三",
        phone=phone,
        now=BOOKING_NOW,
        notify=notify,
        locale="en",
    )
    db.session.commit()
    return appointment


def of_kind(kind) -> list[Notification]:
    return list(
        db.session.scalars(
            select(Notification).where(Notification.kind == kind).order_by(Notification.id)
        )
    )


def test_reminders_go_the_afternoon_before_once_and_only_with_consent(world):
    yes = book(world, time(9))
    book(world, time(9, 30), notify=False, phone="13800000002")
    thursday = TOMORROW - timedelta(days=1)
    assert send_reminders(now=at(thursday, 15, 59)) == 0  # before 16:00
    assert send_reminders(now=at(thursday, 16)) == 1
    assert send_reminders(now=at(thursday, 16, 15)) == 0  # once
    (reminder,) = of_kind(NotificationKind.REMINDER)
    assert reminder.appointment_id == yes.id
    assert "reminder, your booking" in reminder.body and "tomorrow at 09:00" in reminder.body
    assert send_reminders(now=at(TOMORROW, 16)) == 0  # the day itself: nothing for it


def test_no_reminder_is_written_in_quiet_hours(world):
    book(world, time(9))
    thursday = TOMORROW - timedelta(days=1)
    assert send_reminders(now=at(thursday, 21, 30)) == 0
    assert of_kind(NotificationKind.REMINDER) == []


def test_quiet_hours_across_midnight(app_ctx):
    zone = "Asia/Shanghai"
    day = date(2026, 11, 26)
    assert quiet_until(at(day, 20, 59), zone) is None
    assert quiet_until(at(day, 21), zone) == at(day + timedelta(days=1), 8)
    assert quiet_until(at(day, 7, 59), zone) == at(day, 8)
    assert quiet_until(at(day, 8), zone) is None


def test_a_moved_booking_is_reminded_of_its_new_day_and_the_old_reminder_withdrawn(world):
    appointment = book(world, time(9))
    thursday = TOMORROW - timedelta(days=1)
    send_reminders(now=at(thursday, 16))
    db.session.commit()
    monday = date(2026, 11, 30)
    booking.reschedule_appointment(appointment, monday, time(10), now=at(thursday, 16, 5))
    db.session.commit()
    (old,) = of_kind(NotificationKind.REMINDER)
    assert old.state is NotificationState.NOT_SENT and old.address is None
    assert len(of_kind(NotificationKind.MOVED)) == 1
    assert send_reminders(now=at(date(2026, 11, 29), 16)) == 1  # Sunday, for Monday


def test_a_closure_tells_every_booking_of_the_day_after_quiet_hours(world):
    first = book(world, time(9))
    second = book(world, time(10), phone="13800000002")
    book(world, time(11), notify=False, phone="13800000003")
    late_evening = at(TOMORROW - timedelta(days=1), 22)
    availability.set_center_day(
        world.center,
        TOMORROW,
        is_open=False,
        reason_zh="停电",
        reason_en="Power cut",
        now=late_evening,
    )
    db.session.commit()
    notices = of_kind(NotificationKind.CLOSURE)
    assert [n.appointment_id for n in notices] == [first.id, second.id]
    assert "is closed on Nov 27, 2026 (Power cut)" in notices[0].body
    # held until the quiet hours end at 08:00
    assert {n.next_attempt_dt for n in notices} == {at(TOMORROW, 8)}


def test_no_reminder_for_a_day_the_center_closed(world):
    book(world, time(9))
    availability.set_center_day(world.center, TOMORROW, is_open=False, now=BOOKING_NOW)
    db.session.commit()
    assert send_reminders(now=at(TOMORROW - timedelta(days=1), 16)) == 0


def test_a_closure_taken_back_withdraws_the_notices_not_sent_yet(world):
    first = book(world, time(9))
    late_evening = at(TOMORROW - timedelta(days=1), 22)
    availability.set_center_day(world.center, TOMORROW, is_open=False, now=late_evening)
    db.session.commit()
    (notice,) = of_kind(NotificationKind.CLOSURE)
    assert notice.appointment_id == first.id and notice.state is NotificationState.PENDING
    availability.remove_center_day(world.center, TOMORROW)
    db.session.commit()
    db.session.refresh(notice)
    assert notice.state is NotificationState.NOT_SENT and notice.address is None
    assert notice.last_error == "withdrawn: the day opens again"
