"""Rectifications listed and counted: a center's list (overdue first), the overdue count,
the daily report's line."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import selectinload

from ..catalogue.models import Center
from ..db import db
from ..privacy import mask_in_text
from ..queueing.models import Case
from .models import FINAL_RECTIFICATION_STATES, Rectification, RectificationState

#: the list's state filter beside each state: every item, or those still running
ALL = "all"
ACTIVE = "active"


def _overdue(today: date):  # noqa: ANN202 (an SQL condition)
    """Past the deadline: still running after it, or closed after it."""
    return or_(
        and_(Rectification.closed_date.is_(None), Rectification.due_date < today),
        Rectification.closed_date > Rectification.due_date,
    )


def list_rectifications(
    center: Center, *, state: str = ALL, overdue_only: bool = False, today: date
) -> list[Rectification]:
    """The center's rectifications, overdue ones first, then by due date.

    :param state: a ``RectificationState`` value, ``active`` (not yet closed) or ``all``.
    """
    query = (
        select(Rectification)
        .where(Rectification.center_id == center.id)
        .options(
            selectinload(Rectification.case).selectinload(Case.service_item),
            selectinload(Rectification.evaluation),
            selectinload(Rectification.assignee),
        )
    )
    if state == ACTIVE:
        query = query.where(Rectification.state.not_in(FINAL_RECTIFICATION_STATES))
    elif state != ALL:
        query = query.where(Rectification.state == RectificationState(state))
    if overdue_only:
        query = query.where(_overdue(today))
    items = db.session.scalars(query).all()
    return sorted(items, key=lambda r: (not r.is_overdue(today), r.due_date, r.id))


def overdue_count(center_ids: Iterable[int], today: date) -> int:
    """The items of these centers still running past their deadline."""
    return (
        db.session.scalar(
            select(func.count(Rectification.id)).where(
                Rectification.center_id.in_(list(center_ids)),
                Rectification.state.not_in(FINAL_RECTIFICATION_STATES),
                Rectification.due_date < today,
            )
        )
        or 0
    )


@dataclass(frozen=True)
class RectificationCounts:
    """The daily report's line: opened that day, running now, overdue now."""

    opened: int
    open_now: int
    overdue_now: int


def rectification_counts(
    center_ids: Iterable[int], *, day: date, today: date
) -> RectificationCounts:
    """Count live (the stored summaries do not hold them): opened on ``day``, running and
    overdue at ``today``."""
    ids = list(center_ids)
    in_centers = Rectification.center_id.in_(ids)
    opened = db.session.scalar(
        select(func.count(Rectification.id)).where(in_centers, Rectification.opened_date == day)
    )
    running = db.session.scalar(
        select(func.count(Rectification.id)).where(
            in_centers, Rectification.state.not_in(FINAL_RECTIFICATION_STATES)
        )
    )
    return RectificationCounts(
        opened=opened or 0, open_now=running or 0, overdue_now=overdue_count(ids, today)
    )


#: the export's columns (stable keys for the upstream platform, whatever the reader's language)
CSV_COLUMNS = [
    "case_number",
    "item_national_code",
    "item_name",
    "rating",
    "efficiency",
    "attitude",
    "service_level",
    "comment",
    "opened_date",
    "due_date",
    "state",
    "closed_date",
    "overdue",
    "follow_up_answer",
    "overturned",
]
#: a cell starting with one of these is read by spreadsheets as a formula
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def csv_rows(items: Iterable[Rectification], today: date) -> Iterator[list[object]]:
    """One row per rectification keyed by case number: never the contact, never a name; a
    number the resident typed into the comment is masked."""
    for r in items:
        evaluation, item = r.evaluation, r.case.service_item
        yield [
            _cell(v)
            for v in (
                r.case.number,
                item.national_code,
                item.name_zh,
                evaluation.rating,
                evaluation.efficiency,
                evaluation.attitude,
                evaluation.service_level,
                mask_in_text(evaluation.comment),
                r.opened_date,
                r.due_date,
                r.state.value,
                r.closed_date,
                r.is_overdue(today),
                r.follow_up_answer.value if r.follow_up_answer else None,
                r.state is RectificationState.OVERTURNED,
            )
        ]


def rectifications_csv(items: Iterable[Rectification], today: date) -> str:
    """The export as text Excel opens correctly: UTF-8 BOM, CRLF, formulas made inert."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    writer.writerows(csv_rows(items, today))
    return "\ufeff" + buffer.getvalue()
