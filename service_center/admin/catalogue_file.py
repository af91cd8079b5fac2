"""A center's catalogue as a file (CSV or XLSX): export it, check an import, import it.

An import is checked whole first (``check_file``): every row against the item rules, then the
difference with the catalogue (added, changed, retired: items missing from the file). Any bad
row blocks the whole import, with its line and column named in the user's language; nothing is
written until the administrator confirms, and then all of it is written in one transaction
(``apply``) through the same domain functions as the forms, each change audited.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from ..catalogue.models import CaseType, Center, Department, ServiceItem
from ..db import db, write_transaction
from ..errors import DomainError
from ..windows.models import Window, window_services
from . import items as item_rules
from .items import ItemData

#: the file's columns, in order (the header row names them)
COLUMNS = (
    "code",
    "national_code",
    "name_zh",
    "name_en",
    "department",
    "case_type",
    "materials_zh",
    "materials_en",
    "on_the_spot",
    "promised_days",
    "service_minutes",
    "bookable",
    "places_per_slot",
    "needs_applicant",
    "windows",
    "remote",
)
REQUIRED = ("code", "name_zh", "name_en", "department", "case_type")
MAX_ROWS = 2000
MAX_BYTES = 2 * 1024 * 1024
_TRUE = {"1", "true", "yes", "y", "是", "√"}
_FALSE = {"0", "false", "no", "n", "否", ""}
_SEPARATORS = re.compile(r"[\s,，、;；]+")
_FORMULA = ("=", "+", "-", "@")
_MATERIAL_LINES = re.compile(r"\s*(?:\r?\n|；|;)\s*")


@dataclass(frozen=True)
class RowError:
    line: int  #: the file's row, as a spreadsheet numbers it (the header is row 1)
    column: str
    message: str


@dataclass
class Checked:
    """What an import would do, or why it cannot."""

    errors: list[RowError] = field(default_factory=list)
    added: list[ItemData] = field(default_factory=list)
    changed: list[tuple[ServiceItem, ItemData, list[str]]] = field(default_factory=list)
    retired: list[ServiceItem] = field(default_factory=list)
    unchanged: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors


class FileRefused(DomainError):
    status = 422


# ---------------------------------------------------------------------------- reading


def read_rows(filename: str, content: bytes) -> Iterator[tuple[int, dict[str, str]]]:
    """The file's rows as ``(line, {column: text})``, the header mapped to COLUMNS.

    :raises FileRefused: for a file that is not CSV/XLSX, too large, or has no known header.
    """
    if len(content) > MAX_BYTES:
        raise FileRefused(_("The file is larger than 2 MB."), field="file")
    name = filename.lower()
    if name.endswith(".xlsx"):
        table = _xlsx_rows(content)
    elif name.endswith(".csv"):
        table = _csv_rows(content)
    else:
        raise FileRefused(_("Send a .csv or .xlsx file."), field="file")
    header = next(table, None)
    if header is None:
        raise FileRefused(_("The file is empty."), field="file")
    names = [str(cell or "").strip().lower() for cell in header]
    unknown = [n for n in names if n and n not in COLUMNS]
    missing = [c for c in REQUIRED if c not in names]
    if unknown or missing:
        raise FileRefused(
            _(
                "The first row must name the columns: %(columns)s. Unknown: %(unknown)s; "
                "missing: %(missing)s.",
                columns=", ".join(COLUMNS),
                unknown=", ".join(unknown) or "—",
                missing=", ".join(missing) or "—",
            ),
            field="file",
        )
    for line, cells in enumerate(table, start=2):
        if line - 1 > MAX_ROWS:
            raise FileRefused(_("At most %(n)d items a file.", n=MAX_ROWS), field="file")
        row = {names[i]: _text(cell) for i, cell in enumerate(cells) if i < len(names) and names[i]}
        if any(row.values()):
            yield line, row


def _text(cell: Any) -> str:
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    text = str(cell).strip()
    if text[:1] == "'" and text[1:2] in _FORMULA:  # as ``_safe`` exported it
        return text[1:]
    return text


def _csv_rows(content: bytes) -> Iterator[list[str]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = content.decode("gb18030")  # what Excel on a Chinese Windows saves
        except UnicodeDecodeError:
            raise FileRefused(_("Save the CSV file as UTF-8."), field="file") from None
    yield from csv.reader(io.StringIO(text))


def _xlsx_rows(content: bytes) -> Iterator[list[Any]]:
    from openpyxl import load_workbook  # only the admin's import needs it

    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a broken file
        raise FileRefused(_("This is not a readable XLSX file."), field="file") from None
    try:
        for row in book.worksheets[0].iter_rows(values_only=True):
            yield list(row)
    finally:
        book.close()


# ---------------------------------------------------------------------------- checking


@dataclass
class _Lookups:
    departments: dict[str, int]
    case_types: dict[str, int]
    windows: dict[int, int]
    items: dict[str, ServiceItem]
    item_windows: dict[int, set[int]]


def _lookups(center: Center) -> _Lookups:
    case_types: dict[str, int] = {}
    for ct in db.session.scalars(select(CaseType)):
        for key in (ct.code, ct.name_zh, ct.name_en, ct.name_zh.removesuffix("类")):
            case_types[key.lower()] = ct.id
    return _Lookups(
        departments={d.code.lower(): d.id for d in db.session.scalars(select(Department))},
        case_types=case_types,
        windows={
            w.number: w.id
            for w in db.session.scalars(
                select(Window).where(Window.center_id == center.id, Window.retired_dt.is_(None))
            )
        },
        items={
            i.code: i
            for i in db.session.scalars(
                select(ServiceItem).where(ServiceItem.center_id == center.id)
            )
        },
        item_windows=item_windows(center),
    )


def item_windows(center: Center) -> dict[int, set[int]]:
    """Each item's windows (by id) that name it, in one query."""
    found: dict[int, set[int]] = {}
    rows = db.session.execute(
        select(window_services.c.service_item_id, window_services.c.window_id)
        .join(Window, Window.id == window_services.c.window_id)
        .where(Window.center_id == center.id)
    )
    for item_id, window_id in rows:
        found.setdefault(item_id, set()).add(window_id)
    return found


