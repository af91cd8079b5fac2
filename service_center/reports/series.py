"""Counts per case type over days and hours ("since" totals, charts) and the CSV rows.

Same filters as ``services.compute_figures`` (``cases_in`` / ``tickets_in``), so the per-day
rows add up to the figures of the range.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select

from ..auth.models import User
from ..catalogue.models import CaseType, Center, ServiceItem
from ..catalogue.services import list_case_types
from ..clock import to_local
from ..db import db
from ..queueing.models import Case, Evaluation, Outcome, Ticket, TicketState
from ..windows.models import Window
from . import summaries
from .figures import Durations
from .scope import Scope, cases_in, tickets_in

# --- counts per case type: "since" totals and series ---------------------------------------


def case_type_totals(scope: Scope, first: date, last: date) -> list[tuple[CaseType, int]]:
    """Cases per case type over ``first`` … ``last``, every type listed.

    A single day is an index-only count; a longer range adds the stored day summaries.
    """
    if first < last:
        tally, _seconds = summaries.range_tally(scope, first, last)
        return [(t, sum(tally.outcomes[t.id].values())) for t in list_case_types()]
    counts = dict(
        db.session.execute(
            select(Case.case_type_id, func.count())
            .where(cases_in(scope, first, last))
            .group_by(Case.case_type_id)
        ).all()
    )
    return [(t, int(counts.get(t.id, 0))) for t in list_case_types()]


def first_case_date(scope: Scope) -> date | None:
    """The day of the scope's first recorded case, if any."""
    return db.session.scalar(
        select(func.min(Case.service_date)).where(Case.center_id.in_(scope.center_ids))
    )


