"""The admin area's JSON API (/api/v1/admin): every action once with its effect in the database
and its audit record; the refusals (401, 403, 404, 422 naming the field, 409 with the message);
and its place in the OpenAPI document. Every answer is also checked against its declaration
(API_CHECK_RESPONSES)."""

from __future__ import annotations

import pytest
from openapi_spec_validator import validate
from sqlalchemy import select

from service_center.audit import AuditRecord
from service_center.auth.models import ApiToken, User
from service_center.catalogue.models import Center, ServiceItem
from service_center.db import db
from service_center.windows.models import Window, WindowState

EN = {"Accept-Language": "en"}
ZH = {"Accept-Language": "zh-CN"}
API = "/api/v1/admin"
TESTTOWN = f"{API}/centers/testtown"


def records(action: str) -> list[AuditRecord]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(AuditRecord).where(AuditRecord.action == action).order_by(AuditRecord.id)
        )
    )


def problem(response, status: int) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    return response.get_json()


# ---------------------------------------------------------------------------- who gets in


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/centers"),
        ("post", "/centers"),
        ("get", "/centers/testtown/windows"),
        ("post", "/centers/testtown/windows/1/retire"),
        ("post", "/centers/testtown/staff"),
        ("get", "/audit"),
    ],
)
def test_nobody_signed_in_gets_a_401(world, client, method, path):
    response = getattr(client, method)(API + path, json={})
    assert problem(response, 401)["status"] == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/centers"),
        ("get", "/centers/testtown"),
        ("get", "/centers/testtown/windows"),
        ("get", "/centers/testtown/items"),
        ("get", "/centers/testtown/staff"),
        ("get", "/centers/testtown/devices"),
        ("get", "/audit"),
    ],
)
def test_a_clerk_administers_nothing(world, client, login_as, method, path):
    login_as(world.users.clerk)
    assert problem(getattr(client, method)(API + path, headers=EN), 403)["detail"] == (
        "You may not do this."
    )


@pytest.mark.parametrize(
    "path",
    [
        "",
        "/windows",
        "/items",
        "/staff",
        "/devices",
    ],
)
def test_another_centers_supervisor_is_refused(world, client, login_as, path):
    login_as(world.users.other_supervisor)
    problem(client.get(TESTTOWN + path), 403)
    # and their own center is theirs
    assert client.get(f"{API}/centers/otherville{path}").status_code == 200


def test_another_centers_supervisor_changes_nothing_here(world, client, login_as):
    login_as(world.users.other_supervisor)
    window = world.windows.business
    problem(client.post(f"{TESTTOWN}/windows/{window.id}/retire"), 403)
    problem(client.put(f"{TESTTOWN}/windows/{window.id}", json={"name_en": "Mine"}), 403)
    problem(client.post(f"{TESTTOWN}/staff/{world.users.clerk.id}/disable"), 403)
    db.session.expire_all()
    assert db.session.get(Window, window.id).retired_dt is None
    assert db.session.get(User, world.users.clerk.id).is_enabled
    assert records("window.retire") == records("user.disable") == []


def test_an_unknown_center_is_a_404_naming_the_code(world, client, login_as):
    login_as(world.users.admin)
    for path in ("", "/windows", "/items", "/staff", "/devices"):
        body = problem(client.get(f"{API}/centers/atlantis{path}", headers=EN), 404)
        assert body["detail"] == "No service center has the code atlantis."


def test_an_unknown_window_item_account_or_token_is_a_404(world, client, login_as):
    login_as(world.users.supervisor)
    other_window = world.windows.other.id  # another center's: not found here
    assert problem(client.post(f"{TESTTOWN}/windows/{other_window}/retire", headers=EN), 404)[
        "detail"
    ] == ("No such window at this center.")
    problem(client.put(f"{TESTTOWN}/windows/99999", json={}), 404)
    problem(client.post(f"{TESTTOWN}/items/{world.items.other_licence.id}/retire"), 404)
    problem(client.post(f"{TESTTOWN}/staff/{world.users.other_clerk.id}/disable"), 404)
    problem(client.post(f"{TESTTOWN}/devices/99999/revoke"), 404)


