"""Public catalogue API (centers, windows, services) and the OpenAPI document of /api/v1."""

from __future__ import annotations

import re

import pytest
from openapi_spec_validator import validate

ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}
EN = {"Accept-Language": "en-US,en;q=0.9"}


def names(response) -> set[str]:
    assert response.status_code == 200
    return {row["name"] for row in response.get_json()}


def test_centers_list_every_center_with_its_time_zone(client, world):
    response = client.get("/api/v1/centers", headers=ZH)
    assert response.get_json() == [
        {"code": "testtown", "name": "testtown便民服务中心", "timezone": "Asia/Shanghai"},
        {"code": "otherville", "name": "otherville便民服务中心", "timezone": "Asia/Shanghai"},
    ]


def test_windows_list_their_skills(client, world):
    windows = client.get("/api/v1/centers/testtown/windows", headers=ZH).get_json()
    assert [w["number"] for w in windows] == [1, 2, 3, 4]
    mixed = windows[1]
    assert mixed == {
        "id": world.windows.mixed.id,
        "number": 2,
        "name": "商事投资窗口",
        "status": "closed",
        "comprehensive": False,
        "case_types": ["business", "investment"],
        "services": sorted(s.id for s in world.windows.mixed.services),
    }


def test_comprehensive_window_handles_every_case_type_and_item(client, world):
    windows = client.get("/api/v1/centers/testtown/windows").get_json()
    comprehensive = next(w for w in windows if w["comprehensive"])
    own_items = {i.id for i in vars(world.items).values() if i.center_id == world.center.id}
    assert set(comprehensive["case_types"]) == {"business", "investment", "livelihood"}
    assert set(comprehensive["services"]) == own_items
    assert world.items.other_licence.id not in comprehensive["services"]


def test_services_answer_the_documented_fields(client, world):
    rows = client.get("/api/v1/centers/testtown/services", headers=ZH).get_json()
    food = next(r for r in rows if r["id"] == world.items.food.id)
    assert food["code"] == world.items.food.code
    assert food["name"] == "食品经营许可证核发"
    assert food["case_type"] == "business"
    assert food["department"] == "市场监督管理局"
    assert food["on_the_spot"] is False
    assert food["time_limit_days"] == 5
    assert len(rows) == 6  # the other center's item is not listed


@pytest.mark.parametrize("query", ["营业执照", "yyzz", "YYZZ"])
def test_services_search_by_chinese_or_pinyin_initials(client, world, query):
    response = client.get("/api/v1/centers/testtown/services", query_string={"q": query})
    assert names(response) == {"个体工商户营业执照设立登记", "营业执照变更登记"}


def test_services_filter_by_case_type(client, world):
    response = client.get("/api/v1/centers/testtown/services?case_type=livelihood")
    assert names(response) == {"婚姻登记证明开具", "最低生活保障申请"}


def test_services_in_english(client, world):
    response = client.get("/api/v1/centers/testtown/services?case_type=investment", headers=EN)
    assert response.get_json()[0]["name"] == "Investment project filing"
    assert response.get_json()[0]["department"] == "Market Regulation"


def test_unknown_center_is_a_404_problem(client, world):
    for path in ("/api/v1/centers/atlantis/windows", "/api/v1/centers/atlantis/services"):
        response = client.get(path, headers=ZH)
        assert response.status_code == 404
        assert response.mimetype == "application/problem+json"
        assert response.get_json()["detail"] == "没有代码为 atlantis 的便民服务中心。"


@pytest.mark.parametrize(
    ("params", "field"),
    [({"case_type": "tourism"}, "case_type"), ({"q": "营" * 61}, "q")],
)
def test_bad_service_queries_are_422_with_the_field(client, world, params, field):
    response = client.get("/api/v1/centers/testtown/services", query_string=params, headers=EN)
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert list(response.get_json()["errors"]) == [field]


def test_sixty_character_query_is_still_accepted(client, world):
    response = client.get("/api/v1/centers/testtown/services", query_string={"q": "营" * 60})
    assert names(response) == set()


def test_openapi_document_is_valid(client, app_ctx):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    validate(response.get_json())


def _shape(path: str) -> str:
    """/centers/<code>/windows and /centers/{code}/windows both become /centers/{}/windows."""
    return re.sub(r"<[^>]+>|\{[^}]+\}", "{}", path)


def _served_operations(app) -> set[tuple[str, str]]:
    return {
        (_shape(rule.rule.removeprefix("/api/v1")), method.lower())
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1/")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }


def _documented_operations(spec: dict) -> set[tuple[str, str]]:
    return {
        (_shape(path), method)
        for path, operations in spec["paths"].items()
        for method in operations
        if method in ("get", "put", "post", "delete", "patch")
    }


def test_every_api_route_is_documented(app, client):
    """Fails when someone adds a route under /api/v1 without describing it in OpenAPI."""
    documented = _documented_operations(client.get("/api/v1/openapi.json").get_json())
    undocumented = _served_operations(app) - documented
    assert not undocumented, f"add these to the area's spec.document(...): {sorted(undocumented)}"


def test_every_documented_operation_is_served(app, client):
    documented = _documented_operations(client.get("/api/v1/openapi.json").get_json())
    missing = documented - _served_operations(app)
    assert not missing, f"documented but not served: {sorted(missing)}"
