"""The admin area's endpoints of /api/v1/admin for a center's calendar and the county's statutory
holidays: opening hours, the center's own days, walk-in caps and ticket letters; a year's notice
checked beside the national rule, then loaded (``catalogue_api.py`` has the departments and the
catalogue import).

The same actions as the calendar pages (``calendar_views.py``) with the same permission checks: a
center's calendar is for who manages it (Do.MANAGE_CALENDAR), its ticket letters for who edits
it (Do.EDIT_CENTER), a notice for the county administrator (Do.LOAD_NOTICE). Each change is one
call of ``calendar.py`` (or ``centers.py``), which checks the rules and writes the audit record.
A closure and a notice answer the codes of the bookings they leave on a closed day: codes only,
the residents' own booking pages tell them.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from flask import Response, current_app
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from ..api import bp
from ..api.schema import operation
from ..catalogue import calendar as center_calendar
from ..catalogue.holidays import CalendarSource
from ..catalogue.models import CaseType, Center, CenterDay
from ..clock import local_date, now_utc, parse_iso_date
from ..db import db
from ..errors import DomainError, Forbidden, Invalid, NotFound, problem
from . import calendar, centers
from .api import CENTER, CODE, _answer, center_for
from .permissions import Do, may
from .schemas import (
    WEEKDAYS,
    AdminCaps,
    AdminCapsChanges,
    AdminDay,
    AdminDayChange,
    AdminDaySet,
    AdminNoticeCheck,
    AdminNoticeFile,
    AdminNoticeRemoved,
    AdminNoticeYear,
    AdminTicketLetters,
    AdminTicketLettersChanges,
    AdminWeek,
    AdminWeekChanges,
)

DAY = {"path_descriptions": {**CODE, "day": "the day, YYYY-MM-DD"}}
YEAR = {"path_descriptions": {"year": "the year, 2000 to 2099"}}
#: the years a notice may be loaded for (as the notices page has them)
FIRST_YEAR, LAST_YEAR = 2000, 2099


def _case_types() -> list[CaseType]:
    return list(db.session.scalars(select(CaseType).order_by(CaseType.position, CaseType.id)))


def _by_id(sent: Mapping[str, Any], case_types: list[CaseType]) -> dict[int, Any]:
    """A body keyed by case type code, keyed by id (an unknown code refused by its name)."""
    ids = {ct.code: ct.id for ct in case_types}
    for code in sent:
        if code not in ids:
            raise Invalid(_("Choose a case type from the list."), field=code)
    return {ids[code]: value for code, value in sent.items()}


def _named_by_code(exc: DomainError, case_types: list[CaseType], prefix: str) -> None:
    """Name a refusal's field as the body does (``business``), not as the page (``cap_1``)."""
    ident = (exc.field or "").removeprefix(prefix)
    codes = {str(ct.id): ct.code for ct in case_types}
    if exc.field and exc.field.startswith(prefix) and ident in codes:
        exc.field = codes[ident]


# ---------------------------------------------------------------------------- opening hours


def _week(center: Center) -> dict[str, list[str]]:
    text = calendar.hours_text(center)
    return {name: text[d].split(", ") if text.get(d) else [] for d, name in enumerate(WEEKDAYS)}


@bp.get("/admin/centers/<code>/calendar/hours")
@operation(
    "A center's opening week",
    description="Each weekday's periods; an empty list: closed that weekday. The center's own "
    "days and the statutory holidays come on top of the week.",
    responses={200: AdminWeek},
    problems=(404,),
    staff=True,
    **CENTER,
)
def admin_hours(code: str) -> Any:
    return _answer(_week(center_for(code, Do.MANAGE_CALENDAR)))


@bp.put("/admin/centers/<code>/calendar/hours")
@operation(
    "Change a center's opening week",
    description="The weekdays sent get these periods ([] closes the weekday); those left out "
    "keep theirs. Holds from the very next request. 422 for a period that is not HH:MM-HH:MM, "
    "ends before it starts or overlaps another, named by its weekday.",
    body=AdminWeekChanges,
    responses={200: AdminWeek},
    problems=(404,),
    staff=True,
    **CENTER,
)
def admin_set_hours(code: str, body: AdminWeekChanges) -> Any:
    center = center_for(code, Do.MANAGE_CALENDAR)
    wanted = {**_week(center), **body.sent()}
    week = {
        weekday: calendar.parse_periods(", ".join(wanted[name]), field=name)
        for weekday, name in enumerate(WEEKDAYS)
    }
    calendar.set_hours(center, week, actor=current_user, now=now_utc())
    db.session.commit()
    return _answer(_week(center))


# ---------------------------------------------------------------------------- own days


def _day_json(entry: CenterDay) -> dict[str, Any]:
    return {
        "day": entry.day.isoformat(),
        "is_open": entry.is_open,
        "reason_zh": entry.reason_zh,
        "reason_en": entry.reason_en,
    }


