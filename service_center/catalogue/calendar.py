"""Working days and opening hours: the national calendar plus each center's own exceptions."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from types import MappingProxyType
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, false, func, not_, select, true, union_all

from ..clock import to_local
from ..db import db
from ..i18n import localized
from . import calendar_rows
from .holidays import CalendarSource, NoticeRow, national_day, year_source
from .models import Center, CenterDay, NoticeDay, OpeningHours


@dataclass(frozen=True)
class DayStatus:
    """Whether a center opens on a day, and why not (or why, on a special opening)."""

    day: date
    is_open: bool
    reason: str = ""
    #: where the nation's days off of this year come from (a notice, the library, the rule)
    source: CalendarSource = CalendarSource.LIBRARY

    @property
    def by_rule(self) -> bool:
        """The year's days off are computed: no official arrangement is known for it yet."""
        return self.source in (CalendarSource.RULE, CalendarSource.WEEKENDS)


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
    """A center's opening periods per weekday, its own days and the loaded national notices:
    read once per version."""

    hours: tuple[tuple[int, time, time], ...]  #: (weekday, opens, closes), in order
    days: MappingProxyType[date, OwnDay]
    #: the loaded notices' days (``OwnDay.is_open``: a working weekend) and their years
    notice: MappingProxyType[date, OwnDay]
    notice_years: frozenset[int]


def _load_own_calendar(center_id: int) -> OwnCalendar:
    hours = db.session.execute(
        select(OpeningHours.weekday, OpeningHours.open_time, OpeningHours.close_time)
        .where(OpeningHours.center_id == center_id)
        .order_by(OpeningHours.weekday, OpeningHours.open_time)
    ).all()
    own = select(
        CenterDay.day, CenterDay.is_open, CenterDay.reason_zh, CenterDay.reason_en, true()
    ).where(CenterDay.center_id == center_id)
    national = select(
        NoticeDay.day, not_(NoticeDay.is_holiday), NoticeDay.name_zh, NoticeDay.name_en, false()
    )
    days = db.session.execute(union_all(own, national)).all()  # one statement for both
    return OwnCalendar(
        hours=tuple((weekday, opens, closes) for weekday, opens, closes in hours),
        days=MappingProxyType({day: OwnDay(*rest) for day, *rest, mine in days if mine}),
        notice=MappingProxyType({day: OwnDay(*rest) for day, *rest, mine in days if not mine}),
        notice_years=frozenset(day.year for day, *_rest, mine in days if not mine),
    )


def own_calendar(center: Center) -> OwnCalendar:
    """Return the center's hours and own days (this process's copy of its calendar version)."""
    return calendar_rows.cached(center, "calendar", _load_own_calendar)


def day_status(center: Center, day: date) -> DayStatus:
    """Tell whether ``center`` opens on ``day``: its own exception first, then the nation's
    (a loaded notice for the year, else the library, else the statutory rule)."""
    mine = own_calendar(center)
    if day.year in mine.notice_years:
        noticed = mine.notice.get(day)
        source = CalendarSource.NOTICE
        is_workday = noticed.is_open if noticed is not None else day.weekday() < 5
        name = noticed.reason if noticed is not None else ""
    else:
        nation = national_day(day)
        source, is_workday = nation.source, nation.is_workday
        name = str(HOLIDAY_NAMES.get(nation.holiday, nation.holiday)) if nation.holiday else ""
    own = mine.days.get(day)
    if own is not None:
        return DayStatus(day, own.is_open, own.reason, source)
    weekend = day.weekday() >= 5
    if not is_workday and (name or not weekend):
        return DayStatus(day, False, name or str(_l("Public holiday")), source)
    if is_workday and weekend:
        return DayStatus(day, True, name or str(_l("Make-up working day")), source)
    if any(weekday == day.weekday() for weekday, _opens, _closes in mine.hours):
        return DayStatus(day, True, "", source)
    if weekend:
        return DayStatus(day, False, str(_l("Weekend")), source)
    return DayStatus(day, False, str(_l("The center does not open on this weekday.")), source)


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


# -- the nation's arrangement per year: what is loaded, what is only computed ------------


