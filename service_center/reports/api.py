"""Supervisors' endpoints of /api/v1: a day's figures and totals over a range (API.md)."""

from __future__ import annotations

from typing import Any

from flask import jsonify
from flask_babel import gettext as _
from flask_login import current_user

from ..api import bp
from ..api.schema import operation
from ..clock import now_utc, to_local
from ..errors import problem
from . import schemas, services
from .params import Errors, parse_date, parse_range
from .services import TOTALS_MAX_DAYS, Durations, Figures


def _durations(d: Durations) -> dict[str, Any]:
    return {"count": d.count, "mean": d.mean, "p90": d.p90}


def figures_json(f: Figures) -> dict[str, Any]:
    """The API shape of a Figures: every count by case type code, times in seconds."""
    types = {t.case_type.id: t.case_type.code for t in f.case_types}

    def by_code(counts: dict[int, int]) -> dict[str, int]:
        return {code: counts.get(type_id, 0) for type_id, code in types.items()}

    s = f.satisfaction
    tz = f.scope.timezone
    return {
        "center": f.scope.code,
        "center_name": f.scope.center.name if f.scope.center else None,
        "cases": {t.case_type.code: t.cases for t in f.case_types},
        "cases_total": f.cases_total,
        "outcomes": {
            t.case_type.code: {o.value: n for o, n in t.outcomes.items()} for t in f.case_types
        },
        "outcomes_total": {o.value: n for o, n in f.outcomes_total.items()},
        "tickets_issued": f.tickets_issued,
        "tickets_walk_in": f.tickets_walk_in,
        "tickets_booked": f.tickets_booked,
        "tickets_remote": f.tickets_remote,
        "tickets_assisted": f.tickets_assisted,
        "no_shows": f.no_shows,
        "unserved": f.unserved,
        "tickets": {
            t.case_type.code: {
                "issued": t.tickets_issued,
                "booked": t.tickets_booked,
                "remote": t.tickets_remote,
                "assisted": t.tickets_assisted,
                "no_shows": t.no_shows,
                "unserved": t.unserved,
            }
            for t in f.case_types
        },
        "wait_seconds": _durations(f.wait),
        "service_seconds": _durations(f.service),
        "percentile": "nearest-rank",
        "satisfaction": {
            "count": s.count,
            "mean": s.mean,
            "low_count": s.low,
            "low_share_percent": s.low_share,
            "low_comments": [
                {
                    "case": c.case_number,
                    "rating": c.rating,
                    "comment": c.comment,
                    "at": to_local(c.created_dt, tz).isoformat(timespec="seconds"),
                }
                for c in s.comments
            ],
        },
        "windows": [
            {
                "center": w.window.center.code if w.window else None,
                "number": w.window.number if w.window else None,
                "name": w.window.name if w.window else None,
                "cases": w.cases,
                "case_types": by_code(w.by_case_type),
                "no_shows": w.no_shows,
                "service_seconds_mean": w.service.mean,
            }
            for w in f.windows
        ],
        "clerks": [
            {
                "center": c.clerk.center.code if c.clerk and c.clerk.center else None,
                "username": c.clerk.username if c.clerk else None,
                "name": c.clerk.display_name if c.clerk else None,
                "cases": c.cases,
                "case_types": by_code(c.by_case_type),
                "service_seconds_mean": c.service.mean,
            }
            for c in f.clerks
        ],
        "top_items": [
            {
                "center": i.item.center.code,
                "id": i.item.id,
                "code": i.item.code,
                "name": i.item.name,
                "case_type": i.item.case_type.code,
                "cases": i.cases,
            }
            for i in f.top_items
        ],
    }


def _invalid(errors: Errors) -> Any:
    return problem(422, _("Please correct the input."), errors=errors)


@bp.get("/reports/daily")
@operation(
    "A day's figures of a center (supervisors, administrators)",
    description="A day is the center's local day. Cases count on the day they were completed, "
    "tickets on the day they were issued. The 90th percentile is the nearest rank: the value at "
    "rank ⌈0.9 × n⌉ of the times sorted ascending.",
    query=schemas.DailyQuery,
    responses={200: schemas.DailyReport},
    problems=(404,),
    staff=True,
)
def daily_report(query: schemas.DailyQuery) -> Any:
    scope = services.scope_for(current_user, query.center)
    errors: Errors = {}
    day = parse_date(query.model_dump(), "date", errors, scope.today(now_utc()))
    if errors:
        return _invalid(errors)
    figures = services.compute_figures(scope, day, day)
    return jsonify({**figures_json(figures), "date": day.isoformat()})


@bp.get("/reports/totals")
@operation(
    "The same figures summed over a range of days (at most 3653: 10 years)",
    query=schemas.TotalsQuery,
    responses={200: schemas.TotalsReport},
    problems=(404,),
    staff=True,
)
def totals_report(query: schemas.TotalsQuery) -> Any:
    scope = services.scope_for(current_user, query.center)
    errors: Errors = {}
    first, last = parse_range(
        query.model_dump(by_alias=True),
        TOTALS_MAX_DAYS,
        errors,
        default_first=None,
        default_last=scope.today(now_utc()),
    )
    if errors:
        return _invalid(errors)
    figures = services.compute_figures(scope, first, last)
    return jsonify(
        {
            **figures_json(figures),
            "from": first.isoformat(),
            "to": last.isoformat(),
            "days": (last - first).days + 1,
        }
    )
