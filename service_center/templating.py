"""Jinja filters and globals: local times, masking, the language switch."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Flask, request, url_for
from flask_babel import get_locale, refresh

from .clock import to_local
from .privacy import mask_contact, mask_id_number, mask_name, mask_phone


def local_dt(moment: datetime | None, fmt: str = "%Y-%m-%d %H:%M", tz: str | None = None) -> str:
    """Format an aware UTC datetime in the center's (or the default) time zone."""
    if moment is None:
        return ""
    from flask import current_app

    return to_local(moment, tz or current_app.config["TIMEZONE"]).strftime(fmt)


def _switch_language_url(lang: str) -> str:
    return url_for("catalogue.set_language", lang=lang, next=request.full_path.rstrip("?"))


def init_app(app: Flask) -> None:
    # a test (or CLI) may hold one app context across requests: choose the language afresh
    app.before_request(refresh)

    app.jinja_env.filters.update(
        local_dt=local_dt,
        mask_name=mask_name,
        mask_phone=mask_phone,
        mask_contact=mask_contact,
        mask_id=mask_id_number,
    )

    @app.context_processor
    def inject_language() -> dict[str, Any]:
        locale = get_locale()
        lang = "en" if locale is not None and locale.language == "en" else "zh_CN"
        return {
            "current_lang": lang,
            "html_lang": "en" if lang == "en" else "zh-CN",
            "switch_language_url": _switch_language_url,
        }
