"""What residents and kiosks call under /api/v1: take a ticket, follow it, rate its case.

The clerks' actions on tickets and windows are the desk's (``desk/api.py``).
"""

from __future__ import annotations

from typing import Any

from flask import jsonify
from flask_login import current_user

from ..api import bp
from ..api.schema import operation
from ..clock import now_utc, to_local
from ..db import committed_for_response, db
from ..i18n import locale_code
from . import ratings, services
from .formats import ticket_json
from .schemas import Evaluation, IssueTicket, Rating, Ticket


@bp.post("/tickets")
@operation(
    "Issue a walk-in ticket (kiosk)",
    body=IssueTicket,
    responses={201: ("The ticket", Ticket)},
    problems=(403, 404, 409),
)
def issue_ticket(body: IssueTicket) -> Any:
    now = now_utc()
    ticket = services.issue_walk_in(
        body.center,
        body.service,
        now=now,
        priority=body.priority,
        actor=current_user,
        notify_address=body.notify or None,
        notify_locale=locale_code(),
    )
    with committed_for_response():
        return jsonify(ticket_json(ticket, now=now)), 201


@bp.get("/tickets/<token>")
@operation(
    "A ticket's status, people ahead and estimated wait",
    responses={200: Ticket},
    problems=(404,),
)
def get_ticket(token: str) -> Any:
    ticket = services.get_ticket_by_token(token)
    return jsonify(ticket_json(ticket))


@bp.post("/tickets/<token>/evaluation")
@operation(
    "Rate the closed case of a ticket (好差评), once",
    description="rating 5 (very satisfied) … 1 (very dissatisfied); a comment is required "
    "for 1 and 2.",
    body=Rating,
    responses={201: ("The rating, recorded", Evaluation)},
    problems=(404, 409),
)
def rate_ticket(token: str, body: Rating) -> Any:
    ticket = services.get_ticket_by_token(token)
    evaluation = ratings.rate_case(ticket, rating=body.rating, comment=body.comment, now=now_utc())
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
