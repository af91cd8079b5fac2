"""The messages a ticket's holder was sent, for the ticket page (``/t/<token>``)."""

from __future__ import annotations

import hmac
from typing import Any

from flask import abort, current_app, jsonify, request

from ..api import bp
from ..api.schema import operation
from ..clock import now_utc, to_local
from ..db import db
from ..queueing.services import get_ticket_by_token
from . import schemas
from .outbox import messages_of_ticket
from .replies import handle_reply


@bp.get("/tickets/<token>/messages")
@operation(
    "The messages sent about a ticket (到号提醒), as its page shows them",
    responses={200: schemas.TicketMessages},
    problems=(404,),
)
def ticket_messages(token: str) -> Any:
    ticket = get_ticket_by_token(token)
    zone = ticket.center.timezone
    return jsonify(
        {
            "messages": [
                {
                    "kind": m.kind.value,
                    "text": m.body,
                    "at": to_local(m.created_dt, zone).isoformat(timespec="seconds"),
                    "status": m.state.value,
                }
                for m in messages_of_ticket(ticket.id)
            ]
        }
    )


@bp.post("/notifications/sms-replies")
@operation(
    "A resident's reply to a text message, forwarded by the SMS provider",
    description="An unsubscribe keyword (退订, TD, T, N, STOP…) ends every consent the phone "
    "holds: the 到号提醒 of its open tickets and the messages about its bookings. Needs the "
    "header X-Reply-Token: NOTIFY_SMS_REPLY_TOKEN (404 where none is configured).",
    body=schemas.SmsReply,
    responses={200: schemas.SmsReplyOutcome},
    problems=(401, 404),
)
def sms_reply(body: schemas.SmsReply) -> Any:
    expected = current_app.config.get("NOTIFY_SMS_REPLY_TOKEN") or ""
    if not expected:
        abort(404)
    given = request.headers.get("X-Reply-Token", "")
    if not hmac.compare_digest(given.encode(), expected.encode()):
        abort(401)
    outcome = handle_reply(body.phone, body.text, now=now_utc())
    db.session.commit()
    return jsonify(
        {"stopped": outcome.stopped, "tickets": outcome.tickets, "bookings": outcome.bookings}
    )
