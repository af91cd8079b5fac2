"""The only clock: every service takes ``now`` from here (tests pass their own)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
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
