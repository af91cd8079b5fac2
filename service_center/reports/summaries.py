"""Stored per-day summaries of closed days, so a range report costs its days, not its cases.

A range's figures (``services.compute_figures`` over more than one day) add up the stored
summaries of its *closed* days — one ``report_days`` row per center and local day, holding as
JSON the counts and sums every figure needs — and the live tallies of the days not closed yet.
A closed day without a summary is computed from its cases in one grouped pass over the missing
days and stored on the way (on a connection of its own, so a GET's session stays untouched).
The waiting and service times stay exact: the day's JSON counts the cases per minute, and
``report_day_times`` holds the exact seconds of each minute, read only for the one minute the
90th percentile falls in.

When a day counts as closed: ``GRACE`` after the center's local midnight. Every write that can
change a closed day's figures calls ``touch`` (or ``forget``) in its own transaction, which
bumps the center's generation and deletes the day's summary. The queue does not know the
reports: it announces its changes (``queueing/signals.py``) and ``listeners.py`` touches:

* ``case_rated`` — a resident rates a case of an earlier day;
* ``ticket_no_show``, ``ticket_requeued``, ``ticket_transferred`` (to another item) — the
  call-next queue does not end at midnight, so a ticket issued yesterday can still be called,
  missed, put back or moved to another item (its case type) today, changing yesterday's
  no-shows and tickets per case type; call, recall, start, cancel and complete do not change a
  figure of the ticket's day (a completion records its case on the day of completion);
* ``ticket_issued`` and ``case_recorded`` write on the day of their ``now``, which is only a
  closed day when a caller passes a moment of the past (scripts, tests);
* ``demo.history.seed_history`` — fills whole past days (it calls ``forget`` itself).

Races: storing re-reads the center's generation under its row lock (the write lock on SQLite)
and stores nothing if it moved since the days were read, so a summary is never stored from
data older than a committed invalidation. A writer that found its day still open committed
within ``GRACE`` of that check (transactions take milliseconds), before any reader could
treat the day as closed. A summary dropped between the two reads of a range (days, then
exact seconds) shows as a stamp or a sum that does not match: the range is then computed live.
"""

from __future__ import annotations

import json
import logging
import random
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, func, or_, select
from sqlalchemy.exc import SQLAlchemyError

from .. import clock
from ..catalogue.models import Center
from ..db import db, holds_changes, insert_for, write_connection
from ..queueing.models import Outcome
from .models import ReportDay, ReportDayTimes, ReportGeneration
from .scope import Scope
from .tally import StaleSummary, Tally, Times, tally_days

log = logging.getLogger(__name__)

#: the layout of ``ReportDay.figures``; a summary of another layout is computed again
FORMAT = 5
#: a day counts as closed this long after the center's local midnight
GRACE = timedelta(minutes=10)
_OUTCOMES = {o.value: o for o in Outcome}


def last_closed_day(center: Center, now: datetime) -> date:
    """The center's latest day whose summary may be stored at ``now``."""
    return clock.local_date(now - GRACE, center.timezone) - timedelta(days=1)


# --- invalidation -------------------------------------------------------------------------


def touch(center: Center, day: date) -> None:
    """Note that the unit of work is changing the figures of ``center``'s ``day``.

    Drops the day's summary when the day is closed by now (a day still open has none). Call
    it inside the writing transaction.
    """
    if day < clock.local_date(clock.now_utc(), center.timezone):
        forget(center.id, day, day)


