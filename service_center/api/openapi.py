"""The OpenAPI 3.1 description of /api/v1, served at /api/v1/openapi.json.

Each area documents its routes beside its handlers (``spec.document``); the tests validate
the document with openapi-spec-validator and fail when a route under /api/v1 is missing.
"""

from __future__ import annotations

from typing import Any

from flask import jsonify

from . import bp
from .spec import PATHS, SCHEMAS, document, json_content, ref

document(
    {
        "/openapi.json": {
            "get": {
                "summary": "This document",
                "responses": {"200": json_content({"type": "object"})},
            }
        }
    }
)


def build_spec() -> dict[str, Any]:
    """Return the OpenAPI document as a dict."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "service_center API",
            "version": "1",
            "description": "Kiosks, hall displays, window desks and other government platforms.",
        },
        "servers": [{"url": "/api/v1"}],
        "paths": dict(sorted(PATHS.items())),
        "components": {
            "schemas": SCHEMAS,
            "responses": {
                "Problem": {
                    "description": "An RFC 9457 problem",
                    "content": {"application/problem+json": {"schema": ref("Problem")}},
                }
            },
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "session": {"type": "apiKey", "in": "cookie", "name": "session"},
            },
        },
    }


@bp.get("/openapi.json")
def openapi_json() -> Any:
    return jsonify(build_spec())
