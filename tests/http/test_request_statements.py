"""How many SQL statements the busiest requests send, each against a budget.

The statement count of one request is deterministic, unlike its time: a change that loads a
row again after the commit, or once per window, shows here before it shows under load
(docs/performance.md). Each request runs on a fresh session, as it does in a worker.
"""

from __future__ import annotations

from typing import Any

import pytest

from service_center.auth.services import issue_api_token, user_for_token
from service_center.clock import now_utc
from service_center.db import db
from tests.fixtures.booking import NO_LIMITS

#: statements of one request at most, (SQLite, PostgreSQL): SQLite also sends its BEGINs
BUDGETS = {
    "issue a ticket": (8, 6),
    # the page reads the ticket's center (a ticket new to the process), then both read the
    # floor's version and its center: what every process keeps and reads again once a second
    # (queueing/kept.py), every request here (TTL 0); then they build what they keep, the
    # position from every waiting ticket's at once (four statements, kept for the next
    # phones: here not, the slack is 0)
    "ticket page": (9, 8),
    "ticket API": (8, 7),
    # one of them asks who opted in to "N ahead" (notifications; a partial index, empty
    # when nobody did)
    "call-next": (12, 9),
    "start": (7, 5),
    "complete": (9, 7),
    # one of them looks for a bar from booking (missed bookings; an index on the phone's and
    # the ID number's keyed hashes, empty for nearly everyone)
    "book": (11, 10),
}


APPLICANT = {"outcome": "completed", "applicant_name": "张三", "applicant_phone": "13812345678"}


@pytest.fixture
def app_config() -> dict[str, Any]:
    return dict(NO_LIMITS)


def within_budget(name: str, count: int, backend: str) -> bool:
    return count <= BUDGETS[name][0 if backend == "sqlite" else 1]


def test_issuing_and_following_a_ticket(
    client, world, open_windows, app_clock, statements, backend
):
    licence = world.items.licence.id
    for _ in range(3):  # people ahead, so the position and the estimate have work to do
        client.post("/api/v1/tickets", json={"center": "testtown", "service": licence})
    issued: dict[str, Any] = {}

    def issue() -> Any:
        response = client.post("/api/v1/tickets", json={"center": "testtown", "service": licence})
        issued.update(response.get_json())
        return response

    counts = {"issue a ticket": statements(issue)}
    assert issued["position"] == 3 and issued["estimated_wait_minutes"] is not None
    token = issued["token"]
    counts["ticket page"] = statements(lambda: client.get(f"/t/{token}"))
    counts["ticket API"] = statements(lambda: client.get(f"/api/v1/tickets/{token}"))
    assert {name: n for name, n in counts.items() if not within_budget(name, n, backend)} == {}


def test_a_clerk_calls_starts_and_completes(
    client, world, open_windows, app_clock, statements, backend
):
    window = world.windows.business
    window.clerk_id = world.users.clerk.id  # signed on, working from a desk device
    token = issue_api_token(world.users.clerk, "desk-1", now=app_clock.now)
    db.session.commit()
    # the desk device has been at work this hour: its token's use is written once an hour
    # (auth/services.py), not on every call measured here
    assert user_for_token(token, now=now_utc()) is not None
    issued = client.post(
        "/api/v1/tickets", json={"center": "testtown", "service": world.items.food.id}
    )
    assert issued.status_code == 201, issued.get_data(as_text=True)
    bearer = {"Authorization": f"Bearer {token}"}
    window_id, called = window.id, {}

    def call_next() -> Any:
        response = client.post(f"/api/v1/windows/{window_id}/call-next", headers=bearer)
        called.update(response.get_json())
        return response

    counts = {"call-next": statements(call_next)}
    ticket = called["id"]
    counts["start"] = statements(
        lambda: client.post(f"/api/v1/tickets/{ticket}/start", headers=bearer)
    )
    counts["complete"] = statements(
        lambda: client.post(
            f"/api/v1/tickets/{ticket}/complete",
            headers=bearer,
            json=APPLICANT,
        )
    )
    assert {name: n for name, n in counts.items() if not within_budget(name, n, backend)} == {}


def test_booking_a_slot(client, world, booking_clock, statements, backend):
    body = {
        "center": "testtown",
        "service": world.items.licence.id,
        "date": "2026-11-27",
        "start": "09:00",
        "name": "张三",
        "phone": "13912345678",
    }
    count = statements(lambda: client.post("/api/v1/appointments", json=body))
    assert within_budget("book", count, backend), count
