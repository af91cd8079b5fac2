"""CSV files that Excel opens correctly: UTF-8 with a BOM, CRLF, formula injection guarded."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from typing import Any

from flask_babel import gettext as _

from ..clock import to_local
from ..i18n import current_language
from .formatting import OUTCOME_LABELS
from .series import DayTypeRow

BOM = "\ufeff"
#: a cell starting with one of these is read by spreadsheets as a formula (or hides one)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def guard(value: Any) -> Any:
    """Make a text cell inert in spreadsheets: prefix ' when it could start a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _lines(header: list[str], rows: Iterable[list[Any]]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow([guard(h) for h in header])
    yield BOM + flush()
    for count, row in enumerate(rows, 1):
        writer.writerow([guard(cell) for cell in row])
        if count % 500 == 0:
            yield flush()
    yield flush()


def _blank(value: Any) -> Any:
    return "" if value is None else value


def cases_csv(rows: Iterable[Any]) -> Iterator[str]:
    """One line per case (``series.case_rows``), in the reader's language; no personal data."""
    english = current_language() == "en"
    header = [
        _("Center"),
        _("Case number"),
        _("Date"),
        _("Completed at"),
        _("Case type code"),
        _("Case type"),
        _("Item code"),
        _("Item"),
        _("Outcome code"),
        _("Outcome"),
        _("Window"),
        _("Clerk"),
        _("Ticket"),
        _("Booked"),
        _("Waiting time (s)"),
        _("Service time (s)"),
        _("Rating"),
        _("Rating comment"),
    ]
    yes, no = _("yes"), _("no")

    def lines() -> Iterator[list[Any]]:
        for r in rows:
            yield [
                r.center,
                r.number,
                r.service_date.isoformat(),
                to_local(r.completed_dt, r.timezone).strftime("%Y-%m-%d %H:%M:%S"),
                r.case_type,
                (r.case_type_en or r.case_type_zh) if english else r.case_type_zh,
                r.item_code,
                (r.item_en or r.item_zh) if english else r.item_zh,
                r.outcome.value,
                str(OUTCOME_LABELS[r.outcome]),
                _blank(r.window),
                _blank(r.clerk),
                _blank(r.ticket),
                yes if r.is_booked else no,
                _blank(r.wait_seconds),
                _blank(r.service_seconds),
                _blank(r.rating),
                r.comment or "",
            ]

    return _lines(header, lines())


def days_csv(rows: list[DayTypeRow]) -> Iterator[str]:
    """One line per center, day and case type (``series.day_type_rows``)."""
    header = [
        _("Center"),
        _("Date"),
        _("Case type code"),
        _("Case type"),
        _("Cases"),
        _("Completed (办结)"),
        _("Documents missing (补正)"),
        _("Not accepted (不予受理)"),
        _("Tickets issued"),
        _("Booked tickets"),
        _("No-shows"),
        _("Unserved at closing"),
        _("Tickets from the phone"),
        _("Assisted tickets (帮办代办)"),
        _("Mean waiting time (s)"),
        _("Mean service time (s)"),
    ]
    return _lines(
        header,
        (
            [
                r.center.code,
                r.day.isoformat(),
                r.case_type.code,
                r.case_type.name,
                r.cases,
                *(r.outcomes[o] for o in OUTCOME_LABELS),
                r.tickets_issued,
                r.tickets_booked,
                r.no_shows,
                r.unserved,
                r.tickets_remote,
                r.tickets_assisted,
                _blank(r.wait.mean),
                _blank(r.service.mean),
            ]
            for r in rows
        ),
    )
