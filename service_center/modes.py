"""The resident's display mode: standard, or 长辈版 (elderly mode, MIIT 2021 适老化 rules).

The choice lives in a cookie, so it needs no account and works without JavaScript; every page
carries it as ``<html data-mode="…">`` for the stylesheet (``static/css/elder.css``) and for
scripts that must not hurry an elderly resident (a kiosk countdown, an auto-refresh).
"""

from __future__ import annotations

from flask import has_request_context, request

MODE_COOKIE = "sc_mode"
STANDARD = "standard"
ELDER = "elder"
MODES = (STANDARD, ELDER)
#: remembered for a year, as the language is
MODE_COOKIE_MAX_AGE = 365 * 24 * 3600


def mode_from_cookie(value: str | None) -> str:
    """Return the mode a cookie value names; anything else is the standard mode."""
    return ELDER if value == ELDER else STANDARD


def current_mode() -> str:
    """The mode of the request being answered; standard outside a request."""
    if not has_request_context():
        return STANDARD
    return mode_from_cookie(request.cookies.get(MODE_COOKIE))
