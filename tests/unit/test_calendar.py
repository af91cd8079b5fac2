"""Working days: the national calendar (holidays, 调休), the center's own days, unknown years
(tests/unit/test_holidays.py covers the rule and the loaded notices)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from service_center.catalogue.calendar import day_status, is_open_at, opening_periods
from service_center.catalogue.models import CenterDay
from service_center.db import db


@pytest.mark.parametrize(
    ("day", "is_open", "reason", "by_rule"),
    [
        (date(2026, 11, 27), True, "", False),  # Friday
        (date(2026, 11, 28), False, "周末", False),  # Saturday
        (date(2026, 10, 1), False, "国庆节", False),  # National Day, a Thursday
        (date(2026, 9, 20), True, "调休上班日", False),  # Sunday made a working day
        (date(2027, 3, 8), True, "", True),  # Monday of a year chinese-calendar does not know
        (date(2027, 3, 6), False, "周末", True),  # Saturday of that year
        (date(2027, 10, 1), False, "国庆节", True),  # its statutory days close by the rule
    ],
)
def test_national_calendar_decides_ordinary_days(world, day, is_open, reason, by_rule):
    status = day_status(world.center, day)
    assert (status.is_open, status.reason, status.by_rule) == (is_open, reason, by_rule)


def test_center_closure_closes_a_working_day_with_its_reason(world):
    thursday = date(2026, 11, 26)
    db.session.add(
        CenterDay(center_id=world.center.id, day=thursday, is_open=False, reason_zh="设备检修")
    )
    db.session.flush()
    status = day_status(world.center, thursday)
    assert (status.is_open, status.reason) == (False, "设备检修")
    assert opening_periods(world.center, thursday) == []
    assert day_status(world.other, thursday).is_open  # the other center is not affected


def test_special_opening_opens_a_sunday_with_monday_hours(world):
    sunday = date(2026, 11, 29)
    db.session.add(
        CenterDay(center_id=world.center.id, day=sunday, is_open=True, reason_zh="集中办理日")
    )
    db.session.flush()
    status = day_status(world.center, sunday)
    assert (status.is_open, status.reason) == (True, "集中办理日")
    assert opening_periods(world.center, sunday) == [
        (time(9), time(12)),
        (time(13, 30), time(17, 30)),
    ]
    assert is_open_at(world.center, datetime(2026, 11, 29, 2, 0, tzinfo=UTC))  # 10:00 local


@pytest.mark.parametrize(
    ("moment", "is_open"),
    [
        (datetime(2026, 11, 27, 0, 59, tzinfo=UTC), False),  # 08:59 in Shanghai
        (datetime(2026, 11, 27, 1, 0, tzinfo=UTC), True),  # 09:00
        (datetime(2026, 11, 27, 3, 59, tzinfo=UTC), True),  # 11:59
        (datetime(2026, 11, 27, 4, 30, tzinfo=UTC), False),  # 12:30, lunch break
        (datetime(2026, 11, 27, 5, 30, tzinfo=UTC), True),  # 13:30
        (datetime(2026, 11, 27, 9, 30, tzinfo=UTC), False),  # 17:30, closing time
        (datetime(2026, 10, 1, 2, 0, tzinfo=UTC), False),  # National Day
    ],
)
def test_is_open_at_follows_local_hours(world, moment, is_open):
    assert is_open_at(world.center, moment) is is_open
