"""Public catalogue API: centers and their service items."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request
from flask_babel import gettext as _

from ..api import bp
from ..api.spec import CODE, PROBLEM, array_of, document, json_content
from ..errors import Invalid
from . import services
from .models import Center, ServiceItem


def center_json(center: Center) -> dict[str, Any]:
    return {"code": center.code, "name": center.name, "timezone": center.timezone}


def service_json(item: ServiceItem) -> dict[str, Any]:
    return {
        "id": item.id,
        "code": item.code,
        "name": item.name,
        "case_type": item.case_type.code,
        "department": item.department.name,
        "on_the_spot": item.is_on_the_spot,
        "time_limit_days": item.time_limit_days,
        "service_minutes": item.service_minutes,
        "materials": item.materials,
    }


@bp.get("/centers")
def list_centers() -> Any:
    return jsonify([center_json(c) for c in services.list_centers()])


@bp.get("/centers/<code>/services")
def list_services(code: str) -> Any:
    center = services.get_center(code)
    case_type = None
    if request.args.get("case_type"):
        case_type = services.get_case_type(request.args["case_type"])
        if case_type is None:
            raise Invalid(_("Unknown case type."), field="case_type")
    query = request.args.get("q", "")
    if len(query) > services.MAX_QUERY_LENGTH:
        raise Invalid(
            _(
                "The search text is too long (at most %(n)d characters).",
                n=services.MAX_QUERY_LENGTH,
            ),
            field="q",
        )
    return jsonify([service_json(i) for i in services.search_services(center, query, case_type)])


document(
    {
        "/centers": {
            "get": {
                "summary": "List the service centers",
                "responses": {"200": json_content(array_of("Center"))},
            }
        },
        "/centers/{code}/services": {
            "get": {
                "summary": "List or search a center's service items",
                "parameters": [
                    CODE,
                    {
                        "name": "q",
                        "in": "query",
                        "description": "Chinese text, English text or pinyin initials (yyzz)",
                        "schema": {"type": "string", "maxLength": 60},
                    },
                    {"name": "case_type", "in": "query", "schema": {"type": "string"}},
                ],
                "responses": {
                    "200": json_content(array_of("Service")),
                    "404": PROBLEM,
                    "422": PROBLEM,
                },
            }
        },
    },
    {
        "Center": {
            "type": "object",
            "required": ["code", "name", "timezone"],
            "properties": {
                "code": {"type": "string"},
                "name": {"type": "string"},
                "timezone": {"type": "string"},
            },
        },
        "Service": {
            "type": "object",
            "required": ["id", "code", "name", "case_type", "department", "on_the_spot"],
            "properties": {
                "id": {"type": "integer"},
                "code": {"type": "string"},
                "name": {"type": "string"},
                "case_type": {"type": "string"},
                "department": {"type": "string"},
                "on_the_spot": {"type": "boolean"},
                "time_limit_days": {"type": ["integer", "null"]},
                "service_minutes": {"type": "integer"},
                "materials": {"type": "array", "items": {"type": "string"}},
            },
        },
    },
)
