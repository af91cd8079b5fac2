"""Service-level limits through the pages: the live floor lists the open breaches, the daily
report counts them, the administrator sets the limits (errors next to the field)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from service_center.audit import AuditRecord
from service_center.db import db
from service_center.quality.models import Breach, WaitLimit
from tests.http.test_admin_centers import settings

EN = {"Accept-Language": "en"}


@pytest.fixture
def late(world, clock, issue, monkeypatch):
    """A business ticket waiting 45 minutes where 30 are the limit."""
    db.session.add(
        WaitLimit(
            center_id=world.center.id, case_type_id=world.case_types["business"].id, minutes=30
        )
    )
    db.session.commit()
    ticket = issue(world.items.licence_change)
    now = ticket.issued_dt + timedelta(minutes=45)
    monkeypatch.setattr("service_center.reports.views.now_utc", lambda: now)
    return ticket


def test_the_live_floor_lists_the_breach_with_its_ticket_number(client, world, login_as, late):
    login_as(world.users.supervisor)
    page = client.get("/reports/live", headers=EN).get_data(as_text=True)
    [breach] = db.session.scalars(select(Breach)).all()
    row = page[page.index(f'id="breach-{breach.id}"') :]
    row = row[: row.index("</tr>")]
    assert "Business waiting over 30 minutes" in row
    assert "10:30" in row and "45 minutes" in row and late.number in row


def test_the_daily_report_counts_the_breaches_and_their_minutes(client, world, login_as, late):
    login_as(world.users.supervisor)
    client.get("/reports/live")  # the check opens the breach at 10:30, 15 minutes ago
    page = client.get("/reports/daily?date=2026-11-27", headers=EN).get_data(as_text=True)
    assert '<dd id="breaches-begun">1</dd>' in page
    assert '<dd id="breach-minutes">15</dd>' in page


def test_the_administrator_saves_the_thresholds(client, world, login_as):
    login_as(world.users.supervisor)
    data = settings(
        world.center,
        rectification_days=7,
        queue_limit=40,
        service_limit_percent=200,
        duty_contact="139 1234 5678",
    )
    response = client.post("/admin/centers/testtown", data=data, headers=EN)
    assert response.status_code == 302
    center = world.center
    db.session.refresh(center)
    assert (center.rectification_days, center.queue_limit, center.service_limit_percent) == (
        7,
        40,
        200,
    )
    assert center.duty_contact == "13912345678"
    record = db.session.scalars(
        select(AuditRecord).where(AuditRecord.action == "center.update")
    ).one()
    assert "13912345678" not in str(record.changes)  # masked


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("duty_contact", "not a phone", "Enter a mobile number or an e-mail address."),
        ("service_limit_percent", "50", "Number must be between 100 and 1000."),
        ("rectification_days", "61", "Number must be between 1 and 60."),
    ],
)
def test_bad_thresholds_are_refused_next_to_their_field(
    client, world, login_as, field, value, message
):
    login_as(world.users.supervisor)
    data = {**settings(world.center), field: value}
    response = client.post("/admin/centers/testtown", data=data, headers=EN)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    error = page[page.index(f'id="{field}-error"') :]
    assert message in error[: error.index("</")]
    db.session.refresh(world.center)
    assert world.center.duty_contact is None and world.center.rectification_days == 5


def test_the_longest_waits_are_saved_per_case_type(client, world, login_as):
    login_as(world.users.supervisor)
    business, livelihood = world.case_types["business"], world.case_types["livelihood"]
    response = client.post(
        "/admin/centers/testtown/wait-limits",
        data={f"wait_{business.id}": "30", f"wait_{livelihood.id}": ""},
    )
    assert response.status_code == 302
    rows = db.session.scalars(select(WaitLimit)).all()
    assert [(r.case_type_id, r.minutes) for r in rows] == [(business.id, 30)]

    response = client.post(
        "/admin/centers/testtown/wait-limits", data={f"wait_{business.id}": "601"}, headers=EN
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert f'id="wait_{business.id}-error">The longest wait is 1 to 600 minutes' in page
    assert db.session.scalars(select(WaitLimit.minutes)).all() == [30]


def test_the_api_refuses_a_bad_duty_contact_as_a_problem(client, world, login_as):
    login_as(world.users.supervisor)
    response = client.put("/api/v1/admin/centers/testtown", json={"duty_contact": "nobody"})
    assert response.status_code in (400, 409, 422)
    assert response.mimetype == "application/problem+json"
    response = client.put(
        "/api/v1/admin/centers/testtown", json={"queue_limit": 25, "duty_contact": "a@b.cn"}
    )
    assert response.status_code == 200
    assert (response.json["queue_limit"], response.json["duty_contact"]) == (25, "a@b.cn")


def test_the_cron_command_opens_the_breach(runner, world, late, monkeypatch):
    now = late.issued_dt + timedelta(minutes=45)
    monkeypatch.setattr("service_center.quality.cli.now_utc", lambda: now)
    result = runner.invoke(args=["quality", "check", "--center", "testtown"])
    assert result.exit_code == 0, result.output
    assert "1 breach(es) open" in result.output
    [breach] = db.session.scalars(select(Breach)).all()
    assert breach.tickets == late.number
    result = runner.invoke(args=["quality", "check", "--center", "nowhere"])
    assert result.exit_code != 0 and "no center has the code" in result.output
