"""Working days and opening hours: the national calendar plus each center's own exceptions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from types import MappingProxyType

import chinese_calendar
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..clock import to_local
from ..db import db
from ..i18n import localized
from . import calendar_rows
from .models import Center, CenterDay, OpeningHours


@dataclass(frozen=True)
class DayStatus:
    """Whether a center opens on a day, and why not (or why, on a special opening)."""

    day: date
    is_open: bool
    reason: str = ""
    #: the national calendar does not know this year: weekends only until staff enter holidays
    calendar_unknown: bool = False


def national_workday(day: date) -> tuple[bool, str, bool]:
    """Return (is_workday, holiday name, calendar_unknown) from ``chinese-calendar``.

    For a year the package does not know, weekdays count as working days.
    """
    try:
        is_holiday, name = chinese_calendar.get_holiday_detail(day)
    except NotImplementedError:
        return day.weekday() < 5, "", True
    return not is_holiday, (name or "") if is_holiday else "", False


HOLIDAY_NAMES = {
    "New Year's Day": _l("New Year's Day"),
    "Spring Festival": _l("Spring Festival"),
    "Tomb-sweeping Day": _l("Tomb-sweeping Day"),
    "Labour Day": _l("Labour Day"),
    "Dragon Boat Festival": _l("Dragon Boat Festival"),
    "National Day": _l("National Day"),
    "Mid-autumn Festival": _l("Mid-autumn Festival"),
}


@dataclass(frozen=True)
class OwnDay:
    """A center's own exception on one day, as kept per process (see ``CenterDay``)."""

    is_open: bool
    reason_zh: str
    reason_en: str

    @property
    def reason(self) -> str:
        return localized(self, "reason")


@dataclass(frozen=True)
class OwnCalendar:
    """A center's opening periods per weekday and its own days: read once per version."""

    hours: tuple[tuple[int, time, time], ...]  #: (weekday, opens, closes), in order
    days: MappingProxyType[date, OwnDay]


def _load_own_calendar(center_id: int) -> OwnCalendar:
    hours = db.session.execute(
        select(OpeningHours.weekday, OpeningHours.open_time, OpeningHours.close_time)
        .where(OpeningHours.center_id == center_id)
        .order_by(OpeningHours.weekday, OpeningHours.open_time)
    ).all()
    days = db.session.execute(
        select(CenterDay.day, CenterDay.is_open, CenterDay.reason_zh, CenterDay.reason_en).where(
            CenterDay.center_id == center_id
        )
    ).all()
    return OwnCalendar(
        hours=tuple((weekday, opens, closes) for weekday, opens, closes in hours),
        days=MappingProxyType({day: OwnDay(*rest) for day, *rest in days}),
    )


def own_calendar(center: Center) -> OwnCalendar:
    """Return the center's hours and own days (this process's copy of its calendar version)."""
    return calendar_rows.cached(center, "calendar", _load_own_calendar)


def day_status(center: Center, day: date) -> DayStatus:
    """Tell whether ``center`` opens on ``day``: its own exception first, then the nation's."""
    mine = own_calendar(center)
    own = mine.days.get(day)
    is_work, holiday, unknown = national_workday(day)
    if own is not None:
        return DayStatus(day, own.is_open, own.reason, unknown)
    if holiday:
        return DayStatus(day, False, str(HOLIDAY_NAMES.get(holiday, holiday)), unknown)
    if is_work and day.weekday() >= 5:
        return DayStatus(day, True, str(_l("Make-up working day")), unknown)
    if any(weekday == day.weekday() for weekday, _opens, _closes in mine.hours):
        return DayStatus(day, True, "", unknown)
    if day.weekday() >= 5:
        return DayStatus(day, False, str(_l("Weekend")), unknown)
    return DayStatus(day, False, str(_l("The center does not open on this weekday.")), unknown)


def opening_periods(center: Center, day: date) -> list[tuple[time, time]]:
    """Return the (open, close) periods of ``day``, empty when the center is closed.

    A special opening on a weekend uses the Monday hours.
    """
    if not day_status(center, day).is_open:
        return []
    hours = own_calendar(center).hours
    periods = [(opens, closes) for weekday, opens, closes in hours if weekday == day.weekday()]
    if not periods:
        periods = [(opens, closes) for weekday, opens, closes in hours if weekday == 0]
    return sorted(periods)


def is_open_at(center: Center, moment: datetime) -> bool:
    """Tell whether ``center`` is open at the aware datetime ``moment``."""
    local = to_local(moment, center.timezone)
    return any(start <= local.time() < end for start, end in opening_periods(center, local.date()))


def weekly_hours(center: Center) -> list[tuple[int, list[tuple[time, time]]]]:
    """Return [(weekday, periods)] for the seven weekdays, Monday first."""
    rows = db.session.scalars(
        select(OpeningHours)
        .where(OpeningHours.center_id == center.id)
        .order_by(OpeningHours.weekday, OpeningHours.open_time)
    ).all()
    return [
        (weekday, [(r.open_time, r.close_time) for r in rows if r.weekday == weekday])
        for weekday in range(7)
    ]
