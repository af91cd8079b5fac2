"""The nation's days off for any year: the library's arrangement, a loaded notice, or the rule.

Three sources, in this order of precedence for a year:

1. **a loaded notice** (``flask calendar load``): the State Council's arrangement for the year as
   a deployment entered it (``NoticeDay`` rows): its days off on weekdays and its 调休 working
   weekends;
2. **the library**: ``chinese-calendar``, which carries the official arrangements of the years it
   knows (2004–2026 in 1.11);
3. **the rule**: for any other year, the 13 statutory days of the national regulation
   (全国年节及纪念日放假办法, revised 2024, in force since 1 January 2025), the lunar dates from
   ``lunardate`` and Qingming from ``chinese-calendar``'s solar-term formula. The rule knows no
   bridging days and no 调休 working weekends: those come only with the notice.
"""

from __future__ import annotations

import csv
import enum
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

import chinese_calendar
from flask_babel import lazy_gettext as _l
from lunardate import LunarDate

#: the English names chinese-calendar gives its holidays (calendar.py translates them)
NEW_YEAR = "New Year's Day"
SPRING_FESTIVAL = "Spring Festival"
QINGMING = "Tomb-sweeping Day"
LABOUR_DAY = "Labour Day"
DRAGON_BOAT = "Dragon Boat Festival"
MID_AUTUMN = "Mid-autumn Festival"
NATIONAL_DAY = "National Day"

#: the first year the 2024 revision of the regulation governs (13 days; 12 before)
RULE_SINCE = 2025


class CalendarSource(enum.StrEnum):
    """Where a year's days off come from."""

    NOTICE = "notice"  #: the year's official arrangement, loaded by this deployment
    LIBRARY = "library"  #: chinese-calendar's copy of the official arrangement
    RULE = "rule"  #: computed from the regulation: statutory days only, no 调休
    WEEKENDS = "weekends"  #: beyond the lunar library's range: weekends only


@dataclass(frozen=True)
class NationalDay:
    """What the library or the rule says of a day: a working day or not, the holiday's
    English name (chinese-calendar's), and which of the two said it."""

    is_workday: bool
    holiday: str
    source: CalendarSource


@lru_cache(maxsize=64)
def library_knows(year: int) -> bool:
    """Tell whether chinese-calendar carries the official arrangement of ``year``."""
    try:
        chinese_calendar.get_holiday_detail(date(year, 6, 1))
    except NotImplementedError:  # what chinese-calendar raises for a year it does not know
        return False
    return True


@lru_cache(maxsize=64)
def statutory_holidays(year: int) -> Mapping[date, str]:
    """Return the statutory days off of ``year`` by the regulation, with their holiday names.

    New Year's Day (1 January); the Spring Festival (lunar New Year's Eve and the first three
    days of the lunar year); Qingming (the solar term's day); Labour Day (1–2 May); the Dragon
    Boat Festival (lunar 5/5); the Mid-Autumn Festival (lunar 8/15); National Day (1–3 October).

    :raises ValueError: for a year outside the lunar library's range (1900–2099).
    """
    lunar_new_year = LunarDate(year, 1, 1).to_solar_date()
    (qingming, _name), *_ = chinese_calendar.get_solar_terms(date(year, 4, 3), date(year, 4, 6))
    days: dict[date, str] = {
        date(year, 1, 1): NEW_YEAR,
        **{lunar_new_year + timedelta(days=n): SPRING_FESTIVAL for n in range(-1, 3)},
        qingming: QINGMING,
        date(year, 5, 1): LABOUR_DAY,
        date(year, 5, 2): LABOUR_DAY,
        LunarDate(year, 5, 5).to_solar_date(): DRAGON_BOAT,
        LunarDate(year, 8, 15).to_solar_date(): MID_AUTUMN,
        **{date(year, 10, d): NATIONAL_DAY for d in (1, 2, 3)},
    }
    return days


def year_source(year: int, notice_years: Iterable[int] = ()) -> CalendarSource:
    """Return where ``year``'s days off come from, given the years this deployment loaded."""
    if year in notice_years:
        return CalendarSource.NOTICE
    if library_knows(year):
        return CalendarSource.LIBRARY
    if year < RULE_SINCE:  # an older regulation, and before the library's years
        return CalendarSource.WEEKENDS
    try:
        statutory_holidays(year)
    except ValueError:
        return CalendarSource.WEEKENDS
    return CalendarSource.RULE


def national_day(day: date) -> NationalDay:
    """Tell whether ``day`` is a national working day by the library, else by the rule.

    A loaded notice comes first where the deployment has one (``calendar.day_status``).
    """
    source = year_source(day.year)
    if source is CalendarSource.LIBRARY:
        is_holiday, name = chinese_calendar.get_holiday_detail(day)
        return NationalDay(not is_holiday, (name or "") if is_holiday else "", source)
    weekday = day.weekday() < 5
    if source is CalendarSource.RULE:
        name = statutory_holidays(day.year).get(day, "")
        return NationalDay(weekday and not name, name, source)
    return NationalDay(weekday, "", source)


# -- the year's notice as a file ---------------------------------------------------------

#: the header of a notice file, and the words its ``kind`` column takes
NOTICE_COLUMNS = ("date", "kind", "name_zh", "name_en")
HOLIDAY_KINDS = frozenset({"holiday", "休"})
WORKDAY_KINDS = frozenset({"working day", "workday", "working_day", "班"})


