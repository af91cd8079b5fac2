"""What is answered before Flask's request cycle (``service_center.edge``): the display feed's
304 and a kept ticket poll, exactly as the app answers them, and nothing else."""

from __future__ import annotations

import logging
from unittest.mock import patch

import pytest

from service_center.db import db
from service_center.queueing import services as queue
from tests.http.test_metrics import scrape, value

FEED = "/api/v1/centers/testtown/display"
KEPT = {"DISPLAY_VERSION_TTL": 60, "TICKET_POLL_TTL": 60}


@pytest.fixture(autouse=True)
def frozen_clock(clock):
    with clock.read_by("service_center.display.api", "service_center.queueing.api"):
        yield


@pytest.fixture
def waiting(world, open_windows, issue):
    """Two tickets for the business window: the first is called next."""
    return issue(world.items.licence), issue(world.items.licence)


def not_through_flask(app):
    """Fail the request if it reaches Flask's dispatching."""
    return patch.object(app, "full_dispatch_request", side_effect=AssertionError("Flask"))


def same_headers(edge, flask) -> None:
    """Everything but the request id is the same; both have one."""
    assert edge.headers.get("X-Request-ID") and flask.headers.get("X-Request-ID")
    left = sorted((k, v) for k, v in edge.headers.items() if k != "X-Request-ID")
    right = sorted((k, v) for k, v in flask.headers.items() if k != "X-Request-ID")
    assert left == right


@pytest.mark.parametrize("app_config", [KEPT])
def test_the_feeds_304_is_the_apps_without_its_request_cycle(app, client, waiting, app_config):
    tag = client.get(FEED).headers["ETag"]
    through_flask = client.get(FEED + "?from=flask", headers={"If-None-Match": tag})

    with not_through_flask(app):
        unchanged = client.get(FEED, headers={"If-None-Match": tag})

    assert unchanged.status_code == through_flask.status_code == 304
    assert unchanged.data == b""
    same_headers(unchanged, through_flask)
    assert "frame-ancestors 'none'" in unchanged.headers["Content-Security-Policy"]


@pytest.mark.parametrize("app_config", [KEPT])
def test_a_call_reaches_the_screen_through_the_edge_at_once(
    app, client, world, waiting, clock, app_config
):
    first, _second = waiting
    tag = client.get(FEED).headers["ETag"]
    queue.call_next_ticket(world.windows.business, now=clock.advance(minutes=1))
    db.session.commit()

    response = client.get(FEED, headers={"If-None-Match": tag})

    assert response.status_code == 200
    assert response.get_json()["calls"][0]["number"] == first.number
    with not_through_flask(app):  # and the new version's 304 is the edge's again
        assert (
            client.get(FEED, headers={"If-None-Match": response.headers["ETag"]}).status_code == 304
        )


@pytest.mark.parametrize("app_config", [KEPT])
def test_each_language_keeps_its_own_tag_at_the_edge(app, client, waiting, app_config):
    chinese = client.get(FEED, headers={"Accept-Language": "zh-CN"}).headers["ETag"]
    english = client.get(FEED, headers={"Accept-Language": "en"}).headers["ETag"]

    asked_in_english = client.get(FEED, headers={"Accept-Language": "en", "If-None-Match": chinese})
    client.set_cookie("lang", "en")
    with not_through_flask(app):
        chosen_english = client.get(
            FEED, headers={"Accept-Language": "zh-CN", "If-None-Match": english}
        )

    assert asked_in_english.status_code == 200
    assert asked_in_english.headers["ETag"] == english
    assert chosen_english.status_code == 304


@pytest.mark.parametrize("app_config", [KEPT])
def test_a_phone_with_a_session_is_answered_at_the_edge_too(app, client, waiting, app_config):
    """The ticket page's form gives its phone a session (its CSRF token); its polls carry it."""
    url = f"/api/v1/tickets/{waiting[1].token}"
    client.get(url)
    client.set_cookie("session", "a-signed-session-holding-a-csrf-token")

    with not_through_flask(app):
        kept = client.get(url)

    assert kept.status_code == 200 and kept.get_json()["position"] == 1
    assert "Set-Cookie" not in kept.headers  # a session is neither read nor refreshed here


@pytest.mark.parametrize("app_config", [{"DISPLAY_VERSION_TTL": 0}])
def test_a_version_past_its_ttl_is_read_again_by_flask(app, client, waiting, app_config):
    tag = client.get(FEED).headers["ETag"]
    with patch.object(app, "full_dispatch_request", wraps=app.full_dispatch_request) as flask:
        response = client.get(FEED, headers={"If-None-Match": tag})

    assert response.status_code == 304
    assert flask.call_count == 1


@pytest.mark.parametrize("app_config", [KEPT])
def test_a_kept_poll_is_the_apps_without_its_request_cycle(app, client, waiting, app_config):
    _first, second = waiting
    url = f"/api/v1/tickets/{second.token}"
    built = client.get(url)  # built by Flask, then kept

    with not_through_flask(app):
        kept = client.get(url)
    through_flask = client.get(url + "?from=flask")

    assert kept.status_code == 200
    assert kept.data == built.data == through_flask.data
    assert kept.get_json()["position"] == 1
    same_headers(kept, through_flask)


