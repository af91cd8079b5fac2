"""The supervisors' figures, computed from cases, tickets and ratings: one function feeds all.

``compute_figures`` answers the daily page, the range page, the API and the CLI (``series``
holds the per-day counts, charts and CSV rows, with the same filters). Every figure is an
aggregate in SQL over one range scan of an index that starts with (center_id, service_date),
so a day costs what the day holds, not what the table holds.

Definitions (also on the pages and in docs/decisions.md):

* A case counts on the center's local day it was completed (``Case.service_date``); a ticket on
  the local day it was issued (``Ticket.service_date``); a rating with its case's day.
* A ticket transferred to another item counts under that item's case type.
* No-shows are tickets of the day whose final state is no-show (过号).
* Waiting time: issue (or check-in) → first call; service time: start → completion; both of the
  cases handled. Mean: total ÷ count, rounded to 0.1 s. 90th percentile: nearest rank, the
  value at rank ⌈0.9 × n⌉ of the times sorted ascending (the smallest time that at least 90 %
  of the cases did not exceed).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import ColumnElement, and_, case, func, select

from ..auth.models import Role, User
from ..catalogue.models import CaseType, Center, ServiceItem
from ..catalogue.services import get_center, list_case_types, list_centers
from ..clock import local_date
from ..db import db
from ..errors import Forbidden
from ..queueing.models import Case, Evaluation, Outcome, Ticket, TicketState
from ..windows.models import Window

#: the longest range of the range page and the per-case CSV (a leap year)
RANGE_MAX_DAYS = 366
#: the longest range of totals: the API's totals, "since" totals and the per-day CSV (10 years)
TOTALS_MAX_DAYS = 3653
#: ratings at or below this are "the two lowest" (1 非常不满意, 2 不满意)
LOW_RATING = 2
TOP_ITEMS = 10
LOW_COMMENTS_SHOWN = 20
PERCENTILE = 90
ALL_CENTERS = "all"


# --- who sees what -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """The centers a report covers: one center, or every center of the county."""

    centers: tuple[Center, ...]
    is_county: bool = False

    @property
    def center(self) -> Center | None:
        return None if self.is_county else self.centers[0]

    @property
    def code(self) -> str:
        return ALL_CENTERS if self.is_county else self.centers[0].code

    @property
    def center_ids(self) -> list[int]:
        return [c.id for c in self.centers]

    @property
    def timezone(self) -> str:
        return self.centers[0].timezone if not self.is_county else current_app.config["TIMEZONE"]

    def today(self, now: datetime) -> date:
        """The scope's local day at ``now``."""
        return local_date(now, self.timezone)


def scope_for(user: User, code: str | None) -> Scope:
    """Resolve a report's ``center`` parameter for ``user``.

    Empty means the user's own center (county administrators: every center); ``all`` means
    every center and is for county administrators only.

    :raises Forbidden: for clerks, and for a center (or ``all``) the user may not supervise.
    :raises NotFound: for an unknown center code.
    """
    if user.role not in (Role.SUPERVISOR, Role.ADMIN):
        raise Forbidden(_("Reports are for supervisors and administrators."))
    county_wide = user.role is Role.ADMIN and user.center_id is None
    code = (code or "").strip()
    if not code:
        code = ALL_CENTERS if county_wide else user.center.code
    if code == ALL_CENTERS:
        if not county_wide:
            raise Forbidden(_("Only county administrators see the figures of every center."))
        return Scope(tuple(list_centers()), is_county=True)
    center = get_center(code)
    if not user.can_supervise(center.id):
        raise Forbidden(_("You may see the figures of your own center only."))
    return Scope((center,))


# --- the figures ---------------------------------------------------------------------------


