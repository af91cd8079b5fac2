"""Jinja filters and globals: local times, masking, the language and display-mode switches."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Flask, request, url_for
from flask_babel import get_locale, refresh
from jinja2 import pass_context
from jinja2.runtime import Context
from wtforms import Form

from . import glossary
from .clock import to_local
from .modes import ELDER, current_mode
from .privacy import mask_contact, mask_id_number, mask_name, mask_phone


def local_dt(moment: datetime | None, fmt: str = "%Y-%m-%d %H:%M", tz: str | None = None) -> str:
    """Format an aware UTC datetime in the center's (or the default) time zone."""
    if moment is None:
        return ""
    from flask import current_app

    return to_local(moment, tz or current_app.config["TIMEZONE"]).strftime(fmt)


def _switch_language_url(lang: str) -> str:
    return url_for("catalogue.set_language", lang=lang, next=request.full_path.rstrip("?"))


def _switch_mode_url(mode: str) -> str:
    return url_for("catalogue.set_mode", mode=mode, next=request.full_path.rstrip("?"))


@pass_context
def form_has_errors(context: Context) -> bool:
    """Whether a form given to the page holds errors (the title then says so)."""
    return any(isinstance(v, Form) and v.errors for v in context.get_all().values())


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
    app.jinja_env.globals["form_has_errors"] = form_has_errors
    # one word per state, one way to say a duration, on every page (glossary.py)
    app.jinja_env.globals.update(
        window_word=glossary.window_word,
        ticket_word=glossary.ticket_word,
        floor_status=glossary.floor_status,
        duration=glossary.duration,
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

    @app.context_processor
    def inject_mode() -> dict[str, Any]:
        mode = current_mode()
        return {
            "display_mode": mode,
            "elder_mode": mode == ELDER,
            "switch_mode_url": _switch_mode_url,
        }