@pytest.mark.parametrize("app_config", [KEPT])
def test_a_poll_says_it_follows_the_callers_language_on_both_paths(
    app, client, waiting, app_config
):
    """A poll is in the phone's language (its cookie, else Accept-Language): a cache between
    the hall's Wi-Fi and the app must not give an English phone the Chinese answer."""
    url = f"/api/v1/tickets/{waiting[1].token}"
    english = {"Accept-Language": "en"}
    built = client.get(url, headers=english)
    with not_through_flask(app):
        kept = client.get(url, headers=english)
    chinese = client.get(url, headers={"Accept-Language": "zh-CN"})

    for response in (built, kept, chinese):
        assert set(response.headers["Vary"].split(", ")) == {"Accept-Language", "Cookie"}
    assert kept.data == built.data != chinese.data


@pytest.mark.parametrize("app_config", [KEPT])
def test_a_poll_after_a_call_is_built_again(app, client, world, waiting, clock, app_config):
    first, _second = waiting
    url = f"/api/v1/tickets/{first.token}"
    assert client.get(url).get_json()["status"] == "waiting"
    queue.call_next_ticket(world.windows.business, now=clock.advance(minutes=1))
    db.session.commit()

    called = client.get(url).get_json()

    assert (called["status"], called["window"]) == ("called", world.windows.business.number)


@pytest.mark.parametrize("app_config", [KEPT])
def test_an_unknown_ticket_is_flasks_404(client, world, app_config):
    response = client.get("/api/v1/tickets/no-such-token")

    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"


@pytest.mark.parametrize("app_config", [KEPT])
def test_the_edges_answers_are_counted_by_endpoint(client, waiting, app_config):
    tag = client.get(FEED).headers["ETag"]
    token = waiting[1].token
    client.get(f"/api/v1/tickets/{token}")
    before = scrape(client)

    for _ in range(3):
        assert client.get(FEED, headers={"If-None-Match": tag}).status_code == 304
        assert client.get(f"/api/v1/tickets/{token}").status_code == 200
    after = scrape(client)

    feed = {"method": "GET", "endpoint": "api.center_display", "status": "304"}
    poll = {"method": "GET", "endpoint": "api.get_ticket", "status": "200"}
    name = "service_center_http_requests_total"
    assert value(after, name, **feed) == value(before, name, **feed) + 3
    assert value(after, name, **poll) == value(before, name, **poll) + 3
    assert token not in after


@pytest.mark.parametrize("app_config", [KEPT])
def test_the_proxys_request_id_is_sent_back(client, waiting, app_config):
    tag = client.get(FEED).headers["ETag"]

    response = client.get(FEED, headers={"If-None-Match": tag, "X-Request-ID": "proxy-id-1234"})

    assert response.status_code == 304
    assert response.headers["X-Request-ID"] == "proxy-id-1234"


@pytest.mark.parametrize("app_config", [KEPT])
def test_an_answer_that_fails_is_left_to_flask(app, client, waiting, app_config, caplog):
    tag = client.get(FEED).headers["ETag"]
    with (
        patch("service_center.display.api.still_known", side_effect=OSError("stamps gone")),
        caplog.at_level(logging.ERROR, logger="service_center.edge"),
    ):
        response = client.get(FEED, headers={"If-None-Match": tag})

    assert response.status_code == 304
    assert "Flask answers instead" in caplog.text


@pytest.mark.parametrize("app_config", [KEPT])
def test_a_slow_answer_is_logged_as_flask_logs_a_slow_poll(client, waiting, app_config, caplog):
    tag = client.get(FEED).headers["ETag"]
    seconds = iter(range(0, 1000, 2))  # every reading of the clock two seconds on
    with (
        patch("service_center.edge.time.perf_counter", side_effect=lambda: next(seconds)),
        caplog.at_level(logging.INFO, logger="service_center.requests"),
    ):
        slow = client.get(FEED, headers={"If-None-Match": tag})

    assert slow.status_code == 304
    line = next(r.getMessage() for r in caplog.records if r.name == "service_center.requests")
    assert line.startswith(f"GET {FEED} 304 2000.0ms id={slow.headers['X-Request-ID']}")


@pytest.mark.parametrize("app_config", [KEPT])
def test_a_language_cookie_written_loosely_still_counts(app, client, waiting, app_config):
    english = client.get(FEED, headers={"Accept-Language": "en"}).headers["ETag"]
    as_sent = app.test_client(use_cookies=False)  # the Cookie header exactly as written
    with not_through_flask(app):
        response = as_sent.get(
            FEED,
            headers={"Cookie": "lang =en", "Accept-Language": "zh-CN", "If-None-Match": english},
        )

    assert response.status_code == 304
