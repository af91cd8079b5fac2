"""/metrics: requests per endpoint, tickets issued and called, waiting tickets and the oldest
wait per center and case type; reachable only from the allowed addresses or with the token."""

from __future__ import annotations

import re
from unittest.mock import patch

import pytest


def value(text: str, name: str, **labels: str) -> float:
    """The sample of ``name`` with exactly these labels (0 when absent)."""
    for line in text.splitlines():
        match = re.fullmatch(rf"{name}\{{(.*)\}} (\S+)", line)
        if match:
            found = dict(re.findall(r'(\w+)="([^"]*)"', match.group(1)))
            if found == labels:
                return float(match.group(2))
    return 0.0


def scrape(client) -> str:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    return response.get_data(as_text=True)


def test_tickets_issued_and_called_and_the_queue_now(
    client, world, open_windows, app_clock, login_as
):
    labels = {"center": "testtown", "case_type": "business"}
    before = scrape(client)
    issued_before = value(before, "service_center_tickets_issued_total", **labels)
    for _ in range(3):
        response = client.post(
            "/api/v1/tickets", json={"center": "testtown", "service": world.items.licence.id}
        )
        assert response.status_code == 201
        app_clock.advance(minutes=2)
    login_as(world.users.supervisor)
    called = client.post(f"/api/v1/windows/{world.windows.business.id}/call-next")
    assert called.status_code == 200
    with patch("service_center.metrics.collect.now_utc", side_effect=lambda: app_clock.now):
        after = scrape(client)
    assert value(after, "service_center_tickets_issued_total", **labels) == issued_before + 3
    assert value(after, "service_center_tickets_waiting", **labels) == 2
    # the oldest waiting ticket was issued at 10:02, the clock says 10:06
    assert value(after, "service_center_oldest_wait_seconds", **labels) == 240
    assert value(after, "service_center_tickets_called_total", center="testtown") >= 1


def test_requests_are_counted_by_endpoint_never_by_raw_path(client, world, open_windows, app_clock):
    ticket = client.post(
        "/api/v1/tickets", json={"center": "testtown", "service": world.items.licence.id}
    ).get_json()
    before = scrape(client)
    assert client.get(f"/t/{ticket['token']}").status_code == 200
    client.get("/no/such/page")
    after = scrape(client)
    assert ticket["token"] not in after and "no/such" not in after
    key = {"method": "GET", "endpoint": "unmatched", "status": "404"}
    assert (
        value(after, "service_center_http_requests_total", **key)
        == value(before, "service_center_http_requests_total", **key) + 1
    )


def test_only_allowed_addresses_or_the_token_may_read(client, world):
    outside = {"REMOTE_ADDR": "203.0.113.9"}
    assert client.get("/metrics", environ_base=outside).status_code == 403


@pytest.mark.parametrize(
    "app_config", [{"METRICS_TOKEN": "s3cret-token-for-prometheus", "METRICS_ALLOW": ()}]
)
def test_the_token_opens_it_from_anywhere(client, world):
    outside = {"REMOTE_ADDR": "203.0.113.9"}
    assert client.get("/metrics", environ_base=outside).status_code == 403
    bearer = {"Authorization": "Bearer s3cret-token-for-prometheus"}
    response = client.get("/metrics", environ_base=outside, headers=bearer)
    assert response.status_code == 200
    assert "service_center_http_requests_total" in response.get_data(as_text=True)
