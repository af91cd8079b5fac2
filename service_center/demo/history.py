"""Realistic past days in bulk (``flask seed-history``): cases, their tickets and ratings.

Rows are written in batches without the ORM: a COPY per table and batch of days (about
``BATCH_CASES`` cases) on PostgreSQL, one ``executemany`` on SQLite. Ids are taken ahead of the
insert (from the sequences on PostgreSQL, above the highest id under the write lock on SQLite)
so a case can point at its ticket and a rating at its case without reading anything back. The
next batch is generated in a second thread while the database writes the current one (the
generator touches no session: ids, opening hours and the catalogue are read before), so the
Python work (generating and formatting rows) and the database's overlap instead of adding up.
Everything is one transaction. The plain indexes of the three tables (and on PostgreSQL their
foreign keys) are lifted while writing and put back at the end (see ``bulk``): built and
checked once in one pass instead of row by row, about twice as fast on PostgreSQL and a little
faster on SQLite (3-10 %). On PostgreSQL that locks the tables, and the ones they refer to,
until the commit, so on a database the app is serving ``live=True`` (``--live``) keeps them in
place: slower, and the app stays usable meanwhile. Lifting is skipped, too, when the new cases
are few against those already there (putting back reads every row).

What a generated day holds: working days only (the center's calendar); ``per_day`` cases, each
with its ticket (issued, called, started, done); about 3 % more tickets that ended as no-shows
and 1 % cancelled; case types weighted like a town center (business heavy), items within a case
type weighted by a Zipf law (the licence items lead); a window that handles the item and that
window's clerk; waiting and service times drawn around the item's own service minutes; about a
third of the cases rated, mostly 5. No ticket events are written: history days have no
"calls in the last hour" to show, and every report figure reads cases, tickets and ratings.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import insert, select, text, union

from ..auth.models import Role, User
from ..catalogue.calendar import day_status, opening_periods
from ..catalogue.models import Center, ServiceItem
from ..db import db, is_postgresql, write_transaction
from ..errors import Conflict, Invalid
from ..queueing.models import Case, DailyCounter, Outcome, Ticket, TicketState
from ..reports import summaries
from ..windows.models import Window
from .bulk import BulkWriter

#: share of the cases per case type code; other case types share OTHER_WEIGHT
CASE_TYPE_WEIGHTS = {"business": 0.70, "livelihood": 0.25, "investment": 0.05}
OTHER_WEIGHT = 0.05
OUTCOME_WEIGHTS = {
    Outcome.COMPLETED: 0.92,
    Outcome.DOCUMENTS_MISSING: 0.06,
    Outcome.NOT_ACCEPTED: 0.02,
}
NO_SHOW_SHARE = 0.03
CANCELLED_SHARE = 0.01
BOOKED_SHARE = 0.15
RATED_SHARE = 0.3
RATINGS = {5: 0.80, 4: 0.12, 3: 0.04, 2: 0.025, 1: 0.015}
LOW_COMMENTS = ("等候时间太长", "材料要求没有一次说清楚", "窗口人员态度一般", "系统太慢")
MEAN_WAIT_SECONDS = 480
MAX_WAIT_SECONDS = 5400
#: cases written per COPY (or executemany): whole days, at least one
BATCH_CASES = 10_000
#: the tables written, in the order written
TABLES = ("tickets", "cases", "evaluations")


class HistoryOverlap(Conflict):
    default_message = _l("Some of these days already have cases or tickets; nothing was added.")


@dataclass(frozen=True)
class HistoryResult:
    days: list[date]
    cases: int
    tickets: int
    evaluations: int


@dataclass(frozen=True)
class _Place:
    """What a generated day needs of its center, read once (days are generated off the session)."""

    id: int
    case_prefix: str
    zone: ZoneInfo


@dataclass(frozen=True)
class _Item:
    id: int
    case_type_id: int
    prefix: str
    service_minutes: int
    windows: tuple[tuple[int, int | None], ...]  #: (window id, its clerk id)


def working_days(center: Center, first: date, last: date) -> list[date]:
    """The days of ``first`` … ``last`` the center opens (national calendar and own closures)."""
    days = [first + timedelta(d) for d in range((last - first).days + 1)]
    return [d for d in days if day_status(center, d).is_open]


def refuse_overlap(center: Center, first: date, last: date) -> None:
    """Refuse days that already have cases or tickets.

    :raises HistoryOverlap: naming the first few such days.
    """
    taken = db.session.scalars(
        union(
            select(Case.service_date).where(
                Case.center_id == center.id, Case.service_date.between(first, last)
            ),
            select(Ticket.service_date).where(
                Ticket.center_id == center.id, Ticket.service_date.between(first, last)
            ),
        )
    ).all()
    if taken:
        days = sorted(taken)
        shown = ", ".join(d.isoformat() for d in days[:5]) + (" …" if len(days) > 5 else "")
        raise HistoryOverlap(
            _(
                "%(count)d of these days already have cases or tickets (%(days)s); "
                "nothing was added. Choose days before them with --until.",
                count=len(days),
                days=shown,
            )
        )


def _catalogue(center: Center) -> tuple[list[_Item], list[float]]:
    """The center's items a window handles, each with its windows and weight."""
    windows = list(db.session.scalars(select(Window).where(Window.center_id == center.id)))
    clerks = list(
        db.session.scalars(
            select(User.id)
            .where(User.center_id == center.id, User.role == Role.CLERK, User.is_enabled)
            .order_by(User.id)
        )
    )
    clerk_of = {
        w.id: (clerks[i % len(clerks)] if clerks else None)
        for i, w in enumerate(sorted(windows, key=lambda w: w.number))
    }
    skills: dict[int, list[int]] = defaultdict(list)
    for window in windows:
        for service in window.services:
            skills[service.id].append(window.id)
    comprehensive = [w.id for w in windows if w.is_comprehensive]
    items = list(
        db.session.scalars(
            select(ServiceItem)
            .where(ServiceItem.center_id == center.id, ServiceItem.is_active)
            .order_by(ServiceItem.case_type_id, ServiceItem.code)
        )
    )
    by_type: dict[int, list[_Item]] = defaultdict(list)
    weights_of_type: dict[int, float] = {}
    for item in items:
        handling = sorted(set(skills[item.id]) | set(comprehensive))
        if not handling:
            continue
        by_type[item.case_type_id].append(
            _Item(
                id=item.id,
                case_type_id=item.case_type_id,
                prefix=item.case_type.prefix,
                service_minutes=item.service_minutes,
                windows=tuple((w, clerk_of[w]) for w in handling),
            )
        )
        weights_of_type[item.case_type_id] = CASE_TYPE_WEIGHTS.get(
            item.case_type.code, OTHER_WEIGHT
        )
    chosen: list[_Item] = []
    weights: list[float] = []
    for type_id, group in by_type.items():
        zipf = [1 / (rank + 1) for rank in range(len(group))]
        total = sum(zipf)
        chosen += group
        weights += [weights_of_type[type_id] * z / total for z in zipf]
    if not chosen:
        raise Invalid(_("No window of this center handles any item: add windows first."))
    return chosen, weights


