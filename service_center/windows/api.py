"""Public windows API: a center's windows, their skills and their state."""

from __future__ import annotations

from typing import Any

from flask import jsonify

from ..api import bp
from ..api.spec import CODE, PROBLEM, array_of, document, json_content
from ..catalogue import services as catalogue
from . import services
from .models import Window


def window_json(window: Window) -> dict[str, Any]:
    if window.is_comprehensive:
        case_types = [ct.code for ct in catalogue.list_case_types()]
        service_ids = [s.id for s in window.center.services if s.is_active]
    else:
        case_types = sorted({s.case_type.code for s in window.services})
        service_ids = sorted(s.id for s in window.services)
    return {
        "id": window.id,
        "number": window.number,
        "name": window.name,
        "status": window.state.value,
        "comprehensive": window.is_comprehensive,
        "case_types": case_types,
        "services": service_ids,
    }


@bp.get("/centers/<code>/windows")
def list_windows(code: str) -> Any:
    center = catalogue.get_center(code)
    return jsonify([window_json(w) for w in services.list_windows(center)])


document(
    {
        "/centers/{code}/windows": {
            "get": {
                "summary": "List a center's windows with their skills and state",
                "parameters": [CODE],
                "responses": {"200": json_content(array_of("Window")), "404": PROBLEM},
            }
        },
    },
    {
        "Window": {
            "type": "object",
            "required": [
                "id",
                "number",
                "name",
                "status",
                "comprehensive",
                "case_types",
                "services",
            ],
            "properties": {
                "id": {"type": "integer"},
                "number": {"type": "integer"},
                "name": {"type": "string"},
                "status": {"enum": ["open", "paused", "closed"]},
                "comprehensive": {"type": "boolean"},
                "case_types": {"type": "array", "items": {"type": "string"}},
                "services": {"type": "array", "items": {"type": "integer"}},
            },
        },
    },
)