def _day(text: str) -> date:
    day = parse_iso_date(text)
    if day is None:
        raise Invalid(_("Give a real date as YYYY-MM-DD."), field="day")
    return day


@bp.get("/admin/centers/<code>/calendar/days")
@operation(
    "A center's own closures and openings, from today on",
    responses={200: list[AdminDay]},
    problems=(404,),
    staff=True,
    **CENTER,
)
def admin_days(code: str) -> Any:
    center = center_for(code, Do.MANAGE_CALENDAR)
    return _answer([_day_json(e) for e in calendar.own_days(center, now=now_utc())])


@bp.put("/admin/centers/<code>/calendar/days/<day>")
@operation(
    "Close the center on a day, or open it on a day off",
    description="Replaces what was entered for that day. A closure answers the codes of the "
    "bookings still to come that day: their booking pages tell the residents to move or cancel. "
    "422 for a day already past.",
    body=AdminDayChange,
    responses={200: AdminDaySet},
    problems=(404,),
    staff=True,
    **DAY,
)
def admin_set_day(code: str, day: str, body: AdminDayChange) -> Any:
    center = center_for(code, Do.MANAGE_CALENDAR)
    chosen = _day(day)
    stranded = calendar.set_day(
        center,
        chosen,
        is_open=body.is_open,
        reason_zh=body.reason_zh,
        reason_en=body.reason_en,
        actor=current_user,
        now=now_utc(),
    )
    codes = [a.code for a in stranded]
    entry = db.session.scalar(
        select(CenterDay).where(CenterDay.center_id == center.id, CenterDay.day == chosen)
    )
    assert entry is not None
    answer = {**_day_json(entry), "stranded_bookings": codes}
    db.session.commit()
    return _answer(answer)


@bp.delete("/admin/centers/<code>/calendar/days/<day>")
@operation(
    "Let the week and the statutory calendar decide a day again",
    description="404 when the center entered nothing for that day.",
    responses={204: ("Removed", None)},
    problems=(404,),
    staff=True,
    **DAY,
)
def admin_remove_day(code: str, day: str) -> Any:
    center = center_for(code, Do.MANAGE_CALENDAR)
    if not calendar.remove_day(center, _day(day), actor=current_user, now=now_utc()):
        raise NotFound(_("This center entered nothing for that day."))
    db.session.commit()
    return Response(status=204)


# ---------------------------------------------------------------------------- walk-in caps


def _caps_json(center: Center) -> dict[str, int | None]:
    caps = calendar.caps(center)
    return {ct.code: caps.get(ct.id) for ct in _case_types()}


@bp.get("/admin/centers/<code>/calendar/caps")
@operation(
    "A center's daily walk-in caps, by case type code",
    description="The kiosk issues no more tickets of a case type once its cap is reached that "
    "day; null: no cap.",
    responses={200: AdminCaps},
    problems=(404,),
    staff=True,
    **CENTER,
)
def admin_caps(code: str) -> Any:
    return _answer(_caps_json(center_for(code, Do.MANAGE_CALENDAR)))


@bp.put("/admin/centers/<code>/calendar/caps")
@operation(
    "Change a center's daily walk-in caps",
    description="The case types sent get this cap (null: none); those left out keep theirs. "
    "Holds from the very next ticket. 422 for an unknown case type code, named by it.",
    body=AdminCapsChanges,
    responses={200: AdminCaps},
    problems=(404,),
    staff=True,
    **CENTER,
)
def admin_set_caps(code: str, body: AdminCapsChanges) -> Any:
    center = center_for(code, Do.MANAGE_CALENDAR)
    case_types = _case_types()
    wanted: dict[int, int | None] = {
        **calendar.caps(center),
        **_by_id(body.model_extra or {}, case_types),
    }
    try:
        calendar.set_caps(center, wanted, actor=current_user, now=now_utc())
    except DomainError as exc:
        _named_by_code(exc, case_types, "cap_")
        raise
    db.session.commit()
    return _answer(_caps_json(center))


# ---------------------------------------------------------------------------- ticket letters


def _letters_json(center: Center) -> dict[str, str]:
    letters = centers.ticket_letters(center)
    return {ct.code: letters[ct.id] for ct in _case_types()}


@bp.get("/admin/centers/<code>/ticket-letters")
@operation(
    "The letter a center's tickets of each case type start with, by case type code",
    responses={200: AdminTicketLetters},
    problems=(404,),
    staff=True,
    **CENTER,
)
def admin_ticket_letters(code: str) -> Any:
    return _answer(_letters_json(center_for(code, Do.EDIT_CENTER)))


