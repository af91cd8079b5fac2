"""A center's settings from the admin area: created by the county administrator, changed by its
supervisor (not its code), and its ticket letters per case type."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from service_center.audit import AuditRecord
from service_center.catalogue.models import Center
from service_center.db import db

EN = {"Accept-Language": "en"}


def settings(center: Center, **overrides):
    data = {
        "code": center.code,
        "case_prefix": center.case_prefix,
        "name_zh": center.name_zh,
        "name_en": center.name_en,
        "address_zh": center.address_zh,
        "address_en": center.address_en,
        "phone": center.phone,
        "timezone": center.timezone,
        "slot_minutes": center.slot_minutes,
        "slot_capacity": center.slot_capacity,
        "booking_horizon_days": center.booking_horizon_days,
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("code", "Big Town", "A center&#39;s code is 1 to 32 lower-case letters"),
        ("code", "manage", "This code is a page of its own"),
        ("code", "otherville", "Another center has the code otherville."),
        ("case_prefix", "zz9", "The case prefix is 1 to 8 capital letters."),
        ("timezone", "Mars/Olympus", "Not a valid choice"),
    ],
)
def test_a_new_centers_settings_are_checked_field_by_field(
    world, client, login_as, field, value, message
):
    login_as(world.users.admin)
    data = {**settings(world.center, code="newtown", case_prefix="NT"), field: value}
    response = client.post("/admin/centers/new", data=data, headers=EN)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert f'id="{field}-error">' in page and message in page
    assert db.session.scalar(select(Center).where(Center.code == "newtown")) is None


def test_a_supervisor_changes_the_settings_but_not_the_code(world, client, login_as):
    login_as(world.users.supervisor)
    response = client.post(
        "/admin/centers/testtown",
        data=settings(world.center, code="renamed", phone="0530-1234567", booking_horizon_days=30),
    )
    assert response.status_code == 302
    db.session.expire_all()
    center = db.session.get(Center, world.center.id)
    assert (center.code, center.phone, center.booking_horizon_days) == (
        "testtown",
        "0530-1234567",
        30,
    )
    (record,) = db.session.scalars(select(AuditRecord).where(AuditRecord.action == "center.update"))
    assert record.changes == {"booking_horizon_days": [14, 30], "phone": ["", "0530-1234567"]}


def test_a_centers_own_ticket_letter_numbers_its_tickets_from_the_next_one(
    world, client, login_as, app_clock
):
    business = world.case_types["business"]
    login_as(world.users.supervisor)
    response = client.post(
        "/admin/centers/testtown/ticket-letters", data={f"prefix_{business.id}": "s"}
    )
    assert response.status_code == 302
    ticket = client.post(
        "/api/v1/tickets", json={"center": "testtown", "service": world.items.licence.id}
    )
    assert ticket.status_code == 201, ticket.get_json()
    assert ticket.get_json()["number"] == "S001"
    other = client.post(
        "/api/v1/tickets", json={"center": "otherville", "service": world.items.other_licence.id}
    )
    assert other.get_json()["number"] == "B001"
    assert '<span class="kiosk-type-letter">S</span>' in client.get("/kiosk/testtown").get_data(
        as_text=True
    )
    board = client.get("/api/v1/centers/testtown/display").get_json()
    assert {ct["code"]: ct["prefix"] for ct in board["case_types"]}["business"] == "S"
    (record,) = db.session.scalars(
        select(AuditRecord).where(AuditRecord.action == "center.ticket_letters")
    )
    assert record.changes == {"business": ["B", "S"]}


def test_two_case_types_cannot_share_a_letter(world, client, login_as):
    business, livelihood = world.case_types["business"], world.case_types["livelihood"]
    login_as(world.users.supervisor)
    response = client.post(
        "/admin/centers/testtown/ticket-letters",
        data={f"prefix_{business.id}": "M", f"prefix_{livelihood.id}": "M"},
        headers=EN,
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Two case types cannot share the letter M." in page
    response = client.post(
        "/admin/centers/testtown/ticket-letters", data={f"prefix_{business.id}": "7"}, headers=EN
    )
    assert (
        f'id="prefix_{business.id}-error">A ticket letter is one letter, A to Z.'
        in response.get_data(as_text=True)
    )