@dataclass(frozen=True)
class Bucket:
    """Cases per case type id in one bucket of a chart (a day, an hour)."""

    label: str
    counts: dict[int, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def daily_series(scope: Scope, first: date, last: date) -> list[Bucket]:
    """Cases per case type on every day of ``first`` … ``last`` (days without cases too).

    From the stored day summaries for the closed days of a range (``summaries``).
    """
    counts: dict[date, dict[int, int]] = defaultdict(dict)
    if first < last:
        tally, _seconds = summaries.range_tally(scope, first, last, daily=True)
        rows: Any = ((day, type_id, n) for (day, type_id), n in tally.daily.items())
    else:
        rows = db.session.execute(
            select(Case.service_date, Case.case_type_id, func.count())
            .where(cases_in(scope, first, last))
            .group_by(Case.service_date, Case.case_type_id)
        )
    for day, type_id, n in rows:
        if n:
            counts[day][type_id] = counts[day].get(type_id, 0) + int(n)
    days = (last - first).days + 1
    return [
        Bucket((first + timedelta(d)).isoformat(), counts.get(first + timedelta(d), {}))
        for d in range(days)
    ]


def hourly_series(scope: Scope, day: date) -> list[Bucket]:
    """Cases per case type completed in each local hour of ``day`` (per-day rows)."""
    zones = {c.id: c.timezone for c in scope.centers}
    counts: dict[int, Counter[int]] = defaultdict(Counter)
    rows = db.session.execute(
        select(Case.center_id, Case.completed_dt, Case.case_type_id).where(
            cases_in(scope, day, day)
        )
    )
    for center_id, completed, type_id in rows:
        counts[to_local(completed, zones[center_id]).hour][type_id] += 1
    if not counts:
        return []
    hours = range(min(min(counts), 8), max(max(counts), 17) + 1)
    return [Bucket(f"{h:02d}", dict(counts.get(h, {}))) for h in hours]


# --- one row per day and case type; one row per case (CSV) ---------------------------------


@dataclass(frozen=True)
class DayTypeRow:
    center: Center
    day: date
    case_type: CaseType
    cases: int
    outcomes: dict[Outcome, int]
    wait: Durations
    service: Durations
    tickets_issued: int
    tickets_booked: int
    no_shows: int
    unserved: int
    tickets_remote: int = 0
    tickets_assisted: int = 0


def day_type_rows(scope: Scope, first: date, last: date) -> list[DayTypeRow]:
    """One row per center, day and case type that saw a case or a ticket, in date order."""
    Key = tuple[int, date, int]
    outcomes: dict[Key, Counter[Outcome]] = defaultdict(Counter)
    waits: dict[Key, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for center_id, day, type_id, outcome, n, w_sum, w_n, s_sum, s_n in db.session.execute(
        select(
            Case.center_id,
            Case.service_date,
            Case.case_type_id,
            Case.outcome,
            func.count(),
            func.coalesce(func.sum(Case.wait_seconds), 0),
            func.count(Case.wait_seconds),
            func.coalesce(func.sum(Case.service_seconds), 0),
            func.count(Case.service_seconds),
        )
        .where(cases_in(scope, first, last))
        .group_by(Case.center_id, Case.service_date, Case.case_type_id, Case.outcome)
    ):
        key = (center_id, day, type_id)
        outcomes[key][outcome] += n
        sums = waits[key]
        sums[0] += int(w_sum)
        sums[1] += w_n
        sums[2] += int(s_sum)
        sums[3] += s_n
    tickets: dict[Key, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0, 0])
    for center_id, day, type_id, is_booked, is_remote, is_assisted, state, n in db.session.execute(
        select(
            Ticket.center_id,
            Ticket.service_date,
            Ticket.case_type_id,
            Ticket.is_booked,
            Ticket.is_remote,
            Ticket.is_assisted,
            Ticket.state,
            func.count(),
        )
        .where(tickets_in(scope, first, last))
        .group_by(
            Ticket.center_id,
            Ticket.service_date,
            Ticket.case_type_id,
            Ticket.is_booked,
            Ticket.is_remote,
            Ticket.is_assisted,
            Ticket.state,
        )
    ):
        counts = tickets[(center_id, day, type_id)]
        counts[0] += n
        counts[1] += n if is_booked else 0
        counts[2] += n if state is TicketState.NO_SHOW else 0
        counts[3] += n if state is TicketState.UNSERVED else 0
        counts[4] += n if is_remote and not is_booked else 0
        counts[5] += n if is_assisted else 0
    centers = {c.id: c for c in scope.centers}
    types = {t.id: t for t in list_case_types()}
    keys = sorted(
        set(outcomes) | set(tickets), key=lambda k: (k[1], k[0], types[k[2]].position, k[2])
    )
    rows = []
    for key in keys:
        sums = waits.get(key, [0, 0, 0, 0])
        issued, booked, no_shows, unserved, remote, assisted = tickets.get(key, [0] * 6)
        rows.append(
            DayTypeRow(
                center=centers[key[0]],
                day=key[1],
                case_type=types[key[2]],
                cases=sum(outcomes[key].values()),
                outcomes={o: outcomes[key][o] for o in Outcome},
                wait=Durations(sums[1], sums[0]),
                service=Durations(sums[3], sums[2]),
                tickets_issued=issued,
                tickets_booked=booked,
                tickets_remote=remote,
                tickets_assisted=assisted,
                no_shows=no_shows,
                unserved=unserved,
            )
        )
    return rows


def case_rows(scope: Scope, first: date, last: date) -> Iterator[Any]:
    """Stream one row per case (no personal data of the applicant), in completion order."""
    stmt = (
        select(
            Center.code.label("center"),
            Case.number,
            Case.service_date,
            Case.completed_dt,
            CaseType.code.label("case_type"),
            CaseType.name_zh.label("case_type_zh"),
            CaseType.name_en.label("case_type_en"),
            ServiceItem.code.label("item_code"),
            ServiceItem.name_zh.label("item_zh"),
            ServiceItem.name_en.label("item_en"),
            Case.outcome,
            Window.number.label("window"),
            User.display_name.label("clerk"),
            Ticket.number.label("ticket"),
            Case.is_booked,
            Case.wait_seconds,
            Case.service_seconds,
            Evaluation.rating,
            Evaluation.comment,
            Center.timezone,
        )
        .join(Center, Center.id == Case.center_id)
        .join(CaseType, CaseType.id == Case.case_type_id)
        .join(ServiceItem, ServiceItem.id == Case.service_item_id)
        .outerjoin(Window, Window.id == Case.window_id)
        .outerjoin(User, User.id == Case.clerk_id)
        .outerjoin(Ticket, Ticket.id == Case.ticket_id)
        .outerjoin(Evaluation, Evaluation.case_id == Case.id)
        .where(cases_in(scope, first, last))
        .order_by(Case.service_date, Case.center_id, Case.completed_dt, Case.id)
        .execution_options(yield_per=2000)
    )
    yield from db.session.execute(stmt)
