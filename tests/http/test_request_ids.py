"""Every request has an id: in the X-Request-ID header, problem+json bodies, error pages and its
one log line, which never holds personal data (issue 15)."""

from __future__ import annotations

import json
import logging
from unittest.mock import patch

import pytest

from tests.fixtures.booking import NO_LIMITS

EN = {"Accept-Language": "en"}


@pytest.fixture
def app_config():
    return dict(NO_LIMITS)


def test_every_response_has_an_id_and_a_sane_one_from_the_proxy_is_kept(client, world):
    made = client.get("/").headers["X-Request-ID"]
    assert len(made) == 32
    assert (
        client.get("/", headers={"X-Request-ID": "nginx-0a1b2c3d4e"}).headers["X-Request-ID"]
        == "nginx-0a1b2c3d4e"
    )
    odd = client.get("/", headers={"X-Request-ID": "<script>"}).headers["X-Request-ID"]
    assert odd != "<script>" and len(odd) == 32


def test_a_problem_names_its_request(client, world):
    response = client.post("/api/v1/tickets", json={}, headers=EN)
    assert response.status_code == 422
    assert response.get_json()["request_id"] == response.headers["X-Request-ID"]


def test_an_error_page_shows_the_reference(client, world):
    response = client.get("/no/such/page", headers=EN)
    assert response.status_code == 404
    rid = response.headers["X-Request-ID"]
    assert f"Reference: {rid}" in response.get_data(as_text=True)


def test_one_line_per_request_without_query_or_personal_data(client, world, caplog, booking_clock):
    body = {
        "center": "testtown",
        "service": world.items.licence.id,
        "date": "2026-11-27",
        "start": "09:00",
        "name": "张三丰",
        "phone": "13912345678",
        "id_number": "11010519491231002X",
    }
    with caplog.at_level(logging.INFO, logger="service_center.requests"):
        booked = client.post("/api/v1/appointments", json=body)
        code = booked.get_json()["code"]
        client.get(f"/api/v1/appointments/{code}", headers={"X-Booking-Phone": "13912345678"})
        client.get("/centers/testtown/services?q=营业执照")
    lines = [r.getMessage() for r in caplog.records if r.name == "service_center.requests"]
    assert len(lines) == 3
    assert lines[0].startswith("POST /api/v1/appointments 201 ")
    assert booked.headers["X-Request-ID"] in lines[0]
    text = "\n".join(lines)
    for secret in ("13912345678", "张三丰", "11010519491231002X", "营业执照", "q="):
        assert secret not in text


@pytest.mark.parametrize("app_config", [{"LOG_JSON": True}])
def test_the_line_is_json_when_configured(client, world, caplog):
    with caplog.at_level(logging.INFO, logger="service_center.requests"):
        response = client.get("/api/v1/centers")
    (record,) = [r for r in caplog.records if r.name == "service_center.requests"]
    line = json.loads(record.getMessage())
    assert line["path"] == "/api/v1/centers" and line["status"] == 200
    assert line["request_id"] == response.headers["X-Request-ID"]


def test_polls_are_logged_only_when_they_fail_or_are_slow(client, world, issue, caplog):
    ticket = {"token": issue(world.items.licence).token}
    display = "/api/v1/centers/testtown/display"
    with caplog.at_level(logging.INFO, logger="service_center.requests"):
        for _ in range(3):
            assert client.get(f"/api/v1/tickets/{ticket['token']}").status_code == 200
            tag = client.get(display).headers["ETag"]
            assert client.get(display, headers={"If-None-Match": tag}).status_code == 304
        assert client.get("/api/v1/tickets/no-such-ticket-at-all").status_code == 404
        with patch("service_center.requestlog.SLOW_POLL_MS", -1):  # every poll is "slow"
            client.get(display)
        client.get("/centers/testtown/services")  # a page: logged as ever
    lines = [r.getMessage() for r in caplog.records if r.name == "service_center.requests"]

    assert [line.split(" ")[:3] for line in lines] == [
        ["GET", "/api/v1/tickets/no-such-ticket-at-all", "404"],
        ["GET", display, "200"],
        ["GET", "/centers/testtown/services", "200"],
    ]
    # every answer still carries its id
    assert client.get(display).headers["X-Request-ID"]
