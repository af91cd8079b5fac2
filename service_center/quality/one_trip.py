"""The one-trip rate (一次办成率): how many cases did not send the resident back for the same item.

A case is a *repeat cause* when it ended in documents missing (补正) or not accepted (不予受理)
and the same resident (``Case.phone_key``) came back to the same center for the same item
within ``REPEAT_DAYS`` days. One-trip rate = 1 − repeat causes / cases of the range.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, and_, exists, func, literal, select
from sqlalchemy.orm import aliased

from ..auth.models import User
from ..catalogue.models import ServiceItem
from ..db import db
from ..queueing.models import Case, Outcome
from ..queueing.services import material_choices
from ..windows.models import Window

#: a return visit within this many days after the case counts against it
REPEAT_DAYS = 30
#: outcomes that may send the resident back
REPEATABLE = (Outcome.DOCUMENTS_MISSING, Outcome.NOT_ACCEPTED)
#: the longest range of the one-trip page and its CSV (as the reports' range: a leap year)
RANGE_MAX_DAYS = 366
#: most_often_missing looks this far back
MISSING_LOOKBACK_DAYS = 180


@dataclass
class Tally:
    """Cases and repeat causes of one row; ``rate`` is None without cases."""

    cases: int = 0
    repeats: int = 0

    @property
    def rate(self) -> float | None:
        return 1 - self.repeats / self.cases if self.cases else None

    def add(self, cases: int, repeats: int) -> None:
        self.cases += cases
        self.repeats += repeats


@dataclass
class Line:
    """One row of a breakdown: what it is about (``key``), its label, its tally."""

    key: Any
    label: str
    tally: Tally


@dataclass
class OneTripReport:
    first: date
    last: date
    total: Tally = field(default_factory=Tally)
    by_item: list[Line] = field(default_factory=list)
    by_window: list[Line] = field(default_factory=list)
    by_clerk: list[Line] = field(default_factory=list)
    by_reason: list[Line] = field(default_factory=list)  #: key: the Outcome
    by_material: list[Line] = field(default_factory=list)  #: key: (item id, material)


def _days_after(column: Any, days: int) -> ColumnElement[Any]:
    """``column`` (a date) plus ``days``, in the session's SQL dialect."""
    if db.session.get_bind().dialect.name == "sqlite":
        return func.date(column, f"+{days} days")
    return column + literal(days)


def is_repeat_cause() -> ColumnElement[bool]:
    """The SQL test of a repeat cause, correlated to ``Case`` (an EXISTS of the later case)."""
    later = aliased(Case)
    return and_(
        Case.outcome.in_(REPEATABLE),
        Case.phone_key.is_not(None),
        exists().where(
            later.center_id == Case.center_id,
            later.phone_key == Case.phone_key,
            later.service_item_id == Case.service_item_id,
            later.completed_dt > Case.completed_dt,
            later.service_date <= _days_after(Case.service_date, REPEAT_DAYS),
        ),
    )


def one_trip_report(
    center_id: int, first: date, last: date, *, clerk_id: int | None = None
) -> OneTripReport:
    """The one-trip rate of the center's cases from ``first`` to ``last`` (inclusive), in
    total and per item, window, clerk, reason (outcome) and missing material.

    ``clerk_id`` narrows it to that clerk's own cases. One grouped query.
    """
    repeat = is_repeat_cause()
    stmt = (
        select(
            Case.service_item_id,
            Case.window_id,
            Case.clerk_id,
            Case.outcome,
            Case.missing_materials,
            func.count(Case.id),
            func.count(Case.id).filter(repeat),
        )
        .where(Case.center_id == center_id, Case.service_date.between(first, last))
        .group_by(
            Case.service_item_id,
            Case.window_id,
            Case.clerk_id,
            Case.outcome,
            Case.missing_materials,
        )
    )
    if clerk_id is not None:
        stmt = stmt.where(Case.clerk_id == clerk_id)
    report = OneTripReport(first, last)
    items: dict[int, Tally] = {}
    windows: dict[int | None, Tally] = {}
    clerks: dict[int | None, Tally] = {}
    reasons: dict[Outcome, Tally] = {}
    materials: dict[tuple[int, str], Tally] = {}
    for item_id, window_id, case_clerk, outcome, missing, cases, repeats in db.session.execute(
        stmt
    ):
        report.total.add(cases, repeats)
        for table, key in (
            (items, item_id),
            (windows, window_id),
            (clerks, case_clerk),
            (reasons, outcome),
        ):
            table.setdefault(key, Tally()).add(cases, repeats)
        if outcome is Outcome.DOCUMENTS_MISSING:
            for material in _lines(missing):
                materials.setdefault((item_id, material), Tally()).add(cases, repeats)
    item_objs = by_id(ServiceItem, items)
    report.by_item = _sorted(Line(i, item_objs[i].name, t) for i, t in items.items())
    window_objs = by_id(Window, windows)
    report.by_window = _sorted(
        Line(w, window_label(window_objs.get(w)), t) for w, t in windows.items()
    )
    user_objs = by_id(User, clerks)
    report.by_clerk = _sorted(Line(u, clerk_label(user_objs.get(u)), t) for u, t in clerks.items())
    report.by_reason = [Line(o, o.value, reasons[o]) for o in Outcome if o in reasons]
    labels = {
        (item_id, value): label
        for item_id, item in item_objs.items()
        for value, label in material_choices(item)
    }
    report.by_material = _sorted(
        Line(key, f"{item_objs[key[0]].name} · {labels.get(key, key[1])}", t)
        for key, t in materials.items()
    )
    return report


def most_often_missing(
    item: ServiceItem, today: date, *, min_cases: int = 5, top: int = 3
) -> list[tuple[str, int]]:
    """The item's materials most often missing (补正) over the last 180 days: (label, cases)
    for each missing in at least ``min_cases`` cases, most frequent first, at most ``top``.

    Counts only: no case, no resident."""
    since = today - timedelta(days=MISSING_LOOKBACK_DAYS)
    rows = db.session.execute(
        select(Case.missing_materials, func.count(Case.id))
        .where(
            Case.service_item_id == item.id,
            Case.outcome == Outcome.DOCUMENTS_MISSING,
            Case.service_date > since,
            Case.service_date <= today,
            Case.missing_materials != "",
        )
        .group_by(Case.missing_materials)
    )
    counts: Counter[str] = Counter()
    for missing, cases in rows:
        for material in _lines(missing):
            counts[material] += cases
    listed = dict(material_choices(item))  # materials the item no longer lists are left out
    ranked = sorted(
        ((listed[m], n) for m, n in counts.items() if m in listed and n >= min_cases),
        key=lambda pair: (-pair[1], pair[0]),
    )
    return ranked[:top]


def _lines(text: str | None) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def by_id(model: Any, ids: Iterable[Any]) -> dict[int, Any]:
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return {}
    return {obj.id: obj for obj in db.session.scalars(select(model).where(model.id.in_(wanted)))}


def window_label(window: Window | None) -> str:
    if window is None:
        return "—"
    return _("Window %(number)d", number=window.number) + f" · {window.name}"


def _sorted(lines: Iterable[Line]) -> list[Line]:
    return sorted(lines, key=lambda line: (-line.tally.cases, line.label))


def clerk_label(user: User | None) -> str:
    if user is None:
        return "—"
    return user.display_name or user.username
