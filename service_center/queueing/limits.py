"""The rate limit of remote tickets, shared by the remote page and the API (one bucket per
client): the caps per center and phone hold the day, this holds a script back."""

from __future__ import annotations

from flask import current_app

from ..extensions import limiter


def _remote_limit() -> str:
    return current_app.config["REMOTE_TICKET_RATE_LIMIT"]


#: taking a ticket from the phone, on the page or by the API
remote_limit = limiter.shared_limit(_remote_limit, scope="remote-ticket", methods=["POST"])
