"""Booking rules: places, per-phone limits, codes, look-up, cancel and move, with a fixed clock."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest
from sqlalchemy import func, select

from service_center.booking import availability, codes
from service_center.booking import services as booking
from service_center.booking.models import Appointment, AppointmentState, BookingSlot
from service_center.db import db
from service_center.errors import Conflict, Invalid, NotFound
from tests.fixtures.booking import BOOKING_NOW, TOMORROW

pytestmark = pytest.mark.usefixtures("english")


def slot_row(world, day=TOMORROW, start=time(9)) -> BookingSlot | None:
    db.session.expire_all()
    return db.session.scalar(
        select(BookingSlot).where(
            BookingSlot.center_id == world.center.id,
            BookingSlot.service_date == day,
            BookingSlot.start_time == start,
        )
    )


def count_appointments() -> int:
    return db.session.scalar(select(func.count(Appointment.id))) or 0


def remaining(world, item=None, day=TOMORROW, start=time(9)) -> int:
    _, slots = availability.list_slots(
        world.center, item or world.items.licence, day, now=BOOKING_NOW
    )
    return next(s.remaining for s in slots if s.start == start)


def test_booking_takes_a_place_and_stores_clean_data(world, create_appointment):
    appointment = create_appointment(name="  张三 ", phone="+86 138-0013-8000")
    assert appointment.state is AppointmentState.BOOKED
    assert appointment.phone == "13800138000" and appointment.name == "张三"
    assert appointment.end_time == time(9, 30)
    assert slot_row(world).booked == 1
    assert remaining(world) == 3


def test_a_full_slot_refuses_and_writes_nothing(world, create_appointment):
    for _ in range(4):
        create_appointment()
    with pytest.raises(booking.SlotFull):
        create_appointment()
    db.session.rollback()
    assert count_appointments() == 4 and slot_row(world).booked == 4


def test_a_refused_booking_gives_its_place_back_at_once(world, create_appointment):
    """The place is counted in before the capacities are checked; a refusal takes it out
    again in the same transaction, so the counter stays equal to the bookings."""
    world.items.project.slot_capacity = 1
    db.session.commit()
    create_appointment(item=world.items.project)
    with pytest.raises(booking.SlotFull):
        create_appointment(item=world.items.project)
    assert slot_row(world).booked == 1
    db.session.commit()
    assert count_appointments() == 1 and slot_row(world).booked == 1


def test_item_capacity_limits_that_item_only(world, create_appointment):
    world.items.project.slot_capacity = 1
    db.session.commit()
    create_appointment(item=world.items.project)
    with pytest.raises(booking.SlotFull):
        create_appointment(item=world.items.project)
    db.session.rollback()
    create_appointment(item=world.items.licence)  # the center still has places
    assert slot_row(world).booked == 2


def test_a_phone_holds_at_most_the_configured_open_bookings(app, world, create_appointment):
    phone = "13912345678"
    first = create_appointment(phone=phone)
    create_appointment(phone=phone, item=world.items.marriage)
    with pytest.raises(booking.PhoneLimitReached) as caught:
        create_appointment(phone=phone, item=world.items.food)
    assert caught.value.field == "phone" and caught.value.status == 409
    db.session.rollback()
    booking.cancel_appointment(first, now=BOOKING_NOW)
    db.session.commit()
    create_appointment(phone=phone, item=world.items.food)  # a cancelled booking frees the count
    app.config["BOOKING_MAX_OPEN_PER_PHONE"] = 4
    create_appointment(phone=phone, item=world.items.project)


def test_one_phone_cannot_book_the_same_item_twice_on_a_day(world, create_appointment):
    create_appointment(phone="13912345678", start=time(9))
    with pytest.raises(booking.PhoneLimitReached, match="already has a booking"):
        create_appointment(phone="13912345678", start=time(14))
    db.session.rollback()
    create_appointment(phone="13912345678", day=date(2026, 11, 30))  # another day is fine


def test_past_bookings_do_not_count_against_the_phone(world, create_appointment):
    phone = "13912345678"
    create_appointment(phone=phone, item=world.items.marriage)
    create_appointment(phone=phone, item=world.items.food)
    later = datetime(2026, 11, 30, 1, tzinfo=UTC)  # Monday: both bookings lie in the past
    create_appointment(phone=phone, day=date(2026, 12, 1), now=later)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "张" * 61}, "name"),
        ({"name": "张\x00三"}, "name"),
        ({"phone": "12812345678"}, "phone"),
        ({"phone": "1381234567"}, "phone"),
        ({"phone": "+1 415 555 0100"}, "phone"),
        ({"id_number": "110105194912310021"}, "id_number"),
        ({"id_number": "11010519490230002X"}, "id_number"),
        ({"day": date(2026, 11, 25)}, "date"),
        ({"day": date(2026, 11, 28)}, "date"),  # Saturday
        ({"day": date(2026, 12, 11)}, "date"),
        ({"start": time(12, 30)}, "start"),  # the lunch break
        ({"start": time(9, 15)}, "start"),  # not a slot boundary
        ({"start": time(17, 30)}, "start"),  # closing time
    ],
)
def test_bad_input_is_refused_by_field_and_writes_nothing(
    world, create_appointment, overrides, field
):
    with pytest.raises(Invalid) as caught:
        create_appointment(**overrides)
    assert caught.value.field == field and caught.value.status == 422
    db.session.rollback()
    assert count_appointments() == 0 and slot_row(world) is None


@pytest.mark.parametrize("which", ["other_center", "inactive", "not_bookable", "none"])
def test_items_that_cannot_be_booked_are_refused(world, create_appointment, which):
    item = world.items.other_licence if which == "other_center" else world.items.marriage
    if which == "inactive":
        item.is_active = False
    if which == "not_bookable":
        item.is_bookable = False
    db.session.commit()
    with pytest.raises(Invalid) as caught:
        create_appointment(item=None if which == "none" else item)
    assert caught.value.field == "service"


def test_codes_are_random_readable_and_unique(world, create_appointment):
    issued = {
        create_appointment(start=time(9 + i % 3), item=world.items.licence).code for i in range(3)
    }
    assert len(issued) == 3
    for code in issued:
        assert len(code) == 10 and set(code) <= set(codes.CODE_ALPHABET)
    assert not set("01ILO") & set(codes.CODE_ALPHABET)
    assert len(codes.CODE_ALPHABET) ** codes.CODE_LENGTH >= 2**40


def test_a_code_already_taken_is_drawn_again(world, create_appointment, monkeypatch):
    """The unique code decides (no look-up first): a taken code costs a retry, not the booking."""
    first = create_appointment()
    draws = iter([first.code, first.code, "ABCDE23456"])
    monkeypatch.setattr(booking, "new_booking_code", lambda: next(draws))
    assert create_appointment().code == "ABCDE23456"
    assert count_appointments() == 2 and slot_row(world).booked == 2


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("abcde-23456", "ABCDE23456"),
        (" ABCDE 23456 ", "ABCDE23456"),
        ("ABCDE2345", None),
        ("ABCDE2345O", None),
        ("", None),
        (None, None),
        ("x" * 500, None),
    ],
)
def test_codes_are_normalised(raw, expected):
    assert codes.normalize_code(raw) == expected


def test_look_up_needs_code_and_phone_together(world, create_appointment):
    appointment = create_appointment(phone="13912345678")
    assert booking.find_appointment(appointment.code.lower(), "+8613912345678") is appointment
    assert booking.find_appointment(codes.format_code(appointment.code), "0086 139 1234 5678")
    with pytest.raises(NotFound) as wrong_phone:
        booking.find_appointment(appointment.code, "13912345679")
    with pytest.raises(NotFound) as unknown:
        booking.find_appointment("ABCDE23456", "13912345678")
    with pytest.raises(NotFound) as malformed:
        booking.find_appointment("nonsense", "13912345678")
    assert str(wrong_phone.value) == str(unknown.value) == str(malformed.value)
    with pytest.raises(Invalid) as bad_phone:
        booking.find_appointment(appointment.code, "12345")
    assert bad_phone.value.field == "phone"


def test_cancel_frees_the_place(world, create_appointment):
    for _ in range(4):
        appointment = create_appointment()
    booking.cancel_appointment(appointment, now=BOOKING_NOW)
    db.session.commit()
    assert appointment.state is AppointmentState.CANCELLED and appointment.cancelled_dt
    assert slot_row(world).booked == 3 and remaining(world) == 1
    create_appointment()  # the freed place can be taken again


def test_cancel_twice_or_after_the_start_is_refused(world, create_appointment):
    appointment = create_appointment()
    with pytest.raises(Conflict):
        booking.cancel_appointment(appointment, now=datetime(2026, 11, 27, 1, 0, tzinfo=UTC))
    db.session.rollback()
    booking.cancel_appointment(appointment, now=BOOKING_NOW)
    db.session.commit()
    with pytest.raises(Conflict, match="cancelled"):
        booking.cancel_appointment(appointment, now=BOOKING_NOW)
    db.session.rollback()
    assert slot_row(world).booked == 0


def test_move_frees_the_old_place_and_takes_the_new(world, create_appointment):
    appointment = create_appointment()
    code = appointment.code
    booking.reschedule_appointment(appointment, date(2026, 11, 30), time(14), now=BOOKING_NOW)
    db.session.commit()
    assert appointment.code == code
    assert (appointment.service_date, appointment.start_time, appointment.end_time) == (
        date(2026, 11, 30),
        time(14),
        time(14, 30),
    )
    assert slot_row(world).booked == 0
    assert slot_row(world, date(2026, 11, 30), time(14)).booked == 1


def test_move_to_a_full_slot_changes_nothing(world, create_appointment):
    appointment = create_appointment(start=time(10))
    for _ in range(4):
        create_appointment(start=time(14))
    with pytest.raises(booking.SlotFull):
        booking.reschedule_appointment(appointment, TOMORROW, time(14), now=BOOKING_NOW)
    db.session.rollback()
    db.session.expire_all()
    assert appointment.start_time == time(10)
    assert slot_row(world, start=time(10)).booked == 1
    assert slot_row(world, start=time(14)).booked == 4


@pytest.mark.parametrize(
    ("day", "start", "field"),
    [
        (TOMORROW, time(9), "start"),
        (date(2026, 11, 28), time(9), "date"),
        (TOMORROW, time(12, 30), "start"),
        (date(2026, 12, 31), time(9), "date"),
    ],
)
def test_move_to_a_slot_not_on_offer_is_refused(world, create_appointment, day, start, field):
    appointment = create_appointment()
    with pytest.raises(Invalid) as caught:
        booking.reschedule_appointment(appointment, day, start, now=BOOKING_NOW)
    assert caught.value.field == field


def test_move_keeps_the_same_item_same_day_rule(world, create_appointment):
    mine = create_appointment(phone="13912345678", start=time(9))
    create_appointment(phone="13912345678", day=date(2026, 11, 30))
    with pytest.raises(booking.PhoneLimitReached):
        booking.reschedule_appointment(mine, date(2026, 11, 30), time(15), now=BOOKING_NOW)
    db.session.rollback()
    booking.reschedule_appointment(mine, TOMORROW, time(15), now=BOOKING_NOW)  # same day is fine


def test_move_a_cancelled_booking_is_refused(world, create_appointment):
    appointment = create_appointment()
    booking.cancel_appointment(appointment, now=BOOKING_NOW)
    db.session.commit()
    with pytest.raises(Conflict):
        booking.reschedule_appointment(appointment, TOMORROW, time(10), now=BOOKING_NOW)


def test_center_day_entries_replace_each_other(world):
    availability.set_center_day(world.center, date(2026, 12, 2), is_open=False, reason_en="A")
    availability.set_center_day(world.center, date(2026, 12, 2), is_open=True, reason_en="B")
    db.session.commit()
    from service_center.catalogue.calendar import day_status

    assert day_status(world.center, date(2026, 12, 2)).is_open
    assert availability.remove_center_day(world.center, date(2026, 12, 2))
    assert not availability.remove_center_day(world.center, date(2026, 12, 2))
