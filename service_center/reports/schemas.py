"""What the supervisors' report endpoints of /api/v1 take and answer (API.md).

The query models only read the parameters as text: the days are read by ``params`` as the
report pages read them (defaults, messages, the range rules), and the ``center`` by
``scope_for`` (it needs the database and the caller).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import ConfigDict

from ..api.schema import Field, Input, Output


def _center() -> Any:
    return Field(
        "",
        description="a center's code, or `all` (county administrators); empty: the caller's "
        "own center (county administrators: all)",
    )


def _as_day(schema: dict[str, Any]) -> None:
    schema["format"] = "date"
    schema.pop("default", None)  # absent or empty: the view's default (or its message)


def _day(description: str | None = None, **kw: Any) -> Any:
    """A day as the query string sends it (YYYY-MM-DD), read by the view."""
    return Field("", description=description, json_schema_extra=_as_day, **kw)


class DailyQuery(Input):
    center: str = _center()
    date: str = _day("YYYY-MM-DD; default today")


class TotalsQuery(Input):
    # ``from`` is documented as required, but read as optional: the view then answers its
    # absence as the report pages do (after the scope's 403/404, with their message)
    model_config = ConfigDict(json_schema_extra={"required": ["from"]})

    center: str = _center()
    first: str = _day(alias="from")
    last: str = _day("inclusive; default today", alias="to")


class ReportDurations(Output):
    count: int
    mean: float | None = Field(description="seconds, rounded to 0.1")
    p90: int | None = Field(description="seconds, nearest rank")


class ReportLowComment(Output):
    case: str = Field(description="the case number")
    rating: int
    comment: str
    at: dt.datetime


class ReportSatisfaction(Output):
    count: int
    mean: float | None
    low_count: int = Field(description="ratings 1 and 2")
    low_share_percent: float | None
    low_comments: list[ReportLowComment] = Field(
        description="the latest low ratings with a comment"
    )


class ReportTickets(Output):
    issued: int
    booked: int
    remote: int = Field(description="taken from the phone (远程取号)")
    assisted: int = Field(description="help asked for (帮办代办), whatever the channel")
    no_shows: int
    unserved: int = Field(description="still waiting or called when the center closed")


class ReportWindow(Output):
    center: str | None = Field(description="null for cases recorded without a window")
    number: int | None
    name: str | None
    cases: int
    case_types: dict[str, int] = Field(description="cases per case type code")
    no_shows: int
    service_seconds_mean: float | None


class ReportClerk(Output):
    center: str | None = Field(description="null for cases recorded without a clerk")
    username: str | None
    name: str | None
    cases: int
    case_types: dict[str, int] = Field(description="cases per case type code")
    service_seconds_mean: float | None


class ReportItem(Output):
    center: str
    id: int
    code: str
    name: str
    case_type: str
    cases: int


class ReportFigures(Output):
    center: str = Field(description="the center's code, or `all`")
    center_name: str | None
    cases: dict[str, int] = Field(description="cases per case type code")
    cases_total: int
    outcomes: dict[str, dict[str, int]] = Field(description="outcomes per case type code")
    outcomes_total: dict[str, int]
    tickets_issued: int
    tickets_walk_in: int
    tickets_booked: int
    tickets_remote: int = Field(description="taken from the phone (远程取号)")
    tickets_assisted: int = Field(description="help asked for (帮办代办), whatever the channel")
    no_shows: int
    unserved: int = Field(description="tickets still waiting or called when the center closed")
    tickets: dict[str, ReportTickets] = Field(description="tickets per case type code")
    wait_seconds: ReportDurations
    service_seconds: ReportDurations
    percentile: Literal["nearest-rank"]
    satisfaction: ReportSatisfaction
    windows: list[ReportWindow]
    clerks: list[ReportClerk]
    top_items: list[ReportItem]


class DailyReport(ReportFigures):
    date: dt.date


class TotalsReport(ReportFigures):
    first: dt.date = Field(alias="from")
    last: dt.date = Field(alias="to", description="inclusive")
    days: int
