"""Public catalogue API: centers and their service items."""

from __future__ import annotations

from typing import Any

from flask import jsonify
from flask_babel import gettext as _

from ..api import bp
from ..api.schema import operation
from ..errors import Invalid
from . import schemas, services
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
@operation("List the service centers", responses={200: list[schemas.Center]})
def list_centers() -> Any:
    return jsonify([center_json(c) for c in services.list_centers()])


@bp.get("/centers/<code>/services")
@operation(
    "List or search a center's service items",
    query=schemas.ServiceQuery,
    responses={200: list[schemas.Service]},
    problems=(404,),
)
def list_services(code: str, query: schemas.ServiceQuery) -> Any:
    center = services.get_center(code)
    case_type = None
    if query.case_type:
        case_type = services.get_case_type(query.case_type)
        if case_type is None:
            raise Invalid(_("Unknown case type."), field="case_type")
    return jsonify([service_json(i) for i in services.search_services(center, query.q, case_type)])
