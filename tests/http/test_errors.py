"""Error pages in both languages, and problem+json answers under /api/."""

from __future__ import annotations

import pytest
from flask import abort, jsonify
from sqlalchemy import func, select

from service_center.api import json_body
from service_center.auth.decorators import role_required
from service_center.auth.models import Role
from service_center.catalogue.models import Department
from service_center.db import db

ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}
EN = {"Accept-Language": "en-US,en;q=0.9"}


def _crash():
    db.session.add(Department(code="half-done", name_zh="半途", name_en="Half done"))
    db.session.flush()
    raise RuntimeError("secret internals: password=hunter2")


@pytest.fixture
def error_routes(app):
    """Routes that fail on purpose (registered before the app serves its first request)."""
    app.add_url_rule("/_test/bad", "test_bad", lambda: abort(400))
    app.add_url_rule(
        "/_test/supervisors", "test_supervisors", role_required(Role.SUPERVISOR)(lambda: "ok")
    )
    app.add_url_rule("/_test/crash", "test_crash", _crash)
    app.add_url_rule("/api/v1/_test/crash", "test_api_crash", _crash)
    app.add_url_rule(
        "/api/v1/_test/echo", "test_echo", lambda: jsonify(json_body()), methods=["POST"]
    )
    return app


@pytest.mark.parametrize("app_config", [{"PROPAGATE_EXCEPTIONS": False}])
@pytest.mark.parametrize(
    ("method", "path", "status", "zh", "en"),
    [
        ("get", "/_test/bad", 400, "请求有误", "Bad request"),
        ("get", "/_test/supervisors", 403, "您没有权限打开此页面", "You do not have permission"),
        ("get", "/no/such/page", 404, "您要访问的页面不存在", "The page you asked for does not"),
        ("get", "/auth/logout", 405, "此地址不接受这种请求方式", "does not accept that kind"),
        ("get", "/_test/crash", 500, "系统出现故障", "Something went wrong on our side"),
    ],
)
def test_error_pages_speak_the_users_language(
    client, world, login_as, error_routes, method, path, status, zh, en
):
    login_as(world.users.clerk)
    for headers, text in ((ZH, zh), (EN, en)):
        response = getattr(client, method)(path, headers=headers)
        page = response.get_data(as_text=True)
        assert response.status_code == status
        assert response.mimetype == "text/html"
        assert text in page
        assert '<p class="error-code">' + str(status) in page


@pytest.mark.parametrize("app_config", [{"PROPAGATE_EXCEPTIONS": False}])
@pytest.mark.parametrize("path", ["/_test/crash", "/api/v1/_test/crash"])
def test_server_error_rolls_back_and_hides_the_details(client, app_ctx, error_routes, path):
    response = client.get(path, headers=EN)
    assert response.status_code == 500
    body = response.get_data(as_text=True)
    assert "Traceback" not in body and "hunter2" not in body and "RuntimeError" not in body
    count = db.session.scalar(select(func.count()).where(Department.code == "half-done"))
    assert count == 0


def test_method_not_allowed_page_names_the_allowed_methods(client, app_ctx):
    response = client.get("/auth/logout")
    assert response.status_code == 405
    assert "POST" in response.headers["Allow"]


def assert_problem(response, status):
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["status"] == status
    assert body["type"] and body["title"] and body["detail"]
    return body


def test_api_unknown_center_is_a_404_problem(client, world):
    body = assert_problem(client.get("/api/v1/centers/atlantis/windows", headers=EN), 404)
    assert "atlantis" in body["detail"]


def test_api_unknown_path_is_a_404_problem_in_the_users_language(client, app_ctx):
    assert assert_problem(client.get("/api/v1/nothing", headers=EN), 404)["title"] == "Not found"
    assert assert_problem(client.get("/api/v1/nothing", headers=ZH), 404)["title"] == "页面不存在"


def test_api_wrong_method_is_a_405_problem(client, world):
    response = client.delete("/api/v1/centers")
    assert_problem(response, 405)
    assert "GET" in response.headers["Allow"]


@pytest.mark.parametrize(
    ("body", "content_type", "status", "detail"),
    [
        ('{"center": "testtown",', "application/json", 400, "not valid JSON"),
        ('["a", "list"]', "application/json", 400, "send a JSON object"),
        ("center=testtown", "application/x-www-form-urlencoded", 415, "as application/json"),
    ],
)
def test_api_malformed_body_is_a_clear_problem(
    client, app_ctx, error_routes, body, content_type, status, detail
):
    response = client.post("/api/v1/_test/echo", data=body, content_type=content_type, headers=EN)
    assert detail in assert_problem(response, status)["detail"]


def test_api_well_formed_body_gets_through(client, app_ctx, error_routes):
    response = client.post("/api/v1/_test/echo", json={"center": "testtown"})
    assert response.status_code == 200
    assert response.get_json() == {"center": "testtown"}
