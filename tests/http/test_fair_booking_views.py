"""Fair booking over HTTP: a barred resident is told until when beside the phone field and by
the API; the center's supervisors see its bars, find one by phone and lift it."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import select

from service_center.audit import AuditRecord
from service_center.booking import fairness
from service_center.booking.models import BookingBar
from service_center.db import db
from tests.fixtures.booking import NO_LIMITS

EN = {"Accept-Language": "en"}
ZH = {"Accept-Language": "zh-CN"}


@pytest.fixture
def app_config() -> dict[str, Any]:
    return dict(NO_LIMITS)


@pytest.fixture
def barred(world) -> BookingBar:
    """13912345678 missed two bookings at testtown: barred until 2026-12-26."""
    bar = BookingBar(
        center_id=world.center.id,
        phone_key=fairness.keyed_hash("13912345678"),
        id_key=None,
        phone_hint="5678",
        strikes=2,
        created_dt=datetime(2026, 11, 26, 1, 0, tzinfo=UTC),
        until=date(2026, 12, 26),
    )
    db.session.add(bar)
    db.session.commit()
    return bar


def test_the_booking_form_says_until_when_beside_the_phone(client, world, booking_clock, barred):
    url = f"/book/testtown/{world.items.licence.id}/2026-11-27/09:00"
    person = {"name": "张三丰", "phone": "139 1234 5678", "id_number": ""}
    refused = client.post(url, data=person, headers=EN)
    assert refused.status_code == 403
    html = refused.get_data(as_text=True)
    assert 'id="phone-error"' in html
    assert "cannot book at this center until December 26, 2026" in html
    zh = client.post(url, data=person, headers=ZH).get_data(as_text=True)
    assert "2026年12月26日" in zh
    ok = client.post(url, data={**person, "phone": "13912345679"}, headers=EN)
    assert ok.status_code == 302  # another phone books


def test_the_api_refuses_with_a_problem(client, world, booking_clock, barred):
    response = client.post(
        "/api/v1/appointments",
        json={
            "center": "testtown",
            "service": world.items.licence.id,
            "date": "2026-11-27",
            "start": "09:00",
            "name": "张三",
            "phone": "13912345678",
        },
        headers=EN,
    )
    assert response.status_code == 403
    assert response.headers["Content-Type"].startswith("application/problem+json")
    assert "until" in response.get_json()["detail"]


def test_supervisors_find_and_lift_a_bar(client, world, login_as, booking_clock, barred):
    login_as(world.users.supervisor)
    page = client.get("/admin/centers/testtown/booking-bars", headers=EN).get_data(as_text=True)
    assert "…5678" in page and "13912345678" not in page and "Holding" in page
    found = client.get("/admin/centers/testtown/booking-bars?q=13912345678", headers=EN)
    assert "…5678" in found.get_data(as_text=True)
    other = client.get("/admin/centers/testtown/booking-bars?q=13900000000", headers=EN)
    assert "No bar holds for this phone" in other.get_data(as_text=True)
    lifted = client.post(
        f"/admin/centers/testtown/booking-bars/{barred.id}/lift", headers=EN, follow_redirects=True
    )
    assert "The bar is lifted" in lifted.get_data(as_text=True)
    db.session.refresh(barred)
    assert barred.lifted_dt is not None
    assert (
        db.session.scalar(
            select(AuditRecord).where(AuditRecord.action == "booking.bar.lift")
        ).actor_id
        == world.users.supervisor.id
    )
    login_as(world.users.other_supervisor)
    assert client.post(f"/admin/centers/testtown/booking-bars/{barred.id}/lift").status_code == 403


def test_a_bar_of_another_center_cannot_be_lifted_here(client, world, login_as, barred):
    barred.center_id = world.other.id
    db.session.commit()
    login_as(world.users.supervisor)
    client.post(f"/admin/centers/testtown/booking-bars/{barred.id}/lift", headers=EN)
    db.session.refresh(barred)
    assert barred.lifted_dt is None
