"""What residents and kiosks call under /api/v1: take a ticket, follow it, rate its case.

The clerks' actions on tickets and windows are the desk's (``desk/api.py``).
"""

from __future__ import annotations

from typing import Any

from flask import jsonify
from flask_babel import gettext as _
from flask_login import current_user

from ..api import bp, json_body
from ..clock import now_utc, to_local
from ..db import committed_for_response, db
from ..errors import Invalid, problem
from . import ratings, services
from .api_spec import document_queue_api
from .formats import ticket_json

document_queue_api()


def _bool(value: Any, field: str) -> bool:
    if value is None:
        return False
    if not isinstance(value, bool):
        raise Invalid(_("Must be true or false."), field=field)
    return value


@bp.post("/tickets")
def issue_ticket() -> Any:
    body = json_body()
    errors: dict[str, list[str]] = {}
    if not isinstance(body.get("center"), str) or not body.get("center"):
        errors["center"] = [_("Give the center's code.")]
    if body.get("service") is None:
        errors["service"] = [_("Choose a service item.")]
    elif isinstance(body["service"], bool) or not isinstance(body["service"], int):
        errors["service"] = [_("Must be a whole number.")]
    if errors:
        return problem(422, _("Please correct the input."), errors=errors)
    priority = _bool(body.get("priority"), "priority")
    now = now_utc()
    ticket = services.issue_walk_in(
        body["center"], body["service"], now=now, priority=priority, actor=current_user
    )
    with committed_for_response():
        return jsonify(ticket_json(ticket, now=now)), 201


@bp.get("/tickets/<token>")
def get_ticket(token: str) -> Any:
    ticket = services.get_ticket_by_token(token)
    return jsonify(ticket_json(ticket))


@bp.post("/tickets/<token>/evaluation")
def rate_ticket(token: str) -> Any:
    ticket = services.get_ticket_by_token(token)
    body = json_body()
    comment = body.get("comment")
    if comment is not None and not isinstance(comment, str):
        raise Invalid(_("The comment must be text."), field="comment")
    evaluation = ratings.rate_case(
        ticket, rating=body.get("rating"), comment=comment, now=now_utc()
    )
    db.session.commit()
    return jsonify(
        {
            "rating": evaluation.rating,
            "comment": evaluation.comment,
            "rated_at": to_local(evaluation.created_dt, ticket.center.timezone).isoformat(
                timespec="seconds"
            ),
        }
    ), 201