def _mean(total: int, count: int) -> float | None:
    if not count:
        return None
    value = (Decimal(total) / Decimal(count)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return float(value)


def nearest_rank(histogram: Iterable[tuple[int, int]], percent: int = PERCENTILE) -> int | None:
    """Return the nearest-rank percentile of ``(value, how many)`` pairs sorted by value."""
    pairs = list(histogram)
    n = sum(count for _, count in pairs)
    if n == 0:
        return None
    rank = -(-percent * n // 100)  # ⌈percent × n ÷ 100⌉ in whole numbers
    seen = 0
    for value, count in pairs:
        seen += count
        if seen >= rank:
            return value
    raise AssertionError("unreachable: the ranks add up to n")


@dataclass(frozen=True)
class Durations:
    """Times in seconds: how many, their sum, the 90th percentile (None when not computed)."""

    count: int = 0
    total: int = 0
    p90: int | None = None

    @property
    def mean(self) -> float | None:
        return _mean(self.total, self.count)

    @classmethod
    def from_histogram(cls, pairs: Iterable[tuple[int, int]]) -> Durations:
        pairs = list(pairs)
        return cls(
            count=sum(n for _, n in pairs),
            total=sum(v * n for v, n in pairs),
            p90=nearest_rank(pairs),
        )


@dataclass(frozen=True)
class CaseTypeFigures:
    case_type: CaseType
    cases: int = 0
    outcomes: dict[Outcome, int] = field(default_factory=dict)
    tickets_issued: int = 0
    tickets_booked: int = 0
    no_shows: int = 0


@dataclass(frozen=True)
class WindowFigures:
    window: Window | None  #: None for cases recorded without a window
    cases: int
    by_case_type: dict[int, int]
    service: Durations
    no_shows: int


@dataclass(frozen=True)
class ClerkFigures:
    clerk: User | None  #: None for cases recorded without a clerk
    cases: int
    by_case_type: dict[int, int]
    service: Durations


@dataclass(frozen=True)
class ItemFigures:
    item: ServiceItem
    cases: int


@dataclass(frozen=True)
class LowRating:
    case_number: str
    rating: int
    comment: str
    created_dt: datetime


@dataclass(frozen=True)
class Satisfaction:
    count: int = 0
    total: int = 0  #: sum of the ratings
    low: int = 0  #: ratings of LOW_RATING or less
    low_commented: int = 0  #: of those, the ones with a comment
    comments: tuple[LowRating, ...] = ()  #: the latest LOW_COMMENTS_SHOWN of them

    @property
    def mean(self) -> float | None:
        return _mean(self.total, self.count)

    @property
    def low_share(self) -> float | None:
        """The share of the two lowest ratings, in percent rounded to 0.1."""
        return _mean(100 * self.low, self.count)


@dataclass(frozen=True)
class Figures:
    """Every figure of a scope over the days ``first`` … ``last`` (inclusive)."""

    scope: Scope
    first: date
    last: date
    case_types: list[CaseTypeFigures]
    wait: Durations
    service: Durations
    windows: list[WindowFigures]
    clerks: list[ClerkFigures]
    top_items: list[ItemFigures]
    satisfaction: Satisfaction

    @property
    def cases_total(self) -> int:
        return sum(t.cases for t in self.case_types)

    @property
    def outcomes_total(self) -> dict[Outcome, int]:
        return {o: sum(t.outcomes.get(o, 0) for t in self.case_types) for o in Outcome}

    @property
    def tickets_issued(self) -> int:
        return sum(t.tickets_issued for t in self.case_types)

    @property
    def tickets_booked(self) -> int:
        return sum(t.tickets_booked for t in self.case_types)

    @property
    def tickets_walk_in(self) -> int:
        return self.tickets_issued - self.tickets_booked

    @property
    def no_shows(self) -> int:
        return sum(t.no_shows for t in self.case_types)

    @property
    def counts(self) -> list[tuple[CaseType, int]]:
        return [(t.case_type, t.cases) for t in self.case_types]


def cases_in(scope: Scope, first: date, last: date) -> ColumnElement[bool]:
    # center_id IN (…) keeps one index range scan per center, also for the whole county
    return and_(Case.center_id.in_(scope.center_ids), Case.service_date.between(first, last))


def tickets_in(scope: Scope, first: date, last: date) -> ColumnElement[bool]:
    return and_(Ticket.center_id.in_(scope.center_ids), Ticket.service_date.between(first, last))


class _Tally:
    def __init__(self) -> None:
        self.cases = 0
        self.by_type: Counter[int] = Counter()
        self.service_total = 0
        self.service_count = 0

    def add(self, case_type_id: int, n: int, service_total: int, service_count: int) -> None:
        self.cases += n
        self.by_type[case_type_id] += n
        self.service_total += service_total
        self.service_count += service_count

    @property
    def service(self) -> Durations:
        return Durations(self.service_count, self.service_total)


def compute_figures(scope: Scope, first: date, last: date) -> Figures:
    """Compute every figure of ``scope`` for the days ``first`` … ``last``."""
    outcomes: dict[int, Counter[Outcome]] = defaultdict(Counter)
    windows: dict[int | None, _Tally] = defaultdict(_Tally)
    clerks: dict[int | None, _Tally] = defaultdict(_Tally)
    items: Counter[int] = Counter()
    case_rows = db.session.execute(
        select(
            Case.case_type_id,
            Case.outcome,
            Case.window_id,
            Case.clerk_id,
            Case.service_item_id,
            func.count(),
            func.coalesce(func.sum(Case.service_seconds), 0),
            func.count(Case.service_seconds),
        )
        .where(cases_in(scope, first, last))
        .group_by(
            Case.case_type_id, Case.outcome, Case.window_id, Case.clerk_id, Case.service_item_id
        )
    )
    for type_id, outcome, window_id, clerk_id, item_id, n, s_total, s_count in case_rows:
        outcomes[type_id][outcome] += n
        windows[window_id].add(type_id, n, int(s_total), s_count)
        clerks[clerk_id].add(type_id, n, int(s_total), s_count)
        items[item_id] += n

    issued: Counter[int] = Counter()
    booked: Counter[int] = Counter()
    no_shows: Counter[int] = Counter()
    window_no_shows: Counter[int | None] = Counter()
    ticket_rows = db.session.execute(
        select(Ticket.case_type_id, Ticket.is_booked, Ticket.state, Ticket.window_id, func.count())
        .where(tickets_in(scope, first, last))
        .group_by(Ticket.case_type_id, Ticket.is_booked, Ticket.state, Ticket.window_id)
    )
    for type_id, is_booked, state, window_id, n in ticket_rows:
        issued[type_id] += n
        if is_booked:
            booked[type_id] += n
        if state is TicketState.NO_SHOW:
            no_shows[type_id] += n
            window_no_shows[window_id] += n
    for window_id in window_no_shows:  # a window with no-shows but no cases gets a row too
        windows.setdefault(window_id, _Tally())

    case_types = [
        CaseTypeFigures(
            case_type=t,
            cases=sum(outcomes[t.id].values()),
            outcomes={o: outcomes[t.id][o] for o in Outcome},
            tickets_issued=issued[t.id],
            tickets_booked=booked[t.id],
            no_shows=no_shows[t.id],
        )
        for t in list_case_types()
    ]
    return Figures(
        scope=scope,
        first=first,
        last=last,
        case_types=case_types,
        wait=Durations.from_histogram(_histogram(Case.wait_seconds, scope, first, last)),
        service=Durations.from_histogram(_histogram(Case.service_seconds, scope, first, last)),
        windows=_window_figures(windows, window_no_shows),
        clerks=_clerk_figures(clerks),
        top_items=_top_items(items),
        satisfaction=_satisfaction(scope, first, last),
    )


def _histogram(column: Any, scope: Scope, first: date, last: date) -> list[tuple[int, int]]:
    """(seconds, how many cases) pairs, ascending: the exact data of mean and percentile."""
    rows = db.session.execute(
        select(column, func.count())
        .where(cases_in(scope, first, last), column.is_not(None))
        .group_by(column)
        .order_by(column)
    )
    return [(int(value), int(n)) for value, n in rows]


def _window_figures(
    tallies: dict[int | None, _Tally], no_shows: Counter[int | None]
) -> list[WindowFigures]:
    loaded = _by_id(Window, [i for i in tallies if i is not None])
    rows = [
        WindowFigures(
            window=loaded.get(window_id) if window_id is not None else None,
            cases=tally.cases,
            by_case_type=dict(tally.by_type),
            service=tally.service,
            no_shows=no_shows[window_id],
        )
        for window_id, tally in tallies.items()
    ]
    return sorted(
        rows,
        key=lambda r: (r.window is None, r.window.center_id if r.window else 0, _number(r)),
    )


def _number(row: WindowFigures) -> int:
    return row.window.number if row.window is not None else 0


def _clerk_figures(tallies: dict[int | None, _Tally]) -> list[ClerkFigures]:
    loaded = _by_id(User, [i for i in tallies if i is not None])
    rows = [
        ClerkFigures(
            clerk=loaded.get(clerk_id) if clerk_id is not None else None,
            cases=tally.cases,
            by_case_type=dict(tally.by_type),
            service=tally.service,
        )
        for clerk_id, tally in tallies.items()
    ]
    return sorted(
        rows, key=lambda r: (r.clerk is None, -r.cases, r.clerk.username if r.clerk else "")
    )


def _top_items(counts: Counter[int]) -> list[ItemFigures]:
    loaded = _by_id(ServiceItem, list(counts))
    rows = [ItemFigures(loaded[i], n) for i, n in counts.items() if i in loaded]
    rows.sort(key=lambda r: (-r.cases, r.item.code, r.item.id))
    return rows[:TOP_ITEMS]


def _by_id(model: Any, ids: list[int]) -> dict[int, Any]:
    if not ids:
        return {}
    return {row.id: row for row in db.session.scalars(select(model).where(model.id.in_(ids)))}


def _satisfaction(scope: Scope, first: date, last: date) -> Satisfaction:
    within = and_(
        Evaluation.center_id.in_(scope.center_ids), Evaluation.service_date.between(first, last)
    )
    is_low = Evaluation.rating <= LOW_RATING
    count, total, low, commented = db.session.execute(
        select(
            func.count(),
            func.coalesce(func.sum(Evaluation.rating), 0),
            func.coalesce(func.sum(case((is_low, 1), else_=0)), 0),
            func.coalesce(func.sum(case((and_(is_low, Evaluation.comment != ""), 1), else_=0)), 0),
        ).where(within)
    ).one()
    comments = db.session.execute(
        select(Case.number, Evaluation.rating, Evaluation.comment, Evaluation.created_dt)
        .join(Case, Case.id == Evaluation.case_id)
        .where(within, Evaluation.rating <= LOW_RATING, Evaluation.comment != "")
        .order_by(Evaluation.created_dt.desc(), Evaluation.id.desc())
        .limit(LOW_COMMENTS_SHOWN)
    )
    return Satisfaction(
        count=int(count),
        total=int(total),
        low=int(low),
        low_commented=int(commented),
        comments=tuple(LowRating(*row) for row in comments),
    )
