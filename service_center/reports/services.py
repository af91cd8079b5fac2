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

from datetime import date

from . import summaries
from .figures import (
    CaseTypeFigures,
    ClerkFigures,
    Durations,
    Figures,
    ItemFigures,
    LowRating,
    Satisfaction,
    WindowFigures,
    nearest_rank,
)
from .scope import (
    ALL_CENTERS,
    LOW_COMMENTS_SHOWN,
    LOW_RATING,
    PERCENTILE,
    RANGE_MAX_DAYS,
    TOP_ITEMS,
    TOTALS_MAX_DAYS,
    Scope,
    cases_in,
    scope_for,
    tickets_in,
)
from .tally import StaleSummary, tally_days

__all__ = [
    "ALL_CENTERS",
    "LOW_COMMENTS_SHOWN",
    "LOW_RATING",
    "PERCENTILE",
    "RANGE_MAX_DAYS",
    "TOP_ITEMS",
    "TOTALS_MAX_DAYS",
    "CaseTypeFigures",
    "ClerkFigures",
    "Durations",
    "Figures",
    "ItemFigures",
    "LowRating",
    "Satisfaction",
    "Scope",
    "WindowFigures",
    "cases_in",
    "compute_figures",
    "nearest_rank",
    "scope_for",
    "tickets_in",
]


def compute_figures(scope: Scope, first: date, last: date, *, live: bool = False) -> Figures:
    """Compute every figure of ``scope`` for the days ``first`` … ``last``.

    A single day, and ``live=True``, read the cases, tickets and ratings of the days. A longer
    range adds the stored summaries of its closed days (``summaries``, computing and storing
    the missing ones) to the live figures of the days not closed yet: the same figures.
    """
    if live or first == last:
        tally = tally_days(scope.center_ids, first, last, comments=True)[None]
        return tally.figures(scope, first, last)
    try:
        tally, stored_seconds = summaries.range_tally(scope, first, last)
        return tally.figures(scope, first, last, stored_seconds)
    except StaleSummary:  # a summary was dropped while we read: the slow way, still exact
        return compute_figures(scope, first, last, live=True)
