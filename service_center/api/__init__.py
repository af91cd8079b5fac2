"""The JSON API under /api/v1: one blueprint, its auth and body helpers, its OpenAPI document."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Flask, current_app, g, jsonify, request
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge, UnsupportedMediaType

from ..errors import problem
from ..extensions import csrf

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)  # session callers are checked in staff_required; bearer callers need no CSRF

MAX_JSON_BYTES = 64 * 1024


def json_body(max_bytes: int = MAX_JSON_BYTES) -> dict[str, Any]:
    """Return the request's JSON object, or answer 400/413/415 with a clear problem."""
    if request.content_length and request.content_length > max_bytes:
        raise RequestEntityTooLarge(_("The request body is too large."))
    if not request.is_json:
        if not request.get_data():
            return {}
        raise UnsupportedMediaType(_("Send the body as application/json."))
    data = request.get_json(silent=True)
    if data is None and request.get_data():
        raise BadRequest(_("The request body is not valid JSON."))
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise BadRequest(_("The request body is not valid JSON: send a JSON object."))
    return data


def staff_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Let signed-in staff (session + X-CSRFToken for writes, or a bearer token) through."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_authenticated:
            return problem(401, headers={"WWW-Authenticate": "Bearer"})
        if (
            request.method not in ("GET", "HEAD", "OPTIONS")
            and not g.get("auth_via_token")
            and current_app.config.get("WTF_CSRF_ENABLED", True)
        ):
            csrf.protect()
        return view(*args, **kwargs)

    return wrapped


def register(app: Flask) -> None:
    """Register the blueprint, once every area's API module has added its routes to it."""
    from . import openapi  # noqa: F401  (the document, served at /api/v1/openapi.json)

    app.register_blueprint(bp)


def ok(data: Any, status: int = 200) -> Any:
    return jsonify(data), status
