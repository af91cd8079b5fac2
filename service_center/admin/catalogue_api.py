"""The admin area's endpoints of /api/v1/admin for the catalogue as a whole: the county's
departments, and a center's catalogue imported from a file (``api.py`` has the items one by one).

The same actions as the pages (``item_views.py``) with the same permission checks: departments
are the county administrator's (Do.MANAGE_DEPARTMENTS), a center's import is for who manages its
items (Do.MANAGE_ITEMS). An import is checked whole first (``catalogue_file.check_file``): any
bad row refuses all of it, each named by its row and column, and nothing is written; then it is
written in one transaction, each change audited. The export stays a page
(``/admin/centers/<code>/items/export.csv``).
"""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select

from ..api import bp
from ..api.schema import operation
from ..catalogue.models import Center, Department, ServiceItem
from ..clock import now_utc
from ..db import db
from ..errors import Forbidden, NotFound, problem
from . import catalogue_file
from . import departments as department_rules
from .api import CENTER, _answer, center_for
from .permissions import Do, may
from .schemas import (
    AdminDepartment,
    AdminDepartmentChanges,
    AdminItemsImport,
    AdminItemsImported,
    AdminNewDepartment,
    Changes,
    decode_base64,
)

DEPARTMENT = {
    "path_names": {"department_id": "id"},
    "path_descriptions": {"department_id": "the department's id"},
}

# ---------------------------------------------------------------------------- departments


def _may_manage_departments() -> None:
    if not may(current_user, Do.MANAGE_DEPARTMENTS):
        raise Forbidden()


def _may_list_departments() -> None:
    """Who adds items needs the departments' ids: their supervisors may list them too."""
    if not (may(current_user, Do.MANAGE_DEPARTMENTS) or may(current_user, Do.MANAGE_ITEMS)):
        raise Forbidden()


def department_json(department: Department) -> dict[str, Any]:
    return {name: getattr(department, name) for name in ("id", *department_rules.FIELDS)}


@bp.get("/admin/departments")
@operation(
    "The county's departments (to administer them, or to add items)",
    description="The bureaus whose items the centers handle, by code.",
    responses={200: list[AdminDepartment]},
    staff=True,
)
def admin_departments() -> Any:
    _may_list_departments()
    rows = db.session.scalars(select(Department).order_by(Department.code))
    return _answer([department_json(d) for d in rows])


@bp.post("/admin/departments")
@operation(
    "Add a department (county administrators)",
    description="Departments are never deleted: items point at them. 409 when the code is taken.",
    body=AdminNewDepartment,
    responses={201: ("The department", AdminDepartment)},
    problems=(409,),
    staff=True,
)
def admin_create_department(body: AdminNewDepartment) -> Any:
    _may_manage_departments()
    department = department_rules.create_department(
        body.code, body.name_zh, body.name_en, actor=current_user, now=now_utc()
    )
    db.session.commit()
    return _answer(department_json(department), 201)


@bp.put("/admin/departments/<int:department_id>")
@operation(
    "Change a department's code or names (county administrators)",
    description="The fields sent replace the current values; those left out keep theirs. A "
    "new code changes the catalogue files that name it. 409 when the code is taken.",
    body=AdminDepartmentChanges,
    responses={200: AdminDepartment},
    problems=(404, 409),
    staff=True,
    **DEPARTMENT,
)
def admin_update_department(department_id: int, body: Changes) -> Any:
    _may_manage_departments()
    department = db.session.get(Department, department_id)
    if department is None:
        raise NotFound(_("No such department."))
    values = {**department_json(department), **body.sent()}
    department = department_rules.update_department(
        department,
        values["code"],
        values["name_zh"],
        values["name_en"],
        actor=current_user,
        now=now_utc(),
    )
    db.session.commit()
    return _answer(department_json(department))


# ---------------------------------------------------------------------------- catalogue import

#: a catalogue file of up to 2 MB base64-encoded, with room for the rest of the body (the API's
#: other bodies stop at 64 KB: ``api.json_body``)
IMPORT_BODY_BYTES = catalogue_file.MAX_BYTES * 4 // 3 + 64 * 1024


def _import_json(center: Center, checked: catalogue_file.Checked, dry_run: bool) -> dict[str, Any]:
    changed = {item.code: fields for item, _data, fields in checked.changed}
    retired = [item.code for item in checked.retired]
    active = db.session.scalars(
        select(ServiceItem.code).where(ServiceItem.center_id == center.id, ServiceItem.is_active)
    )
    return {
        "dry_run": dry_run,
        "added": sorted(data.code for data in checked.added),
        "changed": sorted(changed),
        "changed_fields": changed,
        "retired": sorted(retired),
        "unchanged": sorted(set(active) - set(changed) - set(retired)),
    }


def _rows_refused(errors: list[catalogue_file.RowError]) -> Response:
    """422 problem+json naming every bad row in ``rows``: [{row, column, message}]."""
    detail = ngettext(
        "%(num)d problem: nothing was imported. Correct the file and check it again.",
        "%(num)d problems: nothing was imported. Correct the file and check it again.",
        len(errors),
    )
    body = problem(422, detail).get_json()
    body["rows"] = [{"row": e.line, "column": e.column, "message": e.message} for e in errors]
    response = jsonify(body)
    response.status_code = 422
    response.mimetype = "application/problem+json"
    return response


@bp.post("/admin/centers/<code>/items/import")
@operation(
    "Import a center's catalogue from a CSV or XLSX file",
    description="The file has the columns of the export (/admin/centers/{code}/items/export.csv): "
    "items it names are added or changed, active items it does not name are retired. It is "
    "checked whole first; with dry_run the differences are answered and nothing is written. "
    "422 for a bad row, with every one in `rows` ([{row, column, message}]: row 1 is the "
    "header, column `file` the file as a whole): nothing is written. 409 when a change is "
    "refused now (tickets waiting for an item to retire): nothing of the import stays. The "
    "body may be as large as the file needs (up to 2 MB decoded).",
    body=AdminItemsImport,
    max_body=IMPORT_BODY_BYTES,
    responses={200: AdminItemsImported},
    problems=(404, 409),
    staff=True,
    **CENTER,
)
def admin_import_items(code: str, body: AdminItemsImport) -> Any:
    center = center_for(code, Do.MANAGE_ITEMS)
    now = now_utc()
    content = decode_base64(body.content_base64)
    checked = catalogue_file.check_file(center, body.filename, content, now=now)
    if not checked.ok:
        db.session.rollback()
        return _rows_refused(checked.errors)
    answer = _import_json(center, checked, body.dry_run)
    if body.dry_run:
        db.session.rollback()  # nothing of a dry run stays
        return _answer(answer)
    catalogue_file.apply(center, checked, actor=current_user, now=now)
    db.session.commit()
    return _answer(answer)
