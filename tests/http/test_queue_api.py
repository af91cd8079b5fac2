"""The ticket endpoints (queueing) and the window-clerk endpoints (desk) of /api/v1, with bad
input."""

from __future__ import annotations

from unittest.mock import patch

import pytest

from service_center.db import db
from service_center.queueing.models import Case, Ticket
from service_center.windows.models import WindowState
from tests.fixtures.queueing import OPENING_MORNING


@pytest.fixture(autouse=True)
def frozen_morning(client):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    with (
        patch("service_center.queueing.api.now_utc", return_value=OPENING_MORNING),
        patch("service_center.desk.api.now_utc", return_value=OPENING_MORNING),
    ):
        yield


def post_ticket(client, **body):
    return client.post("/api/v1/tickets", json={"center": "testtown", **body})


def test_issue_a_ticket(client, world):
    response = post_ticket(client, service=world.items.licence.id)
    assert response.status_code == 201
    data = response.get_json()
    assert (data["number"], data["status"], data["case_type"], data["center"]) == (
        "B001",
        "waiting",
        "business",
        "testtown",
    )
    assert len(data["token"]) >= 16
    assert data["position"] == 0 and data["issued_at"].endswith("+08:00")
    again = client.get(f"/api/v1/tickets/{data['token']}").get_json()
    assert again["number"] == "B001" and again["window"] is None


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"center": "testtown"}, 422, "service"),
        ({"service": 1}, 422, "center"),
        ({"center": "testtown", "service": "abc"}, 422, "service"),
        ({"center": "atlantis", "service": 1}, 404, None),
        ({"center": "testtown", "service": 99999}, 404, None),
        ({"center": "testtown", "service": 1, "priority": "yes"}, 422, "priority"),
    ],
)
def test_issue_refuses_bad_input_clearly(client, world, body, status, field):
    response = client.post("/api/v1/tickets", json=body)
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"
    problem = response.get_json()
    assert problem["status"] == status and problem["detail"]
    if field:
        assert field in problem["errors"]
    assert db.session.query(Ticket).count() == 0


def test_malformed_json_is_400(client, world):
    response = client.post(
        "/api/v1/tickets",
        data="{nope",
        content_type="application/json",
        headers={"Accept-Language": "en"},
    )
    assert response.status_code == 400
    assert response.get_json()["detail"] == "The request body is not valid JSON."


def test_issue_outside_hours_is_409_with_the_hours(client, world):
    with patch(
        "service_center.queueing.api.now_utc",
        return_value=OPENING_MORNING.replace(hour=4, minute=40),
    ):
        response = post_ticket(client, service=world.items.licence.id)
    assert response.status_code == 409
    assert "09:00–12:00, 13:30–17:30" in response.get_json()["detail"]


def test_priority_needs_staff_unless_the_kiosk_offers_it(client, world, login_as):
    assert post_ticket(client, service=world.items.licence.id, priority=True).status_code == 403
    world.center.kiosk_priority_enabled = True
    db.session.commit()
    assert post_ticket(client, service=world.items.licence.id, priority=True).get_json()["priority"]


def test_unknown_token_is_404(client, world):
    assert client.get("/api/v1/tickets/nope").status_code == 404


def test_staff_endpoints_need_sign_in(client, world):
    window = world.windows.business
    for path in (f"/api/v1/windows/{window.id}/call-next", f"/api/v1/windows/{window.id}/open"):
        response = client.post(path)
        assert response.status_code == 401
        assert response.mimetype == "application/problem+json"
    assert client.get(f"/api/v1/windows/{window.id}/queue").status_code == 401


def test_staff_of_another_center_is_403(client, world, login_as):
    login_as(world.users.other_clerk)
    assert client.post(f"/api/v1/windows/{world.windows.business.id}/open").status_code == 403