def _span(day: date, periods: list[tuple[time, time]], zone: ZoneInfo) -> list[tuple[int, int]]:
    """The day's opening periods as UTC epoch seconds, less their last half hour."""
    spans = []
    for opens, closes in periods:
        start = int(datetime.combine(day, opens, zone).timestamp())
        end = int(datetime.combine(day, closes, zone).timestamp()) - 1800
        if end - start > 600:
            spans.append((start, end))
    return spans


def _arrivals(rng: random.Random, spans: list[tuple[int, int]], n: int) -> list[int]:
    lengths = [end - start for start, end in spans]
    total = sum(lengths)
    moments = []
    for offset in (int(rng.random() * total) for _arrival in range(n)):
        for (start, _end), length in zip(spans, lengths, strict=True):
            if offset < length:
                moments.append(start + offset)
                break
            offset -= length
    return sorted(moments)


TICKET_COLUMNS = (
    "id token center_id service_date number service_item_id case_type_id state is_priority "
    "is_booked issued_dt queued_dt window_id transfer_window_id call_count first_called_dt "
    "called_dt started_dt finished_dt is_requeued"
).split()
CASE_COLUMNS = (
    "id number center_id service_date ticket_id service_item_id case_type_id outcome clerk_id "
    "window_id is_booked issued_dt first_called_dt started_dt completed_dt wait_seconds "
    "service_seconds notes"
).split()
EVALUATION_COLUMNS = "case_id center_id service_date rating comment created_dt".split()


@dataclass
class _Day:
    tickets: list[tuple[Any, ...]]
    cases: list[tuple[Any, ...]]
    evaluations: list[tuple[Any, ...]]
    counters: Counter[str]


def tickets_a_day(per_day: int) -> int:
    """Tickets of a generated day: one per case, plus the no-shows and the cancelled."""
    return per_day + round(per_day * NO_SHOW_SHARE) + round(per_day * CANCELLED_SHARE)


