"""The OpenAPI 3.1 description of /api/v1, served at /api/v1/openapi.json.

Built from the URL map: every view under /api/v1 carries its ``@operation`` declaration
(``schema.py``); the tests validate the document with openapi-spec-validator, fail when a route
is undeclared, and check every answer of the suite against its declared model.
"""

from __future__ import annotations

import re
from typing import Any

from flask import current_app, jsonify

from . import bp
from .schema import declared_operation, operation, operation_object

PROBLEM_SCHEMA = {
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "request_id": {
            "type": "string",
            "description": "this request's id, as in the X-Request-ID header and the log",
        },
        "errors": {
            "type": "object",
            "description": "what is wrong with each field, in the caller's language",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        },
    },
}

_VARIABLE = re.compile(r"<(?:(?P<converter>[a-z]+):)?(?P<name>\w+)>")


def declared_paths(components: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every declared view under /api/v1, as OpenAPI path items."""
    paths: dict[str, dict[str, Any]] = {}
    shared: set[str] = set()  # paths with an integer variable
    prefix = bp.url_prefix or ""
    for rule in current_app.url_map.iter_rules():
        if not rule.endpoint.startswith(f"{bp.name}."):
            continue
        declared = declared_operation(current_app.view_functions[rule.endpoint])
        if declared is None:
            continue
        arguments = {m["name"]: m["converter"] or "default" for m in _VARIABLE.finditer(rule.rule)}
        names = declared.path_names
        path = _VARIABLE.sub(
            lambda m, names=names: "{" + names.get(m["name"], m["name"]) + "}",
            rule.rule.removeprefix(prefix),
        )
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            paths.setdefault(path, {})[method.lower()] = operation_object(
                declared, arguments, components
            )
            if "int" in arguments.values():
                shared.add(path)
    for path in shared:
        if len(paths[path]) > 1:
            # an id beyond any row's fails the route's converter after the method was
            # compared: the router answers 405 for a method the path also has
            for operation in paths[path].values():
                operation["responses"].setdefault("405", {"$ref": "#/components/responses/Problem"})
    return paths


def build_spec() -> dict[str, Any]:
    """Return the OpenAPI document as a dict."""
    components: dict[str, Any] = {"Problem": PROBLEM_SCHEMA}
    paths = declared_paths(components)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "service_center API",
            "version": "1",
            "description": "Kiosks, hall displays, window desks and other government platforms.",
        },
        "servers": [{"url": "/api/v1"}],
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": dict(sorted(components.items())),
            "responses": {
                "Problem": {
                    "description": "An RFC 9457 problem",
                    "content": {
                        "application/problem+json": {
                            "schema": {"$ref": "#/components/schemas/Problem"}
                        }
                    },
                }
            },
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "session": {"type": "apiKey", "in": "cookie", "name": "session"},
            },
        },
    }


@bp.get("/openapi.json")
@operation("This document", responses={200: {"type": "object"}})
def openapi_json() -> Any:
    return jsonify(build_spec())
