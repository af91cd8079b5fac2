"""The public display feed of /api/v1: polled every second by every screen of the hall."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request

from ..api import bp
from ..api.spec import CODE, PROBLEM, document, json_content, ref
from ..clock import now_utc
from . import feed


@bp.get("/centers/<code>/display")
def center_display(code: str) -> Any:
    now = now_utc()
    # the version is one small indexed query, read at most once a second per process; the
    # body is built only when it has changed
    known = feed.known_board(code, now=now)
    tag = known.tag
    if request.if_none_match.contains_weak(tag):
        response = Response(status=304)
    else:
        body = feed.current_board_json(known, now=now)
        response = jsonify({**body, "server_time": feed.server_time(known.timezone, now)})
    response.set_etag(tag, weak=True)
    response.headers["Cache-Control"] = "no-cache"
    response.vary.update(("Accept-Language", "Cookie"))
    return response


CALL = {
    "type": "object",
    "required": ["id", "kind", "number", "window", "called_at"],
    "properties": {
        "id": {"type": "integer", "description": "the call's event id: announce each once"},
        "kind": {"enum": ["called", "recalled"]},
        "number": {"type": "string", "examples": ["B017"]},
        "window": {"type": "integer"},
        "called_at": {"type": "string", "format": "date-time"},
        "case_type": {"type": ["string", "null"]},
        "text_zh": {"type": "string", "examples": ["请 B017 号到 5 号窗口办理"]},
        "text_en": {"type": "string", "examples": ["Ticket B017, please go to window 5"]},
        "speech_zh": {"type": "string", "examples": ["请 B 零 一 七 号到 5 号窗口办理"]},
        "speech_en": {"type": "string"},
    },
}

DISPLAY_WINDOW = {
    "type": "object",
    "required": ["number", "name", "status", "ticket"],
    "properties": {
        "number": {"type": "integer"},
        "name": {"type": "string"},
        "name_zh": {"type": "string"},
        "name_en": {"type": "string"},
        "status": {"enum": ["open", "paused", "closed"]},
        "ticket": {"type": ["string", "null"], "description": "the ticket called or served"},
        "ticket_status": {"enum": ["called", "serving", None]},
    },
}

DISPLAY = {
    "type": "object",
    "required": ["calls", "windows", "waiting", "server_time"],
    "properties": {
        "center": {"type": "object"},
        "date": {"type": "string", "format": "date"},
        "server_time": {"type": "string", "format": "date-time"},
        "calls": {
            "type": "array",
            "items": ref("DisplayCall"),
            "description": "the day's latest calls and recalls, newest first (at most 20)",
        },
        "windows": {"type": "array", "items": ref("DisplayWindow")},
        "waiting": {
            "type": "object",
            "additionalProperties": {"type": "integer"},
            "description": "tickets waiting per case type code",
        },
        "case_types": {"type": "array", "items": {"type": "object"}},
    },
}

document(
    {
        "/centers/{code}/display": {
            "get": {
                "summary": "The hall display's feed: calls, windows, waiting (no personal data)",
                "description": "Poll with If-None-Match: 304 while nothing has changed.",
                "parameters": [
                    CODE,
                    {"name": "If-None-Match", "in": "header", "schema": {"type": "string"}},
                ],
                "responses": {
                    "200": {
                        **json_content(ref("Display")),
                        "headers": {"ETag": {"schema": {"type": "string"}}},
                    },
                    "304": {"description": "Nothing changed since the ETag given"},
                    "404": PROBLEM,
                },
            }
        }
    },
    {"Display": DISPLAY, "DisplayCall": CALL, "DisplayWindow": DISPLAY_WINDOW},
)
