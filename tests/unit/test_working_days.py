"""Deadlines in working days (工作日): the center's calendar counts them, holidays and its own
closures skipped, 调休 working weekends counted, an unknown year by the statutory rule."""

from __future__ import annotations

from datetime import date

import pytest

from service_center.catalogue.calendar import NoWorkingDay, add_working_days
from service_center.catalogue.models import CenterDay, OpeningHours
from service_center.db import db


@pytest.mark.parametrize(
    ("start", "count", "deadline"),
    [
        (date(2026, 11, 27), 0, date(2026, 11, 27)),  # no days: the day itself
        (date(2026, 11, 27), 1, date(2026, 11, 30)),  # Friday: the weekend is not counted
        (date(2026, 11, 27), 5, date(2026, 12, 4)),
        (date(2026, 11, 28), 5, date(2026, 12, 4)),  # given on a Saturday: as from Friday
        # Spring Festival 2026: Sat 14 Feb works (调休), 15–23 Feb off, Sat 28 Feb works
        (date(2026, 2, 12), 5, date(2026, 2, 26)),
        (date(2026, 2, 23), 5, date(2026, 2, 28)),  # the 调休 Saturday is the fifth
        # National Day 2026: 1–7 Oct off, Sat 10 Oct works
        (date(2026, 9, 30), 5, date(2026, 10, 13)),
        # 2035, a year no notice or library knows: the statutory rule (除夕 to 初三 off)
        (date(2035, 2, 6), 3, date(2035, 2, 14)),
    ],
)
def test_deadlines_count_the_centers_working_days(world, start, count, deadline):
    assert add_working_days(world.center, start, count) == deadline


def test_a_centers_own_closure_is_not_a_working_day(world):
    db.session.add(CenterDay(center_id=world.center.id, day=date(2026, 11, 30), is_open=False))
    world.center.calendar_version += 1
    db.session.flush()
    assert add_working_days(world.center, date(2026, 11, 27), 1) == date(2026, 12, 1)


def test_a_center_that_never_opens_has_no_deadline(world):
    db.session.execute(db.delete(OpeningHours).where(OpeningHours.center_id == world.center.id))
    world.center.calendar_version += 1
    db.session.flush()
    db.session.expire_all()
    with pytest.raises(NoWorkingDay):
        add_working_days(world.center, date(2026, 11, 27), 5)
