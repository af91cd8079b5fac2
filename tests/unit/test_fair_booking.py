"""Fair booking: a missed booking brings a warning, the center's limit of them within 30 days a
bar from booking for its days (by phone and by ID number), which says until when and which a
supervisor may lift; strikes and bars keep keyed hashes only; every step audited."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import select

from service_center.audit import AuditRecord
from service_center.booking import fairness
from service_center.booking import services as booking
from service_center.booking.models import AppointmentState, BookingBar, BookingStrike
from service_center.db import db
from service_center.notifications.models import Notification, NotificationKind
from service_center.queueing.closing import close_day
from tests.fixtures.notifications import webhook_config

ID_NUMBER = "11010519491231002X"


@pytest.fixture
def app_config(gateway):
    return webhook_config(gateway)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    """``day`` at hour:minute in Shanghai, as UTC."""
    return datetime(day.year, day.month, day.day, hour - 8, minute, tzinfo=UTC)


def book(world, day: date, *, phone="13800000001", id_number=None, now=None, notify=True):
    appointment = booking.book_appointment(
        world.center,
        world.items.licence,
        day,
        time(9),
        name="张三",
        phone=phone,
        id_number=id_number,
        now=now or at(day - timedelta(days=1), 9),
        notify=notify,
        locale="en",
    )
    db.session.commit()
    return appointment


def miss(world, day: date, **kwargs):
    """Book ``day`` and let it close without a check-in."""
    appointment = book(world, day, **kwargs)
    close_day(world.center, now=at(day, 18))
    db.session.commit()
    db.session.refresh(appointment)
    assert appointment.state is AppointmentState.NO_SHOW
    return appointment


FRIDAY = date(2026, 11, 27)
MONDAY = date(2026, 11, 30)


def test_a_first_missed_booking_brings_a_warning_a_second_a_bar_that_says_until_when(world):
    first = miss(world, FRIDAY)
    (warning,) = db.session.scalars(
        select(Notification).where(Notification.kind == NotificationKind.WARNED)
    )
    assert warning.appointment_id == first.id and "missed your booking" in warning.body
    assert "After 2 missed bookings in 30 days, booking closes for 30 days" in warning.body
    assert db.session.scalars(select(BookingBar)).all() == []
    book(world, MONDAY + timedelta(days=1))  # still free to book

    second = miss(world, MONDAY)
    (bar,) = db.session.scalars(select(BookingBar)).all()
    assert (bar.strikes, bar.until, bar.phone_hint) == (2, MONDAY + timedelta(days=30), "0001")
    (barred,) = db.session.scalars(
        select(Notification).where(Notification.kind == NotificationKind.BARRED)
    )
    assert barred.appointment_id == second.id and "Dec 30, 2026" in barred.body
    with pytest.raises(fairness.BookingBarred) as refused:
        book(world, MONDAY + timedelta(days=3), now=at(MONDAY, 19))
    assert refused.value.field == "phone"
    assert "2026年12月30日" in str(refused.value)  # the default language: Chinese
    actions = db.session.scalars(select(AuditRecord.action).order_by(AuditRecord.id)).all()
    assert actions.count("booking.missed") == 2 and actions.count("booking.bar") == 1


def test_the_bar_holds_for_the_id_number_with_another_phone_and_only_at_its_center(world):
    miss(world, FRIDAY, id_number=ID_NUMBER)
    miss(world, MONDAY, phone="13800000002", id_number=ID_NUMBER)  # the same person
    with pytest.raises(fairness.BookingBarred):
        book(world, date(2026, 12, 3), phone="13900000003", id_number=ID_NUMBER)
    db.session.rollback()
    assert (
        fairness.active_bar(world.other.id, "13800000002", ID_NUMBER, today=MONDAY) is None
    )  # another center knows nothing of it


def test_booking_opens_again_on_the_day_the_bar_ends(world):
    miss(world, FRIDAY)
    miss(world, MONDAY)
    until = MONDAY + timedelta(days=30)
    assert fairness.active_bar(world.center.id, "13800000001", None, today=until - timedelta(1))
    assert fairness.active_bar(world.center.id, "13800000001", None, today=until) is None


def test_missed_bookings_more_than_30_days_apart_do_not_add_up(world):
    miss(world, FRIDAY)
    later = date(2027, 1, 4)  # a Monday 38 days on
    miss(world, later, now=at(later - timedelta(days=3), 9))
    assert db.session.scalars(select(BookingBar)).all() == []
    assert (
        len(
            db.session.scalars(
                select(Notification).where(Notification.kind == NotificationKind.WARNED)
            ).all()
        )
        == 2
    )


def test_a_center_that_bars_nobody_does_not_warn_either(world):
    world.center.noshow_limit = 0
    db.session.commit()
    miss(world, FRIDAY)
    miss(world, MONDAY)
    assert db.session.scalars(select(BookingBar)).all() == []
    kinds = db.session.scalars(select(Notification.kind)).all()
    assert NotificationKind.WARNED not in kinds and NotificationKind.BARRED not in kinds
    assert len(db.session.scalars(select(BookingStrike)).all()) == 2  # still counted


def test_a_supervisor_lifts_a_bar_and_booking_is_open_at_once(world):
    miss(world, FRIDAY)
    miss(world, MONDAY)
    (bar,) = fairness.list_bars(world.center, today=MONDAY)
    assert fairness.list_bars(world.center, today=MONDAY, phone="13800000001") == [bar]
    assert fairness.list_bars(world.center, today=MONDAY, phone="13900000009") == []
    fairness.lift_bar(world.center, bar.id, actor=world.users.supervisor, now=at(MONDAY, 19))
    db.session.commit()
    assert bar.lifted_by_id == world.users.supervisor.id
    book(world, date(2026, 12, 3), now=at(MONDAY, 19))
    (lift,) = db.session.scalars(
        select(AuditRecord).where(AuditRecord.action == "booking.bar.lift")
    )
    assert lift.actor_name == world.users.supervisor.username


def test_strikes_and_bars_keep_keyed_hashes_only(world):
    miss(world, FRIDAY, id_number=ID_NUMBER)
    miss(world, MONDAY, id_number=ID_NUMBER)
    rows = [*db.session.scalars(select(BookingStrike)), *db.session.scalars(select(BookingBar))]
    for row in rows:
        values = " ".join(str(v) for v in vars(row).values())
        assert "13800000001" not in values and ID_NUMBER not in values
        assert len(row.phone_key) == 32 and len(row.id_key) == 32
