"""The messages a ticket's holder was sent, for the ticket page (``/t/<token>``)."""

from __future__ import annotations

from typing import Any

from flask import jsonify

from ..api import bp
from ..api.schema import operation
from ..clock import to_local
from ..queueing.services import get_ticket_by_token
from . import schemas
from .outbox import messages_of_ticket


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
