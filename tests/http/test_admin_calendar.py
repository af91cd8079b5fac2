"""A center's calendar and the county's statutory holidays from the admin area: each change
holds from the very next request, bad input is named next to its field, nothing half-written."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import select

from service_center.audit import AuditRecord
from service_center.catalogue import calendar
from service_center.catalogue.holidays import CalendarSource
from service_center.catalogue.models import Center, OpeningHours
from service_center.db import db
from tests.fixtures.booking import NO_LIMITS

EN = {"Accept-Language": "en"}
ZH = {"Accept-Language": "zh-CN"}
MONDAY = "2026-11-30"


@pytest.fixture
def app_config() -> dict[str, Any]:
    return dict(NO_LIMITS)


def slots(client, world, day: str = MONDAY) -> dict:
    response = client.get(
        "/api/v1/centers/testtown/slots",
        query_string={"service": world.items.licence.id, "date": day},
        headers=EN,
    )
    assert response.status_code == 200
    return response.get_json()


def actions() -> list[str]:
    db.session.expire_all()
    return [r.action for r in db.session.scalars(select(AuditRecord).order_by(AuditRecord.id))]


def test_new_hours_hold_from_the_next_request(world, client, login_as, booking_clock, admin_clock):
    before = slots(client, world)
    assert before["slots"][0]["start"] == "09:00"
    login_as(world.users.supervisor)
    week = {f"weekday_{d}": "08:30-11:30、14:00-17:00" for d in range(5)}
    response = client.post("/admin/centers/testtown/calendar/hours", data=week)
    assert response.status_code == 302
    after = slots(client, world)
    assert [s["start"] for s in after["slots"]][:2] == ["08:30", "09:00"]
    assert "14:00" in [s["start"] for s in after["slots"]]
    assert "calendar.hours" in actions()


def test_a_wrong_period_is_named_next_to_its_weekday_and_nothing_changes(world, client, login_as):
    login_as(world.users.supervisor)
    week = {f"weekday_{d}": "09:00-12:00" for d in range(5)}
    week["weekday_2"] = "12:00-09:00"
    week["weekday_3"] = "9 to 5"
    response = client.post("/admin/centers/testtown/calendar/hours", data=week, headers=EN)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="weekday_2-error">A period must end after it starts.' in page
    assert 'id="weekday_3-error">Write the hours as 09:00-12:00' in page
    db.session.expire_all()
    periods = db.session.scalars(
        select(OpeningHours).where(OpeningHours.center_id == world.center.id)
    ).all()
    assert len(periods) == 10  # the fixture's two periods on five weekdays, untouched
    assert actions() == []


def test_a_closure_closes_booking_and_names_the_bookings_it_strands(
    world, client, login_as, booking_clock, admin_clock, create_appointment
):
    booked = create_appointment(day=date(2026, 11, 30))
    login_as(world.users.supervisor)
    response = client.post(
        "/admin/centers/testtown/calendar/days",
        data={"day": MONDAY, "kind": "closed", "reason_zh": "停电检修", "reason_en": "Power works"},
        headers=EN,
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    assert booked.code in page and "1 bookings that day" in page
    day = slots(client, world)
    assert day["open"] is False and day["reason"] == "Power works"
    # removed: the calendar decides again
    client.post(f"/admin/centers/testtown/calendar/days/{MONDAY}/remove")
    assert slots(client, world)["open"] is True
    assert [a for a in actions() if a.startswith("calendar.")] == [
        "calendar.day",
        "calendar.day_removed",
    ]


def test_a_day_already_past_is_refused(world, client, login_as, admin_clock):
    login_as(world.users.supervisor)
    response = client.post(
        "/admin/centers/testtown/calendar/days",
        data={"day": "2026-11-20", "kind": "closed"},
        headers=EN,
    )
    assert response.status_code == 422
    assert 'id="day-error">Choose today or a later day.' in response.get_data(as_text=True)


def test_a_walk_in_cap_stops_the_kiosk_at_once(world, client, login_as, admin_clock):
    livelihood = world.case_types["livelihood"]
    login_as(world.users.supervisor)
    response = client.post(
        "/admin/centers/testtown/calendar/caps", data={f"cap_{livelihood.id}": "0"}
    )
    assert response.status_code == 302
    response = client.post(
        "/api/v1/tickets", json={"center": "testtown", "service": world.items.marriage.id}
    )
    assert response.status_code == 409
    response = client.post(
        "/admin/centers/testtown/calendar/caps", data={f"cap_{livelihood.id}": "many"}, headers=EN
    )
    assert response.status_code == 422
    assert f'id="cap_{livelihood.id}-error"' in response.get_data(as_text=True)


NOTICE_2031 = (
    "date,kind,name_zh,name_en\n"
    "2031-01-01,holiday,元旦,New Year's Day\n"
    "2031-01-02,holiday,元旦,New Year's Day\n"
    "2031-01-05,working day,元旦调休,\n"
)


def test_a_notice_is_checked_beside_the_rule_then_loaded(world, client, login_as, admin_clock):
    login_as(world.users.admin)
    response = client.post("/admin/notices", data={"year": 2031, "text": NOTICE_2031}, headers=EN)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'id="rule-days"' in page and "2031-01-01" in page
    assert 'id="notice-missing"' in page  # the file gives only New Year: the rest are listed
    assert calendar.year_sources(date(2031, 1, 1), date(2031, 1, 1)) == [
        (2031, CalendarSource.RULE)
    ]
    response = client.post("/admin/notices/confirm", data={"year": 2031, "text": NOTICE_2031})
    assert response.status_code == 302
    assert calendar.year_sources(date(2031, 1, 1), date(2031, 1, 1)) == [
        (2031, CalendarSource.NOTICE)
    ]
    assert "notice.load" in actions()
    db.session.expire_all()
    assert db.session.get(Center, world.center.id).calendar_version > 0


@pytest.mark.parametrize(
    ("headers", "message"),
    [(EN, "line 3: 2031-01-06 is a Monday"), (ZH, "第 3 行")],
)
def test_a_wrong_notice_row_is_said_in_the_users_language_and_nothing_is_loaded(
    world, client, login_as, headers, message
):
    login_as(world.users.admin)
    text = "date,kind,name_zh,name_en\n2031-01-01,holiday,元旦,\n2031-01-06,working day,调休,\n"
    response = client.post("/admin/notices", data={"year": 2031, "text": text}, headers=headers)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert 'id="load-notice"' not in response.get_data(as_text=True)
    assert calendar.notice_counts() == {}


def test_only_the_county_administrator_loads_a_notice(world, client, login_as):
    login_as(world.users.supervisor)
    assert client.get("/admin/notices").status_code == 403
    response = client.post("/admin/notices/confirm", data={"year": 2031, "text": NOTICE_2031})
    assert response.status_code == 403
