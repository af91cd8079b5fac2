"""Supervisors' pages under /reports: live floor, daily totals, range and since, CSV files."""

from __future__ import annotations

import logging
import time
from datetime import date, datetime, timedelta
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import current_user

from ..auth.decorators import role_required
from ..auth.models import Role
from ..catalogue.models import Center
from ..catalogue.services import list_case_types, list_centers
from ..clock import now_utc
from ..db import db
from ..errors import Invalid
from ..quality import service_levels
from ..quality.rectification_lists import rectification_counts
from . import cli, series, services
from . import csv as report_csv
from . import live as live_floor
from .chart import colour, stacked_bars
from .formatting import (
    OUTCOME_LABELS,
    PERCENTILE_NOTE,
    case_type_sentence,
    format_duration,
    format_number,
)
from .forms import DailyReportForm, LiveReportForm, RangeReportForm
from .params import Errors, parse_date, parse_range
from .services import RANGE_MAX_DAYS, TOTALS_MAX_DAYS, Scope

bp = Blueprint(
    "reports", __name__, url_prefix="/reports", static_folder="static", static_url_path="/static"
)
# ``flask report daily|range|summarise``: a group of its own name, not the blueprint's
bp.record_once(lambda state: state.app.cli.add_command(cli.report_group))

logger = logging.getLogger(__name__)

SUPERVISORS = (Role.SUPERVISOR, Role.ADMIN)
#: the live floor reloads itself this often (seconds); no script needed
LIVE_REFRESH_SECONDS = 20
#: the live floor checks the service levels of its center at most this often (per process)
LIVE_CHECK_SECONDS = 30
#: where each query parameter's message shows on the filter form
FORM_FIELDS = {"date": "date", "from": "first", "to": "last", "since": "since"}


@bp.context_processor
def _report_helpers() -> dict[str, Any]:
    return {
        "sentence": case_type_sentence,
        "weekday": lambda day: format_date(day, "EEEE"),
        "duration": format_duration,
        "one_decimal": format_number,
        "breach_what": service_levels.describe,
        "breach_worst": service_levels.worst_text,
        "outcome_labels": OUTCOME_LABELS,
        "percentile_note": PERCENTILE_NOTE,
        "case_type_colour": colour,
        "RANGE_MAX_DAYS": RANGE_MAX_DAYS,
        "TOTALS_MAX_DAYS": TOTALS_MAX_DAYS,
    }


def _scope() -> Scope:
    return services.scope_for(current_user, request.args.get("center"))


def _scope_name(scope: Scope) -> str:
    return scope.center.name if scope.center else _("All centers of the county")


def _form(form_class: type, scope: Scope, errors: Errors | None = None, **defaults: str) -> Any:
    form = form_class(formdata=request.args)
    if scope.is_county or (current_user.role is Role.ADMIN and current_user.center_id is None):
        form.center.choices = [(services.ALL_CENTERS, _("All centers of the county"))] + [
            (c.code, c.name) for c in list_centers()
        ]
    else:
        form.center.choices = [(scope.code, scope.center.name)]
    form.center.data = scope.code
    for name, value in defaults.items():
        field = getattr(form, name)
        if not field.data:
            field.data = value
    for key, messages in (errors or {}).items():
        getattr(form, FORM_FIELDS.get(key, "center")).errors = list(messages)
    return form


def _page(template: str, errors: Errors, **context: Any) -> Any:
    """Render a report page; with errors, the form alone and status 400."""
    return render_template(template, errors=errors, **context), 400 if errors else 200


@bp.get("/")
@role_required(*SUPERVISORS)
def index() -> Response:
    return redirect(url_for(".daily", **request.args))


@bp.get("/live")
@role_required(*SUPERVISORS)
def live() -> Any:
    scope = _scope()
    now = now_utc()
    form = _form(LiveReportForm, scope)
    context = {"form": form, "scope": scope, "scope_name": _scope_name(scope), "now": now}
    if scope.is_county:
        centers = [
            (live_floor.center_now(c, now=now, per_window=False), live_floor.open_windows(c))
            for c in scope.centers
        ]
        return render_template(
            "reports/live_county.html", centers=centers, refresh=LIVE_REFRESH_SECONDS, **context
        )
    _check_service_levels(scope.center, now)
    floor = live_floor.center_now(scope.center, now=now)
    return render_template(
        "reports/live.html",
        floor=floor,
        breaches=service_levels.open_breaches(scope.center),
        refresh=LIVE_REFRESH_SECONDS,
        **context,
    )