# ---------------------------------------------------------------------------- centers


def test_the_centers_listed_are_those_the_caller_administers(world, client, login_as):
    login_as(world.users.admin)
    assert [c["code"] for c in client.get(f"{API}/centers").get_json()] == [
        "testtown",
        "otherville",
    ]
    login_as(world.users.supervisor)
    (only,) = client.get(f"{API}/centers").get_json()
    assert only["code"] == "testtown" and only["case_prefix"] == "TE"
    assert only["timezone"] == "Asia/Shanghai"


NEW_CENTER = {
    "code": "riverside",
    "case_prefix": "RS",
    "name_zh": "河畔便民服务中心",
    "name_en": " Riverside Convenience Service Center ",
    "phone": "0571-1234567",
    "slot_minutes": 20,
}


def test_an_administrator_creates_a_center(world, client, login_as):
    login_as(world.users.admin)
    response = client.post(f"{API}/centers", json=NEW_CENTER)
    assert response.status_code == 201
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_json()
    assert body["code"] == "riverside" and body["name_en"] == "Riverside Convenience Service Center"
    assert body["slot_capacity"] == 4 and body["timezone"] == "Asia/Shanghai"
    center = db.session.scalar(select(Center).where(Center.code == "riverside"))
    assert center.id == body["id"] and center.slot_minutes == 20
    assert body["notify_ahead"] == center.notify_ahead == 3  # the default
    (record,) = records("center.create")
    assert record.actor_name == "admin" and record.center_id == center.id
    assert record.changes["code"] == [None, "riverside"]


def test_a_supervisor_creates_no_center(world, client, login_as):
    login_as(world.users.supervisor)
    problem(client.post(f"{API}/centers", json=NEW_CENTER), 403)
    assert db.session.scalar(select(Center).where(Center.code == "riverside")) is None


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"slot_minutes": "20"}, "slot_minutes", "Must be a whole number."),
        ({"kiosk_priority_enabled": 1}, "kiosk_priority_enabled", "Must be true or false."),
        ({"name_zh": "   "}, "name_zh", "This field is required."),
        ({"phone": "1" * 41}, "phone", "This field is too long (at most 40 characters)."),
        ({"code": "River Side"}, "code", "A center's code is 1 to 32 lower-case letters"),
        ({"slot_minutes": 241}, "slot_minutes", "A slot is 5 to 240 minutes long."),
        ({"timezone": "Mars/Olympus"}, "timezone", "Choose a time zone from the list."),
        ({"notify_ahead": 21}, "notify_ahead", "Tell residents at 0 to 20 people ahead."),
    ],
)
def test_a_faulty_center_is_a_422_naming_the_field(world, client, login_as, change, field, message):
    login_as(world.users.admin)
    body = problem(client.post(f"{API}/centers", json={**NEW_CENTER, **change}, headers=EN), 422)
    assert list(body["errors"]) == [field]
    assert body["errors"][field][0].startswith(message)
    assert records("center.create") == []


def test_a_taken_center_code_is_a_409(world, client, login_as):
    login_as(world.users.admin)
    body = problem(
        client.post(f"{API}/centers", json={**NEW_CENTER, "code": "otherville"}, headers=EN), 409
    )
    assert body["detail"] == "Another center has the code otherville."
    assert body["errors"] == {"code": ["Another center has the code otherville."]}


def test_a_supervisor_changes_their_center_but_not_its_code(world, client, login_as):
    login_as(world.users.supervisor)
    assert client.get(TESTTOWN).get_json()["name_en"] == "Testtown Convenience Service Center"
    response = client.put(TESTTOWN, json={"code": "newtown", "phone": "0571-7654321"})
    assert response.status_code == 200
    assert response.get_json()["code"] == "testtown"
    db.session.expire_all()
    center = db.session.get(Center, world.center.id)
    assert (center.code, center.phone) == ("testtown", "0571-7654321")
    assert center.address_en == "1 Test Road"  # left out: kept
    (record,) = records("center.update")
    assert record.actor_name == "supervisor"
    assert set(record.changes) == {"phone"}