@dataclass(frozen=True)
class NoticeRow:
    """One day of a year's official arrangement, as read from its file."""

    day: date
    is_holiday: bool
    name_zh: str
    name_en: str


class NoticeFileInvalid(ValueError):
    """A notice file with wrong rows: every problem, one line each, and nothing stored.

    The problems are said in the language of the moment they are read (``str(problem)``): the
    admin page's, or English on the command line (``force_locale("en")``).
    """

    def __init__(self, problems: list[Any]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


WEEKDAYS = (
    _l("Monday"),
    _l("Tuesday"),
    _l("Wednesday"),
    _l("Thursday"),
    _l("Friday"),
    _l("Saturday"),
    _l("Sunday"),
)


def parse_notice(year: int, text: str) -> list[NoticeRow]:
    """Read a notice file (CSV: date, kind, name_zh, name_en) for ``year``.

    A working day must fall on a weekend (a weekday works anyway); a day off may fall on any
    day, since a notice gives whole spans and a center may open on Saturdays. Every date lies
    in ``year`` and appears once; a row has at most the four columns.

    :raises NoticeFileInvalid: listing every wrong row; nothing is returned then.
    """
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    header = [cell.strip().lower() for cell in next(reader, [])]
    if tuple(header[: len(NOTICE_COLUMNS)]) != NOTICE_COLUMNS:
        raise NoticeFileInvalid(
            [
                _l(
                    "line 1: the header must be %(columns)s (found %(found)s)",
                    columns=",".join(NOTICE_COLUMNS),
                    found=",".join(header),
                )
            ]
        )
    rows: list[NoticeRow] = []
    problems: list[Any] = []
    seen: dict[date, int] = {}
    for line, cells in enumerate(reader, start=2):
        if not any(cell.strip() for cell in cells):
            continue
        row, problem = _notice_row(year, [cell.strip() for cell in cells], seen, line)
        if problem:
            problems.append(_l("line %(line)d: %(problem)s", line=line, problem=problem))
        elif row is not None:
            seen[row.day] = line
            rows.append(row)
    if not rows and not problems:
        problems.append(_l("the file lists no days"))
    if problems:
        raise NoticeFileInvalid(problems)
    return sorted(rows, key=lambda r: r.day)


def _notice_row(
    year: int, cells: list[str], seen: Mapping[date, int], line: int
) -> tuple[NoticeRow | None, Any]:
    if any(cells[len(NOTICE_COLUMNS) :]):
        return None, _l("more than four columns (a comma inside a name needs quotes)")
    cells = (cells + [""] * len(NOTICE_COLUMNS))[: len(NOTICE_COLUMNS)]
    text, kind, name_zh, name_en = cells
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return None, _l("%(text)s is not a date (YYYY-MM-DD)", text=repr(text))
    if day.year != year:
        return None, _l("%(day)s is not in %(year)d", day=day.isoformat(), year=year)
    if day in seen:
        return None, _l(
            "%(day)s is listed twice (first on line %(first)d)",
            day=day.isoformat(),
            first=seen[day],
        )
    kind = kind.lower()
    if kind not in HOLIDAY_KINDS | WORKDAY_KINDS:
        return None, _l("kind %(kind)s is neither 'holiday' nor 'working day'", kind=repr(kind))
    is_holiday = kind in HOLIDAY_KINDS
    if not is_holiday and day.weekday() < 5:
        return None, _l(
            "%(day)s is a %(weekday)s: a working day here must be a weekend (调休)",
            day=day.isoformat(),
            weekday=WEEKDAYS[day.weekday()],
        )
    if is_holiday and not name_zh:
        return None, _l(
            "%(day)s: a day off needs its holiday's Chinese name (name_zh)", day=day.isoformat()
        )
    if len(name_zh) > 60 or len(name_en) > 80:
        return None, _l(
            "%(day)s: names are at most 60 (zh) and 80 (en) characters", day=day.isoformat()
        )
    return NoticeRow(day, is_holiday, name_zh, name_en), ""


def missing_statutory_days(year: int, rows: Iterable[NoticeRow]) -> list[tuple[date, str]]:
    """Return the rule's holidays of ``year`` that ``rows`` do not give off.

    A notice always grants them (weekend ones included: a center may open on Saturdays), so
    one missing is most likely a slip in the file.
    """
    if year < RULE_SINCE:
        return []
    try:
        statutory = statutory_holidays(year)
    except ValueError:
        return []
    off = {row.day for row in rows if row.is_holiday}
    return [(d, name) for d, name in sorted(statutory.items()) if d not in off]


def library_differences(year: int, rows: Iterable[NoticeRow]) -> list[tuple[date, bool]]:
    """Return the days where ``rows`` and chinese-calendar disagree: (day, off by the notice).

    Empty for a year the library does not know. A day the notice does not list follows the
    week (a weekend off, a weekday worked), as ``calendar.day_status`` reads it.
    """
    if not library_knows(year):
        return []
    by_notice = {row.day: row.is_holiday for row in rows}
    differences = []
    day = date(year, 1, 1)
    while day.year == year:
        library_off = chinese_calendar.is_holiday(day)
        notice_off = by_notice.get(day, day.weekday() >= 5)
        if library_off != notice_off:
            differences.append((day, notice_off))
        day += timedelta(days=1)
    return differences
