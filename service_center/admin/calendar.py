"""A center's calendar from the admin area (opening hours, its own days, walk-in caps) and the
county's statutory calendar of a year the holiday library does not know.

Every write goes through the calendar's own rows (``CalendarRow``), so it bumps the center's
version and holds from the very next request in every worker (``catalogue/calendar_rows.py``).
A notice goes through the same parser and loader as ``flask calendar load``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from .. import audit
from ..booking import availability
from ..booking.models import Appointment
from ..catalogue import holidays
from ..catalogue.models import CaseType, Center, CenterDay, OpeningHours
from ..clock import local_date
from ..db import db, write_transaction
from ..errors import Invalid
from ..queueing.models import WalkInCap

_PERIOD = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*[-–~至到]\s*(\d{1,2}):(\d{2})\s*$")
_SPLIT = re.compile(r"[,，;；、]")


def parse_periods(text: str, *, field: str) -> list[tuple[time, time]]:
    """ "09:00-12:00, 13:30-17:30" → two periods; empty → closed that weekday.

    :raises Invalid: for a period that is not HH:MM-HH:MM, ends before it starts, or overlaps.
    """
    periods: list[tuple[time, time]] = []
    for part in (p for p in _SPLIT.split(text or "") if p.strip()):
        match = _PERIOD.match(part)
        try:
            if match is None:
                raise ValueError(part)
            h1, m1, h2, m2 = (int(g) for g in match.groups())
            opens, closes = time(h1, m1), time(h2, m2)
        except ValueError:
            raise Invalid(
                _("Write the hours as 09:00-12:00, several separated by commas."), field=field
            ) from None
        if opens >= closes:
            raise Invalid(_("A period must end after it starts."), field=field)
        periods.append((opens, closes))
    periods.sort()
    for (_a, first_end), (second_start, _b) in zip(periods, periods[1:], strict=False):
        if second_start < first_end:
            raise Invalid(_("The periods overlap."), field=field)
    return periods


def _hours(center: Center) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {}
    for row in db.session.scalars(
        select(OpeningHours)
        .where(OpeningHours.center_id == center.id)
        .order_by(OpeningHours.weekday, OpeningHours.open_time)
    ):
        found.setdefault(row.weekday, []).append(f"{row.open_time:%H:%M}-{row.close_time:%H:%M}")
    return found


def hours_text(center: Center) -> dict[int, str]:
    """Each weekday's periods as the form shows them ("09:00-12:00, 13:30-17:30")."""
    return {weekday: ", ".join(periods) for weekday, periods in _hours(center).items()}


def set_hours(
    center: Center, week: dict[int, list[tuple[time, time]]], *, actor: Any, now: datetime
) -> None:
    """Replace the center's weekly opening hours (a weekday without periods is closed)."""
    write_transaction()
    before = {str(k): v for k, v in _hours(center).items()}
    for row in db.session.scalars(select(OpeningHours).where(OpeningHours.center_id == center.id)):
        db.session.delete(row)
    db.session.flush()
    for weekday, periods in sorted(week.items()):
        for opens, closes in periods:
            db.session.add(
                OpeningHours(
                    center_id=center.id, weekday=weekday, open_time=opens, close_time=closes
                )
            )
    db.session.flush()
    after = {str(k): v for k, v in _hours(center).items()}
    if after != before:
        audit.record(
            "calendar.hours",
            actor=actor,
            now=now,
            object_type="calendar",
            object_label=center.name_zh,
            center_id=center.id,
            before=before,
            after=after,
        )


def set_day(
    center: Center,
    day: date,
    *,
    is_open: bool,
    reason_zh: str,
    reason_en: str,
    actor: Any,
    now: datetime,
) -> list[Appointment]:
    """Enter a closure or a special opening; return the bookings a closure leaves that day.

    :raises Invalid: for a day already past.
    """
    write_transaction()
    if day < local_date(now, center.timezone):
        raise Invalid(_("Choose today or a later day."), field="day")
    entry = db.session.scalar(
        select(CenterDay).where(CenterDay.center_id == center.id, CenterDay.day == day)
    )
    before = audit.snapshot(entry, ("is_open", "reason_zh", "reason_en")) if entry else {}
    entry = availability.set_center_day(
        center,
        day,
        is_open=is_open,
        reason_zh=reason_zh.strip(),
        reason_en=reason_en.strip(),
        now=now,
    )
    audit.record(
        "calendar.day",
        actor=actor,
        now=now,
        object_type="calendar",
        object_label=day.isoformat(),
        center_id=center.id,
        before=before,
        after=audit.snapshot(entry, ("is_open", "reason_zh", "reason_en")),
    )
    return [] if is_open else availability.open_bookings(day, day, center)


