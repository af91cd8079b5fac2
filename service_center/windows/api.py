"""Public windows API: a center's windows, their skills and their state."""

from __future__ import annotations

from typing import Any

from flask import jsonify

from ..api import bp
from ..api.schema import operation
from ..catalogue import services as catalogue
from . import schemas, services
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
@operation(
    "List a center's windows with their skills and state",
    responses={200: list[schemas.Window]},
    problems=(404,),
)
def list_windows(code: str) -> Any:
    center = catalogue.get_center(code)
    return jsonify([window_json(w) for w in services.list_windows(center)])