def test_an_administrator_changes_a_centers_code(world, client, login_as):
    login_as(world.users.admin)
    response = client.put(TESTTOWN, json={"code": "newtown"})
    assert response.status_code == 200 and response.get_json()["code"] == "newtown"
    assert client.get(f"{API}/centers/newtown").status_code == 200
    problem(client.get(TESTTOWN), 404)
    (record,) = records("center.update")
    assert record.changes == {"code": ["testtown", "newtown"]}


# ---------------------------------------------------------------------------- windows


def test_the_windows_are_listed_with_their_items(world, client, login_as):
    login_as(world.users.supervisor)
    rows = client.get(f"{TESTTOWN}/windows").get_json()
    assert [w["number"] for w in rows] == [1, 2, 3, 4]
    livelihood = rows[2]
    assert livelihood["service_ids"] == sorted([world.items.marriage.id, world.items.allowance.id])
    assert livelihood["status"] == "closed" and livelihood["retired_at"] is None


def test_a_supervisor_adds_a_window(world, client, login_as):
    login_as(world.users.supervisor)
    item = world.items.marriage
    response = client.post(
        f"{TESTTOWN}/windows",
        json={"number": 7, "name_zh": "七号窗口", "name_en": "Seven", "service_ids": [item.id]},
    )
    assert response.status_code == 201
    body = response.get_json()
    assert body["number"] == 7 and body["service_ids"] == [item.id] and body["status"] == "closed"
    window = db.session.get(Window, body["id"])
    assert window.center_id == world.center.id and window.state is WindowState.CLOSED
    (record,) = records("window.create")
    assert record.actor_name == "supervisor" and record.object_id == str(window.id)
    assert record.changes["number"] == [None, 7]


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"number": "7", "name_zh": "七", "name_en": "Seven"}, "number", "Must be a whole number."),
        ({"number": 7, "name_en": "Seven"}, "name_zh", "This field is required."),
        (
            {"number": 7, "name_zh": "七", "name_en": "Seven", "service_ids": ["x"]},
            "service_ids",
            "Must be a whole number.",
        ),
        # the domain's rules, named by their field
        (
            {"number": 1000, "name_zh": "七", "name_en": "Seven"},
            "number",
            "A window's number is from 1 to 999.",
        ),
        (
            {"number": 7, "name_zh": "七", "name_en": "Seven", "service_ids": [0]},
            "service_ids",
            "Choose items of this center only.",
        ),
    ],
)
def test_a_faulty_window_is_a_422_naming_the_field(world, client, login_as, body, field, message):
    login_as(world.users.supervisor)
    answer = problem(client.post(f"{TESTTOWN}/windows", json=body, headers=EN), 422)
    assert answer["errors"] == {field: [message]}
    assert db.session.scalar(select(Window).where(Window.number == 7)) is None
    assert records("window.create") == []


def test_a_window_field_is_refused_in_the_callers_language(world, client, login_as):
    login_as(world.users.supervisor)
    body = {"number": 0, "name_zh": "零", "name_en": "Zero"}
    answer = problem(client.post(f"{TESTTOWN}/windows", json=body, headers=ZH), 422)
    assert list(answer["errors"]) == ["number"]
    assert answer["errors"]["number"] == ["窗口号为 1 至 999。"]


def test_a_taken_window_number_is_a_409(world, client, login_as):
    login_as(world.users.supervisor)
    body = {"number": 1, "name_zh": "重复", "name_en": "Twice"}
    answer = problem(client.post(f"{TESTTOWN}/windows", json=body, headers=EN), 409)
    message = "This center already has a window 1 (retired windows keep their number)."
    assert answer["detail"] == message and answer["errors"] == {"number": [message]}
    assert db.session.scalar(select(Window).where(Window.name_en == "Twice")) is None


def test_a_window_is_changed_and_what_is_left_out_is_kept(world, client, login_as):
    login_as(world.users.supervisor)
    window = world.windows.livelihood
    services = sorted(s.id for s in window.services)
    response = client.put(
        f"{TESTTOWN}/windows/{window.id}",
        json={"name_zh": "民生服务窗口", "name_en": "Citizens' services"},
    )
    assert response.status_code == 200
    body = response.get_json()
    assert body["name_en"] == "Citizens' services"
    assert body["number"] == 3 and body["service_ids"] == services
    (record,) = records("window.update")
    assert record.changes == {
        "name_en": ["Livelihood", "Citizens' services"],
        "name_zh": ["民生窗口", "民生服务窗口"],
    }
    # a taken number is refused on a change too
    answer = problem(client.put(f"{TESTTOWN}/windows/{window.id}", json={"number": 1}), 409)
    assert list(answer["errors"]) == ["number"]