def _flag(row: dict[str, str], name: str, default: bool, errors: list[tuple[str, str]]) -> bool:
    value = row.get(name, "").strip().lower()
    if name not in row or value == "":
        return default
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    errors.append((name, _("Write yes or no.")))
    return default


def _number(row: dict[str, str], name: str, errors: list[tuple[str, str]]) -> int | None:
    value = row.get(name, "").strip()
    if not value:
        return None
    if not value.isdigit():
        errors.append((name, _("Must be a whole number.")))
        return None
    return int(value)


def _row_data(
    row: dict[str, str], known: _Lookups, errors: list[tuple[str, str]]
) -> ItemData | None:
    for name in REQUIRED:
        if not row.get(name):
            errors.append((name, _("This field is required.")))
    department = known.departments.get(row.get("department", "").lower())
    if row.get("department") and department is None:
        errors.append(
            ("department", _("No department has the code %(code)s.", code=row["department"]))
        )
    case_type = known.case_types.get(row.get("case_type", "").lower())
    if row.get("case_type") and case_type is None:
        errors.append(("case_type", _("No case type is called %(name)s.", name=row["case_type"])))
    on_the_spot = _flag(row, "on_the_spot", True, errors)
    window_ids = set()
    for token in _SEPARATORS.split(row.get("windows", "")):
        if not token:
            continue
        if not token.isdigit() or int(token) not in known.windows:
            errors.append(("windows", _("This center has no window %(number)s.", number=token)))
            continue
        window_ids.add(known.windows[int(token)])
    data = ItemData(
        code=row.get("code", ""),
        national_code=row.get("national_code") or None,
        name_zh=row.get("name_zh", ""),
        name_en=row.get("name_en", ""),
        department_id=department or 0,
        case_type_id=case_type or 0,
        materials_zh="\n".join(p for p in _MATERIAL_LINES.split(row.get("materials_zh", "")) if p),
        materials_en="\n".join(p for p in _MATERIAL_LINES.split(row.get("materials_en", "")) if p),
        is_on_the_spot=on_the_spot,
        time_limit_days=_number(row, "promised_days", errors),
        service_minutes=_number(row, "service_minutes", errors) or 10,
        is_bookable=_flag(row, "bookable", True, errors),
        slot_capacity=_number(row, "places_per_slot", errors),
        needs_applicant=_flag(row, "needs_applicant", False, errors),
        remote_allowed=_flag(row, "remote", True, errors),
        window_ids=frozenset(window_ids),
    )
    return None if errors else data


def _changes(item: ServiceItem, data: ItemData, known: _Lookups) -> list[str]:
    changed = [name for name in item_rules.COLUMNS if getattr(item, name) != getattr(data, name)]
    if known.item_windows.get(item.id, set()) != set(data.window_ids):
        changed.append("windows")
    if not item.is_active:
        changed.append("is_active")
    return changed


