"""The county's departments (the bureaus whose items the centers handle): added and renamed by
the county administrator, never deleted (items point at them)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from .. import audit
from ..catalogue.models import Department
from ..db import db, write_transaction
from ..errors import Conflict, Invalid

DEPARTMENT_CODE = re.compile(r"[a-z0-9][a-z0-9_-]{0,31}")
FIELDS = ("code", "name_zh", "name_en")


def _check(code: str, name_zh: str, name_en: str, department: Department | None) -> None:
    if not DEPARTMENT_CODE.fullmatch(code):
        raise Invalid(
            _("A department's code is 1 to 32 lower-case letters, digits, dashes or underscores."),
            field="code",
        )
    if not name_zh.strip():
        raise Invalid(_("Give the Chinese name."), field="name_zh")
    if not name_en.strip():
        raise Invalid(_("Give the English name."), field="name_en")
    taken = db.session.scalar(select(Department.id).where(Department.code == code))
    if taken is not None and (department is None or taken != department.id):
        raise Conflict(_("Another department has the code %(code)s.", code=code), field="code")


def create_department(
    code: str, name_zh: str, name_en: str, *, actor: Any, now: datetime
) -> Department:
    write_transaction()
    code, name_zh, name_en = code.strip(), name_zh.strip(), name_en.strip()
    _check(code, name_zh, name_en, None)
    department = Department(code=code, name_zh=name_zh, name_en=name_en)
    db.session.add(department)
    audit.record(
        "department.create",
        actor=actor,
        now=now,
        obj=department,
        object_label=name_zh,
        after=audit.snapshot(department, FIELDS),
    )
    return department


def update_department(
    department: Department, code: str, name_zh: str, name_en: str, *, actor: Any, now: datetime
) -> Department:
    write_transaction()
    code, name_zh, name_en = code.strip(), name_zh.strip(), name_en.strip()
    _check(code, name_zh, name_en, department)
    before = audit.snapshot(department, FIELDS)
    department.code, department.name_zh, department.name_en = code, name_zh, name_en
    after = audit.snapshot(department, FIELDS)
    if after != before:
        audit.record(
            "department.update",
            actor=actor,
            now=now,
            obj=department,
            object_label=name_zh,
            before=before,
            after=after,
        )
    return department
