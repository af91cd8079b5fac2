"""Reading a report's days from a query string, with one clear message per bad field."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from flask_babel import gettext as _

from ..clock import parse_iso_date

Errors = dict[str, list[str]]


def parse_date(
    args: Mapping[str, str], key: str, errors: Errors, default: date | None
) -> date | None:
    """Read ``args[key]`` as YYYY-MM-DD; an empty or missing value gives ``default``."""
    value = (args.get(key) or "").strip()
    if not value:
        if default is None:
            errors[key] = [_("Give a date as YYYY-MM-DD.")]
        return default
    day = parse_iso_date(value)
    if day is None:
        errors[key] = [_("Give a real date as YYYY-MM-DD.")]
    return day


def check_range(first: date | None, last: date | None, max_days: int, errors: Errors) -> None:
    """Refuse a range that runs backwards or is longer than ``max_days`` days."""
    if first is None or last is None:
        return
    if first > last:
        errors["from"] = [_("The first day must not be after the last day.")]
    elif (last - first).days + 1 > max_days:
        errors["to"] = [
            _(
                "Choose at most %(days)d days (%(first)s to %(last)s is %(count)d days).",
                days=max_days,
                first=first.isoformat(),
                last=last.isoformat(),
                count=(last - first).days + 1,
            )
        ]


def parse_range(
    args: Mapping[str, str],
    max_days: int,
    errors: Errors,
    *,
    default_first: date | None,
    default_last: date | None,
) -> tuple[date | None, date | None]:
    """Read ``from`` and ``to`` (inclusive) and check them against ``max_days``."""
    first = parse_date(args, "from", errors, default_first)
    last = parse_date(args, "to", errors, default_last)
    check_range(first, last, max_days, errors)
    return first, last
