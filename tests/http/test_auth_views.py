"""Staff sign-in and sign-out (credentials, redirects, rate limit, CSRF) and API authorisation."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from unittest.mock import patch

import pytest
from flask import jsonify
from flask_login import current_user
from sqlalchemy import select

from service_center.api import staff_required
from service_center.audit import AuditRecord
from service_center.auth import services
from service_center.auth.models import Role, User
from service_center.db import db
from tests.fixtures.catalogue import PASSWORD

ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}
EN = {"Accept-Language": "en-US,en;q=0.9"}


def sign_in(client, username, password=PASSWORD, headers=ZH, **params):
    return client.post(
        "/auth/login",
        query_string=params,
        data={"username": username, "password": password},
        headers=headers,
    )


def password_error(page: str) -> str:
    """Return the error shown under the password field ("" when there is none)."""
    match = re.search(r'<p class="error" id="password-error">([^<]*)</p>', page)
    return match.group(1) if match else ""


def is_signed_in(client) -> bool:
    return client.get("/auth/").status_code == 200


def test_sign_in_goes_to_the_staff_home_with_the_users_name(client, world):
    world.users.clerk.display_name = "王芳"
    db.session.commit()
    response = sign_in(client, "clerk")
    assert response.status_code == 302
    assert response.headers["Location"] == "/auth/"
    page = client.get("/auth/", headers=ZH).get_data(as_text=True)
    assert "已登录：王芳。" in page
    assert "<h1>欢迎，王芳</h1>" in page


@pytest.mark.parametrize(
    ("headers", "message"),
    [(ZH, "用户名或密码错误"), (EN, "Wrong username or password")],
)
def test_wrong_password_shows_the_form_again_with_an_error(client, world, headers, message):
    response = sign_in(client, "clerk", "not-the-password", headers=headers)
    assert response.status_code == 401
    page = response.get_data(as_text=True)
    assert message in password_error(page)
    assert 'value="clerk"' in page  # the username is kept
    assert not is_signed_in(client)


def test_unknown_user_gets_the_same_answer_as_a_wrong_password(client, world):
    response = sign_in(client, "nobody", headers=EN)
    assert response.status_code == 401
    assert "Wrong username or password" in password_error(response.get_data(as_text=True))


def test_disabled_user_cannot_sign_in(client, world, create_user):
    create_user("gone", Role.CLERK, world.center, is_enabled=False)
    db.session.commit()
    response = sign_in(client, "gone", headers=EN)
    assert response.status_code == 401
    assert not is_signed_in(client)


def test_disabled_user_is_signed_out_on_the_next_request(client, world, login_as):
    login_as(world.users.clerk)
    world.users.clerk.is_enabled = False
    db.session.commit()
    response = client.get("/auth/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login")


def test_sign_out_ends_the_session(client, world):
    sign_in(client, "clerk")
    response = client.post("/auth/logout", headers=EN)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert "Signed out." in client.get("/", headers=EN).get_data(as_text=True)
    assert not is_signed_in(client)


def test_staff_home_asks_anonymous_users_to_sign_in(client, world):
    response = client.get("/auth/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/auth/login?next=%2Fauth%2F"


def test_passwords_are_stored_hashed(client, world):
    services.create_user("newclerk", "s3cret-enough", Role.CLERK, world.center)
    db.session.commit()
    stored = db.session.scalar(select(User.password_hash).where(User.username == "newclerk"))
    assert "s3cret-enough" not in stored
    assert stored.startswith(("scrypt:", "pbkdf2:"))
    assert sign_in(client, "newclerk", "s3cret-enough").status_code == 302


@pytest.mark.parametrize(
    ("target", "location"),
    [
        ("/centers/testtown", "/centers/testtown"),
        ("/auth/?tab=queue", "/auth/?tab=queue"),
        ("https://evil.example/", "/auth/"),
        ("//evil.example/", "/auth/"),
        ("/\\evil.example/", "/auth/"),  # browsers read the backslash as a slash
        ("/\t/evil.example/", "/auth/"),
        ("centers/testtown", "/auth/"),
    ],
)
def test_next_only_leads_to_pages_of_this_site(client, world, target, location):
    response = sign_in(client, "clerk", next=target)
    assert response.status_code == 302
    assert response.headers["Location"] == location


@pytest.mark.parametrize(("headers", "message"), [(ZH, "用户名或密码错误"), (EN, "Wrong username")])
def test_an_account_locks_after_five_failures_even_for_the_right_password(
    client, world, headers, message
):
    start = datetime.now(UTC)
    with patch("service_center.auth.views.now_utc", side_effect=lambda: start):
        for _ in range(5):
            assert sign_in(client, "clerk", "guess", headers=headers).status_code == 401
        response = sign_in(client, "clerk", headers=headers)  # locked: the same answer
        assert response.status_code == 401
        assert message in password_error(response.get_data(as_text=True))
        assert not is_signed_in(client)
        # another account, from the same address, is not locked out
        assert sign_in(client, "clerk2").status_code == 302
        client.post("/auth/logout")
    later = start + timedelta(minutes=16)
    with patch("service_center.auth.views.now_utc", side_effect=lambda: later):
        assert sign_in(client, "clerk").status_code == 302
    actions = [r.action for r in db.session.scalars(select(AuditRecord).order_by(AuditRecord.id))]
    assert actions.count("auth.lock") == 1 and "auth.sign_in_locked" in actions


def test_a_success_starts_the_count_again(client, world):
    for _ in range(4):
        sign_in(client, "clerk", "guess")
    assert sign_in(client, "clerk").status_code == 302
    client.post("/auth/logout")
    for _ in range(4):
        assert sign_in(client, "clerk", "guess").status_code == 401
    assert sign_in(client, "clerk").status_code == 302


def test_an_unknown_username_is_answered_like_a_locked_account(client, world):
    for _ in range(6):
        unknown = sign_in(client, "nobody", "guess", headers=EN)
        locked = sign_in(client, "clerk", "guess", headers=EN)
    assert unknown.status_code == locked.status_code == 401
    assert password_error(unknown.get_data(as_text=True)) == password_error(
        locked.get_data(as_text=True)
    )


def test_an_administrator_unlocks_an_account(client, world, login_as):
    for _ in range(5):
        sign_in(client, "clerk", "guess")
    admin = client.application.test_client()
    with admin.session_transaction() as session:
        session["_user_id"] = str(world.users.supervisor.id)
    page = admin.get("/admin/centers/testtown/staff").get_data(as_text=True)
    assert f"/staff/{world.users.clerk.id}/unlock" in page
    assert (
        admin.post(f"/admin/centers/testtown/staff/{world.users.clerk.id}/unlock").status_code
        == 302
    )
    assert sign_in(client, "clerk").status_code == 302
    actions = [r.action for r in db.session.scalars(select(AuditRecord))]
    assert "auth.unlock" in actions


@pytest.mark.parametrize(("headers", "message"), [(ZH, "尝试次数过多"), (EN, "Too many attempts")])
@pytest.mark.parametrize("app_config", [{"AUTH_LOGIN_FAILURE_LIMIT": "3 per minute"}])
def test_failures_from_one_address_are_limited_too(client, world, headers, message):
    for username in ("clerk", "clerk2", "supervisor"):
        assert sign_in(client, username, "guess", headers=headers).status_code == 401
    response = sign_in(client, "admin", "guess", headers=headers)
    assert response.status_code == 429
    assert message in response.get_data(as_text=True)


@pytest.mark.parametrize("app_config", [{"AUTH_LOGIN_FAILURE_LIMIT": "2 per hour"}])
def test_the_failure_limit_is_configurable(client, world):
    sign_in(client, "clerk", "guess")
    sign_in(client, "clerk", "guess")
    assert sign_in(client, "clerk", "guess").status_code == 429


@pytest.mark.parametrize("app_config", [{"WTF_CSRF_ENABLED": True}])
def test_sign_in_without_csrf_token_is_refused(client, world):
    response = sign_in(client, "clerk")
    assert response.status_code == 400
    assert not is_signed_in(client)

    form = client.get("/auth/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form).group(1)
    response = client.post(
        "/auth/login", data={"username": "clerk", "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302
    assert is_signed_in(client)


@pytest.fixture
def staff_api(app):
    """A staff-only API route, as the desk and device calls use."""
    view = staff_required(lambda: jsonify(user=current_user.username))
    app.add_url_rule("/api/v1/_test/staff", "test_staff", view, methods=["GET", "POST"])
    return app


def test_staff_api_answers_401_to_anonymous_callers(client, world, staff_api):
    response = client.post("/api/v1/_test/staff")
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_device_token_authenticates_api_calls_without_csrf(client, world, staff_api):
    token = services.issue_api_token(world.users.clerk, "kiosk-1", now=datetime.now(UTC))
    db.session.commit()
    response = client.post("/api/v1/_test/staff", headers={"Authorization": f"Bearer {token}"})
    assert response.get_json() == {"user": "clerk"}
    assert client.get("/auth/").status_code == 302  # a token opens no browser session
    bad = client.post("/api/v1/_test/staff", headers={"Authorization": "Bearer forged"})
    assert bad.status_code == 401


@pytest.mark.parametrize("app_config", [{"WTF_CSRF_ENABLED": True}])
def test_session_api_writes_need_the_csrf_header(client, world, login_as, staff_api):
    login_as(world.users.clerk)
    page = client.get("/auth/").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    refused = client.post("/api/v1/_test/staff", headers=EN)
    assert refused.status_code == 400
    assert "X-CSRFToken" in refused.get_json()["detail"]
    assert client.get("/api/v1/_test/staff").status_code == 200  # reads need no token
    allowed = client.post("/api/v1/_test/staff", headers={"X-CSRFToken": token})
    assert allowed.get_json() == {"user": "clerk"}


def _from(address: str) -> dict[str, str]:
    return {**ZH, "X-Forwarded-For": address}


@pytest.mark.parametrize("app_config", [{"PROXIES": 1, "AUTH_LOGIN_FAILURE_LIMIT": "2 per hour"}])
def test_behind_a_proxy_each_client_has_its_own_limit(client, world, app_config):
    for _ in range(2):
        assert sign_in(client, "clerk", "guess", headers=_from("203.0.113.7")).status_code == 401

    assert sign_in(client, "clerk", "guess", headers=_from("203.0.113.7")).status_code == 429
    # a colleague at another address, through the same proxy, is not locked out
    assert sign_in(client, "clerk", headers=_from("198.51.100.4")).status_code == 302


@pytest.mark.parametrize("app_config", [{"AUTH_LOGIN_FAILURE_LIMIT": "2 per hour"}])
def test_without_a_proxy_a_forged_forwarded_address_does_not_reset_the_limit(
    client, world, app_config
):
    for n in range(2):
        assert sign_in(client, "clerk", "guess", headers=_from(f"10.0.0.{n}")).status_code == 401

    assert sign_in(client, "clerk", "guess", headers=_from("10.0.0.99")).status_code == 429
