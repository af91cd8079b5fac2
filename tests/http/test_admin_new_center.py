"""Issue 14's promise: from an empty database and one administrator made by `flask create-user`,
a new center is set up, staffed and opened for bookings and walk-ins from the browser's forms
alone, and every step shows in the audit trail."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import pytest
from sqlalchemy import select

from service_center.catalogue.models import CaseType, Department, ServiceItem
from service_center.db import db
from service_center.windows.models import Window
from tests.fixtures.booking import NO_LIMITS


@pytest.fixture
def app_config() -> dict[str, Any]:
    return dict(NO_LIMITS)


def one_time_password(page: str) -> str:
    return re.search(r'<code id="one-time-password">([^<]+)</code>', page).group(1)


def test_a_new_center_from_an_empty_database(
    app, app_ctx, client, app_clock, admin_clock, booking_clock
):
    result = app.test_cli_runner().invoke(
        args=["create-user", "chief", "--role", "admin", "--password", "county-pass-1"]
    )
    assert result.exit_code == 0, result.output
    signed_in = client.post("/auth/login", data={"username": "chief", "password": "county-pass-1"})
    # the initial password came from the command line: its owner chooses their own first
    assert signed_in.headers["Location"].startswith("/auth/password")
    changed = client.post(
        "/auth/password",
        data={
            "current": "county-pass-1",
            "new": "county-head-2026x",
            "confirm": "county-head-2026x",
        },
    )
    assert changed.status_code == 302

    # the county's first department and center
    assert (
        client.post(
            "/admin/departments",
            data={"code": "nyj", "name_zh": "县农业农村局", "name_en": "County Agriculture Bureau"},
        ).status_code
        == 302
    )
    response = client.post(
        "/admin/centers/new",
        data={
            "code": "liuzhuang",
            "case_prefix": "LZ",
            "name_zh": "刘庄镇便民服务中心",
            "name_en": "Liuzhuang Convenience Service Center",
            "timezone": "Asia/Shanghai",
            "slot_minutes": 30,
            "slot_capacity": 4,
            "booking_horizon_days": 14,
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    hours = {f"weekday_{d}": "09:00-12:00, 13:30-17:30" for d in range(5)}
    assert client.post("/admin/centers/liuzhuang/calendar/hours", data=hours).status_code == 302

    # an item, a window that serves it, a clerk given that window
    livelihood = db.session.scalar(select(CaseType).where(CaseType.code == "livelihood"))
    department = db.session.scalar(select(Department).where(Department.code == "nyj"))
    response = client.post(
        "/admin/centers/liuzhuang/items/new",
        data={
            "code": "NJ-1",
            "name_zh": "农机购置补贴申请",
            "name_en": "Farm machinery subsidy",
            "department_id": department.id,
            "case_type_id": livelihood.id,
            "is_on_the_spot": "y",
            "service_minutes": 15,
            "is_bookable": "y",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    item = db.session.scalar(select(ServiceItem).where(ServiceItem.code == "NJ-1"))
    response = client.post(
        "/admin/centers/liuzhuang/windows/new",
        data={"number": 1, "name_zh": "综合受理", "name_en": "Reception", "service_ids": [item.id]},
    )
    assert response.status_code == 302
    window = db.session.scalar(select(Window).where(Window.number == 1))
    response = client.post(
        "/admin/centers/liuzhuang/staff/new",
        data={
            "username": "lz-clerk",
            "display_name": "刘芳",
            "role": "clerk",
            "window_ids": [window.id],
        },
    )
    password = one_time_password(response.get_data(as_text=True))

    # open for bookings: Monday's slots
    slots = client.get(
        "/api/v1/centers/liuzhuang/slots", query_string={"service": item.id, "date": "2026-11-30"}
    ).get_json()
    assert slots["open"] is True and slots["slots"][0]["start"] == "09:00"

    # open for walk-ins: the clerk signs on and calls the kiosk's ticket
    clerk = app.test_client()
    clerk.post("/auth/login", data={"username": "lz-clerk", "password": password})
    clerk.post(
        "/auth/password",
        data={"current": password, "new": "liufang-2026", "confirm": "liufang-2026"},
    )
    assert clerk.post(f"/api/v1/windows/{window.id}/sign-on").status_code == 200
    ticket = client.post("/api/v1/tickets", json={"center": "liuzhuang", "service": item.id})
    assert ticket.status_code == 201, ticket.get_data(as_text=True)
    called = clerk.post(f"/api/v1/windows/{window.id}/call-next")
    assert called.status_code == 200
    assert called.get_json()["number"] == ticket.get_json()["number"] == "M001"

    # every step is in the audit trail
    trail = client.get("/admin/audit.csv").get_data(as_text=True).lstrip("\ufeff")
    # (the command line and the sign-ins read the real clock, the pages the test's: compare
    # the steps, not their order)
    actions = sorted(row["action"] for row in csv.DictReader(io.StringIO(trail)))
    assert actions == sorted(
        [
            "user.create",  # flask create-user
            "auth.sign_in",
            "auth.password_change",  # the initial password replaced
            "department.create",
            "center.create",
            "calendar.hours",
            "item.create",
            "window.create",
            "user.create",
            "auth.sign_in",
            "auth.password_change",
        ]
    )
