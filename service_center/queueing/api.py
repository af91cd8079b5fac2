"""What residents and kiosks call under /api/v1: take a ticket, follow it, rate its case.

The clerks' actions on tickets and windows are the desk's (``desk/api.py``).
"""

from __future__ import annotations

import re
from typing import Any

from flask import Flask, current_app, jsonify
from flask_login import current_user

from .. import edge
from ..api import bp
from ..api.schema import operation
from ..clock import now_utc, to_local
from ..db import committed_for_response, db
from ..i18n import current_language, locale_code
from ..requestlog import polled
from . import kept, ratings, remote, services
from .formats import ticket_json
from .limits import remote_limit
from .schemas import Evaluation, IssueRemoteTicket, IssueTicket, Rating, Ticket


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
        assisted=body.assisted,
        actor=current_user,
        notify_address=body.notify or None,
        notify_locale=locale_code(),
    )
    with committed_for_response():
        return jsonify(ticket_json(ticket, now=now)), 201


@bp.post("/centers/<code>/remote-tickets")
@remote_limit
@operation(
    "Take a ticket from the phone (远程取号)",
    description="Only where the center allows remote tickets for the item, during opening "
    "hours, under its daily cap and its cap per phone. The ticket is called only once its "
    "holder is in the hall (``POST /tickets/{token}/arrival`` or the kiosk's scan); at the head "
    "of the queue before that it becomes a no-show, which the kiosk can put back once.",
    body=IssueRemoteTicket,
    responses={201: ("The ticket", Ticket)},
    problems=(403, 404, 409, 429),
)
def issue_remote_ticket(code: str, body: IssueRemoteTicket) -> Any:
    now = now_utc()
    ticket = remote.issue_remote(
        code, body.service, phone=body.phone, now=now, locale=locale_code()
    )
    with committed_for_response():
        return jsonify(ticket_json(ticket, now=now)), 201


@bp.post("/tickets/<token>/arrival")
@operation(
    "The holder of a remote ticket is in the hall",
    description="Idempotent; a walk-in or booked ticket is in the hall already.",
    responses={200: ("The ticket", Ticket)},
    problems=(404, 409),
)
def confirm_arrival(token: str) -> Any:
    now = now_utc()
    ticket = remote.confirm_arrival(services.get_ticket_by_token(token), now=now)
    with committed_for_response():
        return jsonify(ticket_json(ticket, now=now))


#: a poll's answer is in the caller's language: the language cookie, else Accept-Language
POLL_VARY = ("Accept-Language", "Cookie")


@bp.get("/tickets/<token>")
@polled
@operation(
    "A ticket's status, people ahead and estimated wait",
    responses={200: Ticket},
    problems=(404,),
)
def get_ticket(token: str) -> Any:
    # every waiting phone asks every two seconds: answered from what this process keeps while
    # the floor is unchanged (queueing/kept.py)
    now = now_utc()

    def build(place: kept.Place) -> tuple[Any, bytes, bool]:
        ticket = services.get_ticket_by_token(token)
        return ticket, current_app.json.dumps(ticket_json(ticket, now=now, place=place)), True

    key = (token, current_language())
    body = kept.kept_for_ticket(kept.POLLS, key, now=now, build=build, token=token)
    response = current_app.response_class(body, mimetype="application/json")
    response.vary.update(POLL_VARY)
    return response


_POLL_PATH = re.compile(r"/api/v1/tickets/([^/]+)")


def kept_at_the_edge(app: Flask) -> edge.Answer:
    """A ticket's poll given before Flask (``service_center.edge``) while this process keeps
    it and the floor it was built on stands (``kept.kept_poll``): ``get_ticket``'s answer.
    Anything else (a ticket not kept here, a floor that moved) is left to it."""

    def answer(environ: edge.Environ) -> edge.Given | None:
        found = _POLL_PATH.fullmatch(environ.get("PATH_INFO", ""))
        if found is None:
            return None
        body = kept.kept_poll(app, found.group(1), edge.language(app, environ), now=now_utc())
        if body is None:
            return None
        data = body.encode() if isinstance(body, str) else body
        headers = [
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(data))),
            ("Vary", ", ".join(POLL_VARY)),  # as ``get_ticket`` says
        ]
        return "api.get_ticket", "200 OK", headers, data

    return answer


@bp.post("/tickets/<token>/evaluation")
@operation(
    "Rate the closed case of a ticket (好差评), once",
    description="rating 5 (very satisfied) … 1 (very dissatisfied); a comment is required "
    "for 1 and 2. The sub-ratings (办事效率, 服务态度, 服务水平) are optional; a phone for the "
    "call-back is taken only with follow_up_consent and never sent back.",
    body=Rating,
    responses={201: ("The rating, recorded", Evaluation)},
    problems=(404, 409),
)
def rate_ticket(token: str, body: Rating) -> Any:
    ticket = services.get_ticket_by_token(token)
    evaluation = ratings.rate_case(
        ticket,
        rating=body.rating,
        comment=body.comment,
        efficiency=body.efficiency,
        attitude=body.attitude,
        service_level=body.service_level,
        follow_up_consent=body.follow_up_consent,
        contact=body.contact,
        now=now_utc(),
    )
    db.session.commit()
    return jsonify(
        {
            "rating": evaluation.rating,
            "comment": evaluation.comment,
            "rated_at": to_local(evaluation.created_dt, ticket.center.timezone).isoformat(
                timespec="seconds"
            ),
            "efficiency": evaluation.efficiency,
            "attitude": evaluation.attitude,
            "service_level": evaluation.service_level,
            "follow_up_consent": evaluation.follow_up_consent,
        }
    ), 201
