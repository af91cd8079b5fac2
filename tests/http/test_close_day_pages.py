"""What residents and supervisors see after the day closed: the ticket page, the booking page,
the daily report (page, API, CSV)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

import pytest

from service_center.booking import services as booking
from service_center.db import db
from service_center.queueing import services
from service_center.queueing.closing import close_day
from tests.fixtures.booking import NO_LIMITS

FRIDAY = date(2026, 11, 27)
CLOSING = datetime(2026, 11, 27, 9, 30, tzinfo=UTC)  # 17:30 in Shanghai
EN = {"Accept-Language": "en"}
ZH = {"Accept-Language": "zh-CN"}


@pytest.fixture
def app_config() -> dict[str, Any]:
    return dict(NO_LIMITS)


@pytest.fixture
def closed_friday(world, clock):
    ticket = services.issue_ticket(world.center, world.items.licence, now=clock.now)
    missed = booking.book_appointment(
        world.center,
        world.items.marriage,
        FRIDAY,
        time(9),
        name="李四",
        phone="13912345678",
        now=datetime(2026, 11, 26, 1, 0, tzinfo=UTC),
    )
    db.session.commit()
    close_day(world.center, now=CLOSING)
    db.session.commit()
    return ticket, missed


def test_the_residents_ticket_page_says_the_center_closed(client, closed_friday):
    ticket, _missed = closed_friday
    page = client.get(f"/t/{ticket.token}", headers=EN).get_data(as_text=True)
    assert "The center closed before your number was called." in page
    assert 'data-state="unserved"' in page
    assert 'http-equiv="refresh"' not in page  # a final state: nothing to wait for
    page = client.get(f"/t/{ticket.token}", headers=ZH).get_data(as_text=True)
    assert "本号未及办理，中心已下班" in page
    api = client.get(f"/api/v1/tickets/{ticket.token}").get_json()
    assert api["status"] == "unserved"


def test_a_booking_never_checked_in_shows_as_not_attended(client, closed_friday):
    _ticket, missed = closed_friday
    response = client.post(
        "/book/manage", data={"code": missed.code, "phone": "13912345678"}, headers=EN
    )
    page = client.get(f"/book/manage/{missed.code}", headers=EN).get_data(as_text=True)
    assert response.status_code in (200, 302)
    assert "Not attended" in page
    assert "The day of this booking has closed without a check-in." in page
    assert "Book again" in page
    api = client.get(
        f"/api/v1/appointments/{missed.code}", headers={"X-Booking-Phone": "13912345678"}
    ).get_json()
    assert api["status"] == "no_show"


def test_the_daily_report_shows_unserved_beside_no_shows(client, world, login_as, closed_friday):
    login_as(world.users.supervisor)
    page = client.get("/reports/daily?date=2026-11-27", headers=EN).get_data(as_text=True)
    assert "Unserved at closing" in page
    assert '<dd id="unserved">1</dd>' in page
    assert '<td class="num" id="type-business-unserved">1</td>' in page
    report = client.get("/api/v1/reports/daily?date=2026-11-27").get_json()
    assert report["unserved"] == 1
    assert report["tickets"]["business"]["unserved"] == 1
    assert report["tickets"]["livelihood"]["unserved"] == 0
    rows = (
        client.get("/reports/days.csv?from=2026-11-27&to=2026-11-27", headers=EN)
        .get_data(as_text=True)
        .splitlines()
    )
    header = rows[0].lstrip("\ufeff").split(",")
    business = next(r.split(",") for r in rows[1:] if ",business," in r)
    assert business[header.index("Unserved at closing")] == "1"
