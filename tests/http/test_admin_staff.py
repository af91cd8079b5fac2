"""Staff and devices from the admin area: a one-time password that must be changed, disabling,
device tokens shown once; and the audit trail of sign-ins, failed sign-ins and token use."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from service_center.admin import staff
from service_center.audit import AuditRecord
from service_center.auth.models import ApiToken, Role, User
from service_center.db import db
from service_center.errors import Conflict
from tests.fixtures.catalogue import PASSWORD

EN = {"Accept-Language": "en"}


def records(action: str) -> list[AuditRecord]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(AuditRecord).where(AuditRecord.action == action).order_by(AuditRecord.id)
        )
    )


def sign_in(client, username, password):
    return client.post("/auth/login", data={"username": username, "password": password})


def shown_secret(page: str, element: str) -> str:
    match = re.search(rf'<code id="{element}">([^<]+)</code>', page)
    assert match, page
    return match.group(1)


def test_a_new_clerk_signs_in_with_the_one_time_password_and_must_change_it(
    world, client, login_as
):
    login_as(world.users.supervisor)
    response = client.post(
        "/admin/centers/testtown/staff/new",
        data={"username": "li.na", "display_name": "李娜", "role": "clerk"},
        headers=EN,
    )
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    password = shown_secret(response.get_data(as_text=True), "one-time-password")
    user = db.session.scalar(select(User).where(User.username == "li.na"))
    assert user.role is Role.CLERK and user.center_id == world.center.id
    assert user.must_change_password and user.check_password(password)
    (record,) = records("user.create")
    assert record.changes["password"] == [None, "(changed)"]
    assert password not in str(record.changes)

    client.post("/auth/logout")
    response = sign_in(client, "li.na", password)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/password")
    # every page leads to the change form until it is done
    assert client.get("/desk").headers["Location"].startswith("/auth/password")
    response = client.post(
        "/auth/password",
        data={"current": password, "new": "my-own-pass-1", "confirm": "my-own-pass-1"},
    )
    assert response.status_code == 302
    assert client.get("/desk").status_code == 200
    db.session.expire_all()
    assert not db.session.get(User, user.id).must_change_password
    assert [r.action for r in records("auth.password_change")] == ["auth.password_change"]


def test_a_password_change_refuses_a_wrong_current_password_next_to_its_field(
    world, client, login_as
):
    login_as(world.users.clerk)
    response = client.post(
        "/auth/password",
        data={"current": "wrong-one", "new": "another-pass-2", "confirm": "another-pass-2"},
        headers=EN,
    )
    assert response.status_code == 400
    assert 'id="current-error">The current password is wrong.' in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, world.users.clerk.id).check_password(PASSWORD)


def test_a_reset_password_is_shown_once_and_the_old_one_stops_working(world, client, login_as):
    login_as(world.users.supervisor)
    clerk = world.users.clerk
    response = client.post(f"/admin/centers/testtown/staff/{clerk.id}/reset-password")
    password = shown_secret(response.get_data(as_text=True), "one-time-password")
    client.post("/auth/logout")
    assert sign_in(client, "clerk", PASSWORD).status_code == 401
    assert sign_in(client, "clerk", password).headers["Location"].startswith("/auth/password")
    assert [r.actor_name for r in records("user.reset_password")] == ["supervisor"]


def test_a_disabled_clerk_is_signed_out_and_cannot_sign_in(world, client, login_as):
    clerk = world.users.clerk
    login_as(clerk)
    assert client.get("/desk").status_code == 200
    supervisor_client = client.application.test_client()
    with supervisor_client.session_transaction() as session:
        session["_user_id"] = str(world.users.supervisor.id)
    response = supervisor_client.post(f"/admin/centers/testtown/staff/{clerk.id}/disable")
    assert response.status_code == 302
    assert client.get("/desk").status_code == 302  # the open session ends
    assert sign_in(client, "clerk", PASSWORD).status_code == 401
    (record,) = records("user.disable")
    assert record.changes == {"is_enabled": [True, False]}


def test_nobody_disables_their_own_account(world, clock):
    admin = world.users.admin
    with pytest.raises(Conflict, match="自己的账号"):  # outside a request: Chinese
        staff.set_enabled(admin, False, actor=admin, now=clock.now)
    db.session.rollback()
    assert db.session.get(User, admin.id).is_enabled


def test_a_taken_username_is_refused_next_to_the_field(world, client, login_as):
    login_as(world.users.supervisor)
    response = client.post(
        "/admin/centers/testtown/staff/new",
        data={"username": "clerk2", "display_name": "", "role": "clerk"},
        headers=EN,
    )
    assert response.status_code == 422
    assert 'id="username-error">The username clerk2 is taken.' in response.get_data(as_text=True)


def test_sign_ins_and_failed_sign_ins_are_audited_without_the_password(world, client):
    assert sign_in(client, "clerk", "not-it").status_code == 401
    assert sign_in(client, "nobody-here", "hunter2-secret").status_code == 401
    assert sign_in(client, "clerk", PASSWORD).status_code == 302
    failed = records("auth.sign_in_failed")
    assert [(r.actor_name, r.actor_id) for r in failed] == [
        ("clerk", world.users.clerk.id),
        ("", None),
    ]
    assert "hunter2" not in str([(r.changes, r.object_label) for r in failed])
    (ok,) = records("auth.sign_in")
    assert ok.actor_id == world.users.clerk.id and ok.center_id == world.center.id


def test_a_device_token_is_shown_once_works_and_is_revoked(world, client, login_as, clock):
    login_as(world.users.supervisor)
    response = client.post(
        "/admin/centers/testtown/devices",
        data={"name": "Kiosk by the door", "user_id": world.users.clerk.id},
    )
    token = shown_secret(response.get_data(as_text=True), "device-token")
    listing = client.get("/admin/centers/testtown/devices").get_data(as_text=True)
    assert "Kiosk by the door" in listing and token not in listing
    device = client.application.test_client()
    bearer = {"Authorization": f"Bearer {token}"}
    window = world.windows.business
    with clock.read_by("service_center.auth.views"):
        assert device.get(f"/api/v1/windows/{window.id}/queue", headers=bearer).status_code == 403
        assert device.get("/api/v1/reports/daily", headers=bearer).status_code == 403
        clock.advance(minutes=30)
        device.get("/api/v1/reports/daily", headers=bearer)
        assert len(records("auth.token_used")) == 1  # written down once an hour, not per call
        clock.advance(minutes=31)
        device.get("/api/v1/reports/daily", headers=bearer)
        assert len(records("auth.token_used")) == 2
    row = db.session.scalar(select(ApiToken).where(ApiToken.name == "Kiosk by the door"))
    assert row.last_used_dt == clock.now
    response = client.post(f"/admin/centers/testtown/devices/{row.id}/revoke")
    assert response.status_code == 302
    assert device.get("/api/v1/reports/daily", headers=bearer).status_code == 401
    assert [r.action for r in records("token.issue") + records("token.revoke")] == [
        "token.issue",
        "token.revoke",
    ]
