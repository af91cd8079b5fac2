"""Finding centers and service items: lists, grouping, and search by Chinese or pinyin."""

from __future__ import annotations

import functools

from flask_babel import gettext as _
from sqlalchemy import and_, bindparam, select
from sqlalchemy.orm import joinedload

from ..db import db
from ..errors import NotFound
from . import kept
from .kept import ItemCopy
from .models import CaseType, Center, Department, ServiceItem

MAX_QUERY_LENGTH = 60

#: the case types of PRODUCT.md: code, ticket letter, names; every case records one of them
CASE_TYPES = (
    ("business", "B", "商事类", "Business"),
    ("investment", "T", "投资类", "Investment"),
    ("livelihood", "M", "民生类", "Livelihood"),
)


def ensure_case_types() -> dict[str, CaseType]:
    """Return the case types by code, adding the missing ones of ``CASE_TYPES`` (a new
    deployment starts with none)."""
    found = {ct.code: ct for ct in db.session.scalars(select(CaseType))}
    for position, (code, prefix, name_zh, name_en) in enumerate(CASE_TYPES):
        if code not in found:
            found[code] = CaseType(
                code=code, prefix=prefix, name_zh=name_zh, name_en=name_en, position=position
            )
            db.session.add(found[code])
    db.session.flush()
    return found


def pinyin_keys(text: str) -> tuple[str, str]:
    """Return (initials, full pinyin) of ``text``: 营业执照 → ("yyzz", "yingyezhizhao")."""
    # imported here: pypinyin's dictionaries take ~55 MB, needed only when items are written
    from pypinyin import Style, lazy_pinyin

    initials = "".join(lazy_pinyin(text, style=Style.FIRST_LETTER, errors="ignore")).lower()
    full = "".join(lazy_pinyin(text, errors="ignore")).lower()
    return initials, full


def set_pinyin(item: ServiceItem) -> None:
    """Store the item's pinyin keys for search; call whenever its Chinese name changes."""
    item.pinyin_initials, item.pinyin_full = pinyin_keys(item.name_zh)


def list_centers() -> list[Center]:
    return list(db.session.scalars(select(Center).order_by(Center.id)))


def get_center(code: str) -> Center:
    """Return the center with ``code``.

    :raises NotFound: for an unknown code.
    """
    center = db.session.scalar(select(Center).where(Center.code == code))
    if center is None:
        raise NotFound(_("No service center has the code %(code)s.", code=code))
    return center


def list_case_types() -> list[CaseType]:
    return list(db.session.scalars(select(CaseType).order_by(CaseType.position, CaseType.id)))


def get_case_type(code: str) -> CaseType | None:
    return db.session.scalar(select(CaseType).where(CaseType.code == code))


def search_services(
    center: Center, query: str = "", case_type: CaseType | None = None
) -> list[ItemCopy]:
    """Return the center's active items matching ``query`` (Chinese, English or pinyin), as
    read-only copies this process keeps (``kept.py``): lists show them, nothing writes them.

    Pinyin matches initials (``yyzz``) or full syllables (``yingye``), case and spaces ignored.
    """
    query = (query or "").strip()[:MAX_QUERY_LENGTH]
    catalogue = kept.kept_catalogue(center.id)
    if catalogue is None:  # removed under this request
        return []
    return kept.search(catalogue, query, case_type.id if case_type is not None else None)


def get_service(center: Center, service_id: int) -> ServiceItem:
    """Return an active item of ``center``.

    :raises NotFound: when the center has no such item.
    """
    item = db.session.get(ServiceItem, service_id, options=[joinedload(ServiceItem.case_type)])
    if item is None or item.center_id != center.id or not item.is_active:
        raise NotFound(_("This center offers no such service item."))
    return item


def find_center_and_item(code: str, service_id: int) -> tuple[Center | None, ServiceItem | None]:
    """Return the center with ``code`` and its item ``service_id`` (with its case type).

    One statement for both; either is None when there is no such center, or the center has
    no such item (active or not).
    """
    row = db.session.execute(_center_and_item(), {"code": code, "service_id": service_id}).first()
    return (None, None) if row is None else (row[0], row[1])


@functools.cache
def _center_and_item():
    return (
        select(Center, ServiceItem)
        .outerjoin(
            ServiceItem,
            and_(ServiceItem.center_id == Center.id, ServiceItem.id == bindparam("service_id")),
        )
        .where(Center.code == bindparam("code"))
        .options(joinedload(ServiceItem.case_type))
    )


def group_by_case_type(items: list[ServiceItem]) -> list[tuple[CaseType, list[ServiceItem]]]:
    """Group items under their case types, in the case types' order."""
    groups: dict[int, tuple[CaseType, list[ServiceItem]]] = {}
    for item in items:
        groups.setdefault(item.case_type_id, (item.case_type, []))[1].append(item)
    return sorted(groups.values(), key=lambda g: (g[0].position, g[0].id))


def group_by_department(items: list[ServiceItem]) -> list[tuple[Department, list[ServiceItem]]]:
    """Group items under their departments, by department code."""
    groups: dict[int, tuple[Department, list[ServiceItem]]] = {}
    for item in items:
        groups.setdefault(item.department_id, (item.department, []))[1].append(item)
    return sorted(groups.values(), key=lambda g: g[0].code)
