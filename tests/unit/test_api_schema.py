"""The API's one declaration per endpoint (service_center/api/schema.py): input checked with
messages in the caller's language, the OpenAPI entry generated, answers held to the document."""

from __future__ import annotations

import logging
from typing import Annotated, Any

import pytest
from flask import jsonify
from flask_babel import lazy_gettext as _l

from service_center import create_app
from service_center.api.openapi import build_spec
from service_center.api.schema import (
    Field,
    Input,
    IsoDate,
    Output,
    Says,
    StrictBool,
    StrictInt,
    Text,
    checked,
    operation,
)
from service_center.validators import clean_mobile
from tests.conftest import base_config

EN = {"Accept-Language": "en"}
ZH = {"Accept-Language": "zh-CN"}


class Order(Input):
    center: Annotated[Text(8), Says(missing=_l("Give the center's code."))]
    count: Annotated[StrictInt, Field(ge=1, le=9)]
    urgent: StrictBool = False
    day: IsoDate | None = None
    phone: Annotated[str, checked(clean_mobile)] | None = None


class Lookup(Input):
    count: int
    day: IsoDate


class Receipt(Output):
    center: str
    count: int


@pytest.fixture(scope="module")
def app():
    app = create_app(base_config("sqlite://"))
    seen: dict[str, Any] = {}

    @operation("Order things", body=Order, responses={201: ("Ordered", Receipt)}, problems=(409,))
    def order(body: Order) -> Any:
        seen["body"] = body
        return jsonify({"center": body.center, "count": body.count}), 201

    @operation("Look up", query=Lookup, responses={200: Receipt})
    def lookup(thing_id: int, code: str, query: Lookup) -> Any:
        seen["query"] = query
        return jsonify({"center": code, "count": query.count})

    @operation("Says more than it declares", responses={200: Receipt})
    def leaky() -> Any:
        return jsonify({"center": "x", "count": 1, "phone": "13800000000"})

    @operation("Staff only", staff=True, body=Order, responses={200: Receipt})
    def staff_only(body: Order) -> Any:  # pragma: no cover  (never reached unsigned)
        return jsonify({})

    app.add_url_rule("/api/v1/_probe/orders", "api.probe_order", order, methods=["POST"])
    app.add_url_rule("/api/v1/_probe/<int:thing_id>/<code>", "api.probe_lookup", lookup)
    app.add_url_rule("/api/v1/_probe/leaky", "api.probe_leaky", leaky)
    app.add_url_rule("/api/v1/_probe/staff", "api.probe_staff", staff_only, methods=["POST"])
    app.seen = seen  # type: ignore[attr-defined]
    return app


def post(app, body: Any, headers=EN):
    return app.test_client().post("/api/v1/_probe/orders", json=body, headers=headers)


def test_a_valid_body_reaches_the_view_parsed_and_unknown_fields_are_ignored(app):
    response = post(app, {"center": "zz", "count": 3, "day": "2026-12-07", "extra": [1]})
    assert response.status_code == 201
    body = app.seen["body"]
    assert (body.center, body.count, body.urgent, str(body.day)) == ("zz", 3, False, "2026-12-07")


def test_every_faulty_field_is_named_with_its_own_message_in_english(app):
    response = post(app, {"count": True, "urgent": "yes", "day": "2026-02-30", "phone": "12345"})
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    problem = response.get_json()
    assert problem["detail"] == "Please correct the fields marked."
    assert problem["errors"] == {
        "center": ["Give the center's code."],
        "count": ["Must be a whole number."],
        "urgent": ["Must be true or false."],
        "day": ["Give a real date as YYYY-MM-DD."],
        "phone": [problem["errors"]["phone"][0]],
    }
    assert "mobile" in problem["errors"]["phone"][0].lower()


def test_bounds_and_lengths_say_the_limit(app):
    errors = post(app, {"center": "much-too-long", "count": 12}).get_json()["errors"]
    assert errors == {
        "center": ["This field is too long (at most 8 characters)."],
        "count": ["Must be at most 9."],
    }


def test_the_messages_are_in_the_callers_language(app):
    errors = post(app, {"count": 0, "urgent": 1}, headers=ZH).get_json()["errors"]
    assert errors == {
        "center": ["请提供服务中心代码。"],
        "count": ["不能小于 1。"],
        "urgent": ["必须是 true 或 false。"],
    }


@pytest.mark.parametrize(
    ("data", "content_type", "status"),
    [("[1, 2]", "application/json", 400), ("{", "application/json", 400), ("x", "text/plain", 415)],
)
def test_a_body_that_is_not_a_json_object_is_refused_before_the_fields(
    app, data, content_type, status
):
    response = app.test_client().post(
        "/api/v1/_probe/orders", data=data, content_type=content_type, headers=EN
    )
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"


def test_query_strings_are_parsed_from_text(app):
    client = app.test_client()
    assert client.get("/api/v1/_probe/7/zz?count=12&day=2026-12-07").status_code == 200
    assert app.seen["query"].count == 12
    errors = client.get("/api/v1/_probe/7/zz?count=many", headers=EN).get_json()["errors"]
    assert errors == {"count": ["Must be a whole number."], "day": ["This field is required."]}


def test_staff_routes_refuse_strangers_before_reading_the_body(app):
    response = app.test_client().post("/api/v1/_probe/staff", json={"count": "bad"})
    assert response.status_code == 401


def test_an_answer_the_declaration_does_not_describe_fails_under_the_test_setting(app, caplog):
    with caplog.at_level(logging.ERROR):
        response = app.test_client().get("/api/v1/_probe/leaky")
    assert response.status_code == 500
    assert "does not say" in caplog.text and "phone" in caplog.text


def test_the_document_is_generated_from_the_declarations(app):
    with app.test_request_context():
        spec = build_spec()
    order = spec["paths"]["/_probe/orders"]["post"]
    assert order["summary"] == "Order things"
    assert order["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Order"
    }
    assert set(order["responses"]) == {"201", "400", "409", "413", "415", "422"}
    assert order["responses"]["201"]["description"] == "Ordered"
    schema = spec["components"]["schemas"]["Order"]
    assert schema["required"] == ["center", "count"]
    assert schema["properties"]["count"] == {"type": "integer", "minimum": 1, "maximum": 9}
    assert "title" not in schema

    lookup = spec["paths"]["/_probe/{thing_id}/{code}"]["get"]
    assert [(p["name"], p["in"], p["required"]) for p in lookup["parameters"]] == [
        ("thing_id", "path", True),
        ("code", "path", True),
        ("count", "query", True),
        ("day", "query", True),
    ]
    assert lookup["parameters"][0]["schema"] == {"type": "integer"}
    staff = spec["paths"]["/_probe/staff"]["post"]
    assert {"401", "403"} <= set(staff["responses"]) and staff["security"]