def store_notice(year: int, rows: Iterable[NoticeRow]) -> None:
    """Replace ``year``'s loaded notice with ``rows`` (from ``holidays.parse_notice``).

    Every center's calendar version moves in this transaction (``calendar_rows``).
    """
    db.session.execute(delete(NoticeDay).where(NoticeDay.year == year))
    db.session.add_all(
        NoticeDay(
            year=year, day=r.day, is_holiday=r.is_holiday, name_zh=r.name_zh, name_en=r.name_en
        )
        for r in rows
    )
    db.session.flush()


def notice_counts() -> dict[int, tuple[int, int]]:
    """Return {year: (days off, working weekends)} of the loaded notices."""
    rows = db.session.execute(
        select(NoticeDay.year, NoticeDay.is_holiday, func.count()).group_by(
            NoticeDay.year, NoticeDay.is_holiday
        )
    ).all()
    counts: dict[int, tuple[int, int]] = {}
    for year, is_holiday, count in rows:
        off, worked = counts.get(year, (0, 0))
        counts[year] = (off + count, worked) if is_holiday else (off, worked + count)
    return counts


def year_sources(first: date, last: date) -> list[tuple[int, CalendarSource]]:
    """Return each year from ``first`` to ``last`` with where its days off come from."""
    years = range(first.year, last.year + 1)
    loaded = set(
        db.session.scalars(select(NoticeDay.year).where(NoticeDay.year.in_(years)).distinct())
    )
    return [(year, year_source(year, loaded)) for year in years]


def years_by_rule(first: date, last: date) -> list[int]:
    """Return the years from ``first`` to ``last`` whose days off are computed by the rule."""
    return [year for year, source in year_sources(first, last) if source is CalendarSource.RULE]


def look_ahead(now: datetime) -> tuple[date, date]:
    """Return today and the last day whose holidays matter now: the longest booking horizon
    of any center, and at least ``CALENDAR_NOTICE_DAYS`` ahead."""
    horizon = db.session.scalar(select(func.max(Center.booking_horizon_days))) or 0
    today = to_local(now, current_app.config["TIMEZONE"]).date()
    days = max(horizon, current_app.config["CALENDAR_NOTICE_DAYS"])
    return today, today + timedelta(days=days)


#: how far ``add_working_days`` looks beyond the days asked for: the longest closure a center
#: could have in a row (Spring Festival, National Day, its own days) with room to spare
WORKING_DAYS_SLACK = 120


class NoWorkingDay(LookupError):
    """A center keeps closed for longer than ``add_working_days`` looks."""


def add_working_days(center: Center, day: date, count: int) -> date:
    """Return the ``count``-th working day of ``center`` after ``day`` (``day`` itself not
    counted): a deadline in working days (工作日), as the center's calendar has them —
    holidays and the center's own closures skipped, 调休 working weekends counted, a year no
    notice or library knows by the statutory rule. ``count`` 0 gives ``day`` itself.

    :raises NoWorkingDay: when the center opens on fewer than ``count`` days in the
        ``count`` weeks and ``WORKING_DAYS_SLACK`` days after ``day``.
    """
    if count <= 0:
        return day
    counted = 0
    for offset in range(1, count * 7 + WORKING_DAYS_SLACK + 1):
        candidate = day + timedelta(days=offset)
        if day_status(center, candidate).is_open:
            counted += 1
            if counted == count:
                return candidate
    raise NoWorkingDay(f"{center.code} opens on fewer than {count} days after {day}")


#: how far ``next_opening`` looks: past the longest run of closed days (Spring Festival + a
#: center's own closure) with room to spare
NEXT_OPENING_HORIZON_DAYS = 60


def next_opening(center: Center, now: datetime) -> datetime | None:
    """Return when ``center`` next opens after ``now`` (aware, in the center's time zone):
    the next start of an opening period, found day by day through weekends, holidays, 调休
    working weekends and the center's own days; None when it stays closed for
    ``NEXT_OPENING_HORIZON_DAYS``."""
    zone = ZoneInfo(center.timezone)
    today = to_local(now, center.timezone).date()
    for offset in range(NEXT_OPENING_HORIZON_DAYS + 1):
        day = today + timedelta(days=offset)
        for opens, _closes in opening_periods(center, day):
            start = datetime.combine(day, opens, zone)
            if start > now:
                return start
    return None