def _check_service_levels(center: Center, now: datetime) -> None:
    """Bring ``center``'s breaches up to date (between the cron job's runs), at most every
    LIVE_CHECK_SECONDS per process; a failure is logged and the page shows what is stored."""
    checked = current_app.extensions.setdefault("quality_live_checked", {})
    if time.monotonic() - checked.get(center.id, float("-inf")) < LIVE_CHECK_SECONDS:
        return
    checked[center.id] = time.monotonic()
    try:
        service_levels.check_service_levels(center, now)
        db.session.commit()
    except Exception:
        db.session.rollback()
        logger.exception("service-level check of center %s failed", center.code)


@bp.get("/daily")
@role_required(*SUPERVISORS)
def daily() -> Any:
    scope = _scope()
    errors: Errors = {}
    day = parse_date(request.args, "date", errors, scope.today(now_utc()))
    form = _form(DailyReportForm, scope, errors, date=day.isoformat() if day else "")
    context: dict[str, Any] = {"form": form, "scope": scope, "scope_name": _scope_name(scope)}
    if errors:
        return _page("reports/daily.html", errors, figures=None, **context)
    figures = services.compute_figures(scope, day, day)
    breaches = service_levels.day_breaches(scope.center_ids, day, scope.timezone, now=now_utc())
    rectified = rectification_counts(scope.center_ids, day=day, today=scope.today(now_utc()))
    hourly = series.hourly_series(scope, day)
    chart = stacked_bars(hourly, list_case_types()) if hourly else None
    return _page(
        "reports/daily.html",
        errors,
        figures=figures,
        day=day,
        breaches=breaches,
        chart=chart,
        rectified=rectified,
        previous_day=day - timedelta(days=1),
        next_day=day + timedelta(days=1),
        **context,
    )


def _since_default(scope: Scope, first: date | None, today: date) -> date:
    earliest = series.first_case_date(scope) or first or today
    return max(min(earliest, today), today - timedelta(days=TOTALS_MAX_DAYS - 1))


@bp.get("/range")
@role_required(*SUPERVISORS)
def range_report() -> Any:
    scope = _scope()
    today = scope.today(now_utc())
    errors: Errors = {}
    first, last = parse_range(
        request.args,
        RANGE_MAX_DAYS,
        errors,
        default_first=today.replace(day=1),
        default_last=today,
    )
    since = parse_date(request.args, "since", errors, _since_default(scope, first, today))
    if since is not None and since > today:
        errors["since"] = [_("Choose a day up to today.")]
    elif since is not None and (today - since).days + 1 > TOTALS_MAX_DAYS:
        errors["since"] = [_("Choose a day at most %(days)d days ago.", days=TOTALS_MAX_DAYS)]
    form = _form(
        RangeReportForm,
        scope,
        errors,
        first=first.isoformat() if first else "",
        last=last.isoformat() if last else "",
        since=since.isoformat() if since else "",
    )
    context: dict[str, Any] = {"form": form, "scope": scope, "scope_name": _scope_name(scope)}
    if errors:
        return _page("reports/range.html", errors, figures=None, **context)
    days = series.daily_series(scope, first, last)
    return _page(
        "reports/range.html",
        errors,
        figures=services.compute_figures(scope, first, last),
        series=days,
        chart=stacked_bars(days, list_case_types()),
        since=since,
        today=today,
        since_counts=series.case_type_totals(scope, since, today),
        **context,
    )


def _csv_response(lines: Any, filename: str) -> Response:
    response = Response(stream_with_context(lines), mimetype="text/csv")
    response.charset = "utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def _csv_period(max_days: int) -> tuple[Scope, date, date]:
    """The scope and days of a CSV file (a single day, today, by default).

    :raises Invalid: for a bad date or range (the error page names the field).
    """
    scope = _scope()
    today = scope.today(now_utc())
    errors: Errors = {}
    first, last = parse_range(
        request.args, max_days, errors, default_first=today, default_last=today
    )
    if errors:
        raise Invalid(" ".join(f"{key}: {' '.join(texts)}" for key, texts in errors.items()))
    return scope, first, last


@bp.get("/cases.csv")
@role_required(*SUPERVISORS)
def cases_csv() -> Response:
    scope, first, last = _csv_period(RANGE_MAX_DAYS)
    rows = series.case_rows(scope, first, last)
    name = f"cases-{scope.code}-{first.isoformat()}-{last.isoformat()}.csv"
    return _csv_response(report_csv.cases_csv(rows), name)


@bp.get("/days.csv")
@role_required(*SUPERVISORS)
def days_csv() -> Response:
    scope, first, last = _csv_period(TOTALS_MAX_DAYS)
    rows = series.day_type_rows(scope, first, last)
    name = f"days-{scope.code}-{first.isoformat()}-{last.isoformat()}.csv"
    return _csv_response(report_csv.days_csv(rows), name)
