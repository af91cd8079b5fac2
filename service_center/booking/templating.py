"""Template helpers of the booking pages: code and day formats."""

from __future__ import annotations

from datetime import date, datetime, time

from flask import Blueprint
from flask_babel import format_date

from ..i18n import current_language
from . import codes


def init_bp(bp: Blueprint) -> None:
    """Register the filters for every template."""
    bp.add_app_template_filter(booking_code_filter, "booking_code")
    bp.add_app_template_filter(day_label, "day_label")
    bp.add_app_template_filter(hm, "hm")


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