@bp.put("/admin/centers/<code>/ticket-letters")
@operation(
    "Change the letters a center's tickets start with",
    description="The case types sent get this letter (A to Z); those left out keep theirs. "
    "Today's numbers go on counting in the letter they started with; a new letter starts at "
    "001. 422 for an unknown case type, a letter that is not A to Z, or one letter for two "
    "case types, named by the case type code.",
    body=AdminTicketLettersChanges,
    responses={200: AdminTicketLetters},
    problems=(404,),
    staff=True,
    **CENTER,
)
def admin_set_ticket_letters(code: str, body: AdminTicketLettersChanges) -> Any:
    center = center_for(code, Do.EDIT_CENTER)
    case_types = _case_types()
    wanted = _by_id(body.model_extra or {}, case_types)
    try:
        centers.set_ticket_letters(center, wanted, actor=current_user, now=now_utc())
    except DomainError as exc:
        _named_by_code(exc, case_types, "prefix_")
        raise
    db.session.commit()
    return _answer(_letters_json(center))


# ---------------------------------------------------------------------------- notices


def _may_load() -> None:
    if not may(current_user, Do.LOAD_NOTICE):
        raise Forbidden()


def _today() -> date:
    return local_date(now_utc(), current_app.config["TIMEZONE"])


def _year(year: int) -> int:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise Invalid(
            _("Choose a year from %(first)d to %(last)d.", first=FIRST_YEAR, last=LAST_YEAR),
            field="year",
        )
    return year


def _holiday(day: date, name: str) -> dict[str, str]:
    return {"day": day.isoformat(), "name": str(center_calendar.HOLIDAY_NAMES.get(name, name))}


def _check_json(
    checked: calendar.NoticeCheck, *, loaded: bool, stranded: list[str]
) -> dict[str, Any]:
    return {
        "year": checked.year,
        "loaded": loaded,
        "days": [
            {
                "day": r.day.isoformat(),
                "is_holiday": r.is_holiday,
                "name_zh": r.name_zh,
                "name_en": r.name_en,
            }
            for r in checked.rows
        ],
        "rule_days": [_holiday(d, n) for d, n in sorted(checked.rule_days.items())],
        "missing": [_holiday(d, n) for d, n in checked.missing],
        "library_differences": [
            {"day": d.isoformat(), "off": off} for d, off in checked.differences
        ],
        "stranded_bookings": stranded,
    }


@bp.get("/admin/notices")
@operation(
    "Where each year's statutory holidays come from (county administrators)",
    description="Each year from today to the end of the look-ahead (the longest booking "
    "horizon, and at least CALENDAR_NOTICE_DAYS), and every other year with a notice loaded.",
    responses={200: list[AdminNoticeYear]},
    staff=True,
)
def admin_notices() -> Any:
    _may_load()
    first, last = center_calendar.look_ahead(now_utc())
    counts = center_calendar.notice_counts()
    years = dict(center_calendar.year_sources(first, last))
    for year in counts:
        years.setdefault(year, CalendarSource.NOTICE)
    return _answer(
        [
            {
                "year": year,
                "source": source.value,
                "days_off": counts[year][0] if year in counts else None,
                "weekends_worked": counts[year][1] if year in counts else None,
            }
            for year, source in sorted(years.items())
        ]
    )


@bp.post("/admin/notices/<int:year>")
@operation(
    "Check a year's notice beside the national rule, and load it",
    description="The same check as `flask calendar load`. With dry_run the file's days, the "
    "rule's, the statutory days the file does not give off and the library's differences are "
    "answered and nothing is written; without, the notice replaces the year's calendar for "
    "every center (audited) and the bookings it leaves on a closed day are named. 422 for a "
    "file with wrong rows, each in `errors.csv` (nothing is loaded), or a year out of range.",
    body=AdminNoticeFile,
    responses={200: AdminNoticeCheck},
    staff=True,
    **YEAR,
)
def admin_load_notice(year: int, body: AdminNoticeFile) -> Any:
    _may_load()
    checked = calendar.check_notice(_year(year), body.csv)
    if not checked.ok:
        return problem(
            422,
            _("Nothing was loaded. Correct these rows:"),
            errors={"csv": [str(p) for p in checked.problems]},
        )
    stranded: list[str] = []
    if not body.dry_run:
        change = calendar.load_notice(checked, actor=current_user, now=now_utc(), today=_today())
        db.session.commit()
        stranded = [a.code for a in change.stranded()]
    return _answer(_check_json(checked, loaded=not body.dry_run, stranded=stranded))


@bp.delete("/admin/notices/<int:year>")
@operation(
    "Remove a year's notice: the library or the rule decides the year again",
    description="The bookings it leaves on a closed day (a weekend worked no more) are named. "
    "404 when no notice is loaded for the year.",
    responses={200: AdminNoticeRemoved},
    problems=(404,),
    staff=True,
    **YEAR,
)
def admin_unload_notice(year: int) -> Any:
    _may_load()
    if year not in center_calendar.notice_counts():
        raise NotFound(_("No notice is loaded for %(year)d.", year=year))
    change = calendar.unload_notice(year, actor=current_user, now=now_utc(), today=_today())
    db.session.commit()
    return _answer({"year": year, "stranded_bookings": [a.code for a in change.stranded()]})
