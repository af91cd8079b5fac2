"""Counting a range: the tallies of cases, tickets and ratings read from the tables
(``tally_days``) or added up from stored summaries, and the figures they make."""

from __future__ import annotations

import functools
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import date
from typing import Any

from sqlalchemy import (
    Select,
    bindparam,
    select,
)

from ..auth.models import User
from ..catalogue.models import ServiceItem
from ..catalogue.services import list_case_types
from ..db import db
from ..queueing.models import Outcome, TicketState
from ..windows.models import Window
from .figures import (
    CaseTypeFigures,
    ClerkFigures,
    Durations,
    Figures,
    ItemFigures,
    LowRating,
    Satisfaction,
    WindowFigures,
)
from .queries import (
    case_groups,
    daily_counts,
    low_comments_statement,
    rating_groups,
    ratings_and_comments,
    ticket_groups,
    time_histogram,
    time_pairs,
)
from .scope import PERCENTILE, TOP_ITEMS, Scope


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
        self.remote: Counter[int] = Counter()  #: taken from the phone (远程取号)
        self.assisted: Counter[int] = Counter()  #: help asked for (帮办代办)
        self.no_shows: Counter[int] = Counter()
        #: tickets the day closed on before they were served (``queueing.closing``)
        self.unserved: Counter[int] = Counter()
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
        self,
        type_id: int,
        is_booked: bool,
        is_remote: bool,
        is_assisted: bool,
        state: TicketState,
        window_id: int | None,
        n: int,
    ) -> None:
        self.issued[type_id] += n
        if is_assisted:
            self.assisted[type_id] += n
        if is_booked:
            self.booked[type_id] += n
        elif is_remote:
            self.remote[type_id] += n
        if state is TicketState.NO_SHOW:
            self.no_shows[type_id] += n
            self.window_no_shows[window_id] += n
        elif state is TicketState.UNSERVED:
            self.unserved[type_id] += n

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
        self.remote.update(other.remote)
        self.assisted.update(other.assisted)
        self.no_shows.update(other.no_shows)
        self.unserved.update(other.unserved)
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
                tickets_remote=self.remote[t.id],
                tickets_assisted=self.assisted[t.id],
                no_shows=self.no_shows[t.id],
                unserved=self.unserved[t.id],
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

    for row in read(case_groups(by_day), params).all():
        type_id, outcome, window_id, clerk_id, item_id, n, s_total, s_count = row[skip:]
        tally = tallies[tuple(row[:skip]) or None]
        tally.add_cases(type_id, outcome, window_id, clerk_id, item_id, n, int(s_total), s_count)
        if by_day:
            tally.daily[(row[1], type_id)] += n
    if daily and not by_day:
        for day, type_id, n in read(daily_counts(), params).all():
            tallies[None].daily[(day, type_id)] += n

    for row in read(ticket_groups(by_day), params).all():
        tallies[tuple(row[:skip]) or None].add_tickets(*row[skip:])

    # each tally's two histograms gathered in plain dicts, then added once: least work a row
    histograms: dict[Key, tuple[dict[int, int], dict[int, int]]] = defaultdict(lambda: ({}, {}))
    if by_day or first == last:
        times = [time_pairs(by_day)]
    else:
        times = [time_histogram(False), time_histogram(True)]
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
        rows = read(ratings_and_comments(), params).all()
        tally = tallies[None]
        if rows[0][0]:
            tally.add_ratings(*(int(v) for v in rows[0][:4]))
        tally.comments = tuple(LowRating(*row[4:]) for row in rows if row[4] is not None)
        return tallies
    for row in read(rating_groups(by_day), params).all():
        if row[skip]:
            tallies[tuple(row[:skip]) or None].add_ratings(*(int(v) for v in row[skip:]))
    return tallies


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
    rows = db.session.connection().execute(low_comments_statement(), params).all()
    return tuple(LowRating(*row[:4]) for row in rows)
