"""Reading the audit trail: filters, pages and the CSV export (records are never changed)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Select, func, select

from ..audit import AuditRecord
from ..auth.models import User
from ..catalogue.models import Center
from ..db import db
from .permissions import Do, Reach, reach

PAGE_SIZE = 50
#: the object types the trail knows, for the filter
OBJECT_TYPES = (
    "center",
    "window",
    "service_item",
    "department",
    "user",
    "api_token",
    "notice",
    "calendar",
)
COUNTY_ZONE = "Asia/Shanghai"


@dataclass(frozen=True)
class TrailFilter:
    center_id: int | None = None
    person: str = ""
    object_type: str = ""
    since: date | None = None
    until: date | None = None


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, ZoneInfo(COUNTY_ZONE)).astimezone(UTC)


def visible_to(user: User, wanted: TrailFilter) -> Select:
    """The records ``user`` may see that match ``wanted``, newest first.

    An administrator of the county sees all; a supervisor only their center's records.
    """
    stmt = select(AuditRecord).order_by(AuditRecord.created_dt.desc(), AuditRecord.id.desc())
    if reach(user, Do.VIEW_AUDIT) is not Reach.ALL:
        stmt = stmt.where(AuditRecord.center_id == user.center_id)
    if wanted.center_id is not None:
        stmt = stmt.where(AuditRecord.center_id == wanted.center_id)
    if wanted.person:
        stmt = stmt.where(AuditRecord.actor_name == wanted.person.strip())
    if wanted.object_type:
        stmt = stmt.where(AuditRecord.object_type == wanted.object_type)
    if wanted.since:
        stmt = stmt.where(AuditRecord.created_dt >= _local_midnight(wanted.since))
    if wanted.until:
        stmt = stmt.where(
            AuditRecord.created_dt < _local_midnight(wanted.until + timedelta(days=1))
        )
    return stmt


def page(user: User, wanted: TrailFilter, number: int) -> tuple[list[AuditRecord], int]:
    """One page of records and the number of pages."""
    stmt = visible_to(user, wanted)
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    pages = max(1, -(-total // PAGE_SIZE))
    number = min(max(1, number), pages)
    rows = list(db.session.scalars(stmt.limit(PAGE_SIZE).offset((number - 1) * PAGE_SIZE)))
    return rows, pages


def center_names() -> dict[int, str]:
    return {id_: name for id_, name in db.session.execute(select(Center.id, Center.name_zh))}


HEADER = (
    "time",
    "person",
    "address",
    "center",
    "action",
    "object_type",
    "object_id",
    "object",
    "changes",
)


def _cell(value: object) -> str:
    """A cell a spreadsheet shows as text, never runs as a formula."""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def csv_lines(user: User, wanted: TrailFilter) -> Iterator[str]:
    """The matching records as CSV (UTF-8 with BOM for spreadsheet programs), in batches."""
    names = center_names()
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow(HEADER)
    for record in db.session.scalars(visible_to(user, wanted).execution_options(yield_per=500)):
        writer.writerow(
            _cell(value)
            for value in (
                record.created_dt.astimezone(ZoneInfo(COUNTY_ZONE)).isoformat(timespec="seconds"),
                record.actor_name,
                record.address,
                names.get(record.center_id, "") if record.center_id else "",
                record.action,
                record.object_type,
                record.object_id,
                record.object_label,
                json.dumps(record.changes, ensure_ascii=False, sort_keys=True),
            )
        )
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()
