"""The hall TV page and the small screen above each window (public, no sign-in)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from ..catalogue import services as catalogue
from ..catalogue.models import Center
from ..clock import now_utc
from ..errors import NotFound
from ..glossary import WINDOW_WORDS
from . import feed, services

bp = Blueprint("display", __name__, url_prefix="/display")

#: words the page's script writes, in both languages (the hall screen shows both at once)
LABELS = {
    **{status: WINDOW_WORDS[status] for status in ("idle", "serving", "paused", "closed")},
    "called": _l("Please come to this window"),
    "no_calls": _l("No calls yet today"),
    "no_current_call": _l("No call at the moment"),
    "window": _l("Window %(number)s", number="{n}"),
    "remote": _l("of which taken from the phone"),
}


def in_both(message: Any) -> tuple[str, str]:
    """Return a lazily translated message in Chinese and in English."""
    with force_locale("zh_CN"):
        zh = str(message)
    with force_locale("en"):
        en = str(message)
    return zh, en


def both(message: Any) -> Markup:
    """Render a message in Chinese, then in English (the hall screen shows both at once)."""
    zh, en = in_both(message)
    return Markup('<span class="zh">{}</span><span class="en" lang="en">{}</span>').format(zh, en)


@bp.context_processor
def bilingual_helpers() -> dict[str, Any]:
    return {"_l": _l, "in_both": in_both, "both": both}


def _center_or_404(code: str) -> Center:
    try:
        return catalogue.get_center(code)
    except NotFound:
        abort(404)


def _page_context(center: Center) -> dict[str, Any]:
    now = now_utc()
    board = feed.board_json(center, services.get_board(center, now=now))
    board["server_time"] = feed.server_time(center.timezone, now)
    return {
        "center": center,
        "board": board,
        "now_calling": feed.now_calling(board["calls"]),
        "recent": feed.recent_tickets(board["calls"]),
        "labels": {key: in_both(text) for key, text in LABELS.items()},
        "feed_url": url_for("api.center_display", code=center.code),
    }


@bp.get("/<code>")
def hall(code: str) -> str:
    """The hall's big screen: the latest call, recent calls, windows, waiting; spoken calls."""
    center = _center_or_404(code)
    speak_english = request.args.get("english") in ("1", "true", "on")
    return render_template(
        "display/hall.html", speak_english=speak_english, **_page_context(center)
    )


@bp.get("/<code>/window/<int:number>")
def window(code: str, number: int) -> str:
    """The small screen above one window: its number and its ticket, or that it is paused."""
    center = _center_or_404(code)
    try:
        window = services.get_window(center, number)
    except NotFound:
        abort(404)
    return render_template("display/window.html", window=window, **_page_context(center))