def remove_day(center: Center, day: date, *, actor: Any, now: datetime) -> bool:
    write_transaction()
    entry = db.session.scalar(
        select(CenterDay).where(CenterDay.center_id == center.id, CenterDay.day == day)
    )
    if entry is None:
        return False
    before = audit.snapshot(entry, ("is_open", "reason_zh", "reason_en"))
    availability.remove_center_day(center, day)
    audit.record(
        "calendar.day_removed",
        actor=actor,
        now=now,
        object_type="calendar",
        object_label=day.isoformat(),
        center_id=center.id,
        before=before,
        after={},
    )
    return True


def own_days(center: Center, *, now: datetime) -> list[CenterDay]:
    """The center's own closures and openings from today on."""
    today = local_date(now, center.timezone)
    return list(
        db.session.scalars(
            select(CenterDay)
            .where(CenterDay.center_id == center.id, CenterDay.day >= today)
            .order_by(CenterDay.day)
        )
    )


def caps(center: Center) -> dict[int, int]:
    return {
        cap.case_type_id: cap.daily_cap
        for cap in db.session.scalars(select(WalkInCap).where(WalkInCap.center_id == center.id))
    }


def set_caps(center: Center, wanted: dict[int, int | None], *, actor: Any, now: datetime) -> None:
    """Set the daily walk-in cap of each case type (None: no cap)."""
    write_transaction()
    known = {ct.id: ct.code for ct in db.session.scalars(select(CaseType))}
    before = {known[k]: v for k, v in caps(center).items()}
    for row in db.session.scalars(select(WalkInCap).where(WalkInCap.center_id == center.id)):
        db.session.delete(row)  # row by row: only this center's calendar version moves
    db.session.flush()
    for case_type_id, cap in wanted.items():
        if case_type_id not in known:
            raise Invalid(_("Choose a case type from the list."), field="caps")
        if cap is not None:
            if cap < 0:
                raise Invalid(_("A cap is 0 or more tickets."), field=f"cap_{case_type_id}")
            db.session.add(WalkInCap(center_id=center.id, case_type_id=case_type_id, daily_cap=cap))
    db.session.flush()
    after = {known[k]: v for k, v in caps(center).items()}
    if after != before:
        audit.record(
            "calendar.caps",
            actor=actor,
            now=now,
            object_type="calendar",
            object_label=center.name_zh,
            center_id=center.id,
            before=before,
            after=after,
        )


# ---------------------------------------------------------------------------- a year's notice


@dataclass(frozen=True)
class NoticeCheck:
    """A notice file read for a year, beside the days the rule computes for it."""

    year: int
    rows: list[holidays.NoticeRow]
    problems: list[Any]
    rule_days: dict[date, str]
    missing: list[tuple[date, str]]
    differences: list[tuple[date, bool]]

    @property
    def ok(self) -> bool:
        return not self.problems


def check_notice(year: int, text: str) -> NoticeCheck:
    """Read a notice file with ``flask calendar load``'s parser; write nothing."""
    rule_days = dict(holidays.statutory_holidays(year))
    try:
        rows = holidays.parse_notice(year, text)
    except holidays.NoticeFileInvalid as exc:
        return NoticeCheck(year, [], exc.problems, rule_days, [], [])
    return NoticeCheck(
        year,
        rows,
        [],
        rule_days,
        holidays.missing_statutory_days(year, rows),
        holidays.library_differences(year, rows),
    )


def load_notice(check: NoticeCheck, *, actor: Any, now: datetime, today: date) -> Any:
    """Store a checked notice as its year's arrangement; return the ``NoticeChange`` (the
    bookings it leaves on closed days: ask once committed)."""
    change = availability.replace_notice(check.year, check.rows, today=today)
    audit.record(
        "notice.load",
        actor=actor,
        now=now,
        object_type="notice",
        object_label=str(check.year),
        after={
            "days_off": [r.day.isoformat() for r in check.rows if r.is_holiday],
            "weekends_worked": [r.day.isoformat() for r in check.rows if not r.is_holiday],
        },
    )
    return change


def unload_notice(year: int, *, actor: Any, now: datetime, today: date) -> Any:
    change = availability.replace_notice(year, [], today=today)
    audit.record(
        "notice.unload",
        actor=actor,
        now=now,
        object_type="notice",
        object_label=str(year),
    )
    return change