def test_a_window_is_retired_and_reinstated(world, client, login_as, admin_clock):
    login_as(world.users.supervisor)
    window = world.windows.business
    response = client.post(f"{TESTTOWN}/windows/{window.id}/retire")
    assert response.status_code == 200
    assert response.get_json()["retired_at"] == "2026-11-27T10:00:00+08:00"
    numbers = [w["number"] for w in client.get("/api/v1/centers/testtown/windows").get_json()]
    assert 1 not in numbers
    response = client.post(f"{TESTTOWN}/windows/{window.id}/reinstate")
    assert response.status_code == 200 and response.get_json()["retired_at"] is None
    db.session.expire_all()
    assert db.session.get(Window, window.id).retired_dt is None
    assert [r.action for r in records("window.retire") + records("window.reinstate")] == [
        "window.retire",
        "window.reinstate",
    ]


def test_retiring_a_window_that_holds_a_called_ticket_is_a_409_naming_it(
    world, client, login_as, open_windows, issue, sign_on, serve, admin_clock
):
    window = world.windows.livelihood
    ticket = issue(world.items.marriage)
    sign_on(world.users.clerk, window)
    serve(window, world.users.clerk)
    login_as(world.users.supervisor)
    answer = problem(client.post(f"{TESTTOWN}/windows/{window.id}/retire", headers=EN), 409)
    assert answer["detail"] == f"Window 3 is serving {ticket.number}: close those cases first."
    db.session.expire_all()
    assert db.session.get(Window, window.id).retired_dt is None
    assert records("window.retire") == []


# ---------------------------------------------------------------------------- service items


NEW_ITEM = {
    "code": "IT-900",
    "name_zh": "测试新事项",
    "name_en": "New test item",
    "materials_zh": "身份证原件\n申请表",
    "is_on_the_spot": False,
    "time_limit_days": 3,
}


def test_the_items_are_listed_with_their_windows(world, client, login_as):
    login_as(world.users.supervisor)
    rows = client.get(f"{TESTTOWN}/items").get_json()
    assert len(rows) == 6
    marriage = next(r for r in rows if r["id"] == world.items.marriage.id)
    assert marriage["window_ids"] == [world.windows.livelihood.id]
    assert marriage["is_active"] is True and marriage["national_code"] is None


def test_a_supervisor_adds_changes_retires_and_reinstates_an_item(
    world, client, login_as, admin_clock
):
    login_as(world.users.supervisor)
    market, _civil = world.departments
    business = world.case_types["business"]
    window = world.windows.business
    body = {
        **NEW_ITEM,
        "department_id": market.id,
        "case_type_id": business.id,
        "window_ids": [window.id],
    }
    response = client.post(f"{TESTTOWN}/items", json=body)
    assert response.status_code == 201
    created = response.get_json()
    assert created["window_ids"] == [window.id] and created["time_limit_days"] == 3
    item = db.session.get(ServiceItem, created["id"])
    assert item.center_id == world.center.id and item.pinyin_initials
    assert [r.object_id for r in records("item.create")] == [str(item.id)]

    response = client.put(
        f"{TESTTOWN}/items/{item.id}",
        json={"is_on_the_spot": True, "time_limit_days": None, "national_code": "1100-01"},
    )
    assert response.status_code == 200
    changed = response.get_json()
    assert changed["is_on_the_spot"] is True and changed["time_limit_days"] is None
    assert changed["national_code"] == "1100-01" and changed["name_en"] == "New test item"
    assert changed["window_ids"] == [window.id]  # left out: kept
    (record,) = records("item.update")
    assert record.changes["time_limit_days"] == [3, None]

    response = client.post(f"{TESTTOWN}/items/{item.id}/retire")
    assert response.status_code == 200 and response.get_json()["is_active"] is False
    services = client.get("/api/v1/centers/testtown/services").get_json()
    assert item.id not in [s["id"] for s in services]
    response = client.post(f"{TESTTOWN}/items/{item.id}/reinstate")
    assert response.status_code == 200 and response.get_json()["is_active"] is True
    assert [r.action for r in records("item.retire") + records("item.reinstate")] == [
        "item.retire",
        "item.reinstate",
    ]