def test_a_whole_visit_through_the_api(client, world, login_as):
    token = post_ticket(client, service=world.items.licence.id).get_json()["token"]
    post_ticket(client, service=world.items.food.id)
    login_as(world.users.clerk)
    window = world.windows.business
    assert client.post(f"/api/v1/windows/{window.id}/sign-on").get_json()["status"] == "open"
    assert client.post(f"/api/v1/windows/{window.id}/pause").get_json()["status"] == "paused"
    assert client.post(f"/api/v1/windows/{window.id}/call-next").status_code == 409  # paused
    assert client.post(f"/api/v1/windows/{window.id}/open").get_json()["status"] == "open"
    queue = client.get(f"/api/v1/windows/{window.id}/queue").get_json()
    assert [t["number"] for t in queue] == ["B001", "B002"]
    called = client.post(f"/api/v1/windows/{window.id}/call-next").get_json()
    assert (called["number"], called["status"], called["window"]) == ("B001", "called", 1)
    assert client.get(f"/api/v1/tickets/{token}").get_json()["window"] == 1
    busy = client.post(f"/api/v1/windows/{window.id}/call-next")
    assert busy.status_code == 409 and "still holds a ticket" in busy.get_json()["detail"]
    tid = called["id"]
    assert client.post(f"/api/v1/tickets/{tid}/recall").get_json()["call_count"] == 2
    assert client.post(f"/api/v1/tickets/{tid}/start").get_json()["status"] == "serving"
    bad = client.post(f"/api/v1/tickets/{tid}/complete", json={"outcome": "great"})
    assert bad.status_code == 422 and "outcome" in bad.get_json()["errors"]
    done = client.post(
        f"/api/v1/tickets/{tid}/complete",
        json={
            "outcome": "documents_missing",
            "applicant_name": "张三",  # the licence item needs the applicant
            "applicant_phone": "13812345678",
        },
    ).get_json()
    assert done["case"] == {
        "number": "TE-20261127-0001",
        "case_type": "business",
        "outcome": "documents_missing",
    }
    assert done["ticket"]["status"] == "done"
    again = client.post(f"/api/v1/tickets/{tid}/complete", json={"outcome": "completed"})
    assert again.status_code == 409
    assert db.session.query(Case).count() == 1
    assert client.post(f"/api/v1/windows/{window.id}/call-next").get_json()["number"] == "B002"


def test_call_next_with_nobody_waiting_is_204(client, world, login_as):
    login_as(world.users.clerk)
    window = world.windows.business
    client.post(f"/api/v1/windows/{window.id}/sign-on")
    response = client.post(f"/api/v1/windows/{window.id}/call-next")
    assert response.status_code == 204 and response.data == b""


def test_transfer_through_the_api(client, world, login_as):
    post_ticket(client, service=world.items.licence.id)
    login_as(world.users.supervisor)  # a supervisor acts at any window of the center
    for window in (world.windows.business, world.windows.livelihood):
        window.state = WindowState.OPEN
    db.session.commit()
    called = client.post(f"/api/v1/windows/{world.windows.business.id}/call-next").get_json()
    refused = client.post(
        f"/api/v1/tickets/{called['id']}/transfer", json={"window": world.windows.livelihood.id}
    )
    assert refused.status_code == 422 and "does not handle" in refused.get_json()["detail"]
    moved = client.post(
        f"/api/v1/tickets/{called['id']}/transfer",
        json={"window": world.windows.livelihood.id, "service": world.items.marriage.id},
    ).get_json()
    assert (moved["status"], moved["case_type"]) == ("waiting", "livelihood")
    queue = client.get(f"/api/v1/windows/{world.windows.livelihood.id}/queue").get_json()
    assert [t["number"] for t in queue] == ["B001"]


def test_closing_a_window_with_a_current_ticket_is_refused(client, world, login_as):
    post_ticket(client, service=world.items.licence.id)
    login_as(world.users.clerk)
    window = world.windows.business
    client.post(f"/api/v1/windows/{window.id}/sign-on")
    client.post(f"/api/v1/windows/{window.id}/call-next")
    assert client.post(f"/api/v1/windows/{window.id}/close").status_code == 409
    assert client.post(f"/api/v1/windows/{window.id}/pause").get_json()["status"] == "paused"


def test_bearer_token_works_without_csrf(app, client, world):
    app.config["WTF_CSRF_ENABLED"] = True
    from service_center.auth.services import issue_api_token

    token = issue_api_token(world.users.clerk, "desk-1", now=OPENING_MORNING)
    window = world.windows.business
    window.clerk_id = world.users.clerk.id  # signed on to the window
    db.session.commit()
    headers = {"Authorization": f"Bearer {token}"}
    assert client.post(f"/api/v1/windows/{window.id}/open", headers=headers).status_code == 200
    assert (
        client.post(
            f"/api/v1/windows/{window.id}/open", headers={"Authorization": "Bearer x"}
        ).status_code
        == 401
    )


def test_session_writes_need_the_csrf_header(app, client, world, login_as):
    app.config["WTF_CSRF_ENABLED"] = True
    login_as(world.users.clerk)
    response = client.post(f"/api/v1/windows/{world.windows.business.id}/open")
    assert response.status_code == 400
    assert "X-CSRFToken" in response.get_json()["detail"]
    assert (
        db.session.get(type(world.windows.business), world.windows.business.id).state
        is WindowState.CLOSED
    )
