"""Bookable days and slots with a fixed clock: holidays, make-up days, closures, lunch breaks."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from service_center.booking import availability
from service_center.db import db
from service_center.errors import Invalid

pytestmark = pytest.mark.usefixtures("english")


def at(day: date, hour: int = 9, minute: int = 0) -> datetime:
    """An aware UTC moment for ``hour:minute`` in Shanghai on ``day``."""
    return datetime(day.year, day.month, day.day, hour - 8, minute, tzinfo=UTC)


THU = date(2026, 11, 26)


def days_by_date(world, now, item=None):
    days = availability.list_bookable_days(world.center, item or world.items.licence, now=now)
    return {d.day: d for d in days}


def test_booking_range_runs_from_tomorrow_to_the_horizon(world):
    assert availability.booking_range(world.center, now=at(THU)) == (
        date(2026, 11, 27),
        date(2026, 12, 10),
    )


def test_booking_range_follows_the_centers_horizon(world):
    world.center.booking_horizon_days = 3
    assert availability.booking_range(world.center, now=at(THU))[1] == date(2026, 11, 29)


def test_late_evening_utc_is_already_the_next_local_day(world):
    # 2026-11-26 17:00 UTC is Friday 01:00 in Shanghai: the range starts on Saturday
    assert availability.booking_range(world.center, now=datetime(2026, 11, 26, 17, tzinfo=UTC))[
        0
    ] == (date(2026, 11, 28))


def test_same_day_booking_can_be_switched_on(app, world):
    app.config["BOOKING_SAME_DAY"] = True
    assert availability.booking_range(world.center, now=at(THU))[0] == THU
    _, slots = availability.list_slots(world.center, world.items.licence, THU, now=at(THU, 10, 10))
    assert slots[0].start == time(10, 30)  # slots already begun are not offered


def test_slots_skip_the_lunch_break(world):
    slots = availability.slot_times(world.center, date(2026, 11, 27))
    starts = [s for s, _ in slots]
    assert starts[0] == time(9) and starts[-1] == time(17)
    assert time(11, 30) in starts and time(13, 30) in starts
    assert not [s for s in starts if time(11, 31) <= s < time(13, 30)]
    assert len(slots) == 6 + 8
    assert all(end <= time(12) or start >= time(13, 30) for start, end in slots)


def test_slot_length_is_per_center_and_a_slot_fits_inside_its_period(world):
    world.center.slot_minutes = 45
    starts = [
        s.strftime("%H:%M") for s, _ in availability.slot_times(world.center, date(2026, 11, 27))
    ]
    assert starts == [
        "09:00",
        "09:45",
        "10:30",
        "11:15",
        "13:30",
        "14:15",
        "15:00",
        "15:45",
        "16:30",
    ]


def test_weekends_are_not_bookable(world):
    days = days_by_date(world, at(THU))
    saturday = days[date(2026, 11, 28)]
    assert not saturday.status.is_open and saturday.remaining == 0
    assert saturday.status.reason == "Weekend" or saturday.status.reason == "周末"
    assert days[date(2026, 11, 27)].remaining == 14 * 4


def test_a_national_holiday_is_closed_and_a_make_up_workday_open(world):
    days = days_by_date(world, at(date(2026, 9, 28)))
    assert not days[date(2026, 10, 1)].status.is_open
    assert not days[date(2026, 10, 7)].status.is_open  # a Wednesday within the holiday
    make_up = days[date(2026, 10, 10)]  # Saturday made a working day (调休)
    assert make_up.status.is_open and make_up.remaining == 14 * 4
    assert not days[date(2026, 10, 11)].status.is_open


def test_make_up_saturday_uses_monday_hours_for_its_slots(world):
    status, slots = availability.list_slots(
        world.center, world.items.licence, date(2026, 10, 10), now=at(date(2026, 9, 28))
    )
    assert status.is_open and len(slots) == 14


def test_a_centers_closure_closes_a_working_day(world):
    availability.set_center_day(
        world.center, date(2026, 12, 1), is_open=False, reason_zh="停电", reason_en="Power cut"
    )
    db.session.commit()
    status, slots = availability.list_slots(
        world.center, world.items.licence, date(2026, 12, 1), now=at(THU)
    )
    assert not status.is_open and slots == []
    assert status.reason in ("停电", "Power cut")
    # the other center is not affected
    other_days = availability.list_bookable_days(
        world.other, world.items.other_licence, now=at(THU)
    )
    assert {d.day: d for d in other_days}[date(2026, 12, 1)].status.is_open


def test_a_special_opening_opens_a_saturday(world):
    availability.set_center_day(
        world.center, date(2026, 11, 28), is_open=True, reason_zh="延时服务"
    )
    db.session.commit()
    day = days_by_date(world, at(THU))[date(2026, 11, 28)]
    assert day.status.is_open and day.remaining == 14 * 4


def test_a_year_the_library_lacks_closes_its_statutory_days_by_rule(world):
    now = at(date(2026, 12, 24))  # the horizon reaches into 2027, which the package lacks
    days = days_by_date(world, now)
    friday = days[date(2027, 1, 1)]
    assert friday.status.by_rule and not friday.status.is_open and friday.remaining == 0
    assert friday.status.reason == "New Year's Day"
    assert not days[date(2027, 1, 2)].status.is_open  # Saturday
    assert days[date(2027, 1, 4)].status.is_open and days[date(2027, 1, 4)].remaining > 0
    assert not days[date(2026, 12, 31)].status.by_rule


def test_a_rule_years_bridging_day_can_be_entered_as_a_closure(world):
    monday = date(2027, 1, 4)  # a bridging day the notice may yet grant
    availability.set_center_day(world.center, monday, is_open=False, reason_en="New Year")
    db.session.commit()
    assert not days_by_date(world, at(date(2026, 12, 24)))[monday].status.is_open


def test_booking_an_unknown_years_weekday_works(world, create_appointment):
    appointment = create_appointment(day=date(2027, 1, 4), now=at(date(2026, 12, 24)))
    assert appointment.service_date == date(2027, 1, 4)


@pytest.mark.parametrize(
    ("day", "message"),
    [
        (date(2026, 11, 25), "passed"),
        (THU, "tomorrow"),
        (date(2026, 12, 11), "up to"),
    ],
)
def test_days_outside_the_range_are_refused(world, day, message):
    with pytest.raises(Invalid, match=message) as caught:
        availability.list_slots(world.center, world.items.licence, day, now=at(THU))
    assert caught.value.field == "date"


def test_item_capacity_narrows_the_centers(world):
    world.items.project.slot_capacity = 1
    db.session.commit()
    _, slots = availability.list_slots(
        world.center, world.items.project, date(2026, 11, 27), now=at(THU)
    )
    assert {s.capacity for s in slots} == {1}
    _, slots = availability.list_slots(
        world.center, world.items.licence, date(2026, 11, 27), now=at(THU)
    )
    assert {s.capacity for s in slots} == {4}


def test_remaining_places_count_the_centers_and_the_items_limit(world, create_appointment):
    world.items.project.slot_capacity = 2
    db.session.commit()
    day = date(2026, 11, 27)
    create_appointment(item=world.items.project, start=time(10))
    create_appointment(item=world.items.licence, start=time(10))
    create_appointment(item=world.items.marriage, start=time(10))
    by_start = {
        s.start: s
        for s in availability.list_slots(world.center, world.items.project, day, now=at(THU))[1]
    }
    assert by_start[time(10)].remaining == 1  # the center has 1 left, the item 1 left
    create_appointment(item=world.items.licence, start=time(10))
    by_start = {
        s.start: s
        for s in availability.list_slots(world.center, world.items.project, day, now=at(THU))[1]
    }
    assert by_start[time(10)].remaining == 0 and by_start[time(10)].is_full
