"""GET /api/v1/centers/<code>/display: content, ETag and 304, and no personal data."""

from __future__ import annotations

import time
from unittest.mock import patch

import pytest
from sqlalchemy import event

from service_center import create_app
from service_center.db import db
from service_center.display import services as display_services
from service_center.queueing import services as queue
from service_center.windows.models import Window, WindowState
from tests.conftest import base_config

URL = "/api/v1/centers/testtown/display"


@pytest.fixture(autouse=True)
def frozen_clock(clock):
    with clock.read_by("service_center.display.api"):
        yield


@pytest.fixture
def busy_morning(world, open_windows, issue, clock):
    """B001 called to window 1 and recalled, M001 served at window 3, T001 waiting, 2 paused."""
    b1 = issue(world.items.licence)
    m1 = issue(world.items.marriage)
    t1 = issue(world.items.project)
    queue.call_next_ticket(world.windows.business, now=clock.advance(minutes=1))
    queue.call_next_ticket(world.windows.livelihood, now=clock.advance(minutes=1))
    queue.start_ticket(m1, now=clock.now)
    queue.recall_ticket(b1, now=clock.advance(minutes=1))
    queue.set_window_state(world.windows.mixed, WindowState.PAUSED, now=clock.now)
    db.session.commit()
    return b1, m1, t1


def test_display_lists_calls_windows_and_waiting(client, busy_morning):
    b1, m1, t1 = busy_morning

    response = client.get(URL, headers={"Accept-Language": "zh-CN"})

    assert response.status_code == 200
    data = response.get_json()
    assert [(c["number"], c["window"], c["kind"]) for c in data["calls"]] == [
        ("B001", 1, "recalled"),
        ("M001", 3, "called"),
        ("B001", 1, "called"),
    ]
    latest = data["calls"][0]
    assert latest["called_at"] == "2026-11-27T10:06:00+08:00"
    assert latest["text_zh"] == "请 B001 号到 1 号窗口办理"
    assert latest["text_en"] == "Ticket B001, please go to window 1"
    assert latest["speech_zh"] == "请 B 零 零 一 号到 1 号窗口办理"
    assert len({c["id"] for c in data["calls"]}) == 3
    assert [
        (w["number"], w["status"], w["ticket"], w["ticket_status"]) for w in data["windows"]
    ] == [
        (1, "open", "B001", "called"),
        (2, "paused", None, None),
        (3, "open", "M001", "serving"),
        (4, "open", None, None),
    ]
    assert data["windows"][0]["name"] == "商事窗口"
    assert data["waiting"] == {"business": 0, "investment": 1, "livelihood": 0}
    assert [ct["name_zh"] for ct in data["case_types"]] == ["商事类", "投资类", "民生类"]
    assert data["server_time"] == "2026-11-27T10:06:00+08:00"