def check_file(center: Center, filename: str, content: bytes, *, now: datetime) -> Checked:
    """Check a catalogue file against the rules and the catalogue; write nothing."""
    result = Checked()
    try:
        rows = list(read_rows(filename, content))
    except FileRefused as exc:
        result.errors.append(RowError(1, "file", str(exc)))
        return result
    known = _lookups(center)
    seen: dict[str, int] = {}
    for line, row in rows:
        problems: list[tuple[str, str]] = []
        data = _row_data(row, known, problems)
        code = row.get("code", "")
        if code in seen:
            problems.append(
                (
                    "code",
                    _("The code %(code)s is in row %(line)d already.", code=code, line=seen[code]),
                )
            )
        seen.setdefault(code, line)
        if data is not None and not problems:
            item = known.items.get(data.code)
            try:
                item_rules.check(center, data, item)
            except DomainError as exc:
                problems.append((exc.field or "code", str(exc)))
        if problems:
            result.errors.extend(RowError(line, column, message) for column, message in problems)
            continue
        assert data is not None
        item = known.items.get(data.code)
        if item is None:
            result.added.append(data)
        elif changed := _changes(item, data, known):
            result.changed.append((item, data, changed))
        else:
            result.unchanged += 1
    result.retired = [
        item for code, item in sorted(known.items.items()) if code not in seen and item.is_active
    ]
    _national_codes_unique(rows, result)
    return result


def _national_codes_unique(rows: Iterable[tuple[int, dict[str, str]]], result: Checked) -> None:
    first: dict[str, int] = {}
    for line, row in rows:
        code = row.get("national_code")
        if not code:
            continue
        if code in first:
            result.errors.append(
                RowError(
                    line,
                    "national_code",
                    _(
                        "The national code %(code)s is in row %(line)d already.",
                        code=code,
                        line=first[code],
                    ),
                )
            )
        first.setdefault(code, line)


def apply(center: Center, checked: Checked, *, actor: object, now: datetime) -> None:
    """Write a checked import in one transaction (the caller commits).

    :raises DomainError: when a change is refused now (tickets waiting for an item to retire):
        nothing of the import stays.
    """
    write_transaction()
    for item in checked.retired:
        item_rules.set_active(item, False, actor=actor, now=now)
    for item, data, _changed in checked.changed:
        if not item.is_active:
            item_rules.set_active(item, True, actor=actor, now=now)
        item_rules.update_item(item, data, actor=actor, now=now)
    for data in checked.added:
        item_rules.create_item(center, data, actor=actor, now=now)


# ---------------------------------------------------------------------------- export


def export_rows(center: Center) -> Iterator[list[str]]:
    """The center's active items as file rows, the header first."""
    yield list(COLUMNS)
    departments = {d.id: d.code for d in db.session.scalars(select(Department))}
    numbers = {
        w.id: w.number
        for w in db.session.scalars(select(Window).where(Window.center_id == center.id))
    }
    windows = item_windows(center)
    case_types = {c.id: c.code for c in db.session.scalars(select(CaseType))}
    items = db.session.scalars(
        select(ServiceItem)
        .where(ServiceItem.center_id == center.id, ServiceItem.is_active)
        .order_by(ServiceItem.code)
    )
    for item in items:
        yield [
            item.code,
            item.national_code or "",
            item.name_zh,
            item.name_en,
            departments[item.department_id],
            case_types[item.case_type_id],
            item.materials_zh,
            item.materials_en,
            "yes" if item.is_on_the_spot else "no",
            str(item.time_limit_days or ""),
            str(item.service_minutes),
            "yes" if item.is_bookable else "no",
            "" if item.slot_capacity is None else str(item.slot_capacity),
            "yes" if item.needs_applicant else "no",
            " ".join(str(n) for n in sorted(numbers[w] for w in windows.get(item.id, ()))),
            "yes" if item.remote_allowed else "no",
        ]


def _safe(cell: str) -> str:
    """A cell a spreadsheet shows as text, never runs as a formula."""
    return "'" + cell if cell[:1] in _FORMULA else cell


def export_csv(center: Center) -> bytes:
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    for row in export_rows(center):
        writer.writerow([_safe(c) for c in row])
    return buffer.getvalue().encode("utf-8")


def export_xlsx(center: Center) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = center.code[:31]
    for row in export_rows(center):
        sheet.append([_safe(c) for c in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