def forget(center_id: int, first: date, last: date) -> None:
    """Drop the summaries of ``first`` … ``last`` of a center (days and their months).

    Runs in the caller's transaction. The generation goes up first: its row lock
    (PostgreSQL) makes a concurrent store wait for this transaction, then find it moved.
    """
    insert = insert_for(db.session.get_bind().dialect.name)
    db.session.execute(
        insert(ReportGeneration)
        .values(center_id=center_id, generation=1)
        .on_conflict_do_update(
            index_elements=["center_id"],
            set_={"generation": ReportGeneration.generation + 1},
        )
    )
    for model in (ReportDayTimes, ReportDay):
        db.session.execute(
            delete(model).where(
                model.center_id == center_id,
                or_(
                    and_(~model.month, model.service_date.between(first, last)),
                    and_(model.month, model.service_date.between(first.replace(day=1), last)),
                ),
            )
        )


def summarise(
    scope: Scope, first: date, *, now: datetime, progress: Callable[[int], None] | None = None
) -> int:
    """Store the missing summaries of the scope's closed days from ``first`` on, a year at a
    time; return how many summaries (days and months) are stored for them now.

    What a range report would do on its first request, done ahead (after seeding history, or
    nightly), so that no supervisor waits for years of cases to be read.
    """
    last = max(last_closed_day(c, now) for c in scope.centers)
    start = first
    while start <= last:
        end = min(last, start.replace(year=start.year + 1, day=1) - timedelta(days=1))
        range_tally(scope, start, end)
        db.session.commit()
        if progress is not None:
            progress((end - start).days + 1)
        start = end + timedelta(days=1)
    return int(
        db.session.scalar(
            select(func.count()).where(
                ReportDay.center_id.in_(scope.center_ids), ReportDay.service_date >= first
            )
        )
        or 0
    )


# --- reading a range ----------------------------------------------------------------------

StoredSeconds = Callable[[str, int], Counter[int]]
#: a stored summary: (center id, whether of a month, its first day)
Key = tuple[int, bool, date]


def range_tally(
    scope: Scope, first: date, last: date, *, daily: bool = False
) -> tuple[Tally, StoredSeconds]:
    """The tally of ``first`` … ``last``, and the reader of the stored exact seconds.

    ``daily``: with the cases per day and case type of the days not closed yet too (those of
    the closed days come with their summaries).
    """
    now = clock.now_utc()
    total = Tally()
    closed = {c.id: min(last, last_closed_day(c, now)) for c in scope.centers}
    open_days: dict[tuple[date, date], list[int]] = defaultdict(list)
    for center_id, closed_last in closed.items():
        start = max(first, closed_last + timedelta(days=1))
        if start <= last:
            open_days[(start, last)].append(center_id)
    for (start, end), center_ids in open_days.items():
        total.merge(tally_days(center_ids, start, end, daily=daily)[None])
    closing = [center_id for center_id, closed_last in closed.items() if closed_last >= first]
    if not closing:
        return total, lambda metric, minute: Counter()
    generations = dict(
        db.session.execute(
            select(ReportGeneration.center_id, ReportGeneration.generation).where(
                ReportGeneration.center_id.in_(closing)
            )
        ).all()
    )
    stored: dict[Key, int] = {}
    for center_id in closing:
        months, days = _split(first, closed[center_id])
        wanted = [(True, m) for m, _end in months] + [(False, d) for d in days]
        rows = db.session.execute(
            select(
                ReportDay.month, ReportDay.service_date, ReportDay.stamp, ReportDay.figures
            ).where(
                ReportDay.center_id == center_id,
                or_(
                    and_(ReportDay.month, ReportDay.service_date.in_([m for m, _e in months])),
                    and_(~ReportDay.month, ReportDay.service_date.in_(days)),
                ),
            )
        )
        for month, start, stamp, text in rows:
            data = json.loads(text)
            if data.get("v") != FORMAT:
                continue
            _add_stored(total, data)
            stored[(center_id, month, start)] = stamp
        # each month, each run of days stored as soon as computed: a first year over
        # millions of cases takes a while, and what a request cut short did is kept
        for month_first, month_last in months:
            if (center_id, True, month_first) not in stored:
                tally = tally_days([center_id], month_first, month_last, daily=True)[None]
                total.merge(tally)
                _store({(center_id, True, month_first): tally}, generations)
        missing = [d for month, d in wanted if not month and (center_id, False, d) not in stored]
        for run in _runs(missing):
            tallies = tally_days([center_id], run[0], run[-1], by_day=True)
            computed = {(center_id, False, d): tallies.get((center_id, d)) or Tally() for d in run}
            for tally in computed.values():
                total.merge(tally)
            _store(computed, generations)
    until = max(closed[c] for c in closing)

    def stored_seconds(metric: str, minute: int) -> Counter[int]:
        seconds: Counter[int] = Counter()
        if not stored:
            return seconds
        rows = db.session.execute(
            select(
                ReportDayTimes.center_id,
                ReportDayTimes.month,
                ReportDayTimes.service_date,
                ReportDayTimes.stamp,
                ReportDayTimes.seconds,
            ).where(
                ReportDayTimes.center_id.in_(closing),
                ReportDayTimes.metric == metric,
                ReportDayTimes.minute == minute,
                ReportDayTimes.service_date.between(first, until),
            )
        )
        base = minute * 60
        for center_id, month, start, stamp, text in rows:
            expected = stored.get((center_id, month, start))
            if expected is None:
                continue
            if expected != stamp:
                raise StaleSummary()
            for pair in text.split():
                second, n = pair.split(":")
                seconds[base + int(second)] += int(n)
        return seconds

    return total, stored_seconds


