"""Each app process's copy of a center's catalogue: its active items, their case types and
departments, kept between requests and searched in Python.

The catalogue changes a few times a year and is read on every search, kiosk screen and booking
page (3-5 statements and most of a search's time). The copy is read again when the center's
catalogue stamp moves (``service_center.stamps``: any process of this host committed a change
of an item, a department, a case type or the center), or after ``CATALOGUE_KEPT_TTL`` seconds
(a change made through another host). Copies are plain objects, never in a session: a page may
list them, nothing can write them back.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import inspect, select
from sqlalchemy.orm import selectinload

from .. import stamps
from ..db import db
from .models import CaseType, Center, Department, ServiceItem


class Copy:
    """A read-only copy of a row's columns (and of the rows it was loaded with)."""

    def __init__(self, **values: Any) -> None:
        self.__dict__.update(values)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is a read-only copy")

    @classmethod
    def of(cls, row: Any, **more: Any) -> Any:
        columns = {a.key: getattr(row, a.key) for a in inspect(type(row)).column_attrs}
        return cls(**columns, **more)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.__dict__.get('code')}>"


class CaseTypeCopy(Copy):
    name = CaseType.name


class DepartmentCopy(Copy):
    name = Department.name


class ItemCopy(Copy):
    """A service item as the lists show it; ``case_type`` and ``department`` are copies too."""

    name = ServiceItem.name
    materials = ServiceItem.materials


class CenterCopy(Copy):
    name = Center.name


@dataclass(frozen=True)
class KeptCatalogue:
    center: CenterCopy
    items: tuple[ItemCopy, ...]  #: active, by case type, department and code
    case_types: tuple[CaseTypeCopy, ...]  #: every case type, in their order
    seen: tuple[int, int]  #: the change stamps when it was read
    read_at: float

    def case_type(self, code: str) -> CaseTypeCopy | None:
        return next((ct for ct in self.case_types if ct.code == code), None)


def _stamps_of(center_id: int) -> tuple[int, int]:
    return stamps.read(stamps.catalogue(center_id)), stamps.read(stamps.catalogue(stamps.EVERY))


def kept_catalogue(
    center_id: int | None = None, *, code: str | None = None
) -> KeptCatalogue | None:
    """Return this process's copy of a center's catalogue (by id or code), read again when it
    may have changed; None when there is no such center.

    A transaction that has itself changed the catalogue reads it without keeping it (what it
    wrote may still roll back).
    """
    by_id: dict[int, KeptCatalogue] = current_app.extensions.setdefault("catalogues", {})
    ids: dict[str, int] = current_app.extensions.setdefault("catalogue_ids", {})
    if center_id is None:
        center_id = ids.get(code)  # type: ignore[arg-type]
    kept = by_id.get(center_id) if center_id is not None else None
    if kept is not None and (code is None or kept.center.code == code) and _still_true(kept):
        return kept
    if center_id is not None:
        seen = _stamps_of(center_id)  # before the rows: a change committed after moves them
        center = db.session.get(Center, center_id)
        if center is not None and code is not None and center.code != code:
            center = None
    else:
        center = None
    if center is None:
        if code is None:
            return None
        center = db.session.scalar(select(Center).where(Center.code == code))
        if center is None:
            return None
        seen = _stamps_of(center.id)
    kept = _read(center, seen)
    if not stamps.touched_in(db.session) & _keys(center.id):
        by_id[center.id] = kept
        ids[center.code] = center.id
    return kept


def is_kept(catalogue: KeptCatalogue) -> bool:
    """Whether ``catalogue`` is the copy this process keeps (not one read inside a transaction
    that changed it): what is built on it may be kept too."""
    kept = current_app.extensions.get("catalogues", {}).get(catalogue.center.id)
    return kept is catalogue


def _keys(center_id: int) -> set[str]:
    return {stamps.catalogue(center_id), stamps.catalogue(stamps.EVERY)}


def _still_true(kept: KeptCatalogue) -> bool:
    return (
        time.monotonic() - kept.read_at < float(current_app.config["CATALOGUE_KEPT_TTL"])
        and kept.seen == _stamps_of(kept.center.id)
        and not stamps.touched_in(db.session) & _keys(kept.center.id)
    )


def _read(center: Center, seen: tuple[int, int]) -> KeptCatalogue:
    case_types = {
        ct.id: CaseTypeCopy.of(ct)
        for ct in db.session.scalars(select(CaseType).order_by(CaseType.position, CaseType.id))
    }
    rows = db.session.scalars(
        select(ServiceItem)
        .where(ServiceItem.center_id == center.id, ServiceItem.is_active)
        .options(selectinload(ServiceItem.department))
        .order_by(ServiceItem.case_type_id, ServiceItem.department_id, ServiceItem.code)
    )
    departments: dict[int, DepartmentCopy] = {}
    items = []
    for row in rows:
        department = departments.get(row.department_id)
        if department is None:
            department = departments[row.department_id] = DepartmentCopy.of(row.department)
        items.append(
            ItemCopy.of(
                row,
                case_type=case_types[row.case_type_id],
                department=department,
                # what a Latin search looks in, lower-cased once: the names, Chinese and English
                latin_text=f"{row.name_zh}\n{row.name_en}".lower(),
            )
        )
    return KeptCatalogue(
        CenterCopy.of(center), tuple(items), tuple(case_types.values()), seen, time.monotonic()
    )


def matcher(query: str) -> Callable[[ItemCopy], bool]:
    """Return the test of a search text: an item matches by its Chinese name or its code, or,
    for Latin letters and digits, by its pinyin initials (``yyzz``), full pinyin (``yingye``)
    or English name; case and spaces ignored for Latin text."""
    latin = re.sub(r"[\s']+", "", query).lower()
    if not (latin.isascii() and latin.isalnum()):
        return lambda item: query in item.name_zh or query == item.code
    lowered = query.lower()
    return lambda item: (
        query == item.code
        or latin in item.pinyin_initials
        or latin in item.pinyin_full
        or lowered in item.latin_text
    )


def search(kept: KeptCatalogue, query: str = "", case_type_id: int | None = None) -> list[ItemCopy]:
    """The kept items matching ``query`` (all when empty), of one case type if given."""
    matches = matcher(query) if query else None
    return [
        item
        for item in kept.items
        if (case_type_id is None or item.case_type_id == case_type_id)
        and (matches is None or matches(item))
    ]
