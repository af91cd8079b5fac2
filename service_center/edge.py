"""Answers given before Flask's request cycle: "nothing changed" to what polls every second.

Every screen of the hall asks for the display's feed every second or two, and almost every
answer is a 304. Flask's request cycle (its contexts, the routing, the app's hooks, the
response object) costs such an answer several times what deciding it does
(docs/performance.md, 22). An area may register an ``Answer`` here: a function of the WSGI
environ that returns the endpoint, the status and the headers of an answer it can give from
what this process keeps, or None to leave the request to Flask. It may answer only what Flask
would answer the same: when in doubt it leaves the request to Flask, which stays the reference.

Only GET requests without a query string are offered to the answers. What every response
carries is added here as the app adds it: the request id and the security headers
(``security.fixed_headers``), and each answer is counted by the listeners (``/metrics``). A
session is not read: what is answered here is public, the same for everyone. So what Flask's
hooks do for a signed-in caller (note the request against the idle time, sign out an expired
session, send a forced password change to its form, sign in from a remember-me cookie) waits
for their next request that reaches Flask; the staff's own pages and the desk's polls do.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask
from werkzeug.http import parse_cookie

from . import requestlog, security
from .i18n import LANG_COOKIE, choose_locale_code

logger = logging.getLogger(__name__)

Environ = dict[str, Any]
Headers = list[tuple[str, str]]
#: (endpoint, status line, headers, body) of an answer, or None: Flask answers
Given = tuple[str, str, Headers, bytes]
Answer = Callable[[Environ], Given | None]
#: (method, endpoint, status code, seconds) of every answer given here
Listener = Callable[[str, str, int, float], None]


class Edge:
    """WSGI middleware in front of ``app.wsgi_app``: the registered answers first, then Flask."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.wsgi_app = app.wsgi_app
        self.answers: list[Answer] = []
        self.listeners: list[Listener] = []

    def __call__(self, environ: Environ, start_response: Callable[..., Any]) -> Iterable[bytes]:
        if (
            self.answers
            and environ.get("REQUEST_METHOD") == "GET"
            and not environ.get("QUERY_STRING")
        ):
            started = time.perf_counter()
            for answer in self.answers:
                try:
                    given = answer(environ)
                except Exception:  # noqa: BLE001 (Flask answers it, and reports what fails)
                    logger.exception("an answer before Flask failed; Flask answers instead")
                    given = None
                if given is not None:
                    return self._give(environ, start_response, given, started)
        return self.wsgi_app(environ, start_response)

    def _give(
        self,
        environ: Environ,
        start_response: Callable[..., Any],
        given: Given,
        started: float,
    ) -> Iterable[bytes]:
        endpoint, status, headers, body = given
        path = environ.get("PATH_INFO", "")
        request_id = requestlog.new_request_id(environ.get("HTTP_X_REQUEST_ID"))
        start_response(
            status,
            [
                *headers,
                *security.fixed_headers(path, self.app.config["DISPLAY_FRAME_ANCESTORS"]),
                (requestlog.HEADER, request_id),
            ],
        )
        code = int(status.split(" ", 1)[0])
        seconds = time.perf_counter() - started
        for listener in self.listeners:
            listener("GET", endpoint, code, seconds)
        if seconds * 1000 >= requestlog.SLOW_POLL_MS and self.app.config.get("LOG_REQUESTS", True):
            # as Flask's log does for what screens and phones poll: only when slow
            requestlog.write_line(self.app.config, request_id, "GET", path, code, seconds * 1000)
        return [body] if body else []


@functools.lru_cache(maxsize=256)
def language_cookie(header: str) -> str | None:
    """The language cookie's value in a Cookie header (None without one)."""
    if LANG_COOKIE not in header:
        return None
    return parse_cookie(header).get(LANG_COOKIE)


def language(app: Flask, environ: Environ) -> str:
    """The request's language as ``i18n.current_language`` gives it ("zh" or "en"), from the
    language cookie and Accept-Language (the edge's requests have no query string)."""
    code = choose_locale_code(
        app.config,
        language_cookie(environ.get("HTTP_COOKIE", "")),
        environ.get("HTTP_ACCEPT_LANGUAGE", ""),
    )
    return "en" if code.startswith("en") else "zh"


def install(app: Flask) -> Edge:
    """Put the edge in front of the app's WSGI callable (once) and return it."""
    edge = app.extensions.get("edge")
    if edge is None:
        edge = Edge(app)
        app.wsgi_app = edge  # type: ignore[method-assign]
        app.extensions["edge"] = edge
    return edge


def answer_with(app: Flask, answer: Answer) -> None:
    """Offer GET requests to ``answer`` before Flask."""
    install(app).answers.append(answer)


def listen(app: Flask, listener: Listener) -> None:
    """Tell ``listener`` of every answer given before Flask."""
    install(app).listeners.append(listener)
