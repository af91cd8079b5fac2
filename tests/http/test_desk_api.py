"""The desk's endpoints: sign on/off, the desk state, conflicts that write nothing, priority."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from service_center.db import db
from service_center.queueing import services as queue
from service_center.queueing.models import Case, Outcome, TicketEvent

EN = {"Accept-Language": "en"}


@pytest.fixture
def clerk_at_window_1(world, client, login_as, desk_clock, sign_on):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    sign_on(world.users.clerk, world.windows.business)
    login_as(world.users.clerk)
    return world.windows.business


def test_sign_on_and_off_through_the_api(world, client, login_as, desk_clock):
    login_as(world.users.clerk)
    window = world.windows.business
    signed = client.post(f"/api/v1/windows/{window.id}/sign-on").get_json()
    assert signed["status"] == "open"
    assert signed["clerk"] == {"id": world.users.clerk.id, "name": "clerk"}
    assert signed["clerk_since"] == "2026-11-27T10:00:00+08:00"
    off = client.post(f"/api/v1/windows/{window.id}/sign-off").get_json()
    assert (off["status"], off["clerk"]) == ("closed", None)
    # signed off, the clerk may no longer call there
    refused = client.post(f"/api/v1/windows/{window.id}/call-next", headers=EN)
    assert refused.status_code == 403
    assert refused.get_json()["detail"] == (
        "Only the clerk signed on to this window, or a supervisor of its center, may act here."
    )


def test_a_window_staffed_today_is_409_for_another_clerk(
    world, client, login_as, desk_clock, sign_on
):
    sign_on(world.users.clerk, world.windows.business)
    login_as(world.users.clerk2)
    response = client.post(f"/api/v1/windows/{world.windows.business.id}/sign-on", headers=EN)
    assert response.status_code == 409
    assert response.get_json()["detail"] == "Window 1 is staffed by clerk today."
    assert world.windows.business.clerk_id == world.users.clerk.id


@pytest.mark.parametrize(
    ("state", "path", "body", "detail"),
    [
        ("called", "/windows/{window}/call-next", None, "still holds a ticket"),
        ("serving", "/windows/{window}/call-next", None, "still holds a ticket"),
        ("called", "/tickets/{ticket}/complete", {"outcome": "completed"}, "cannot be completed"),
        ("serving", "/tickets/{ticket}/recall", None, "cannot be recalled"),
        ("serving", "/tickets/{ticket}/start", None, "cannot be started"),
        ("done", "/tickets/{ticket}/recall", None, "is done; it cannot be recalled"),
        ("done", "/tickets/{ticket}/transfer", {"window": 0}, "cannot be transferred"),
        ("done", "/tickets/{ticket}/requeue", None, "cannot be put back"),
        ("called", "/tickets/{ticket}/no-show", None, "at least 2 times"),
        ("serving", "/windows/{window}/sign-off", None, "before signing off"),
        ("serving", "/windows/{window}/close", None, "before closing"),
    ],
)
def test_an_action_that_does_not_fit_is_409_and_writes_nothing(
    world, client, clock, clerk_at_window_1, state, path, body, detail
):
    window = clerk_at_window_1
    ticket = queue.issue_ticket(world.center, world.items.licence_change, now=clock.now)
    queue.issue_ticket(world.center, world.items.licence_change, now=clock.now)
    queue.call_next_ticket(window, now=clock.now, actor=world.users.clerk)
    if state in ("serving", "done"):
        queue.start_ticket(ticket, now=clock.now)
    if state == "done":
        queue.complete_ticket(ticket, now=clock.now, outcome=Outcome.COMPLETED)
    db.session.commit()
    if body and "window" in body:
        body = {"window": world.windows.comprehensive.id}
    events = db.session.scalar(select(func.count(TicketEvent.id)))
    url = "/api/v1" + path.format(window=window.id, ticket=ticket.id)
    response = client.post(url, json=body) if body else client.post(url)
    assert response.status_code == 409
    assert detail in response.get_json()["detail"]
    db.session.expire_all()
    assert db.session.scalar(select(func.count(TicketEvent.id))) == events
    assert ticket.state.value == state
    assert window.clerk_id == world.users.clerk.id


def test_a_supervisor_completing_a_waiting_ticket_is_409(world, client, clock, login_as):
    ticket = queue.issue_ticket(world.center, world.items.licence_change, now=clock.now)
    db.session.commit()
    login_as(world.users.supervisor)
    response = client.post(
        f"/api/v1/tickets/{ticket.id}/complete", json={"outcome": "completed"}, headers=EN
    )
    assert response.status_code == 409
    assert "B001 is waiting; it cannot be completed" in response.get_json()["detail"]
    assert db.session.scalar(select(func.count(Case.id))) == 0


def test_the_desk_state_shows_the_applicant_unmasked_and_the_queue_in_order(
    world, client, clock, issue, clerk_at_window_1
):
    issue(world.items.licence, applicant_name="张三丰", applicant_phone="13812345678")
    issue(world.items.licence_change)
    issue(world.items.food, priority=True)
    issue(world.items.marriage)  # not for window 1
    window = clerk_at_window_1
    client.post(f"/api/v1/windows/{window.id}/call-next")
    state = client.get(f"/api/v1/windows/{window.id}/desk").get_json()
    current = state["current"]
    assert (current["number"], current["status"], current["call_count"]) == ("B003", "called", 1)
    assert [t["number"] for t in state["queue"]] == ["B001", "B002"]
    assert state["queue"][0]["waiting_seconds"] == 4 * 60
    assert state["counts"]["waiting"] == 2
    client.post(f"/api/v1/tickets/{current['id']}/transfer", json={"window": window.id + 3})
    state = client.get(f"/api/v1/windows/{window.id}/desk").get_json()
    assert state["current"] is None and state["counts"]["transfers"] == 1
    current = client.post(f"/api/v1/windows/{window.id}/call-next").get_json()
    state = client.get(f"/api/v1/windows/{window.id}/desk").get_json()
    assert state["current"]["applicant"] == {
        "name": "张三丰",
        "phone": "13812345678",
        "id_number": None,
    }
    assert state["current"]["item"]["materials"] == [
        "Resident ID card (original)",
        "Application form",
    ]
    assert state["current"]["actions"] == ["recall", "start", "no_show", "transfer"]


def test_completing_through_the_api_takes_and_checks_the_applicant(
    world, client, clock, issue, clerk_at_window_1
):
    issue(world.items.licence)
    window = clerk_at_window_1
    tid = client.post(f"/api/v1/windows/{window.id}/call-next").get_json()["id"]
    client.post(f"/api/v1/tickets/{tid}/start")
    missing = client.post(f"/api/v1/tickets/{tid}/complete", json={"outcome": "completed"})
    assert missing.status_code == 422
    assert missing.get_json()["errors"] == {
        "applicant_name": ["This item needs the applicant's name."]
    }
    bad = client.post(
        f"/api/v1/tickets/{tid}/complete",
        json={"outcome": "completed", "applicant_name": "王五", "applicant_phone": "555-1234"},
    )
    assert bad.status_code == 422 and "applicant_phone" in bad.get_json()["errors"]
    assert db.session.scalar(select(func.count(Case.id))) == 0
    done = client.post(
        f"/api/v1/tickets/{tid}/complete",
        json={
            "outcome": "not_accepted",
            "notes": "不属于本中心",
            "applicant_name": "王五",
            "applicant_phone": "0086 139 0000 1111",
        },
    ).get_json()
    case_ = db.session.scalar(select(Case))
    assert (case_.number, case_.applicant_name, case_.applicant_phone) == (
        done["case"]["number"],
        "王五",
        "13900001111",
    )
    state = client.get(f"/api/v1/windows/{window.id}/desk").get_json()
    assert state["last_case"] == {
        "number": "TE-20261127-0001",
        "outcome": "not_accepted",
        "ticket": "B001",
    }
    assert state["counts"]["cases"] == state["counts"]["not_accepted"] == 1


def test_granting_priority_moves_the_ticket_first(world, client, clock, issue, clerk_at_window_1):
    issue(world.items.licence_change)
    second = issue(world.items.food)
    window = clerk_at_window_1
    granted = client.post(f"/api/v1/windows/{window.id}/queue/{second.id}/priority").get_json()
    assert granted["priority"] is True
    queue_now = client.get(f"/api/v1/windows/{window.id}/queue").get_json()
    assert [t["number"] for t in queue_now] == ["B002", "B001"]
    marriage = issue(world.items.marriage)
    refused = client.post(f"/api/v1/windows/{window.id}/queue/{marriage.id}/priority")
    assert refused.status_code == 422
    assert db.session.get(type(marriage), marriage.id).is_priority is False


def test_a_no_show_requeued_by_the_clerk_waits_behind_the_others(
    world, client, clock, issue, clerk_at_window_1
):
    issue(world.items.licence_change)
    window = clerk_at_window_1
    tid = client.post(f"/api/v1/windows/{window.id}/call-next").get_json()["id"]
    client.post(f"/api/v1/tickets/{tid}/recall")
    assert client.post(f"/api/v1/tickets/{tid}/no-show").get_json()["status"] == "no_show"
    issue(world.items.licence)
    state = client.get(f"/api/v1/windows/{window.id}/desk").get_json()
    assert [(t["number"], t["requeue"]) for t in state["no_shows"]] == [("B001", True)]
    assert client.post(f"/api/v1/tickets/{tid}/requeue").get_json()["status"] == "waiting"
    state = client.get(f"/api/v1/windows/{window.id}/desk").get_json()
    assert [t["number"] for t in state["queue"]] == ["B002", "B001"]
    assert state["queue"][1]["requeued"] is True


def test_the_clerk_undoes_a_no_show_within_its_seconds_and_not_after(
    world, client, clock, issue, clerk_at_window_1
):
    issue(world.items.licence_change)
    window = clerk_at_window_1
    tid = client.post(f"/api/v1/windows/{window.id}/call-next").get_json()["id"]
    client.post(f"/api/v1/tickets/{tid}/recall")
    client.post(f"/api/v1/tickets/{tid}/no-show")
    clock.advance(seconds=4)
    state = client.get(f"/api/v1/windows/{window.id}/desk").get_json()
    assert state["undo"] == {
        "id": tid,
        "number": "B001",
        "until": "2026-11-27T10:01:10+08:00",  # issued at 10:00, the clock went on
        "seconds_left": 6,
    }
    undone = client.post(f"/api/v1/tickets/{tid}/undo-no-show")
    assert (undone.status_code, undone.get_json()["status"]) == (200, "called")
    assert undone.get_json()["window"] == window.number
    client.post(f"/api/v1/tickets/{tid}/no-show")
    clock.advance(seconds=11)
    assert client.get(f"/api/v1/windows/{window.id}/desk").get_json()["undo"] is None
    late = client.post(f"/api/v1/tickets/{tid}/undo-no-show")
    assert late.status_code == 409
    assert late.headers["Content-Type"].startswith("application/problem+json")
    assert "B001 is final" in late.get_json()["detail"]
