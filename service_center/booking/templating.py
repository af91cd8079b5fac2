"""Template helpers of the booking pages: code and day formats, the staff calendar warning."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from flask import Blueprint
from flask_babel import format_date
from flask_login import current_user

from ..auth.models import Role
from ..catalogue import services as catalogue
from ..clock import now_utc
from ..i18n import current_language
from . import availability, codes


def init_bp(bp: Blueprint) -> None:
    """Register the filters and the warning for every template (the staff home uses it)."""
    bp.add_app_template_filter(booking_code_filter, "booking_code")
    bp.add_app_template_filter(day_label, "day_label")
    bp.add_app_template_filter(hm, "hm")
    bp.app_context_processor(calendar_warning)


def booking_code_filter(code: str) -> str:
    return codes.format_code(code)


def day_label(day: date, part: str = "full") -> str:
    """Format a day for people: 11月27日 星期五 / Friday 27 November."""
    zh = current_language() == "zh"
    patterns = {
        "full": "y年M月d日 EEEE" if zh else "EEEE d MMMM y",
        "date": "M月d日" if zh else "d MMM",
        "weekday": "EEEE",
    }
    return format_date(day, patterns[part])


def hm(moment: time | datetime) -> str:
    return moment.strftime("%H:%M")


def calendar_warning() -> dict[str, Any]:
    return {"booking_calendar_years": _calendar_years}


def _calendar_years() -> list[int]:
    """Years in the booking horizon the holiday calendar lacks, for supervisors and admins."""
    if not current_user.is_authenticated or current_user.role not in (Role.SUPERVISOR, Role.ADMIN):
        return []
    centers = [current_user.center] if current_user.center else catalogue.list_centers()
    return availability.unknown_calendar_years(centers, now=now_utc())
