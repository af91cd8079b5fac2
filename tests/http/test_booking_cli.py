"""The center-calendar commands: closures, special openings, clearing a day."""

from __future__ import annotations

from datetime import date, time

from service_center.catalogue.calendar import day_status
from service_center.db import db


def test_closure_closes_the_day_with_its_reasons(runner, world):
    result = runner.invoke(
        args=[
            "booking",
            "closure",
            "testtown",
            "2026-12-24",
            "--reason-zh",
            "设备检修",
            "--reason-en",
            "Maintenance",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "testtown closed on 2026-12-24" in result.output
    db.session.expire_all()
    status = day_status(world.center, date(2026, 12, 24))
    assert not status.is_open and status.reason == "设备检修"


def test_closure_names_the_bookings_already_made(runner, world, create_appointment):
    create_appointment(day=date(2026, 12, 1), start=time(9))
    result = runner.invoke(args=["booking", "closure", "testtown", "2026-12-01"])
    assert result.exit_code == 0 and "1 open booking(s)" in result.output


def test_special_opening_opens_a_saturday_and_clear_day_undoes_it(runner, world):
    result = runner.invoke(
        args=["booking", "special-opening", "testtown", "2026-12-05", "--reason-zh", "周六延时服务"]
    )
    assert result.exit_code == 0 and "opens on 2026-12-05" in result.output
    db.session.expire_all()
    assert day_status(world.center, date(2026, 12, 5)).is_open
    result = runner.invoke(args=["booking", "clear-day", "testtown", "2026-12-05"])
    assert result.exit_code == 0 and "removed" in result.output
    db.session.expire_all()
    assert not day_status(world.center, date(2026, 12, 5)).is_open


def test_bad_center_or_date_is_refused(runner, world):
    result = runner.invoke(args=["booking", "closure", "atlantis", "2026-12-24"])
    assert result.exit_code != 0 and "no center has the code" in result.output
    result = runner.invoke(args=["booking", "closure", "testtown", "24.12.2026"])
    assert result.exit_code != 0
