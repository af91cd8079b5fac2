"""A ticket's poll (GET /api/v1/tickets/<token>), as every waiting phone sends it every two
seconds: answered from what the app process keeps while the floor is unchanged, and never a
poll late for a change made through any process of this host."""

from __future__ import annotations

import time
from unittest.mock import patch

import pytest

from service_center import create_app
from service_center.db import db
from service_center.queueing import services as queue
from service_center.queueing.models import Ticket
from service_center.windows.models import Window
from tests import race_workers
from tests.conftest import base_config
from tests.processes import CONTEXT

KEPT = {"DISPLAY_VERSION_TTL": 60, "TICKET_POLL_TTL": 60}


def poll(client, ticket, language: str = "zh-CN"):
    """The phone's poll (kept from the first on, while the floor is unchanged)."""
    response = client.get(f"/api/v1/tickets/{ticket.token}", headers={"Accept-Language": language})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


@pytest.fixture
def waiting(world, open_windows, issue):
    """Two tickets for the business window: the first is called next."""
    return issue(world.items.licence), issue(world.items.licence)


@pytest.mark.parametrize("app_config", [KEPT])
def test_an_unchanged_floor_is_answered_without_the_database(
    client, waiting, statements, app_config
):
    _first, second = waiting
    url = f"/api/v1/tickets/{second.token}"
    first_answer = client.get(url).get_json()  # its center read first, then kept at once

    assert statements(lambda: client.get(url)) == 0
    assert client.get(url).get_json() == first_answer
    assert (first_answer["status"], first_answer["position"]) == ("waiting", 1)


@pytest.mark.parametrize("app_config", [KEPT])
def test_a_call_through_this_process_shows_at_the_next_poll(
    client, world, waiting, clock, app_config
):
    first, second = waiting
    assert poll(client, first)["status"] == "waiting"
    assert poll(client, second)["position"] == 1

    queue.call_next_ticket(world.windows.business, now=clock.advance(minutes=1))
    db.session.commit()

    called = poll(client, first)
    assert (called["status"], called["window"]) == ("called", world.windows.business.number)
    assert poll(client, second)["position"] == 0  # the one behind moved up as well


@pytest.mark.parametrize("app_config", [KEPT])
def test_a_call_through_another_process_of_the_host_shows_at_the_next_poll(
    client, world, waiting, clock, app_config, database_url
):
    first, _second = waiting
    assert poll(client, first)["status"] == "waiting"
    window_id = world.windows.business.id

    other = CONTEXT.Process(
        target=race_workers.call_next_once,
        args=(database_url, window_id, clock.advance(minutes=1)),
    )
    other.start()
    other.join(60)
    assert other.exitcode == 0
    db.session.rollback()  # the test's session, which the requests share, reads anew

    assert poll(client, first)["status"] == "called"


@pytest.mark.parametrize("app_config", [KEPT])
def test_a_call_through_another_host_shows_once_the_version_is_read_again(
    client, world, waiting, clock, app_config, database_url, tmp_path
):
    first, _second = waiting
    assert poll(client, first)["status"] == "waiting"
    assert poll(client, first)["status"] == "waiting"  # now kept
    window_id = world.windows.business.id
    other_host = create_app(base_config(database_url, STAMPS_PATH=str(tmp_path / "elsewhere")))
    with other_host.app_context():  # the same database, change stamps of its own
        queue.call_next_ticket(db.session.get(Window, window_id), now=clock.advance(minutes=1))
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    db.session.rollback()

    assert poll(client, first)["status"] == "waiting"  # kept: this host saw no stamp move
    a_minute_on = time.monotonic() + 61  # past DISPLAY_VERSION_TTL: the version is read again
    with patch("service_center.queueing.kept.time.monotonic", return_value=a_minute_on):
        assert poll(client, first)["status"] == "called"


@pytest.mark.parametrize("app_config", [{"DISPLAY_VERSION_TTL": 60, "TICKET_POLL_TTL": 15}])
def test_the_estimated_wait_is_read_again_once_the_poll_ttl_has_passed(
    client, waiting, statements, app_config
):
    _first, second = waiting
    url = f"/api/v1/tickets/{second.token}"
    client.get(url)
    client.get(url)
    assert statements(lambda: client.get(url)) == 0

    later = time.monotonic() + 16
    with patch("service_center.queueing.kept.time.monotonic", return_value=later):
        assert statements(lambda: client.get(url)) > 0


