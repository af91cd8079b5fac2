"""A year the holiday library does not know, as residents, operators and supervisors meet it:
the slots, the kiosk, the reports, ``flask calendar load|status`` and the notices they see."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any
from unittest.mock import patch

import pytest
from sqlalchemy import func, select

from service_center.catalogue.calendar import day_status
from service_center.catalogue.models import NoticeDay
from service_center.db import db
from service_center.demo import history
from tests.fixtures.booking import NO_LIMITS
from tests.unit.test_holidays import NOTICE_2027

EN = {"Accept-Language": "en"}
#: Monday 21 December 2026, 09:00 in Shanghai: the booking horizon reaches 4 January 2027
DEC_21 = datetime(2026, 12, 21, 1, tzinfo=UTC)
#: Monday 1 February 2027, 09:00: the horizon covers the Spring Festival
FEB_1 = datetime(2027, 2, 1, 1, tzinfo=UTC)


@pytest.fixture
def app_config() -> dict[str, Any]:
    return dict(NO_LIMITS)


@pytest.fixture
def notice_file(tmp_path: Path) -> Path:
    path = tmp_path / "2027.csv"
    path.write_text(NOTICE_2027, encoding="utf-8")
    return path


def slots(client, world, day: str) -> dict[str, Any]:
    response = client.get(
        "/api/v1/centers/testtown/slots",
        query_string={"service": world.items.licence.id, "date": day},
        headers=EN,
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def notice_days() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count(NoticeDay.id))) or 0


def test_new_years_day_2027_is_not_bookable(client, world, booking_clock):
    booking_clock.set(DEC_21)
    data = slots(client, world, "2027-01-01")
    assert data == {"date": "2027-01-01", "open": False, "reason": "New Year's Day", "slots": []}
    assert slots(client, world, "2027-01-04")["open"] is True  # the Monday after
    page = client.get(f"/book/testtown/{world.items.licence.id}", headers=EN)
    assert "New Year&#39;s Day" in page.get_data(as_text=True)  # the day list says why


def test_the_spring_festival_2027_is_closed_from_new_years_eve(client, world, booking_clock):
    booking_clock.set(FEB_1)
    for day in ("2027-02-05", "2027-02-08"):
        data = slots(client, world, day)
        assert (data["open"], data["reason"]) == (False, "Spring Festival")
    assert slots(client, world, "2027-02-04")["open"] is True


def test_the_kiosk_issues_nothing_on_a_statutory_day(client, world, open_windows, app_clock):
    body = {"center": "testtown", "service": world.items.licence.id}
    app_clock.now = datetime(2027, 1, 1, 2, tzinfo=UTC)  # 10:00 on New Year's Day
    response = client.post("/api/v1/tickets", json=body, headers=EN)
    assert response.status_code == 409
    assert "closed today" in response.get_json()["detail"]
    app_clock.now = datetime(2027, 1, 4, 2, tzinfo=UTC)  # the Monday after: open
    assert client.post("/api/v1/tickets", json=body, headers=EN).status_code == 201


def test_reports_count_working_days_by_the_same_calendar(world, runner, notice_file):
    first, last = date(2027, 1, 1), date(2027, 2, 12)
    computed = history.working_days(world.center, first, last)
    assert date(2027, 1, 1) not in computed and date(2027, 2, 5) not in computed
    assert date(2027, 2, 9) in computed and date(2027, 1, 30) not in computed
    assert runner.invoke(args=["calendar", "load", "2027", str(notice_file)]).exit_code == 0
    db.session.expire_all()
    loaded = history.working_days(world.center, first, last)
    assert date(2027, 2, 9) not in loaded and date(2027, 1, 30) in loaded


def test_loading_a_notice_lists_the_bookings_it_strands(
    client, world, runner, notice_file, booking_clock, create_appointment
):
    booking_clock.set(FEB_1)
    stranded = create_appointment(day=date(2027, 2, 9), start=time(10))  # a bridging day
    kept = create_appointment(day=date(2027, 2, 4), start=time(9))  # an ordinary Thursday
    result = runner.invoke(args=["calendar", "load", "2027", str(notice_file)])
    assert result.exit_code == 0, result.output
    assert "Loaded the 2027 notice: 16 day(s) off, 2 weekend(s) worked." in result.output
    assert "1 open booking(s) fall on days now closed:" in result.output
    assert f"{stranded.code}  testtown  2027-02-09 10:00" in result.output
    assert kept.code not in result.output
    assert "张三" not in result.output and stranded.phone not in result.output

    # the resident looks the booking up and is told not to come, on the page and in the API
    found = client.get(
        f"/api/v1/appointments/{stranded.code}",
        headers={**EN, "X-Booking-Phone": stranded.phone},
    ).get_json()
    assert (found["day_open"], found["day_closed_reason"]) == (False, "Spring Festival")
    found = client.get(
        f"/api/v1/appointments/{kept.code}", headers={**EN, "X-Booking-Phone": kept.phone}
    ).get_json()
    assert (found["day_open"], found["day_closed_reason"]) == (True, None)
    response = client.post(
        "/book/manage", data={"code": stranded.code, "phone": stranded.phone}, headers=EN
    )
    page = client.get(response.headers["Location"], headers=EN).get_data(as_text=True)
    assert 'id="closed-notice"' in page and "Spring Festival" in page
    assert 'id="move-link"' in page  # and can move it
    response = client.post("/book/manage", data={"code": kept.code, "phone": kept.phone})
    page = client.get(response.headers["Location"], headers=EN).get_data(as_text=True)
    assert 'id="closed-notice"' not in page


def test_bookings_of_days_gone_by_are_not_listed(
    world, runner, notice_file, booking_clock, create_appointment
):
    booking_clock.set(FEB_1)
    create_appointment(day=date(2027, 2, 9), start=time(10))
    with patch(
        "service_center.booking.cli.now_utc", return_value=datetime(2027, 2, 10, 1, tzinfo=UTC)
    ):
        result = runner.invoke(args=["calendar", "load", "2027", str(notice_file)])
    assert result.exit_code == 0 and "open booking(s)" not in result.output


def test_unloading_a_notice_brings_the_rule_back_and_lists_what_it_closes(
    world, runner, tmp_path, booking_clock, create_appointment
):
    path = tmp_path / "2027.csv"
    path.write_text("date,kind,name_zh,name_en\n2027-01-01,working day,x,\n", encoding="utf-8")
    result = runner.invoke(args=["calendar", "load", "2027", str(path)])
    assert result.exit_code == 1  # a Friday cannot be a 调休 working day
    path.write_text("date,kind,name_zh,name_en\n2027-02-09,holiday,春节,\n", encoding="utf-8")
    assert runner.invoke(args=["calendar", "load", "2027", str(path)]).exit_code == 0
    db.session.expire_all()
    assert day_status(world.center, date(2027, 1, 1)).is_open  # the notice did not list it
    booking_clock.set(DEC_21)
    appointment = create_appointment(day=date(2027, 1, 1), start=time(9))
    result = runner.invoke(args=["calendar", "unload", "2027"])
    assert result.exit_code == 0, result.output
    assert "Removed the 2027 notice; 2027 now comes from: computed by rule" in result.output
    assert f"{appointment.code}  testtown  2027-01-01 09:00" in result.output
    assert notice_days() == 0
    assert not day_status(world.center, date(2027, 1, 1)).is_open


def test_a_notice_for_a_year_the_library_knows_is_compared_with_it(world, runner, tmp_path):
    path = tmp_path / "2026.csv"
    path.write_text("date,kind,name_zh,name_en\n2026-12-28,holiday,自定,\n", encoding="utf-8")
    result = runner.invoke(args=["calendar", "load", "2026", str(path)])
    assert result.exit_code == 0
    assert "note: 2026-12-28 is off now; chinese-calendar says otherwise" in result.output
    assert "note: 2026-10-01 is a working day now; chinese-calendar says otherwise" in result.output


def test_a_centers_own_closure_lists_its_bookings_the_same_way(
    runner, world, booking_clock, create_appointment
):
    appointment = create_appointment(day=date(2026, 12, 1), start=time(9))
    result = runner.invoke(args=["booking", "closure", "testtown", "2026-12-01"])
    assert result.exit_code == 0 and "1 open booking(s)" in result.output
    assert f"{appointment.code}  testtown  2026-12-01 09:00" in result.output
    assert appointment.phone not in result.output


def test_a_malformed_file_changes_nothing(world, runner, notice_file, tmp_path):
    assert runner.invoke(args=["calendar", "load", "2027", str(notice_file)]).exit_code == 0
    loaded = notice_days()
    wrong = tmp_path / "wrong.csv"
    wrong.write_text(
        "date,kind,name_zh,name_en\n2027-01-01,holiday,元旦,\n2027-02-09,working day,调休,\n"
        "2028-01-03,holiday,元旦,\n",
        encoding="utf-8",
    )
    result = runner.invoke(args=["calendar", "load", "2027", str(wrong)])
    assert result.exit_code == 1
    assert "2 wrong row(s); nothing was loaded" in result.output
    assert "line 3: 2027-02-09 is a Tuesday" in result.output
    assert "line 4: 2028-01-03 is not in 2027" in result.output
    assert notice_days() == loaded  # the notice loaded before stands
    assert not day_status(world.center, date(2027, 2, 10)).is_open

    wrong.write_bytes("date,kind\n".encode("utf-16"))
    result = runner.invoke(args=["calendar", "load", "2027", str(wrong)])
    assert result.exit_code == 1 and "not UTF-8" in result.output
    result = runner.invoke(args=["calendar", "load", "2027", str(tmp_path / "none.csv")])
    assert result.exit_code == 2 and "does not exist" in result.output
    assert notice_days() == loaded


def test_a_statutory_day_missing_from_the_file_is_pointed_out(world, runner, tmp_path):
    path = tmp_path / "short.csv"
    path.write_text("date,kind,name_zh,name_en\n2027-01-01,holiday,元旦,\n", encoding="utf-8")
    result = runner.invoke(args=["calendar", "load", "2027", str(path)])
    assert result.exit_code == 0
    assert "note: 2027-02-05 (Spring Festival) is a statutory holiday" in result.output


def test_status_names_each_years_source(world, runner, notice_file):
    with patch("service_center.booking.cli.now_utc", return_value=DEC_21):
        result = runner.invoke(args=["calendar", "status"])
        assert result.exit_code == 0
        assert "2026  chinese-calendar (the official arrangement)" in result.output
        assert "2027  computed by rule" in result.output
        assert "flask calendar load 2027 FILE.csv" in result.output
        runner.invoke(args=["calendar", "load", "2027", str(notice_file)])
        result = runner.invoke(args=["calendar", "status"])
        assert "2027  loaded notice (16 day(s) off, 2 weekend(s) worked)" in result.output


@pytest.mark.parametrize(
    ("who", "moment", "shown"),
    [
        ("supervisor", datetime(2026, 12, 6, 1, tzinfo=UTC), True),  # 2027 is 26 days away
        ("admin", datetime(2026, 12, 6, 1, tzinfo=UTC), True),
        ("supervisor", datetime(2026, 10, 1, 1, tzinfo=UTC), False),  # 92 days away
    ],
)
def test_supervisors_are_told_while_a_year_ahead_is_only_computed(
    client, world, login_as, runner, notice_file, who, moment, shown
):
    login_as(getattr(world.users, who))
    with patch("service_center.catalogue.views.now_utc", return_value=moment):
        for page in ("/reports/daily", "/reports/range", "/reports/live", "/auth/"):
            html = client.get(page, headers=EN).get_data(as_text=True)
            assert ('id="calendar-notice"' in html) is shown, page
            if shown:
                assert "holidays of 2027 are computed by the national rule" in html
                assert "flask calendar load 2027 FILE.csv" in html
        result = runner.invoke(args=["calendar", "load", "2027", str(notice_file)])
        assert result.exit_code == 0, result.output
        html = client.get("/reports/daily", headers=EN).get_data(as_text=True)
        assert 'id="calendar-notice"' not in html  # loaded: nothing to do


def test_clerks_never_see_the_calendar_notice(client, world, login_as):
    login_as(world.users.clerk)
    with patch("service_center.catalogue.views.now_utc", return_value=DEC_21):
        assert 'id="calendar-notice"' not in client.get("/auth/").get_data(as_text=True)