def test_a_faulty_item_is_a_422_naming_the_field(world, client, login_as):
    login_as(world.users.supervisor)
    market, _civil = world.departments
    body = {**NEW_ITEM, "department_id": market.id, "case_type_id": "business"}
    answer = problem(client.post(f"{TESTTOWN}/items", json=body, headers=EN), 422)
    assert answer["errors"] == {"case_type_id": ["Must be a whole number."]}
    body = {**NEW_ITEM, "department_id": market.id, "case_type_id": 0}
    answer = problem(client.post(f"{TESTTOWN}/items", json=body, headers=EN), 422)
    assert answer["errors"] == {"case_type_id": ["Choose a case type from the list."]}
    assert records("item.create") == []


def test_retiring_an_item_with_tickets_waiting_is_a_409_naming_them(
    world, client, login_as, issue, admin_clock
):
    waiting = issue(world.items.marriage)
    login_as(world.users.supervisor)
    answer = problem(
        client.post(f"{TESTTOWN}/items/{world.items.marriage.id}/retire", headers=EN), 409
    )
    assert answer["detail"] == (
        f"Tickets {waiting.number} wait for this item: serve or transfer them first."
    )
    db.session.expire_all()
    assert db.session.get(ServiceItem, world.items.marriage.id).is_active


# ---------------------------------------------------------------------------- staff


def test_the_staff_are_listed_with_what_the_caller_may_change(world, client, login_as):
    login_as(world.users.supervisor)
    rows = {u["username"]: u for u in client.get(f"{TESTTOWN}/staff").get_json()}
    assert set(rows) == {"clerk", "clerk2", "supervisor"}
    assert rows["clerk"]["manageable"] is True and rows["supervisor"]["manageable"] is False
    assert rows["clerk"]["role"] == "clerk" and rows["clerk"]["window_ids"] == []
    login_as(world.users.admin)
    rows = {u["username"]: u for u in client.get(f"{TESTTOWN}/staff").get_json()}
    assert rows["supervisor"]["manageable"] is True


def test_a_new_clerk_gets_a_one_time_password_shown_once(world, client, login_as):
    login_as(world.users.supervisor)
    window = world.windows.livelihood
    response = client.post(
        f"{TESTTOWN}/staff",
        json={"username": "li.na", "display_name": "李娜", "window_ids": [window.id]},
    )
    assert response.status_code == 201
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_json()
    password = body["one_time_password"]
    assert body["role"] == "clerk" and body["window_ids"] == [window.id]
    assert body["must_change_password"] is True
    user = db.session.get(User, body["id"])
    assert user.username == "li.na" and user.center_id == world.center.id
    assert user.check_password(password) and user.must_change_password
    (record,) = records("user.create")
    assert record.actor_name == "supervisor" and password not in str(record.changes)
    # shown once: the list never carries it
    assert "one_time_password" not in client.get(f"{TESTTOWN}/staff").get_json()[0]


def test_a_supervisor_creates_no_supervisor(world, client, login_as):
    login_as(world.users.supervisor)
    body = {"username": "boss2", "role": "supervisor"}
    problem(client.post(f"{TESTTOWN}/staff", json=body), 403)
    assert db.session.scalar(select(User).where(User.username == "boss2")) is None
    login_as(world.users.admin)
    response = client.post(f"{TESTTOWN}/staff", json=body)
    assert response.status_code == 201 and response.get_json()["role"] == "supervisor"


