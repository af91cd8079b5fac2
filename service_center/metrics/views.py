"""``/metrics``, and the timing of every request."""

from __future__ import annotations

import ipaddress
import secrets
import time
from typing import Any

from flask import Blueprint, Flask, Response, abort, current_app, g, request
from prometheus_client import CONTENT_TYPE_LATEST

from .. import edge
from .collect import LATENCY, REQUESTS, exposition

bp = Blueprint("metrics", __name__)


def init_app(app: Flask) -> None:
    app.before_request(_start)
    app.after_request(_count)
    edge.listen(app, _count_at_the_edge)


def _start() -> None:
    g.metrics_started = time.perf_counter()


def _count(response: Response) -> Response:
    endpoint = request.endpoint or "unmatched"  # a bounded set: never the raw path
    REQUESTS.labels(request.method, endpoint, str(response.status_code)).inc()
    started = g.get("metrics_started")
    if started is not None:
        LATENCY.labels(endpoint).observe(time.perf_counter() - started)
    return response


def _count_at_the_edge(method: str, endpoint: str, status: int, seconds: float) -> None:
    REQUESTS.labels(method, endpoint, str(status)).inc()
    LATENCY.labels(endpoint).observe(seconds)


def _allowed() -> bool:
    token = current_app.config.get("METRICS_TOKEN")
    given = request.headers.get("Authorization", "")
    if token and secrets.compare_digest(given, f"Bearer {token}"):
        return True
    try:
        address = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        return False
    return any(
        address in ipaddress.ip_network(allowed, strict=False)
        for allowed in current_app.config.get("METRICS_ALLOW", ())
    )


@bp.get("/metrics")
def metrics() -> Any:
    if not _allowed():
        abort(403)
    response = Response(exposition(), mimetype=CONTENT_TYPE_LATEST)
    response.headers["Cache-Control"] = "no-store"
    return response
