"""The supervisors' figures, computed from cases, tickets and ratings: one function feeds all.

``compute_figures`` answers the daily page, the range page, the API and the CLI (``series``
holds the per-day counts, charts and CSV rows, with the same filters). Every figure is an
aggregate in SQL over one range scan of an index that starts with (center_id, service_date),
so a day costs what the day holds, not what the table holds. A range of several days adds the
stored summaries of its closed days and months (``summaries``) to the live figures of the rest:
a year costs a few dozen stored rows, not its millions of cases.

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

import functools
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    bindparam,
    case,
    func,
    literal_column,
    null,
    select,
    true,
)

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


class Times:
    """Waiting or service times: how many, their sum, how many per minute, exact seconds.

    ``exact`` holds the seconds of the days computed from the cases; stored summaries add only
    their count per minute, and the percentile reads their exact seconds of one minute
    (``Tally.figures``'s ``stored_seconds``).
    """

    def __init__(self) -> None:
        self.count = 0
        self.total = 0
        self.minutes: Counter[int] = Counter()
        self.exact: Counter[int] = Counter()

    def add_exact(self, histogram: dict[int, int]) -> None:
        """Add how many cases took each number of seconds (``{seconds: how many}``)."""
        self.count += sum(histogram.values())
        self.total += sum(seconds * n for seconds, n in histogram.items())
        minutes = self.minutes
        for seconds, n in histogram.items():
            minutes[seconds // 60] += n
        self.exact.update(histogram)

    def merge(self, other: Times) -> None:
        self.count += other.count
        self.total += other.total
        self.minutes.update(other.minutes)
        self.exact.update(other.exact)

    def durations(self, stored_seconds: Callable[[int], Counter[int]]) -> Durations:
        """Count, sum and the exact nearest-rank percentile.

        :raises StaleSummary: when the stored seconds of the minute do not add up to its count.
        """
        if not self.count:
            return Durations()
        rank = -(-PERCENTILE * self.count // 100)
        seen = 0
        for minute in sorted(self.minutes):
            if seen + self.minutes[minute] >= rank:
                break
            seen += self.minutes[minute]
        seconds = stored_seconds(minute)
        seconds.update({v: n for v, n in self.exact.items() if v // 60 == minute})
        if sum(seconds.values()) != self.minutes[minute]:
            raise StaleSummary()
        for value in sorted(seconds):
            seen += seconds[value]
            if seen >= rank:
                return Durations(self.count, self.total, value)
        raise AssertionError("unreachable: the ranks add up to n")


class StaleSummary(Exception):
    """A stored summary changed while a range was read: compute the range from the cases."""


class Tally:
    """The raw counts and sums behind every figure, over any set of days; they add up."""

    def __init__(self) -> None:
        self.outcomes: dict[int, Counter[Outcome]] = defaultdict(Counter)
        self.windows: dict[int | None, _Tally] = defaultdict(_Tally)
        self.clerks: dict[int | None, _Tally] = defaultdict(_Tally)
        self.items: Counter[int] = Counter()
        self.issued: Counter[int] = Counter()
        self.booked: Counter[int] = Counter()
        self.no_shows: Counter[int] = Counter()
        self.window_no_shows: Counter[int | None] = Counter()
        self.wait = Times()
        self.service = Times()
        #: ratings: how many, their sum, the low ones, the low ones with a comment
        self.ratings = [0, 0, 0, 0]
        #: cases per (day, case type id): the range's chart (only when asked for)
        self.daily: Counter[tuple[date, int]] = Counter()
        #: the latest low ratings with a comment of exactly these days, when read with them
        #: (``tally_days(comments=True)``); ``merge`` leaves them out
        self.comments: tuple[LowRating, ...] | None = None

    def add_cases(
        self,
        type_id: int,
        outcome: Outcome,
        window_id: int | None,
        clerk_id: int | None,
        item_id: int,
        n: int,
        s_total: int,
        s_count: int,
    ) -> None:
        self.outcomes[type_id][outcome] += n
        self.windows[window_id].add(type_id, n, s_total, s_count)
        self.clerks[clerk_id].add(type_id, n, s_total, s_count)
        self.items[item_id] += n

    def add_tickets(
        self, type_id: int, is_booked: bool, state: TicketState, window_id: int | None, n: int
    ) -> None:
        self.issued[type_id] += n
        if is_booked:
            self.booked[type_id] += n
        if state is TicketState.NO_SHOW:
            self.no_shows[type_id] += n
            self.window_no_shows[window_id] += n

    def add_ratings(self, count: int, total: int, low: int, commented: int) -> None:
        for i, value in enumerate((count, total, low, commented)):
            self.ratings[i] += value

    def merge(self, other: Tally) -> None:
        for type_id, outcomes in other.outcomes.items():
            self.outcomes[type_id].update(outcomes)
        for mine, theirs in ((self.windows, other.windows), (self.clerks, other.clerks)):
            for key, tally in theirs.items():
                into = mine[key]
                into.cases += tally.cases
                into.by_type.update(tally.by_type)
                into.service_total += tally.service_total
                into.service_count += tally.service_count
        self.items.update(other.items)
        self.issued.update(other.issued)
        self.booked.update(other.booked)
        self.no_shows.update(other.no_shows)
        self.window_no_shows.update(other.window_no_shows)
        self.wait.merge(other.wait)
        self.service.merge(other.service)
        self.add_ratings(*other.ratings)
        self.daily.update(other.daily)

    def figures(
        self,
        scope: Scope,
        first: date,
        last: date,
        stored_seconds: Callable[[str, int], Counter[int]] | None = None,
    ) -> Figures:
        """The figures these counts make (the comments on low ratings read live).

        Windows and clerks deleted since (their cases now hold no window or clerk) count
        with the cases recorded without one, as the cases themselves now say.
        """
        fetch = stored_seconds or (lambda metric, minute: Counter())
        window_rows = _by_id(Window, [i for i in {*self.windows, *self.window_no_shows} if i])
        windows = _without_deleted(self.windows, window_rows)
        clerk_rows = _by_id(User, [i for i in self.clerks if i is not None])
        clerks = _without_deleted(self.clerks, clerk_rows)
        window_no_shows: Counter[int | None] = Counter()
        for window_id, n in self.window_no_shows.items():
            window_no_shows[window_id if window_id in window_rows else None] += n
        for window_id in window_no_shows:  # a window with no-shows but no cases gets a row too
            windows.setdefault(window_id, _Tally())
        case_types = [
            CaseTypeFigures(
                case_type=t,
                cases=sum(self.outcomes[t.id].values()) if t.id in self.outcomes else 0,
                outcomes={o: self.outcomes[t.id][o] for o in Outcome}
                if t.id in self.outcomes
                else {o: 0 for o in Outcome},
                tickets_issued=self.issued[t.id],
                tickets_booked=self.booked[t.id],
                no_shows=self.no_shows[t.id],
            )
            for t in list_case_types()
        ]
        count, total, low, commented = self.ratings
        comments = self.comments
        if comments is None:
            comments = _low_comments(scope, first, last)
        return Figures(
            scope=scope,
            first=first,
            last=last,
            case_types=case_types,
            wait=self.wait.durations(lambda minute: fetch("w", minute)),
            service=self.service.durations(lambda minute: fetch("s", minute)),
            windows=_window_figures(windows, window_no_shows, window_rows),
            clerks=_clerk_figures(clerks, clerk_rows),
            top_items=_top_items(self.items),
            satisfaction=Satisfaction(
                count=count,
                total=total,
                low=low,
                low_commented=commented,
                comments=comments,
            ),
        )


def _without_deleted(
    tallies: dict[int | None, _Tally], loaded: dict[int, Any]
) -> dict[int | None, _Tally]:
    """The tallies, those of windows or clerks deleted since (not ``loaded``) under None."""
    merged: dict[int | None, _Tally] = defaultdict(_Tally)
    for key, tally in tallies.items():
        into = merged[key if key in loaded else None]
        into.cases += tally.cases
        into.by_type.update(tally.by_type)
        into.service_total += tally.service_total
        into.service_count += tally.service_count
    return dict(merged)


def compute_figures(scope: Scope, first: date, last: date, *, live: bool = False) -> Figures:
    """Compute every figure of ``scope`` for the days ``first`` … ``last``.

    A single day, and ``live=True``, read the cases, tickets and ratings of the days. A longer
    range adds the stored summaries of its closed days (``summaries``, computing and storing
    the missing ones) to the live figures of the days not closed yet: the same figures.
    """
    if live or first == last:
        tally = tally_days(scope.center_ids, first, last, comments=True)[None]
        return tally.figures(scope, first, last)
    from . import summaries

    try:
        tally, stored_seconds = summaries.range_tally(scope, first, last)
        return tally.figures(scope, first, last, stored_seconds)
    except StaleSummary:  # a summary was dropped while we read: the slow way, still exact
        return compute_figures(scope, first, last, live=True)


Key = tuple[int, date] | None


def tally_days(
    center_ids: list[int],
    first: date,
    last: date,
    *,
    by_day: bool = False,
    daily: bool = False,
    comments: bool = False,
) -> dict[Key, Tally]:
    """Read the counts of ``first`` … ``last`` from cases, tickets and ratings.

    One tally under the key None, or (``by_day``) one per center and day that has any data;
    with the cases per day and case type (``Tally.daily``) when ``by_day`` or ``daily``; with
    the latest low ratings with a comment (``Tally.comments``) when ``comments`` (one tally
    only), read in the same statement as the ratings.

    Four to six statements, each built once (``functools.cache``, bound parameters) and sent
    through the session's connection: their rows are plain counts, the ORM has nothing to add.
    """
    tallies: dict[Key, Tally] = defaultdict(Tally)
    if not by_day:
        tallies[None] = Tally()
    skip = 2 if by_day else 0  # by_day: each row starts with its center id and day
    params = {"center_ids": list(center_ids), "first": first, "last": last}
    read = db.session.connection().execute

    for row in read(_case_groups(by_day), params).all():
        type_id, outcome, window_id, clerk_id, item_id, n, s_total, s_count = row[skip:]
        tally = tallies[tuple(row[:skip]) or None]
        tally.add_cases(type_id, outcome, window_id, clerk_id, item_id, n, int(s_total), s_count)
        if by_day:
            tally.daily[(row[1], type_id)] += n
    if daily and not by_day:
        for day, type_id, n in read(_daily_counts(), params).all():
            tallies[None].daily[(day, type_id)] += n

    for row in read(_ticket_groups(by_day), params).all():
        tallies[tuple(row[:skip]) or None].add_tickets(*row[skip:])

    # each tally's two histograms gathered in plain dicts, then added once: least work a row
    histograms: dict[Key, tuple[dict[int, int], dict[int, int]]] = defaultdict(lambda: ({}, {}))
    if by_day or first == last:
        times = [_time_pairs(by_day)]
    else:
        times = [_time_histogram(False), _time_histogram(True)]
    for row in [row for statement in times for row in read(statement, params).all()]:
        wait, service, n = row[skip:]
        waits, services = histograms[tuple(row[:skip]) or None]
        if wait is not None:  # None: never called, never started (or the other histogram's)
            waits[wait] = waits.get(wait, 0) + n
        if service is not None:
            services[service] = services.get(service, 0) + n
    for key, (waits, services) in histograms.items():
        tallies[key].wait.add_exact(waits)
        tallies[key].service.add_exact(services)

    if comments and not by_day:
        rows = read(_ratings_and_comments(), params).all()
        tally = tallies[None]
        if rows[0][0]:
            tally.add_ratings(*(int(v) for v in rows[0][:4]))
        tally.comments = tuple(LowRating(*row[4:]) for row in rows if row[4] is not None)
        return tallies
    for row in read(_rating_groups(by_day), params).all():
        if row[skip]:
            tallies[tuple(row[:skip]) or None].add_ratings(*(int(v) for v in row[skip:]))
    return tallies


def _of_days(model: Any) -> ColumnElement[bool]:
    """The rows of ``model`` of ``tally_days``'s centers and days (bound parameters)."""
    return and_(
        model.center_id.in_(bindparam("center_ids", expanding=True)),
        model.service_date.between(bindparam("first"), bindparam("last")),
    )


@functools.cache
def _case_groups(by_day: bool) -> Select[Any]:
    """Cases per case type, outcome, window, clerk and item, with their service seconds."""
    keys = (Case.case_type_id, Case.outcome, Case.window_id, Case.clerk_id, Case.service_item_id)
    day = (Case.center_id, Case.service_date) if by_day else ()
    sums = (
        func.count(),
        func.coalesce(func.sum(Case.service_seconds), 0),
        func.count(Case.service_seconds),
    )
    return select(*day, *keys, *sums).where(_of_days(Case)).group_by(*day, *keys)


@functools.cache
def _daily_counts() -> Select[Any]:
    """Cases per day and case type: a range's chart."""
    keys = (Case.service_date, Case.case_type_id)
    return select(*keys, func.count()).where(_of_days(Case)).group_by(*keys)


@functools.cache
def _ticket_groups(by_day: bool) -> Select[Any]:
    """Tickets per case type, booked or not, final state and window."""
    keys = (Ticket.case_type_id, Ticket.is_booked, Ticket.state, Ticket.window_id)
    day = (Ticket.center_id, Ticket.service_date) if by_day else ()
    return select(*day, *keys, func.count()).where(_of_days(Ticket)).group_by(*day, *keys)


@functools.cache
def _time_pairs(by_day: bool) -> Select[Any]:
    """How many cases had each (waiting, service) seconds: both histograms of days in one scan.

    A day's pairs are about as many as its cases (~900 rows for 900 cases): fewer rows, and
    less work for either database, than the two histograms of the day (``_time_histogram``).
    """
    day = (Case.center_id, Case.service_date) if by_day else ()
    pairs = (Case.wait_seconds, Case.service_seconds)
    return select(*day, *pairs, func.count()).where(_of_days(Case)).group_by(*day, *pairs)


@functools.cache
def _time_histogram(service: bool) -> Select[Any]:
    """How many cases waited (or were served, ``service``) each number of seconds, over a
    range: rows as ``_time_pairs``'s, the other time None. A range's rows stay the distinct
    seconds, where its pairs would be about its cases."""
    seconds = Case.service_seconds if service else Case.wait_seconds
    pair = (null(), seconds) if service else (seconds, null())
    return select(*pair, func.count()).where(_of_days(Case), seconds.is_not(None)).group_by(seconds)


def _rating_sums() -> tuple[ColumnElement[Any], ...]:
    """How many ratings, their sum, the low ones, the low ones with a comment."""
    is_low = Evaluation.rating <= LOW_RATING
    return (
        func.count().label("ratings"),
        func.coalesce(func.sum(Evaluation.rating), 0).label("rating_sum"),
        func.coalesce(func.sum(case((is_low, 1), else_=0)), 0).label("low"),
        func.coalesce(
            func.sum(case((and_(is_low, Evaluation.comment != ""), 1), else_=0)), 0
        ).label("low_commented"),
    )


@functools.cache
def _rating_groups(by_day: bool) -> Select[Any]:
    day = (Evaluation.center_id, Evaluation.service_date) if by_day else ()
    return select(*day, *_rating_sums()).where(_of_days(Evaluation)).group_by(*day)


@functools.cache
def _ratings_and_comments() -> Select[Any]:
    """The rating sums in the first columns of every row, then one low comment per row (none:
    one row, its comment columns None): the satisfaction figures in one statement."""
    sums = select(*_rating_sums()).where(_of_days(Evaluation)).subquery("sums")
    low = _low_comments_statement().subquery("low")
    return (
        select(*sums.c, low.c.number, low.c.rating, low.c.comment, low.c.created_dt)
        .select_from(sums.outerjoin(low, true()))
        .order_by(low.c.created_dt.desc(), low.c.id.desc())
    )


def _window_figures(
    tallies: dict[int | None, _Tally], no_shows: Counter[int | None], loaded: dict[int, Window]
) -> list[WindowFigures]:
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


def _clerk_figures(
    tallies: dict[int | None, _Tally], loaded: dict[int, User]
) -> list[ClerkFigures]:
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
    if len(counts) > TOP_ITEMS:  # load only the items that can make the top (ties included)
        least = sorted(counts.values(), reverse=True)[TOP_ITEMS - 1]
        counts = Counter({i: n for i, n in counts.items() if n >= least})
    loaded = _by_id(ServiceItem, list(counts))
    rows = [ItemFigures(loaded[i], n) for i, n in counts.items() if i in loaded]
    rows.sort(key=lambda r: (-r.cases, r.item.code, r.item.id))
    return rows[:TOP_ITEMS]


def _by_id(model: Any, ids: list[int]) -> dict[int, Any]:
    if not ids:
        return {}
    return {row.id: row for row in db.session.scalars(_by_id_statement(model), {"ids": ids})}


@functools.cache
def _by_id_statement(model: Any) -> Select[Any]:
    return select(model).where(model.id.in_(bindparam("ids", expanding=True)))


def _low_comments(scope: Scope, first: date, last: date) -> tuple[LowRating, ...]:
    """The latest low ratings with a comment of ``first`` … ``last``: always live."""
    params = {"center_ids": scope.center_ids, "first": first, "last": last}
    rows = db.session.connection().execute(_low_comments_statement(), params).all()
    return tuple(LowRating(*row[:4]) for row in rows)


@functools.cache
def _low_comments_statement() -> Select[Any]:
    """The latest low ratings with a comment (and the rating's id), from a partial index.

    ``ix_evaluations_low_day`` holds only the low ratings with a comment (about 1 % of the
    cases), by center and day: the range's are read from the index alone, the newest 20 kept,
    and only those 20 are joined to their rows and cases (over 5 M cases on SQLite: a day
    0.07 ms, a year 0.9 ms). An index in time order, read newest first until the 20th of the
    range, read every low rating of the center since 2004 for a day with fewer than 20 (7.8 ms).

    The literal ``rating <= 2`` and ``comment <> ''`` let both databases match the query to
    the partial index (a bound parameter would not prove the index's condition).
    """
    newest = (
        select(Evaluation.id)
        .where(
            Evaluation.center_id.in_(bindparam("center_ids", expanding=True)),
            Evaluation.service_date.between(bindparam("first"), bindparam("last")),
            Evaluation.rating <= literal_column(str(LOW_RATING)),
            Evaluation.comment != literal_column("''"),
        )
        .order_by(Evaluation.created_dt.desc(), Evaluation.id.desc())
        .limit(LOW_COMMENTS_SHOWN)
        .subquery("newest")
    )
    return (
        select(
            Case.number, Evaluation.rating, Evaluation.comment, Evaluation.created_dt, Evaluation.id
        )
        .join(newest, newest.c.id == Evaluation.id)
        .join(Case, Case.id == Evaluation.case_id)
        .order_by(Evaluation.created_dt.desc(), Evaluation.id.desc())
    )
