"""The one word for each state of a window or a ticket, and the one way to say a duration:
every page (desk, hall display, live report, kiosk) says them through here (Jinja globals
``window_word``, ``ticket_word``, ``duration``), so the same state never reads two ways."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

#: a window as the hall sees it: its state (open, paused, closed), an open one split by
#: whether it holds a ticket (serving, which includes calling) or not (idle)
WINDOW_WORDS: dict[str, LazyString] = {
    "open": _l("Open"),
    "serving": _l("Serving"),
    "idle": _l("Idle"),
    "paused": _l("Paused"),
    "closed": _l("Not open"),
}

#: a ticket's state (``TicketState`` values)
TICKET_WORDS: dict[str, LazyString] = {
    "waiting": _l("Waiting"),
    "called": _l("Called"),
    "serving": _l("Being served"),
    "done": _l("Done"),
    "no_show": _l("No-show"),
    "cancelled": _l("Cancelled"),
    "unserved": _l("Not served"),
}


def floor_status(window_state: str, *, holds_ticket: bool) -> str:
    """The window's status as the hall sees it: an open window is serving or idle."""
    if window_state == "open":
        return "serving" if holds_ticket else "idle"
    return window_state


def window_word(status: str) -> str:
    """The one word for a window's state or floor status (``WINDOW_WORDS``)."""
    return str(WINDOW_WORDS[status])


def ticket_word(state: str) -> str:
    """The one word for a ticket's state (``TICKET_WORDS``)."""
    return str(TICKET_WORDS[state])


def seconds_whole(seconds: float) -> int:
    return int(Decimal(str(seconds)).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def duration(seconds: float | None) -> str:
    """Say a time in hours, minutes and seconds (rounded to the second): "38 分 05 秒"."""
    if seconds is None:
        return "—"
    total = seconds_whole(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return _("%(h)d h %(m)02d min %(s)02d s", h=hours, m=minutes, s=secs)
    if minutes:
        return _("%(m)d min %(s)02d s", m=minutes, s=secs)
    return _("%(s)d s", s=secs)
