"""Domain errors and the error pages / problem+json answers."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, jsonify, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from .db import db
from .requestlog import request_id


class DomainError(Exception):
    """A broken business rule, with a message a user can read (409 by default in the API)."""

    status = 409
    #: the form field the message belongs to, when there is one
    field: str | None = None

    def __init__(self, message: Any = None, *, field: str | None = None) -> None:
        super().__init__(str(message) if message is not None else str(self.default_message))
        if field is not None:
            self.field = field

    default_message: Any = _l("This action is not possible now.")


class NotFound(DomainError):
    status = 404
    default_message = _l("Not found.")


class Invalid(DomainError):
    """Input that fails a rule only the domain can check (a date out of range, …)."""

    status = 422
    default_message = _l("Please correct the input.")


class Conflict(DomainError):
    status = 409


class Forbidden(DomainError):
    status = 403
    default_message = _l("You may not do this.")


TITLES = {
    400: _l("Bad request"),
    401: _l("Sign-in required"),
    403: _l("Forbidden"),
    404: _l("Not found"),
    405: _l("Method not allowed"),
    409: _l("Conflict"),
    413: _l("Request too large"),
    415: _l("Unsupported media type"),
    422: _l("Invalid input"),
    429: _l("Too many requests"),
    500: _l("Server error"),
}

MESSAGES = {
    400: _l("The request could not be understood."),
    401: _l("Please sign in first."),
    403: _l("You do not have permission to open this page."),
    404: _l("The page you asked for does not exist."),
    405: _l("This address does not accept that kind of request."),
    429: _l("Too many attempts. Please wait a minute and try again."),
    500: _l("Something went wrong on our side. Please try again; staff have been notified."),
}


def wants_problem_json() -> bool:
    return request.path.startswith("/api/")


def problem(
    status: int,
    detail: str | None = None,
    *,
    errors: dict[str, list[str]] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """Build an RFC 9457 problem+json response."""
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": str(TITLES.get(status, "Error")),
        "status": status,
        "detail": detail or str(MESSAGES.get(status, TITLES.get(status, ""))),
    }
    if errors:
        body["errors"] = errors
    if (rid := request_id()) is not None:
        body["request_id"] = rid  # quote it to the operators: it is in their log line
    response = jsonify(body)
    response.status_code = status
    response.mimetype = "application/problem+json"
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def register_error_handlers(app: Flask) -> None:
    """Render errors as pages in the user's language, or as problem+json under /api/."""

    def handle_http(exc: HTTPException) -> Any:
        status = exc.code or 500
        if status >= 500:
            db.session.rollback()
        headers = dict(exc.get_headers()) if status in (405, 429) else {}
        headers.pop("Content-Type", None)
        if wants_problem_json():
            detail = None
            if status in (400, 413, 415, 422):
                detail = _api_detail(exc)
            return problem(status, detail, headers=headers)
        template = f"errors/{status}.html" if status in (400, 403, 404, 405, 429) else None
        message = MESSAGES.get(status, TITLES.get(status, ""))
        body = render_template(
            template or "errors/generic.html",
            status=status,
            title=TITLES.get(status, _("Error")),
            message=message,
        )
        return body, status, headers

    def handle_domain(exc: DomainError) -> Any:
        db.session.rollback()
        if wants_problem_json():
            errors = {exc.field: [str(exc)]} if exc.field else None
            return problem(exc.status, str(exc), errors=errors)
        return (
            render_template(
                "errors/generic.html",
                status=exc.status,
                title=TITLES.get(exc.status, _("Error")),
                message=str(exc),
            ),
            exc.status,
        )

    def handle_unexpected(exc: Exception) -> Any:
        app.logger.exception(
            "Unhandled error on %s %s id=%s", request.method, request.path, request_id()
        )
        return handle_http(InternalServerError())

    app.register_error_handler(HTTPException, handle_http)
    app.register_error_handler(DomainError, handle_domain)
    app.register_error_handler(Exception, handle_unexpected)


def _api_detail(exc: HTTPException) -> str:
    """Say what was wrong with the request: our own message, else a plain one for the status."""
    if isinstance(exc, CSRFError):
        return _("The CSRF token is missing or invalid; send it in the X-CSRFToken header.")
    if exc.description and exc.description != type(exc).description:
        return str(exc.description)  # raised by our code with a message for the caller
    return str(MESSAGES.get(exc.code or 400, TITLES.get(exc.code or 400, "")))
