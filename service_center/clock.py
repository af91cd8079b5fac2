"""The only clock: every service takes ``now`` from here (tests pass their own)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

_offset = timedelta(0)


def now_utc() -> datetime:
    """Return the current time as an aware UTC datetime."""
    return datetime.now(UTC) + _offset


def travel(offset: timedelta) -> None:
    """Shift the app's clock by ``offset`` (browser tests and demos of a working morning)."""
    global _offset
    _offset = offset


def local_date(moment: datetime, timezone: str) -> date:
    """Return the calendar day ``moment`` falls on in ``timezone``."""
    return moment.astimezone(ZoneInfo(timezone)).date()


def to_local(moment: datetime, timezone: str) -> datetime:
    """Convert an aware datetime to ``timezone``."""
    return moment.astimezone(ZoneInfo(timezone))


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_iso_date(text: str) -> date | None:
    """Read exactly YYYY-MM-DD as a real date; None for anything else (2026-02-30, 2026-1-5)."""
    if not _ISO_DATE.fullmatch(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def quiet_until(now: datetime, timezone: str, hours: str) -> datetime | None:
    """The end of the quiet ``hours`` ("21:00-08:00", local time in ``timezone``; may span
    midnight) when ``now`` falls inside them; None otherwise, or when ``hours`` is empty."""
    if "-" not in hours:
        return None
    start, end = (time.fromisoformat(part.strip()) for part in hours.split("-", 1))
    local = to_local(now, timezone)
    clock_time = local.time()
    inside = (start <= clock_time or clock_time < end) if start > end else start <= clock_time < end
    if not inside:
        return None
    day = local.date() if clock_time < end else local.date() + timedelta(days=1)
    return datetime.combine(day, end, ZoneInfo(timezone))
