"""A request id for every request, and one log line per request.

The id comes from the proxy's ``X-Request-ID`` when it sends a sane one (so the proxy's log and
ours share it), else it is made here. It is sent back in the ``X-Request-ID`` header, shown on
error pages and put in every problem+json body, so a clerk can quote it and an operator find
the request. The log line says method, path (never the query string), status, duration and
the id, as plain text or, with ``LOG_JSON``, as one JSON object; never a name, phone or ID
number (the paths hold none: look-ups send the phone in a header, pages post their forms).
What the screens and phones poll (``polled``) is logged only when it fails or is slow.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from flask import Flask, Response, current_app, g, has_request_context, request

F = TypeVar("F", bound=Callable[..., Any])
HEADER = "X-Request-ID"
_SANE = re.compile(r"[A-Za-z0-9._-]{8,64}")
logger = logging.getLogger("service_center.requests")


def request_id() -> str | None:
    """This request's id (None outside a request)."""
    return g.get("request_id") if has_request_context() else None


def init_app(app: Flask) -> None:
    app.before_request(_start)
    app.after_request(_finish)
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)
        logger.propagate = False
    logger.setLevel(logging.INFO)


def new_request_id(given: str | None) -> str:
    """The proxy's ``X-Request-ID`` when it is sane, else a new id."""
    return given if given and _SANE.fullmatch(given) else uuid.uuid4().hex


def _start() -> None:
    g.request_id = new_request_id(request.headers.get(HEADER))
    g.request_started = time.perf_counter()


#: a polled answer taking longer than this is logged all the same (milliseconds)
SLOW_POLL_MS = 1000


def polled(view: F) -> F:
    """Mark a view that screens and phones poll every second or two: its answers are logged
    only when they fail or are slow (each is still counted in /metrics), so that the log
    holds what an operator looks for rather than a line a second per screen."""
    view.polled = True  # type: ignore[attr-defined]
    return view


def _quiet(response: Response, elapsed_ms: float) -> bool:
    view = current_app.view_functions.get(request.endpoint) if request.endpoint else None
    return (
        getattr(view, "polled", False) and response.status_code < 400 and elapsed_ms < SLOW_POLL_MS
    )


def _finish(response: Response) -> Response:
    rid = g.get("request_id") or uuid.uuid4().hex
    response.headers[HEADER] = rid
    if current_app.config.get("LOG_REQUESTS", True):
        elapsed = (time.perf_counter() - g.get("request_started", time.perf_counter())) * 1000
        if _quiet(response, elapsed):
            return response
        write_line(
            current_app.config, rid, request.method, request.path, response.status_code, elapsed
        )
    return response


def write_line(
    config: Mapping[str, Any], request_id: str, method: str, path: str, status: int, ms: float
) -> None:
    """Log one request: as plain text, or as one JSON object with ``LOG_JSON``."""
    fields = {
        "request_id": request_id,
        "method": method,
        "path": path,
        "status": status,
        "ms": round(ms, 1),
    }
    if config.get("LOG_JSON"):
        logger.info(json.dumps(fields, ensure_ascii=False))
    else:
        logger.info("%(method)s %(path)s %(status)s %(ms).1fms id=%(request_id)s" % fields)  # noqa: UP031