@pytest.mark.parametrize("app_config", [KEPT])
def test_each_language_keeps_its_own_answer(client, waiting, app_config):
    first, _second = waiting
    chinese = poll(client, first, "zh-CN")["service_name"]
    english = poll(client, first, "en")["service_name"]

    assert chinese != english
    assert poll(client, first, "zh-CN")["service_name"] == chinese


@pytest.mark.parametrize("app_config", [KEPT])
def test_an_unknown_token_is_a_404_problem_every_time(client, waiting, app_config):
    for _ in range(2):
        response = client.get("/api/v1/tickets/no-such-ticket-here")
        assert response.status_code == 404
        assert response.mimetype == "application/problem+json"


@pytest.mark.parametrize("app_config", [{**KEPT, "TICKET_POSITION_SLACK": 30}])
def test_on_a_busy_floor_the_people_ahead_may_lag_but_a_call_never_does(
    client, world, open_windows, issue, clock, statements, app_config
):
    first, second, third = (issue(world.items.licence) for _ in range(3))
    tokens = second.token, third.token
    comprehensive_id = world.windows.comprehensive.id
    for _ in range(2):  # answered, then kept
        assert poll(client, second)["position"] == 1
        assert poll(client, third)["position"] == 2

    queue.call_next_ticket(world.windows.business, now=clock.advance(minutes=1))  # the first
    db.session.commit()
    # the second's own row did not change: its answer stands, read with its row alone
    assert client.get(f"/api/v1/tickets/{tokens[0]}").get_json()["position"] == 1
    assert statements(lambda: client.get(f"/api/v1/tickets/{tokens[0]}")) <= 2  # version, row

    comprehensive = db.session.get(Window, comprehensive_id)
    queue.call_next_ticket(comprehensive, now=clock.advance(minutes=1))  # the second
    db.session.commit()
    called = client.get(f"/api/v1/tickets/{tokens[0]}").get_json()
    assert (called["status"], called["window"]) == ("called", 4)  # at once

    assert client.get(f"/api/v1/tickets/{tokens[1]}").get_json()["position"] == 2  # late
    later = time.monotonic() + 31
    with patch("service_center.queueing.kept.time.monotonic", return_value=later):
        assert client.get(f"/api/v1/tickets/{tokens[1]}").get_json()["position"] == 0


@pytest.mark.parametrize("app_config", [{**KEPT, "TICKET_POSITION_SLACK": 30}])
def test_a_busy_floor_places_every_phone_from_one_reading_of_the_queue(
    client, world, open_windows, issue, clock, statements, app_config
):
    """The first answer built reads every waiting ticket's place at once; after a call, a
    phone first heard from is placed from that reading while it is within the slack (the
    people ahead one late), a ticket whose own row changed on its own, and past the slack
    the queue is read again."""
    tickets = [issue(world.items.licence) for _ in range(4)]
    ids, tokens = [t.id for t in tickets], [t.token for t in tickets]

    def position(n: int) -> int:
        return client.get(f"/api/v1/tickets/{tokens[n]}").get_json()["position"]

    def poll_of(n: int):
        return lambda: client.get(f"/api/v1/tickets/{tokens[n]}")

    assert position(1) == 1
    queue.call_next_ticket(world.windows.business, now=clock.advance(minutes=1))  # the first
    db.session.commit()

    # the fourth, new to this process: its center and its row, not the queue again
    assert statements(poll_of(3)) <= 3
    assert position(3) == 3  # one late: the first was called since

    db.session.get(Ticket, ids[2]).is_priority = True  # its own row changed (at the desk)
    db.session.commit()
    assert position(2) == 0  # placed on its own, at once

    later = time.monotonic() + 31
    with patch("service_center.queueing.kept.time.monotonic", return_value=later):
        assert position(3) == 2  # the queue read again: the first called, the third first
