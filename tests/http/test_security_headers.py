"""Security headers on every response, and the staff session's cookie and lifetime (issue 15)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from unittest.mock import patch

import pytest

from tests.fixtures.catalogue import PASSWORD


@pytest.mark.parametrize(
    "path", ["/", "/kiosk/testtown", "/auth/login", "/desk", "/api/v1/centers", "/nowhere"]
)
def test_no_page_can_be_framed_or_run_inline_script(client, world, path):
    response = client.get(path)
    policy = response.headers["Content-Security-Policy"]
    assert (
        "script-src 'self'" in policy and "'unsafe-inline'" not in policy.split("style-src-attr")[0]
    )
    assert "frame-ancestors 'none'" in policy
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_a_hall_display_may_be_embedded_where_configured(client, world, app):
    response = client.get("/display/testtown")
    assert "frame-ancestors 'self'" in response.headers["Content-Security-Policy"]
    assert "X-Frame-Options" not in response.headers


def test_no_template_holds_inline_script(app):
    import re
    from pathlib import Path

    root = Path(app.template_folder)
    for template in root.rglob("*.html"):
        text = template.read_text(encoding="utf-8")
        scripts = re.findall(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", text)
        assert not scripts, f"{template}: inline script"
        assert not re.search(r"\son[a-z]+=\"", text), f"{template}: inline event handler"


@pytest.mark.parametrize("app_config", [{"SESSION_COOKIE_SECURE": True}])
def test_the_production_session_cookie_is_secure_and_lax(client, world):
    response = sign_in(client)
    assert response.status_code == 302
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def sign_in(client):
    return client.post("/auth/login", data={"username": "clerk", "password": PASSWORD})


def test_an_idle_session_is_signed_out_and_a_busy_one_stays(client, world):
    start = datetime.now(UTC)
    with patch("service_center.security._now", side_effect=lambda: start):
        assert sign_in(client).status_code == 302
    for minutes in (20, 40, 60):  # a request every 20 minutes keeps the desk signed in
        moment = start + timedelta(minutes=minutes)
        with patch("service_center.security._now", side_effect=lambda m=moment: m):
            assert client.get("/desk").status_code == 200
    later = start + timedelta(minutes=60 + 31)
    with patch("service_center.security._now", side_effect=lambda: later):
        response = client.get("/desk", headers={"Accept-Language": "en"})
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    assert client.get("/desk").status_code == 302


def test_a_session_ends_after_its_longest_life_even_in_use(client, world):
    start = datetime.now(UTC)
    with patch("service_center.security._now", side_effect=lambda: start):
        sign_in(client)
    for minutes in range(20, 12 * 60, 20):
        moment = start + timedelta(minutes=minutes)
        with patch("service_center.security._now", side_effect=lambda m=moment: m):
            assert client.get("/auth/").status_code == 200
    end = start + timedelta(hours=12, minutes=5)
    with patch("service_center.security._now", side_effect=lambda: end):
        assert client.get("/auth/").status_code == 302
