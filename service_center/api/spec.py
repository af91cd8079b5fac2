"""The OpenAPI registry: each area's API module documents its own paths and schemas here."""

from __future__ import annotations

from typing import Any

PATHS: dict[str, dict[str, Any]] = {}
SCHEMAS: dict[str, Any] = {}

PROBLEM = {"$ref": "#/components/responses/Problem"}
CODE = {"name": "code", "in": "path", "required": True, "schema": {"type": "string"}}
ID = {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}
TOKEN = {"name": "token", "in": "path", "required": True, "schema": {"type": "string"}}
STAFF = [{"bearer": []}, {"session": []}]


def json_content(schema: dict[str, Any], description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def json_body(schema: dict[str, Any], required: bool = True) -> dict[str, Any]:
    return {"required": required, "content": {"application/json": {"schema": schema}}}


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def array_of(name: str) -> dict[str, Any]:
    return {"type": "array", "items": ref(name)}


def document(paths: dict[str, dict[str, Any]], schemas: dict[str, Any] | None = None) -> None:
    """Add an area's paths (relative to /api/v1) and schemas to the document."""
    for path, operations in paths.items():
        PATHS.setdefault(path, {}).update(operations)
    SCHEMAS.update(schemas or {})


SCHEMAS["Problem"] = {
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {
            "type": "object",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        },
    },
}
