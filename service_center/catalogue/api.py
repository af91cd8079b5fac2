"""Public catalogue API: centers and their service items."""

from __future__ import annotations

from typing import Any

from flask import jsonify
from flask_babel import gettext as _

from ..api import bp
from ..api.schema import operation
from ..errors import Invalid, NotFound
from . import kept, schemas, services
from .models import Center, ServiceItem


def center_json(center: Center) -> dict[str, Any]:
    return {"code": center.code, "name": center.name, "timezone": center.timezone}


def service_json(item: ServiceItem | kept.ItemCopy) -> dict[str, Any]:
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
    # searched in this process's copy of the catalogue (kept.py): no statement while unchanged
    catalogue = kept.kept_catalogue(code=code)
    if catalogue is None:
        raise NotFound(_("No service center has the code %(code)s.", code=code))
    case_type_id = None
    if query.case_type:
        case_type = catalogue.case_type(query.case_type)
        if case_type is None:
            raise Invalid(_("Unknown case type."), field="case_type")
        case_type_id = case_type.id
    q = (query.q or "").strip()[: services.MAX_QUERY_LENGTH]
    return jsonify([service_json(i) for i in kept.search(catalogue, q, case_type_id)])
