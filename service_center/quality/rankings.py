"""The monthly rankings of a center's windows and clerks: cases, ratings, bad reviews, overdue
rectifications, the one-trip rate and the service time against the items' standard."""

from __future__ import annotations

import calendar
import statistics
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select

from ..auth.models import User
from ..catalogue.models import ServiceItem
from ..db import db
from ..queueing.models import Case, Evaluation
from ..windows.models import Window
from .models import Rectification
from .one_trip import Tally, by_id, clerk_label, is_repeat_cause, window_label

#: a rating at or below this is a bad review (1 非常不满意, 2 不满意)
BAD_RATING = 2


@dataclass
class RankingRow:
    """One window's or clerk's month."""

    key: int | None
    label: str = ""
    cases: int = 0
    ratings: list[int] = field(default_factory=list)
    bad_reviews: int = 0
    overdue_rectifications: int = 0
    one_trip: Tally = field(default_factory=Tally)
    #: service seconds / the item's standard seconds, one per case with a service time
    service_ratios: list[float] = field(default_factory=list)

    @property
    def mean_rating(self) -> float | None:
        return statistics.fmean(self.ratings) if self.ratings else None

    @property
    def median_service_percent(self) -> float | None:
        """The median service time as a percentage of the item's standard (100 = on time)."""
        return statistics.median(self.service_ratios) * 100 if self.service_ratios else None


@dataclass
class Rankings:
    first: date
    last: date
    as_of: date  #: the day overdue rectifications are judged on: month end, or today
    by_window: list[RankingRow]
    by_clerk: list[RankingRow]


def month_days(month: date) -> tuple[date, date]:
    """The first and last day of ``month``'s month."""
    first = month.replace(day=1)
    return first, first.replace(day=calendar.monthrange(first.year, first.month)[1])


def rankings(center_id: int, month: date, today: date, *, clerk_id: int | None = None) -> Rankings:
    """Rank the center's windows and clerks over ``month``'s month (cases desc).

    ``clerk_id`` narrows it to that clerk's own cases (their row only). One query.
    """
    first, last = month_days(month)
    as_of = min(last, today)
    stmt = (
        select(
            Case.window_id,
            Case.clerk_id,
            Case.service_seconds,
            ServiceItem.service_minutes,
            Evaluation.rating,
            Rectification,
            is_repeat_cause().label("repeat"),
        )
        .join(ServiceItem, ServiceItem.id == Case.service_item_id)
        .outerjoin(Evaluation, Evaluation.case_id == Case.id)
        .outerjoin(Rectification, Rectification.case_id == Case.id)
        .where(Case.center_id == center_id, Case.service_date.between(first, last))
    )
    if clerk_id is not None:
        stmt = stmt.where(Case.clerk_id == clerk_id)
    windows: dict[int | None, RankingRow] = {}
    clerks: dict[int | None, RankingRow] = {}
    for row in db.session.execute(stmt):
        for table, key in ((windows, row.window_id), (clerks, row.clerk_id)):
            entry = table.get(key) or table.setdefault(key, RankingRow(key))
            entry.cases += 1
            entry.one_trip.add(1, 1 if row.repeat else 0)
            if row.rating is not None:
                entry.ratings.append(row.rating)
                entry.bad_reviews += row.rating <= BAD_RATING
            if row.Rectification is not None and row.Rectification.is_overdue(as_of):
                entry.overdue_rectifications += 1
            if row.service_seconds is not None:
                entry.service_ratios.append(row.service_seconds / (row.service_minutes * 60))
    return Rankings(
        first,
        last,
        as_of,
        by_window=_ranked(windows, _window_labeller(windows)),
        by_clerk=_ranked(clerks, _clerk_labeller(clerks)),
    )


def _window_labeller(rows: dict[int | None, RankingRow]) -> Callable[[int | None], str]:
    found = by_id(Window, rows)
    return lambda key: window_label(found.get(key))


def _clerk_labeller(rows: dict[int | None, RankingRow]) -> Callable[[int | None], str]:
    found = by_id(User, rows)
    return lambda key: clerk_label(found.get(key))


def _ranked(
    rows: dict[int | None, RankingRow], label: Callable[[int | None], str]
) -> list[RankingRow]:
    for key, row in rows.items():
        row.label = label(key)
    return sorted(rows.values(), key=lambda r: (-r.cases, r.label))