@pytest.mark.parametrize(
    ("body", "status", "field", "message"),
    [
        ({"username": "x y z"}, 422, "username", "A username is 3 to 64 letters"),
        ({"username": "li.na", "role": "admin"}, 422, "role", "Choose one of:"),
        ({"username": "li.na", "window_ids": 3}, 422, "window_ids", "Please correct"),
        ({"username": "clerk2"}, 409, "username", "The username clerk2 is taken."),
    ],
)
def test_a_faulty_account_is_refused_naming_the_field(
    world, client, login_as, body, status, field, message
):
    login_as(world.users.supervisor)
    answer = problem(client.post(f"{TESTTOWN}/staff", json=body, headers=EN), status)
    assert list(answer["errors"]) == [field]
    assert answer["errors"][field][0].startswith(message)
    assert records("user.create") == []


def test_a_clerk_is_given_windows_and_renamed(world, client, login_as):
    login_as(world.users.supervisor)
    clerk = world.users.clerk
    response = client.put(
        f"{TESTTOWN}/staff/{clerk.id}", json={"window_ids": [world.windows.livelihood.id]}
    )
    assert response.status_code == 200
    assert response.get_json()["window_ids"] == [world.windows.livelihood.id]
    response = client.put(f"{TESTTOWN}/staff/{clerk.id}", json={"display_name": "王芳"})
    assert response.get_json()["window_ids"] == [world.windows.livelihood.id]  # kept
    assert response.get_json()["display_name"] == "王芳"
    assert [r.changes for r in records("user.update")] == [
        {"windows": [[], [3]]},
        {"display_name": ["clerk", "王芳"]},
    ]
    # only clerks are given windows (an administrator changing the supervisor)
    login_as(world.users.admin)
    answer = problem(
        client.put(
            f"{TESTTOWN}/staff/{world.users.supervisor.id}",
            json={"window_ids": [world.windows.business.id]},
            headers=EN,
        ),
        422,
    )
    assert answer["errors"] == {"window_ids": ["Only clerks are given windows."]}


def test_a_supervisor_changes_no_supervisor_account(world, client, login_as):
    login_as(world.users.supervisor)
    boss = world.users.supervisor
    problem(client.put(f"{TESTTOWN}/staff/{boss.id}", json={"display_name": "Me"}), 403)
    problem(client.post(f"{TESTTOWN}/staff/{boss.id}/reset-password"), 403)


def test_a_clerk_is_disabled_enabled_and_given_a_new_password(world, client, login_as):
    login_as(world.users.supervisor)
    clerk = world.users.clerk
    response = client.post(f"{TESTTOWN}/staff/{clerk.id}/disable")
    assert response.status_code == 200 and response.get_json()["is_enabled"] is False
    db.session.expire_all()
    assert not db.session.get(User, clerk.id).is_enabled
    response = client.post(f"{TESTTOWN}/staff/{clerk.id}/enable")
    assert response.status_code == 200 and response.get_json()["is_enabled"] is True
    response = client.post(f"{TESTTOWN}/staff/{clerk.id}/reset-password")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    password = response.get_json()["one_time_password"]
    db.session.expire_all()
    user = db.session.get(User, clerk.id)
    assert user.check_password(password) and user.must_change_password
    assert [
        r.action
        for r in records("user.disable") + records("user.enable") + records("user.reset_password")
    ] == ["user.disable", "user.enable", "user.reset_password"]


def test_a_clerk_signed_on_is_not_disabled(world, client, login_as, sign_on):
    sign_on(world.users.clerk, world.windows.livelihood)
    login_as(world.users.supervisor)
    answer = problem(
        client.post(f"{TESTTOWN}/staff/{world.users.clerk.id}/disable", headers=EN), 409
    )
    assert answer["detail"].startswith("clerk is signed on to window 3")
    assert records("user.disable") == []


# ---------------------------------------------------------------------------- device tokens


