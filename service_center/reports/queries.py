"""The statements ``tally_days`` reads a range with: each built once, with bound parameters,
grouped in SQL over one index range scan per center (center_id, service_date)."""

from __future__ import annotations

import functools
from typing import Any

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

from ..queueing.models import Case, Evaluation, Ticket
from .scope import LOW_COMMENTS_SHOWN, LOW_RATING


def of_days(model: Any) -> ColumnElement[bool]:
    """The rows of ``model`` of ``tally_days``'s centers and days (bound parameters)."""
    return and_(
        model.center_id.in_(bindparam("center_ids", expanding=True)),
        model.service_date.between(bindparam("first"), bindparam("last")),
    )


@functools.cache
def case_groups(by_day: bool) -> Select[Any]:
    """Cases per case type, outcome, window, clerk and item, with their service seconds."""
    keys = (Case.case_type_id, Case.outcome, Case.window_id, Case.clerk_id, Case.service_item_id)
    day = (Case.center_id, Case.service_date) if by_day else ()
    sums = (
        func.count(),
        func.coalesce(func.sum(Case.service_seconds), 0),
        func.count(Case.service_seconds),
    )
    return select(*day, *keys, *sums).where(of_days(Case)).group_by(*day, *keys)


@functools.cache
def daily_counts() -> Select[Any]:
    """Cases per day and case type: a range's chart."""
    keys = (Case.service_date, Case.case_type_id)
    return select(*keys, func.count()).where(of_days(Case)).group_by(*keys)


@functools.cache
def ticket_groups(by_day: bool) -> Select[Any]:
    """Tickets per case type, channel (booked, remote or neither), assisted or not, final
    state and window."""
    keys = (
        Ticket.case_type_id,
        Ticket.is_booked,
        Ticket.is_remote,
        Ticket.is_assisted,
        Ticket.state,
        Ticket.window_id,
    )
    day = (Ticket.center_id, Ticket.service_date) if by_day else ()
    return select(*day, *keys, func.count()).where(of_days(Ticket)).group_by(*day, *keys)


@functools.cache
def time_pairs(by_day: bool) -> Select[Any]:
    """How many cases had each (waiting, service) seconds: both histograms of days in one scan.

    A day's pairs are about as many as its cases (~900 rows for 900 cases): fewer rows, and
    less work for either database, than the two histograms of the day (``_time_histogram``).
    """
    day = (Case.center_id, Case.service_date) if by_day else ()
    pairs = (Case.wait_seconds, Case.service_seconds)
    return select(*day, *pairs, func.count()).where(of_days(Case)).group_by(*day, *pairs)


@functools.cache
def time_histogram(service: bool) -> Select[Any]:
    """How many cases waited (or were served, ``service``) each number of seconds, over a
    range: rows as ``_time_pairs``'s, the other time None. A range's rows stay the distinct
    seconds, where its pairs would be about its cases."""
    seconds = Case.service_seconds if service else Case.wait_seconds
    pair = (null(), seconds) if service else (seconds, null())
    return select(*pair, func.count()).where(of_days(Case), seconds.is_not(None)).group_by(seconds)


def rating_sums() -> tuple[ColumnElement[Any], ...]:
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
def rating_groups(by_day: bool) -> Select[Any]:
    day = (Evaluation.center_id, Evaluation.service_date) if by_day else ()
    return select(*day, *rating_sums()).where(of_days(Evaluation)).group_by(*day)


@functools.cache
def ratings_and_comments() -> Select[Any]:
    """The rating sums in the first columns of every row, then one low comment per row (none:
    one row, its comment columns None): the satisfaction figures in one statement."""
    sums = select(*rating_sums()).where(of_days(Evaluation)).subquery("sums")
    low = low_comments_statement().subquery("low")
    return (
        select(*sums.c, low.c.number, low.c.rating, low.c.comment, low.c.created_dt)
        .select_from(sums.outerjoin(low, true()))
        .order_by(low.c.created_dt.desc(), low.c.id.desc())
    )


@functools.cache
def low_comments_statement() -> Select[Any]:
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
