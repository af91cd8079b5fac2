"""The quality figures of a center: the one-trip rate over a range, the monthly rankings, each
as a page and a CSV file; and the catalogue's "most often missing" materials of an item."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from datetime import date
from typing import Any

from flask import Response, abort, render_template, request
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import StringField

from ..catalogue.models import Center, ServiceItem
from ..catalogue.services import get_center
from ..clock import local_date, now_utc, parse_iso_date
from . import one_trip as trips
from . import rankings as ranking
from .permissions import can_see_figures, sees_only_self
from .views import bp

_MONTH = re.compile(r"(\d{4})-(\d{2})")
_DATE_INPUT = {"type": "date", "pattern": r"\d{4}-\d{2}-\d{2}", "placeholder": "YYYY-MM-DD"}
#: spreadsheet formula starts, made inert in CSV cells
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class OneTripFilterForm(FlaskForm):
    class Meta:
        csrf = False

    first = StringField(_l("From"), name="from", render_kw=_DATE_INPUT)
    last = StringField(_l("To (inclusive)"), name="to", render_kw=_DATE_INPUT)


class RankingsFilterForm(FlaskForm):
    class Meta:
        csrf = False

    month = StringField(
        _l("Month"),
        render_kw={"type": "month", "pattern": r"\d{4}-\d{2}", "placeholder": "YYYY-MM"},
    )


@bp.app_template_global("most_often_missing")
def most_often_missing_now(item: ServiceItem) -> list[tuple[str, int]]:
    """The item page's "most often missing" materials, as of the center's today."""
    return trips.most_often_missing(item, local_date(now_utc(), item.center.timezone))


def percent(value: float | None) -> str:
    """0.875 → 87.5%; no value → —."""
    return "—" if value is None else format_decimal(value * 100, "0.0") + "%"


def _center(center_code: str) -> Center:
    center = get_center(center_code)
    if not can_see_figures(current_user, center.id):
        abort(403)
    return center


def _own_clerk() -> int | None:
    return current_user.id if sees_only_self(current_user) else None


# --- the one-trip rate ----------------------------------------------------------------------


@bp.get("/<center_code>/one-trip")
@login_required
def one_trip(center_code: str) -> Any:
    center = _center(center_code)
    form, first, last = _range_form(center)
    if form.errors:
        return _one_trip_page(center, form, None, 422)
    report = trips.one_trip_report(center.id, first, last, clerk_id=_own_clerk())
    return _one_trip_page(center, form, report, 200)


@bp.get("/<center_code>/one-trip.csv")
@login_required
def one_trip_csv(center_code: str) -> Any:
    center = _center(center_code)
    form, first, last = _range_form(center)
    if form.errors:
        return _one_trip_page(center, form, None, 422)
    report = trips.one_trip_report(center.id, first, last, clerk_id=_own_clerk())
    header = [_("Breakdown"), _("Row"), _("Cases"), _("Repeat causes"), _("One-trip rate, percent")]
    tables = [("clerk", report.by_clerk)]
    if not sees_only_self(current_user):
        tables = [
            ("item", report.by_item),
            ("window", report.by_window),
            ("clerk", report.by_clerk),
            ("reason", report.by_reason),
            ("material", report.by_material),
        ]
    rows = (
        [kind, line.label, line.tally.cases, line.tally.repeats, _csv_rate(line.tally.rate)]
        for kind, lines in tables
        for line in lines
    )
    return _csv(header, rows, f"one-trip-{center.code}-{first}-{last}.csv")


def _range_form(center: Center) -> tuple[OneTripFilterForm, date, date]:
    today = local_date(now_utc(), center.timezone)
    form = OneTripFilterForm(request.args)
    form.validate()
    first = _day(form.first, today.replace(day=1))
    last = _day(form.last, today)
    if not form.errors and first > last:
        form.first.errors.append(_("The first day must not be after the last day."))
    elif not form.errors and (last - first).days + 1 > trips.RANGE_MAX_DAYS:
        form.last.errors.append(
            _(
                "Choose at most %(days)d days (%(first)s to %(last)s is %(count)d days).",
                days=trips.RANGE_MAX_DAYS,
                first=first.isoformat(),
                last=last.isoformat(),
                count=(last - first).days + 1,
            )
        )
    return form, first, last


def _day(field: StringField, default: date) -> date:
    value = (field.data or "").strip()
    if not value:
        field.data = default.isoformat()
        return default
    day = parse_iso_date(value)
    if day is None:
        field.errors = [*field.errors, _("Give a real date as YYYY-MM-DD.")]
        return default
    return day


def _one_trip_page(
    center: Center, form: OneTripFilterForm, report: trips.OneTripReport | None, status: int
) -> tuple[str, int]:
    page = render_template(
        "quality/one_trip.html",
        center=center,
        form=form,
        errors=bool(form.errors),
        report=report,
        only_self=sees_only_self(current_user),
        percent=percent,
    )
    return page, status


# --- the rankings ---------------------------------------------------------------------------


@bp.get("/<center_code>/rankings")
@login_required
def rankings(center_code: str) -> Any:
    center = _center(center_code)
    form, month, today = _month_form(center)
    if form.errors:
        return _rankings_page(center, form, None, 422)
    result = ranking.rankings(center.id, month, today, clerk_id=_own_clerk())
    return _rankings_page(center, form, result, 200)


@bp.get("/<center_code>/rankings.csv")
@login_required
def rankings_csv(center_code: str) -> Any:
    center = _center(center_code)
    form, month, today = _month_form(center)
    if form.errors:
        return _rankings_page(center, form, None, 422)
    result = ranking.rankings(center.id, month, today, clerk_id=_own_clerk())
    header = [
        _("Breakdown"),
        _("Row"),
        _("Cases"),
        _("Mean rating"),
        _("Bad reviews"),
        _("Rectifications overdue"),
        _("One-trip rate, percent"),
        _("Median service time, percent of the standard"),
    ]
    tables = [("clerk", result.by_clerk)]
    if not sees_only_self(current_user):
        tables.insert(0, ("window", result.by_window))
    rows = (
        [
            kind,
            row.label,
            row.cases,
            "" if row.mean_rating is None else f"{row.mean_rating:.2f}",
            row.bad_reviews,
            row.overdue_rectifications,
            _csv_rate(row.one_trip.rate),
            "" if row.median_service_percent is None else f"{row.median_service_percent:.1f}",
        ]
        for kind, lines in tables
        for row in lines
    )
    return _csv(header, rows, f"rankings-{center.code}-{month:%Y-%m}.csv")


def _month_form(center: Center) -> tuple[RankingsFilterForm, date, date]:
    today = local_date(now_utc(), center.timezone)
    form = RankingsFilterForm(request.args)
    value = (form.month.data or "").strip()
    month = today.replace(day=1)
    if not value:
        form.month.data = f"{month:%Y-%m}"
        return form, month, today
    found = _MONTH.fullmatch(value)
    if found is None or not 1 <= int(found.group(2)) <= 12 or int(found.group(1)) < 1:
        form.month.errors = [_("Give a month as YYYY-MM, e.g. 2026-11.")]
        return form, month, today
    return form, date(int(found.group(1)), int(found.group(2)), 1), today


def _rankings_page(
    center: Center, form: RankingsFilterForm, result: ranking.Rankings | None, status: int
) -> tuple[str, int]:
    page = render_template(
        "quality/rankings.html",
        center=center,
        form=form,
        errors=bool(form.errors),
        result=result,
        only_self=sees_only_self(current_user),
        percent=percent,
    )
    return page, status


# --- CSV ------------------------------------------------------------------------------------


def _csv_rate(rate: float | None) -> str:
    return "" if rate is None else f"{rate * 100:.1f}"


def _csv(header: list[str], rows: Iterable[list[Any]], filename: str) -> Response:
    """A CSV file Excel opens correctly: UTF-8 with a BOM, CRLF, formula starts made inert."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in [header, *rows]:
        writer.writerow(
            ["'" + v if isinstance(v, str) and v.startswith(_FORMULA_STARTS) else v for v in row]
        )
    response = Response("\ufeff" + buffer.getvalue(), mimetype="text/csv")
    response.charset = "utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response