def test_a_device_token_is_shown_once_works_and_is_revoked(world, client, login_as):
    login_as(world.users.supervisor)
    clerk = world.users.clerk
    response = client.post(
        f"{TESTTOWN}/devices", json={"name": "Kiosk by the entrance", "user_id": clerk.id}
    )
    assert response.status_code == 201
    assert response.headers["Cache-Control"] == "no-store"
    issued = response.get_json()
    token = issued["token"]
    assert issued["username"] == "clerk" and issued["revoked_at"] is None
    row = db.session.get(ApiToken, issued["id"])
    assert row.token_hash == ApiToken.hash(token) and row.user_id == clerk.id
    (record,) = records("token.issue")
    assert record.center_id == world.center.id and token not in str(record.changes)

    listed = client.get(f"{TESTTOWN}/devices").get_json()
    assert [t["id"] for t in listed] == [row.id]
    assert "token" not in listed[0] and token not in client.get(f"{TESTTOWN}/devices").text

    # the device calls the API as its account
    device = client.application.test_client()
    bearer = {"Authorization": f"Bearer {token}"}
    assert device.get(f"{TESTTOWN}/windows", headers=bearer).status_code == 403  # a clerk's
    response = client.post(f"{TESTTOWN}/devices/{row.id}/revoke")
    assert response.status_code == 200 and response.get_json()["revoked_at"] is not None
    assert device.get(f"{TESTTOWN}/windows", headers=bearer).status_code == 401
    assert [r.object_id for r in records("token.revoke")] == [str(row.id)]


def test_device_tokens_are_only_for_accounts_the_caller_manages(world, client, login_as):
    login_as(world.users.supervisor)
    answer = problem(
        client.post(
            f"{TESTTOWN}/devices",
            json={"name": "Screen", "user_id": world.users.other_clerk.id},
            headers=EN,
        ),
        422,
    )
    assert answer["errors"] == {"user_id": ["Choose an account of this center."]}
    problem(
        client.post(
            f"{TESTTOWN}/devices", json={"name": "Screen", "user_id": world.users.supervisor.id}
        ),
        403,
    )
    answer = problem(client.post(f"{TESTTOWN}/devices", json={"user_id": 1}, headers=EN), 422)
    assert answer["errors"] == {"name": ["This field is required."]}
    assert db.session.scalars(select(ApiToken)).all() == []


def test_a_disabled_account_gets_no_device_token(world, client, login_as):
    login_as(world.users.supervisor)
    clerk = world.users.clerk
    client.post(f"{TESTTOWN}/staff/{clerk.id}/disable")
    answer = problem(
        client.post(
            f"{TESTTOWN}/devices", json={"name": "Screen", "user_id": clerk.id}, headers=EN
        ),
        409,
    )
    assert answer["errors"] == {"user_id": ["The account is disabled."]}


# ---------------------------------------------------------------------------- audit trail


def _two_centers_changed(world, client, login_as) -> None:
    login_as(world.users.supervisor)
    body = {"number": 7, "name_zh": "七号窗口", "name_en": "Seven"}
    assert client.post(f"{TESTTOWN}/windows", json=body).status_code == 201
    login_as(world.users.admin)
    assert client.post(f"{API}/centers/otherville/windows", json=body).status_code == 201


def test_an_administrator_reads_the_whole_trail_and_filters_it(
    world, client, login_as, admin_clock
):
    _two_centers_changed(world, client, login_as)
    page = client.get(f"{API}/audit").get_json()
    assert page["page"] == 1 and page["pages"] == 1
    newest, oldest = page["records"]
    assert (newest["center"], newest["person"]) == ("otherville", "admin")
    assert (oldest["center"], oldest["person"], oldest["action"]) == (
        "testtown",
        "supervisor",
        "window.create",
    )
    assert oldest["at"] == "2026-11-27T10:00:00+08:00"
    assert oldest["object_type"] == "window" and oldest["changes"]["number"] == [None, 7]

    def actions(**query):
        response = client.get(f"{API}/audit", query_string=query)
        assert response.status_code == 200
        return [(r["center"], r["person"]) for r in response.get_json()["records"]]

    assert actions(center="testtown") == [("testtown", "supervisor")]
    assert actions(person="admin") == [("otherville", "admin")]
    assert actions(object_type="user") == []
    assert len(actions(since="2026-11-27", until="2026-11-27")) == 2
    assert actions(since="2026-11-28") == []
    assert len(actions(since="", until="", page="9")) == 2  # a page past the end: the last


