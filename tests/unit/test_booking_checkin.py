"""Check-in: a booking becomes a ticket flagged booked within its window, ahead of walk-ins."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest
from sqlalchemy import func, select

from service_center.booking import availability
from service_center.booking import services as booking
from service_center.booking.models import AppointmentState
from service_center.db import db
from service_center.errors import NotFound
from service_center.queueing import services as queue
from service_center.queueing.models import Outcome, Ticket
from service_center.windows.models import WindowState

pytestmark = pytest.mark.usefixtures("english")


def local(hour: int, minute: int = 0, day: int = 27) -> datetime:
    """Shanghai ``hour:minute`` on ``day`` November 2026, as aware UTC."""
    return datetime(2026, 11, day, hour - 8, minute, tzinfo=UTC)


def tickets() -> int:
    return db.session.scalar(select(func.count(Ticket.id))) or 0


@pytest.fixture
def appointment(create_appointment):
    """张三's booking of the licence item, Friday 27 November 09:00–09:30."""
    return create_appointment(name="张三", phone="13912345678")


@pytest.mark.parametrize(("hour", "minute"), [(8, 45), (9, 0), (9, 15)])
def test_checking_in_on_time_issues_a_booked_ticket(world, appointment, hour, minute):
    ticket = booking.check_in(appointment.code, now=local(hour, minute))
    db.session.commit()
    assert ticket.is_booked and ticket.number == "B001"
    assert ticket.applicant_name == "张三" and ticket.applicant_phone == "13912345678"
    assert ticket.service_item_id == world.items.licence.id
    assert appointment.state is AppointmentState.CHECKED_IN
    assert appointment.ticket is ticket and appointment.checked_in_dt == local(hour, minute)


def test_the_code_is_read_loosely(world, appointment):
    code = appointment.code
    ticket = booking.check_in(f" {code[:5].lower()}-{code[5:]} ", now=local(9))
    assert ticket.is_booked


def test_too_early_is_refused_with_the_opening_time(world, appointment):
    with pytest.raises(booking.CheckInRefused, match="08:45") as caught:
        booking.check_in(appointment.code, now=local(8, 44))
    assert not isinstance(caught.value, booking.CheckInTooLate)
    db.session.rollback()
    assert tickets() == 0 and appointment.state is AppointmentState.BOOKED


def test_the_day_before_is_refused_with_the_booked_day(world, appointment):
    with pytest.raises(booking.CheckInRefused, match="09:00"):
        booking.check_in(appointment.code, now=local(9, day=26))


@pytest.mark.parametrize("moment", [local(9, 16), local(16), local(9, day=30)])
def test_too_late_offers_a_walk_in_ticket(world, appointment, moment):
    with pytest.raises(booking.CheckInTooLate, match="walk-in") as caught:
        booking.check_in(appointment.code, now=moment)
    assert caught.value.status == 409
    assert (caught.value.center_code, caught.value.service_id) == (
        "testtown",
        world.items.licence.id,
    )
    db.session.rollback()
    assert tickets() == 0


def test_the_window_is_configurable(app, world, appointment):
    app.config.update(BOOKING_CHECKIN_EARLY_MINUTES=30, BOOKING_CHECKIN_LATE_MINUTES=5)
    with pytest.raises(booking.CheckInTooLate):
        booking.check_in(appointment.code, now=local(9, 6))
    db.session.rollback()
    assert booking.check_in(appointment.code, now=local(8, 30)).is_booked


def test_a_cancelled_booking_cannot_check_in(world, appointment):
    booking.cancel_appointment(appointment, now=local(8, day=26))
    db.session.commit()
    with pytest.raises(booking.CheckInRefused, match="cancelled"):
        booking.check_in(appointment.code, now=local(9))


def test_checking_in_twice_issues_one_ticket(world, appointment):
    booking.check_in(appointment.code, now=local(9))
    db.session.commit()
    with pytest.raises(booking.CheckInRefused, match="already"):
        booking.check_in(appointment.code, now=local(9, 1))
    db.session.rollback()
    assert tickets() == 1


def test_an_unknown_code_is_not_found(world):
    with pytest.raises(NotFound):
        booking.check_in("ABCDE23456", now=local(9))
    with pytest.raises(NotFound):
        booking.check_in("no", now=local(9))


def test_a_kiosk_of_another_center_refuses(world, appointment):
    with pytest.raises(booking.CheckInRefused, match="Testtown"):
        booking.check_in(appointment.code, now=local(9), center=world.other)
    db.session.rollback()
    assert booking.check_in(appointment.code, now=local(9), center=world.center).is_booked


def test_a_checked_in_booking_goes_ahead_of_earlier_walk_ins(world, appointment):
    walk_in = queue.issue_ticket(world.center, world.items.licence, now=local(9))
    db.session.commit()
    booked = booking.check_in(appointment.code, now=local(9, 5))
    db.session.commit()
    order = queue.window_queue(world.windows.business, now=local(9, 6))
    assert [t.id for t in order] == [booked.id, walk_in.id]


def test_the_bookings_name_and_phone_reach_the_case(world, appointment):
    ticket = booking.check_in(appointment.code, now=local(9))
    db.session.commit()
    world.windows.business.state = WindowState.OPEN
    db.session.commit()
    called = queue.call_next_ticket(world.windows.business, now=local(9, 1))
    db.session.commit()
    assert called.id == ticket.id
    queue.start_ticket(called, now=local(9, 2))
    db.session.commit()
    case = queue.complete_ticket(called, now=local(9, 12), outcome=Outcome.COMPLETED)
    db.session.commit()
    assert case.is_booked
    assert (case.applicant_name, case.applicant_phone) == ("张三", "13912345678")


def test_a_checked_in_booking_keeps_its_place_and_cannot_be_moved(world, appointment):
    booking.check_in(appointment.code, now=local(9))
    db.session.commit()
    _, slots = availability.list_slots(
        world.center, world.items.licence, appointment.service_date, now=local(8, day=26)
    )
    assert next(s for s in slots if s.start == time(9)).remaining == 3
    assert not booking.can_change(appointment, now=local(8, day=26))