def test_answers_304_until_something_changes(client, busy_morning, world, issue):
    first = client.get(URL)
    tag = first.headers["ETag"]
    assert tag.startswith('W/"') and first.headers["Cache-Control"] == "no-cache"

    again = client.get(URL, headers={"If-None-Match": tag})

    assert again.status_code == 304
    assert again.data == b""
    assert again.headers["ETag"] == tag

    issue(world.items.project)
    changed = client.get(URL, headers={"If-None-Match": tag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != tag
    assert changed.get_json()["waiting"]["investment"] == 2


def test_a_window_pausing_changes_the_etag(client, busy_morning, world, clock):
    tag = client.get(URL).headers["ETag"]
    queue.set_window_state(world.windows.mixed, WindowState.OPEN, now=clock.advance(seconds=5))
    db.session.commit()

    response = client.get(URL, headers={"If-None-Match": tag})

    assert response.status_code == 200
    assert response.get_json()["windows"][1]["status"] == "open"


@pytest.fixture
def statements(app):
    """The SQL statements the app sends while the test runs."""
    sent: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        sent.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    yield sent
    event.remove(engine, "before_cursor_execute", record)


def test_the_304_path_runs_two_small_queries_and_builds_no_body(client, busy_morning, statements):
    tag = client.get(URL).headers["ETag"]
    statements.clear()
    with patch.object(display_services, "get_board", side_effect=AssertionError("built")):
        response = client.get(URL, headers={"If-None-Match": tag})

    assert response.status_code == 304
    # at most the center (by the id kept), then the version
    assert 1 <= len(statements) <= 2
    assert "ticket_events" in statements[-1] and "windows" in statements[-1]


def test_each_language_has_its_own_etag(client, busy_morning):
    chinese = client.get(URL, headers={"Accept-Language": "zh-CN"})
    english = client.get(URL, headers={"Accept-Language": "en"})

    assert chinese.headers["ETag"] != english.headers["ETag"]
    assert english.get_json()["windows"][0]["name"] == "Business"
    assert english.get_json()["calls"][0]["text_zh"] == "请 B001 号到 1 号窗口办理"
    assert "Accept-Language" in chinese.headers["Vary"]
    assert (
        client.get(
            URL, headers={"Accept-Language": "en", "If-None-Match": chinese.headers["ETag"]}
        ).status_code
        == 200
    )


def test_a_new_day_starts_with_no_calls(client, busy_morning, clock):
    tag = client.get(URL).headers["ETag"]
    clock.advance(days=3)

    response = client.get(URL, headers={"If-None-Match": tag})

    assert response.status_code == 200
    assert response.get_json()["calls"] == []
    assert response.get_json()["windows"][0]["ticket"] == "B001"  # still held at the window


def test_unknown_center_is_a_404_problem(client, world):
    response = client.get("/api/v1/centers/atlantis/display")
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"


@pytest.mark.parametrize("app_config", [{"DISPLAY_VERSION_TTL": 60}])
def test_polls_within_the_ttl_are_answered_without_the_database(
    client, busy_morning, statements, app_config
):
    tag = client.get(URL).headers["ETag"]
    statements.clear()

    polls = [client.get(URL, headers={"If-None-Match": tag}) for _ in range(5)]
    fresh = client.get(URL)  # a screen just switched on: the body kept for this version

    assert [p.status_code for p in polls] == [304] * 5
    assert fresh.status_code == 200 and fresh.headers["ETag"] == tag
    assert fresh.get_json()["calls"][0]["number"] == "B001"
    assert statements == []


@pytest.mark.parametrize("app_config", [{"DISPLAY_VERSION_TTL": 60}])
def test_a_call_through_another_process_reaches_the_screens_at_the_next_poll(
    client, world, busy_morning, clock, app_config, other_worker
):
    _b1, _m1, t1 = busy_morning
    tag = client.get(URL).headers["ETag"]
    window_id = world.windows.comprehensive.id
    with other_worker.app_context():  # another app process of this host makes the call
        window = db.session.get(Window, window_id)
        queue.call_next_ticket(window, now=clock.advance(minutes=1))
        db.session.commit()
    db.session.rollback()  # the test's session, which the requests share, reads anew

    response = client.get(URL, headers={"If-None-Match": tag})
    assert response.status_code == 200  # its change stamp moved: not a second late
    assert response.get_json()["calls"][0]["number"] == t1.number


@pytest.mark.parametrize("app_config", [{"DISPLAY_VERSION_TTL": 60}])
def test_a_call_through_another_host_reaches_the_screens_once_the_ttl_has_passed(
    client, world, busy_morning, clock, app_config, database_url, tmp_path
):
    _b1, _m1, t1 = busy_morning
    tag = client.get(URL).headers["ETag"]
    window_id = world.windows.comprehensive.id
    # another host: the same database, change stamps of its own
    other_host = create_app(base_config(database_url, STAMPS_PATH=str(tmp_path / "elsewhere")))
    with other_host.app_context():
        window = db.session.get(Window, window_id)
        queue.call_next_ticket(window, now=clock.advance(minutes=1))
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    db.session.rollback()

    assert client.get(URL, headers={"If-None-Match": tag}).status_code == 304  # kept a while
    an_hour_on = time.monotonic() + 3600
    with patch("service_center.queueing.kept.time.monotonic", return_value=an_hour_on):
        response = client.get(URL, headers={"If-None-Match": tag})

    assert response.status_code == 200
    assert response.get_json()["calls"][0]["number"] == t1.number


@pytest.mark.parametrize("app_config", [{"DISPLAY_VERSION_TTL": 60}])
def test_a_call_through_this_process_reaches_its_screens_at_the_next_poll(
    client, world, busy_morning, clock, app_config
):
    _b1, _m1, t1 = busy_morning
    tag = client.get(URL).headers["ETag"]
    queue.call_next_ticket(world.windows.comprehensive, now=clock.advance(minutes=1))
    db.session.commit()  # the commit moves the floor's change stamp

    response = client.get(URL, headers={"If-None-Match": tag})
    assert response.status_code == 200
    assert response.get_json()["calls"][0]["number"] == t1.number


@pytest.mark.parametrize("app_config", [{"DISPLAY_VERSION_TTL": 60}])
def test_a_new_day_reads_the_board_afresh_whatever_the_ttl(client, busy_morning, clock, app_config):
    yesterday = client.get(URL)
    clock.advance(days=1)
    today = client.get(URL)

    assert yesterday.get_json()["calls"] and today.get_json()["calls"] == []
    assert today.headers["ETag"] != yesterday.headers["ETag"]
