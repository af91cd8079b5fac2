"""The admin area's calendar pages: a center's hours, own days and walk-in caps; the county's
statutory calendar of a year (checked against the rule before it is loaded)."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from ..catalogue import calendar as center_calendar
from ..catalogue.models import CaseType, Center
from ..clock import local_date, now_utc
from ..db import db
from ..errors import DomainError
from . import calendar
from .forms import WEEKDAY_NAMES, ActionForm, DayForm, HoursForm, NoticeForm
from .permissions import Do, may
from .views import _status, attempt, bp, center_for


def _page(
    center: Center, hours: HoursForm, day: DayForm, *, status: int = 200, **extra: Any
) -> Any:
    case_types = list(db.session.scalars(select(CaseType).order_by(CaseType.position)))
    return (
        render_template(
            "admin/calendar.html",
            center=center,
            hours=hours,
            day_form=day,
            weekdays=WEEKDAY_NAMES,
            days=calendar.own_days(center, now=now_utc()),
            case_types=case_types,
            caps=calendar.caps(center),
            cap_errors=extra.pop("cap_errors", {}),
            action_form=ActionForm(),
            **extra,
        ),
        status,
    )


@bp.get("/centers/<code>/calendar")
def center_calendar_page(code: str) -> Any:
    center = center_for(code, Do.MANAGE_CALENDAR)
    hours = HoursForm(formdata=None)
    for weekday, text in calendar.hours_text(center).items():
        hours[f"weekday_{weekday}"].data = text
    return _page(center, hours, DayForm(formdata=None))


@bp.post("/centers/<code>/calendar/hours")
def set_hours(code: str) -> Any:
    center = center_for(code, Do.MANAGE_CALENDAR)
    form = HoursForm()
    if form.validate_on_submit():
        week = {}
        for weekday in range(7):
            field = form[f"weekday_{weekday}"]
            try:
                week[weekday] = calendar.parse_periods(field.data or "", field=field.name)
            except DomainError as exc:
                field.errors = [str(exc)]
        if not form.errors and not any(form[f"weekday_{d}"].errors for d in range(7)):
            done = attempt(
                form,
                lambda: calendar.set_hours(center, week, actor=current_user, now=now_utc()) or True,
            )
            if done:
                flash(_("Opening hours saved."), "success")
                return redirect(url_for(".center_calendar_page", code=center.code))
    return _page(center, form, DayForm(formdata=None), status=422)


@bp.post("/centers/<code>/calendar/days")
def set_day(code: str) -> Any:
    center = center_for(code, Do.MANAGE_CALENDAR)
    form = DayForm()
    if form.validate_on_submit():
        assert form.day.data is not None
        stranded = attempt(
            form,
            lambda: calendar.set_day(
                center,
                form.day.data,
                is_open=form.kind.data == "open",
                reason_zh=form.reason_zh.data or "",
                reason_en=form.reason_en.data or "",
                actor=current_user,
                now=now_utc(),
            ),
        )
        if stranded is not None:
            if stranded:
                flash(
                    _(
                        "Closed on %(day)s. %(n)d bookings that day: their booking pages tell "
                        "the residents to move or cancel (%(codes)s).",
                        day=form.day.data.isoformat(),
                        n=len(stranded),
                        codes=", ".join(a.code for a in stranded),
                    ),
                    "warning",
                )
            else:
                flash(_("Saved."), "success")
            return redirect(url_for(".center_calendar_page", code=center.code))
    return _page(center, HoursForm(formdata=None), form, status=422)


@bp.post("/centers/<code>/calendar/days/<day>/remove")
def remove_day(code: str, day: str) -> Any:
    center = center_for(code, Do.MANAGE_CALENDAR)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        parsed = date.fromisoformat(day)
    except ValueError:
        abort(404)
    calendar.remove_day(center, parsed, actor=current_user, now=now_utc())
    db.session.commit()
    flash(_("The calendar decides %(day)s again.", day=parsed.isoformat()), "success")
    return redirect(url_for(".center_calendar_page", code=center.code))


@bp.post("/centers/<code>/calendar/caps")
def set_caps(code: str) -> Any:
    center = center_for(code, Do.MANAGE_CALENDAR)
    if not ActionForm().validate_on_submit():
        abort(400)
    wanted: dict[int, int | None] = {}
    errors: dict[int, str] = {}
    for case_type in db.session.scalars(select(CaseType)):
        text = (request.form.get(f"cap_{case_type.id}") or "").strip()
        if not text:
            wanted[case_type.id] = None
        elif text.isdigit() and int(text) <= 10_000:
            wanted[case_type.id] = int(text)
        else:
            errors[case_type.id] = _("A cap is a whole number of tickets, or empty for none.")
    if errors:
        return _page(
            center, HoursForm(formdata=None), DayForm(formdata=None), status=422, cap_errors=errors
        )
    calendar.set_caps(center, wanted, actor=current_user, now=now_utc())
    db.session.commit()
    flash(_("Walk-in caps saved."), "success")
    return redirect(url_for(".center_calendar_page", code=center.code))


# ---------------------------------------------------------------------------- notices


def _today() -> date:
    return local_date(now_utc(), current_app.config["TIMEZONE"])


def _notice_page(form: NoticeForm, status: int = 200, **extra: Any) -> Any:
    first, last = center_calendar.look_ahead(now_utc())
    return (
        render_template(
            "admin/notices.html",
            form=form,
            sources=center_calendar.year_sources(first, last),
            counts=center_calendar.notice_counts(),
            action_form=ActionForm(),
            weekday_name=lambda day: str(WEEKDAY_NAMES[day.weekday()]),
            **extra,
        ),
        status,
    )


def _may_load() -> None:
    if not may(current_user, Do.LOAD_NOTICE):
        abort(403)


@bp.route("/notices", methods=["GET", "POST"])
def notices() -> Any:
    """Upload or paste a year's notice → the check beside the rule's days → confirm."""
    _may_load()
    form = NoticeForm()
    if request.method == "GET":
        form.year.data = _today().year + 1
    if form.validate_on_submit():
        text = form.text.data or ""
        if form.file.data:
            try:
                text = form.file.data.read(200_000).decode("utf-8-sig")
            except UnicodeDecodeError:
                form.file.errors = [_("Save the CSV file as UTF-8.")]
                return _notice_page(form, 422)
        if not text.strip():
            form.file.errors = [_("Choose a file or paste its rows.")]
            return _notice_page(form, 422)
        assert form.year.data is not None
        checked = calendar.check_notice(form.year.data, text)
        return _notice_page(form, 200 if checked.ok else 422, checked=checked, text=text)
    return _notice_page(form, _status(form))


@bp.post("/notices/confirm")
def confirm_notice() -> Any:
    _may_load()
    if not ActionForm().validate_on_submit():
        abort(400)
    year = request.form.get("year", type=int)
    if year is None:
        abort(400)
    checked = calendar.check_notice(year, request.form.get("text", ""))
    if not checked.ok:
        return _notice_page(NoticeForm(formdata=None), 422, checked=checked)
    change = calendar.load_notice(checked, actor=current_user, now=now_utc(), today=_today())
    db.session.commit()
    stranded = change.stranded()
    flash(_("The %(year)d notice is loaded.", year=year), "success")
    if stranded:
        flash(
            _(
                "%(n)d bookings fall on days now closed; their booking pages tell the residents "
                "(%(codes)s).",
                n=len(stranded),
                codes=", ".join(a.code for a in stranded),
            ),
            "warning",
        )
    return redirect(url_for(".notices"))


@bp.post("/notices/<int:year>/unload")
def unload_notice(year: int) -> Any:
    _may_load()
    if not ActionForm().validate_on_submit():
        abort(400)
    calendar.unload_notice(year, actor=current_user, now=now_utc(), today=_today())
    db.session.commit()
    flash(_("The %(year)d notice is removed.", year=year), "success")
    return redirect(url_for(".notices"))
