"""Security headers on every response, and the staff session's lifetime.

- **Content-Security-Policy**: scripts, styles, images, sounds and requests from this origin
  only; no inline script (the templates load every script from ``static/``; JSON data blocks
  are not scripts); inline ``style`` attributes are allowed (the reports colour their cards
  with them); no plugins; forms post here only. No page may be framed (clickjacking at the
  desk), except the hall displays, which a center may embed in its own screen software
  (``DISPLAY_FRAME_ANCESTORS``, default the same origin).
- **X-Content-Type-Options**, **Referrer-Policy** (no path, so no booking code, leaves the site)
  and **Permissions-Policy** (no camera, microphone or location).
- **Sessions** (staff only: residents have none): ``SameSite=Lax``, ``Secure`` unless
  configured off for plain-HTTP development; signed out after ``SESSION_IDLE_MINUTES`` without
  a request (the desk polls, so a desk in use stays signed in) and ``SESSION_MAX_HOURS`` after
  signing in, whatever happens.
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import (
    Flask,
    Response,
    abort,
    current_app,
    flash,
    g,
    redirect,
    request,
    session,
    url_for,
)
from flask.sessions import SecureCookieSessionInterface
from flask_babel import gettext as _
from flask_login import current_user, logout_user

CSP = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "style-src-attr 'unsafe-inline'",
        "img-src 'self' data:",
        "media-src 'self'",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors {ancestors}",
    )
)
#: the pages a center may embed in its own screen software
EMBEDDABLE = ("/display/",)
#: bodies larger than this are not scanned for NUL here: the view refuses them as too large
MAX_SCANNED_BODY = 4 * 1024 * 1024
#: session keys: when the staff member signed in, and their last request
SIGNED_IN_AT = "signed_in_at"
SEEN_AT = "seen_at"


class _SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, their signer built once per secret key rather than on
    every request (most requests, a phone's or a screen's poll, carry no session at all)."""

    _signer: tuple[Any, Any] | None = None

    def get_signing_serializer(self, app: Flask) -> Any:
        key = (app.secret_key, tuple(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        if self._signer is None or self._signer[0] != key:
            self._signer = (key, super().get_signing_serializer(app))
        return self._signer[1]


def init_app(app: Flask) -> None:
    app.session_interface = _SessionInterface()
    app.before_request(_refuse_nul)
    app.after_request(_headers)
    app.before_request(_session_lifetime)


def _refuse_nul() -> None:
    """A NUL character in the address, a form or a JSON body is refused with a 400 before any
    view reads it: PostgreSQL cannot store one, and no person types one."""
    if "\x00" in request.path or any("\x00" in v for v in request.args.values()):
        abort(400, description=_("The request holds a character that is not allowed (NUL)."))
    if request.method in ("POST", "PUT", "PATCH", "DELETE"):
        if request.is_json and (request.content_length or 0) <= MAX_SCANNED_BODY:
            data = request.get_data(cache=True)
            if b"\x00" in data or b"\\u0000" in data.lower():
                abort(
                    400, description=_("The request holds a character that is not allowed (NUL).")
                )
        elif request.mimetype == "application/x-www-form-urlencoded":
            # the raw bytes, kept for whoever reads the body next (a form, or json_body's 415)
            data = (
                request.get_data(cache=True)
                if (request.content_length or 0) <= MAX_SCANNED_BODY
                else b""
            )
            if b"%00" in data or b"\x00" in data:
                abort(
                    400, description=_("The request holds a character that is not allowed (NUL).")
                )
        elif request.mimetype == "multipart/form-data":
            if any("\x00" in v for v in request.form.values()):
                abort(
                    400, description=_("The request holds a character that is not allowed (NUL).")
                )


_HEADERS = (
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()"),
)


def _headers(response: Response) -> Response:
    headers = response.headers
    present = {key.lower() for key in headers.keys()}
    for key, value in fixed_headers(request.path, current_app.config["DISPLAY_FRAME_ANCESTORS"]):
        if key.lower() not in present:
            headers.add(key, value)
    return response


def fixed_headers(path: str, display_ancestors: str) -> tuple[tuple[str, str], ...]:
    """The security headers of a response at ``path`` (a view may set its own instead)."""
    return _fixed_headers(path.startswith(EMBEDDABLE), display_ancestors)


@functools.lru_cache(maxsize=8)
def _fixed_headers(embeddable: bool, display_ancestors: str) -> tuple[tuple[str, str], ...]:
    ancestors = display_ancestors if embeddable else "'none'"
    frame = () if embeddable else (("X-Frame-Options", "DENY"),)
    return (("Content-Security-Policy", _csp(ancestors)), *frame, *_HEADERS)


@functools.lru_cache(maxsize=8)
def _csp(ancestors: str) -> str:
    return CSP.format(ancestors=ancestors)


def _now() -> datetime:
    return datetime.now(UTC)


def start_session() -> None:
    """Call at sign-in: the session's lifetime starts now."""
    now = _now().timestamp()
    session[SIGNED_IN_AT] = now
    session[SEEN_AT] = now


def _session_lifetime() -> Response | None:
    """Sign a staff session out when it was idle too long or is too old; else note this request.

    Bearer callers (devices) have no session and are not touched.
    """
    if g.get("auth_via_token") or SIGNED_IN_AT not in session:
        return None
    if request.endpoint is None or request.endpoint.endswith("static"):
        return None
    now = _now().timestamp()
    idle = timedelta(minutes=current_app.config["SESSION_IDLE_MINUTES"]).total_seconds()
    longest = timedelta(hours=current_app.config["SESSION_MAX_HOURS"]).total_seconds()
    if now - session.get(SEEN_AT, 0) > idle or now - session[SIGNED_IN_AT] > longest:
        if current_user.is_authenticated:
            logout_user()
        session.pop(SIGNED_IN_AT, None)
        session.pop(SEEN_AT, None)
        if request.path.startswith("/api/"):
            return None  # the API answers 401 for the signed-out caller
        flash(_("You were signed out after a while without use. Please sign in again."), "info")
        return redirect(url_for("auth.login", next=request.full_path))
    session[SEEN_AT] = now
    return None