def _one_day(
    rng: random.Random,
    out: BulkWriter,
    center: _Place,
    day: date,
    periods: list[tuple[time, time]],
    catalogue: tuple[list[_Item], list[float]],
    ticket_ids: list[int],
    case_ids: list[int],
) -> _Day:
    """Generate one working day: tickets in arrival order, cases in completion order.

    One case per id of ``case_ids``; ``tickets_a_day(len(case_ids))`` tickets.
    """
    per_day = len(case_ids)
    states = (
        [TicketState.DONE] * per_day
        + [TicketState.NO_SHOW] * round(per_day * NO_SHOW_SHARE)
        + [TicketState.CANCELLED] * round(per_day * CANCELLED_SHARE)
    )
    rng.shuffle(states)
    n = len(states)
    spans = _span(day, periods, center.zone)
    arrivals = _arrivals(rng, spans, n)
    items = rng.choices(catalogue[0], weights=catalogue[1], k=n)
    tokens = out.tokens(n)
    iso_day = day.isoformat()
    null = out.null
    counters: Counter[str] = Counter()
    tickets: list[tuple[Any, ...]] = []
    #: (completed, ticket id, item, window, clerk, booked, the four moments, as seconds and text)
    served: list[tuple[Any, ...]] = []
    for i in range(n):
        item, state, issued, ticket_id = items[i], states[i], arrivals[i], ticket_ids[i]
        counters[item.prefix] += 1
        window_id, clerk_id = item.windows[int(rng.random() * len(item.windows))]
        called = issued + min(int(rng.expovariate(1 / MEAN_WAIT_SECONDS)) + 15, MAX_WAIT_SECONDS)
        booked = rng.random() < BOOKED_SHARE
        issued_text, called_text = out.stamp(issued), out.stamp(called)
        window, started, finished, calls = window_id, null, null, 1
        if state is TicketState.DONE:
            start = called + 20 + int(rng.random() * 71)
            end = start + max(int(item.service_minutes * 60 * rng.uniform(0.5, 1.5)), 60)
            started, finished = out.stamp(start), out.stamp(end)
            served.append(
                (end, ticket_id, item, window_id, clerk_id, booked, issued, called, start)
                + (issued_text, called_text, started, finished)
            )
        elif state is TicketState.NO_SHOW:
            finished, calls = out.stamp(called + 180), 2
        else:  # cancelled while waiting
            window, called_text, calls = null, null, 0
            finished = out.stamp(issued + (called - issued) // 2 + 1)
        tickets.append(
            (
                ticket_id,
                tokens[i],
                center.id,
                iso_day,
                f"{item.prefix}{counters[item.prefix]:03d}",
                item.id,
                item.case_type_id,
                state.value,
                out.false,
                out.flag(booked),
                issued_text,
                issued_text,
                window,
                null,
                calls,
                called_text,
                called_text,
                started,
                finished,
                out.false,
            )
        )

    served.sort()
    outcomes = rng.choices(
        list(OUTCOME_WEIGHTS), weights=list(OUTCOME_WEIGHTS.values()), k=len(served)
    )
    ratings = rng.choices(list(RATINGS), weights=list(RATINGS.values()), k=len(served))
    number_prefix = f"{center.case_prefix}-{day:%Y%m%d}-"
    cases: list[tuple[Any, ...]] = []
    evaluations: list[tuple[Any, ...]] = []
    for sequence, (case_id, outcome, rating, row) in enumerate(
        zip(case_ids, outcomes, ratings, served, strict=True), 1
    ):
        end, ticket_id, item, window_id, clerk_id, booked, issued, called, start = row[:9]
        issued_text, called_text, started_text, completed = row[9:]
        cases.append(
            (
                case_id,
                f"{number_prefix}{sequence:04d}",
                center.id,
                iso_day,
                ticket_id,
                item.id,
                item.case_type_id,
                outcome.value,
                null if clerk_id is None else clerk_id,
                window_id,
                out.flag(booked),
                issued_text,
                called_text,
                started_text,
                completed,
                called - issued,
                end - start,
                "",
            )
        )
        if rng.random() < RATED_SHARE:
            comment = rng.choice(LOW_COMMENTS) if rating <= 2 else ""
            evaluations.append(
                (
                    case_id,
                    center.id,
                    iso_day,
                    rating,
                    out.text(comment),
                    out.stamp(end + 60 + int(rng.random() * 541)),
                )
            )
    counters["case"] = len(cases)
    return _Day(tickets, cases, evaluations, counters)


def seed_history(
    center: Center,
    *,
    first: date,
    last: date,
    per_day: int,
    today: date,
    seed: int = 2026,
    live: bool = False,
    progress: Callable[[int], None] | None = None,
) -> HistoryResult:
    """Fill the center's working days of ``first`` … ``last`` with ``per_day`` cases each.

    :param live: keep the tables' foreign keys and indexes in place (PostgreSQL), so an app
        serving the database can go on using them while this runs.
    :raises Invalid: for days after ``today``, a count below one, or a center without windows.
    :raises HistoryOverlap: when any of the days already has cases or tickets (nothing added).
    :raises TablesBusy: when the tables to lift stay locked by others (nothing added).
    """
    if last > today:
        raise Invalid(_("History ends today at the latest."), field="until")
    if per_day < 1:
        raise Invalid(_("Give at least one case a day."), field="per_day")
    write_transaction()
    refuse_overlap(center, first, last)
    summaries.forget(center.id, first, last)  # those days held nothing: drop what said so
    days = working_days(center, first, last)
    catalogue = _catalogue(center)
    place = _Place(center.id, center.case_prefix, ZoneInfo(center.timezone))
    plan = [(day, opening_periods(center, day)) for day in days]
    per_batch = max(1, BATCH_CASES // per_day)
    batches = [plan[i : i + per_batch] for i in range(0, len(plan), per_batch)]
    a_day = tickets_a_day(per_day)
    rng = random.Random(seed)
    counts: Counter[str] = Counter()
    counters: dict[date, Counter[str]] = {}

    def generate(
        batch: list[tuple[date, list[tuple[time, time]]]], tickets: list[int], cases: list[int]
    ) -> tuple[list[tuple[date, Counter[str]]], list[tuple[Any, int]]]:
        """The batch's days: each day's counters, and each table's rows packed, with their count."""
        generated = [
            _one_day(
                rng,
                out,
                place,
                day,
                periods,
                catalogue,
                tickets[i * a_day : (i + 1) * a_day],
                cases[i * per_day : (i + 1) * per_day],
            )
            for i, (day, periods) in enumerate(batch)
        ]
        tables = [
            [r for g in generated for r in g.tickets],
            [r for g in generated for r in g.cases],
            [r for g in generated for r in g.evaluations],
        ]
        return (
            [(day, g.counters) for (day, _periods), g in zip(batch, generated, strict=True)],
            [(out.pack(rows), len(rows)) for rows in tables],
        )

    lift = () if live or not _lifting_pays(per_day * len(days)) else TABLES
    with BulkWriter(lift=lift) as out, ThreadPoolExecutor(1, "seed-history") as generator:

        def submit(batch: list[tuple[date, list[tuple[time, time]]]]) -> Future:
            tickets = out.take_ids("tickets", a_day * len(batch))
            cases = out.take_ids("cases", per_day * len(batch))
            return generator.submit(generate, batch, tickets, cases)

        pending = submit(batches[0]) if batches else None
        for index in range(len(batches)):
            assert pending is not None
            day_counters, packed = pending.result()
            pending = submit(batches[index + 1]) if index + 1 < len(batches) else None
            for table, columns, (rows, n) in zip(
                TABLES, (TICKET_COLUMNS, CASE_COLUMNS, EVALUATION_COLUMNS), packed, strict=True
            ):
                out.write(table, columns, rows)
                counts[table] += n
            counters.update(day_counters)
            if progress is not None:
                progress(len(day_counters))
    _bump_counters(center, counters)
    if is_postgresql():  # fresh statistics, or the planner guesses from an empty table
        db.session.execute(text("ANALYZE tickets, cases, evaluations"))
    return HistoryResult(days, counts["cases"], counts["tickets"], counts["evaluations"])


def _lifting_pays(new_cases: int) -> bool:
    """Tell whether lifting the checks pays: putting them back reads every row of the tables,
    so it does when the new cases are at least half the cases there already (PostgreSQL's
    estimate; on SQLite the highest id, which no count beats and which costs one index step)."""
    if is_postgresql():
        statement = "SELECT greatest(reltuples, 0) FROM pg_class WHERE oid = 'cases'::regclass"
    else:
        statement = "SELECT max(id) FROM cases"
    held = db.session.scalar(text(statement))
    return new_cases >= (held or 0) / 2


def _bump_counters(center: Center, counters: dict[date, Counter[str]]) -> None:
    """Raise the day counters past the numbers handed out, so live numbering stays unique."""
    if not counters:
        return
    existing = {
        (row.service_date, row.series): row
        for row in db.session.scalars(
            select(DailyCounter).where(
                DailyCounter.center_id == center.id,
                DailyCounter.service_date.between(min(counters), max(counters)),
            )
        )
    }
    new_rows = []
    for day, series_counts in counters.items():
        for series, value in series_counts.items():
            row = existing.get((day, series))
            if row is not None:
                row.last_value = max(row.last_value, value)
            else:
                new_rows.append(
                    {
                        "center_id": center.id,
                        "service_date": day,
                        "series": series,
                        "last_value": value,
                    }
                )
    if new_rows:
        db.session.execute(insert(DailyCounter), new_rows)
    db.session.flush()
