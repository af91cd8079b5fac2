"""The public display feed of /api/v1: polled every second by every screen of the hall."""

from __future__ import annotations

import functools
import re
from typing import Any

from flask import Flask, Response, jsonify, request
from werkzeug.datastructures import ETags
from werkzeug.http import parse_etags

from .. import edge
from ..api import bp
from ..api.schema import operation
from ..clock import now_utc
from ..queueing.kept import still_known
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
    response.headers["Cache-Control"] = UNCHANGED_HEADERS[0][1]
    response.vary.update(("Accept-Language", "Cookie"))
    return response


#: what a 304 of the feed carries besides its ETag (and what every response does)
UNCHANGED_HEADERS = (("Cache-Control", "no-cache"), ("Vary", "Accept-Language, Cookie"))
_FEED_PATH = re.compile(r"/api/v1/centers/([^/]+)/display")


def unchanged_at_the_edge(app: Flask) -> edge.Answer:
    """The feed's 304 given before Flask (``service_center.edge``): when this process keeps the
    center's floor and it still stands, and the screen's ETag is the version's in its language,
    the answer ``center_display`` would give. Anything else is left to it."""

    def answer(environ: edge.Environ) -> edge.Given | None:
        given = environ.get("HTTP_IF_NONE_MATCH")
        found = _FEED_PATH.fullmatch(environ.get("PATH_INFO", "")) if given else None
        if found is None:
            return None
        known = still_known(app, found.group(1), now=now_utc())
        if known is None:
            return None
        tag = feed.etag_in(known.version, edge.language(app, environ))
        if not _etags(given).contains_weak(tag):
            return None
        headers = [("ETag", f'W/"{tag}"'), *UNCHANGED_HEADERS]
        return "api.center_display", "304 NOT MODIFIED", headers, b""

    return answer


@functools.lru_cache(maxsize=256)
def _etags(header: str) -> ETags:
    return parse_etags(header)
