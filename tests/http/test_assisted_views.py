"""帮办代办 over HTTP: asked for through the API and the booking page, shown at the desk, and
a clerk booking on a resident's behalf is recorded."""

from __future__ import annotations

from typing import Any
from unittest.mock import patch

import pytest
from sqlalchemy import select

from service_center.booking.models import Appointment
from service_center.db import db
from service_center.queueing import services
from service_center.queueing.models import Ticket
from tests.fixtures.booking import NO_LIMITS
from tests.fixtures.queueing import OPENING_MORNING

EN = {"Accept-Language": "en"}
PERSON = {"name": "张三丰", "phone": "139 1234 5678", "id_number": ""}


@pytest.fixture
def app_config() -> dict[str, Any]:
    return dict(NO_LIMITS)


def test_a_ticket_asked_for_with_help_is_marked_and_the_clerk_sees_it(
    client, world, login_as, desk_clock, sign_on
):
    item = world.items.licence.id
    answer = client.post(
        "/api/v1/tickets", json={"center": "testtown", "service": item, "assisted": True}
    )
    assert answer.status_code == 201 and answer.get_json()["assisted"] is True
    plain = client.post("/api/v1/tickets", json={"center": "testtown", "service": item})
    assert plain.get_json()["assisted"] is False
    refused = client.post(
        "/api/v1/tickets", json={"center": "testtown", "service": item, "assisted": "yes"}
    )
    assert refused.status_code == 422 and refused.mimetype == "application/problem+json"

    sign_on(world.users.clerk, world.windows.business)
    login_as(world.users.clerk)
    page = client.get(f"/desk/{world.windows.business.id}", headers=EN).get_data(as_text=True)
    assert page.count("Needs help (assisted service)") == 1  # the first in the queue only


def book(client, url: str, **extra: Any):
    return client.post(f"{url}/2026-11-27/09:00", data={**PERSON, **extra}, headers=EN)


def test_the_booking_form_asks_and_a_clerk_booking_records_the_helper(
    client, world, login_as, booking_clock
):
    url = f"/book/testtown/{world.items.licence.id}"
    form = client.get(f"{url}/2026-11-27/09:00", headers=EN).get_data(as_text=True)
    assert 'name="assisted"' in form and "I need help at the center" in form
    assert book(client, url, assisted="y").status_code == 302
    (resident,) = db.session.scalars(select(Appointment))
    assert resident.is_assisted and resident.helper_id is None

    login_as(world.users.clerk)
    assert book(client, url, phone="13912345679").status_code == 302
    helped = db.session.scalar(select(Appointment).where(Appointment.phone == "13912345679"))
    assert helped.is_assisted and helped.helper_id == world.users.clerk.id
    assert db.session.scalar(select(Ticket)) is None  # a booking, not yet a ticket


def test_the_printed_ticket_offers_help_and_the_desk_then_shows_it(client, world):
    with patch("service_center.queueing.views.now_utc", return_value=OPENING_MORNING):
        taken = client.post("/kiosk/testtown/tickets", data={"service_id": world.items.food.id})
        printed_url = taken.headers["Location"]
        page = client.get(printed_url).get_data(as_text=True)
        assert 'id="assist-submit"' in page and "需要帮办代办吗？" in page
        asked = client.post(printed_url + "/assist")
        assert asked.headers["Location"] == printed_url
        page = client.get(printed_url).get_data(as_text=True)
    assert 'id="assist-on"' in page and 'id="assist-submit"' not in page
    (ticket,) = db.session.scalars(select(Ticket))
    db.session.refresh(ticket)
    assert ticket.is_assisted
    services.cancel_ticket(ticket, now=OPENING_MORNING)
    db.session.commit()
    refused = client.post(printed_url + "/assist")  # no longer waiting: said, nothing changes
    assert refused.status_code == 302
