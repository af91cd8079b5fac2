"""The public display feed of /api/v1: polled every second by every screen of the hall."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request

from ..api import bp
from ..api.schema import operation
from ..clock import now_utc
from ..requestlog import polled
from . import feed, schemas

#: the board version (weak), in the caller's language: send it back as If-None-Match
ETAG = {"ETag": {"schema": {"type": "string"}}}
IF_NONE_MATCH = {"name": "If-None-Match", "in": "header", "schema": {"type": "string"}}


@bp.get("/centers/<code>/display")
@polled
@operation(
    "The hall display's feed: calls, windows, waiting (no personal data)",
    description="Poll with If-None-Match: 304 while nothing has changed.",
    responses={200: schemas.Display, 304: ("Nothing changed since the ETag given", None)},
    problems=(404,),
    parameters=(IF_NONE_MATCH,),
    headers={200: ETAG, 304: ETAG},
)
def center_display(code: str) -> Any:
    now = now_utc()
    # the version is one small indexed query, read again only when a change stamp moved or a
    # second has passed (queueing/kept.py); the body is built only when it has changed
    known = feed.known_board(code, now=now)
    tag = feed.etag(known.version)
    if request.if_none_match.contains_weak(tag):
        response = Response(status=304)
    else:
        body = feed.current_board_json(known, now=now)
        response = jsonify({**body, "server_time": feed.server_time(known.timezone, now)})
    response.set_etag(tag, weak=True)
    response.headers["Cache-Control"] = "no-cache"
    response.vary.update(("Accept-Language", "Cookie"))
    return response