def _split(first: date, last: date) -> tuple[list[tuple[date, date]], list[date]]:
    """The whole calendar months within ``first`` … ``last``, and the days outside them."""
    months: list[tuple[date, date]] = []
    days: list[date] = []
    day = first
    while day <= last:
        month_last = (day.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
        if day.day == 1 and month_last <= last:
            months.append((day, month_last))
            day = month_last + timedelta(days=1)
        else:
            days.append(day)
            day += timedelta(days=1)
    return months, days


def _runs(days: list[date]) -> list[list[date]]:
    """Split ascending days into runs of consecutive days."""
    runs: list[list[date]] = []
    for day in days:
        if runs and (day - runs[-1][-1]).days == 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    return runs


def _add_stored(total: Tally, data: dict[str, Any]) -> None:
    """Add one stored day (``_as_json``) to ``total``: its counts, minutes but no seconds."""
    outcomes = total.outcomes
    for type_id, outcome, n in data["o"]:
        outcomes[type_id][_OUTCOMES[outcome]] += n
    for name, tallies in (("win", total.windows), ("clk", total.clerks)):
        for ident, cases, s_total, s_count, by_type in data[name]:
            tally = tallies[ident]
            tally.cases += cases
            tally.service_total += s_total
            tally.service_count += s_count
            for type_id, n in by_type:
                tally.by_type[type_id] += n
    items = total.items
    for item_id, n in data["itm"]:
        items[item_id] += n
    for type_id, issued, booked, no_shows, unserved, remote, assisted in data["tk"]:
        total.issued[type_id] += issued
        total.booked[type_id] += booked
        total.remote[type_id] += remote
        total.assisted[type_id] += assisted
        total.no_shows[type_id] += no_shows
        total.unserved[type_id] += unserved
    for window_id, n in data["wns"]:
        total.window_no_shows[window_id] += n
    for name, times in (("w", total.wait), ("s", total.service)):
        count, sum_, minutes = data[name]
        times.count += count
        times.total += sum_
        per_minute = times.minutes
        for minute, n in minutes:
            per_minute[minute] += n
    total.add_ratings(*data["r"])
    daily = total.daily
    for ordinal, type_id, n in data["d"]:
        daily[(date.fromordinal(ordinal), type_id)] += n


# --- storing ------------------------------------------------------------------------------


def _as_json(tally: Tally) -> str:
    def tallies(rows: dict[Any, Any]) -> list[list[Any]]:
        return [
            [ident, t.cases, t.service_total, t.service_count, sorted(t.by_type.items())]
            for ident, t in rows.items()
        ]

    def minutes(times: Times) -> list[Any]:
        return [times.count, times.total, sorted(times.minutes.items())]

    types = set(tally.issued) | set(tally.no_shows) | set(tally.unserved)
    data = {
        "v": FORMAT,
        "o": [
            [type_id, outcome.value, n]
            for type_id, counts in tally.outcomes.items()
            for outcome, n in counts.items()
        ],
        "win": tallies(tally.windows),
        "clk": tallies(tally.clerks),
        "itm": sorted(tally.items.items()),
        "tk": [
            [
                t,
                tally.issued[t],
                tally.booked[t],
                tally.no_shows[t],
                tally.unserved[t],
                tally.remote[t],
                tally.assisted[t],
            ]
            for t in sorted(types)
        ],
        "wns": list(tally.window_no_shows.items()),
        "w": minutes(tally.wait),
        "s": minutes(tally.service),
        "r": tally.ratings,
        "d": [[day.toordinal(), type_id, n] for (day, type_id), n in sorted(tally.daily.items())],
    }
    return json.dumps(data, separators=(",", ":"))


def _times_rows(key: Key, stamp: int, tally: Tally) -> list[dict[str, Any]]:
    center_id, month, day = key
    rows = []
    for metric, times in (("w", tally.wait), ("s", tally.service)):
        per_minute: dict[int, list[str]] = defaultdict(list)
        for seconds in sorted(times.exact):
            per_minute[seconds // 60].append(f"{seconds % 60}:{times.exact[seconds]}")
        rows += [
            {
                "center_id": center_id,
                "metric": metric,
                "minute": minute,
                "month": month,
                "service_date": day,
                "stamp": stamp,
                "seconds": " ".join(pairs),
            }
            for minute, pairs in per_minute.items()
        ]
    return rows


def _store(computed: dict[Key, Tally], generations: dict[int, int]) -> None:
    """Store the computed days and months of every center whose generation has not moved since read.

    Skipped when the session holds writes of its own (a store on another connection could
    wait for them, and must not see what may yet roll back). A failure to store is logged:
    the figures were computed all the same.
    """
    session = db.session()
    if holds_changes(session) or session.info.get("write_transaction"):
        return
    by_center: dict[int, list[Key]] = defaultdict(list)
    for key in computed:
        by_center[key[0]].append(key)
    insert = insert_for(db.engine.dialect.name)
    try:
        with write_connection() as conn:
            for center_id, keys in by_center.items():
                generation = conn.execute(
                    insert(ReportGeneration)
                    .values(center_id=center_id, generation=0)
                    .on_conflict_do_update(
                        index_elements=["center_id"],
                        set_={"generation": ReportGeneration.generation},
                    )
                    .returning(ReportGeneration.generation)
                ).scalar_one()
                if generation != generations.get(center_id, 0):
                    continue
                for month in (True, False):
                    starts = [start for _c, m, start in keys if m is month]
                    for model in (ReportDayTimes, ReportDay) if starts else ():
                        conn.execute(
                            delete(model).where(
                                model.center_id == center_id,
                                model.month.is_(month),
                                model.service_date.in_(starts),
                            )
                        )
                day_rows, times_rows = [], []
                for key in keys:
                    stamp = random.getrandbits(31)
                    tally = computed[key]
                    day_rows.append(
                        {
                            "center_id": center_id,
                            "month": key[1],
                            "service_date": key[2],
                            "stamp": stamp,
                            "figures": _as_json(tally),
                        }
                    )
                    times_rows += _times_rows(key, stamp, tally)
                conn.execute(insert(ReportDay), day_rows)
                if times_rows:
                    conn.execute(insert(ReportDayTimes), times_rows)
    except SQLAlchemyError:
        log.warning("could not store report summaries", exc_info=True)