def test_a_supervisor_reads_only_their_centers_trail(world, client, login_as, admin_clock):
    _two_centers_changed(world, client, login_as)
    login_as(world.users.supervisor)
    records_seen = client.get(f"{API}/audit").get_json()["records"]
    assert [r["center"] for r in records_seen] == ["testtown"]
    problem(client.get(f"{API}/audit", query_string={"center": "otherville"}), 403)


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"since": "2026-02-30"}, "since", "Give a real date as YYYY-MM-DD."),
        ({"page": "two"}, "page", "Must be a whole number."),
        ({"page": "0"}, "page", "Must be at least 1."),
        ({"object_type": "ticket"}, "object_type", "Choose one of:"),
        ({"center": "atlantis"}, "center", "No service center has the code atlantis."),
        (
            {"since": "2026-11-28", "until": "2026-11-27"},
            "since",
            "The first day must not be after the last day.",
        ),
    ],
)
def test_a_faulty_trail_query_is_a_422_naming_the_field(
    world, client, login_as, query, field, message
):
    login_as(world.users.admin)
    answer = problem(client.get(f"{API}/audit", query_string=query, headers=EN), 422)
    assert list(answer["errors"]) == [field]
    assert answer["errors"][field][0].startswith(message)


# ---------------------------------------------------------------------------- the document


def test_the_document_lists_the_admin_paths_and_still_validates(client, app_ctx):
    spec = client.get("/api/v1/openapi.json").get_json()
    validate(spec)
    paths = spec["paths"]
    expected = {
        "/admin/centers": {"get", "post"},
        "/admin/centers/{code}": {"get", "put"},
        "/admin/centers/{code}/windows": {"get", "post"},
        "/admin/centers/{code}/windows/{id}": {"put"},
        "/admin/centers/{code}/windows/{id}/retire": {"post"},
        "/admin/centers/{code}/windows/{id}/reinstate": {"post"},
        "/admin/centers/{code}/items": {"get", "post"},
        "/admin/centers/{code}/items/{id}": {"put"},
        "/admin/centers/{code}/items/{id}/retire": {"post"},
        "/admin/centers/{code}/items/{id}/reinstate": {"post"},
        "/admin/centers/{code}/staff": {"get", "post"},
        "/admin/centers/{code}/staff/{id}": {"put"},
        "/admin/centers/{code}/staff/{id}/disable": {"post"},
        "/admin/centers/{code}/staff/{id}/enable": {"post"},
        "/admin/centers/{code}/staff/{id}/reset-password": {"post"},
        "/admin/centers/{code}/devices": {"get", "post"},
        "/admin/centers/{code}/devices/{id}/revoke": {"post"},
        "/admin/audit": {"get"},
        "/admin/centers/{code}/calendar/hours": {"get", "put"},
        "/admin/centers/{code}/calendar/days": {"get"},
        "/admin/centers/{code}/calendar/days/{day}": {"put", "delete"},
        "/admin/centers/{code}/calendar/caps": {"get", "put"},
        "/admin/centers/{code}/ticket-letters": {"get", "put"},
        "/admin/centers/{code}/items/import": {"post"},
        "/admin/departments": {"get", "post"},
        "/admin/departments/{id}": {"put"},
        "/admin/notices": {"get"},
        "/admin/notices/{year}": {"post", "delete"},
    }
    assert {p: set(ops) for p, ops in paths.items() if p.startswith("/admin/")} == expected
    for path, methods in expected.items():
        for method in methods:
            operation = paths[path][method]
            assert operation["security"], (method, path)
            assert {"401", "403"} <= set(operation["responses"])
    retire = paths["/admin/centers/{code}/windows/{id}/retire"]["post"]
    assert [p["name"] for p in retire["parameters"]] == ["code", "id"]
    assert {"404", "409"} <= set(retire["responses"])
    created = paths["/admin/centers/{code}/staff"]["post"]["responses"]["201"]
    assert created["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/AdminStaffPassword"
    }
    assert "one_time_password" in spec["components"]["schemas"]["AdminStaffPassword"]["required"]
    listed = spec["components"]["schemas"]["AdminDeviceToken"]["properties"]
    assert "token" not in listed
    audit = paths["/admin/audit"]["get"]
    assert [p["name"] for p in audit["parameters"]] == [
        "center",
        "person",
        "object_type",
        "since",
        "until",
        "page",
    ]
