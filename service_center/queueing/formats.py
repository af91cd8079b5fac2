"""The JSON shape of a ticket, as the residents' and the clerks' API both answer it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from ..clock import now_utc, to_local
from . import services
from .models import Ticket
from .wait import QueuePosition


def _iso(moment: datetime | None, timezone: str) -> str | None:
    return to_local(moment, timezone).isoformat(timespec="seconds") if moment else None


def ticket_json(
    ticket: Ticket,
    *,
    now: datetime | None = None,
    position: bool = True,
    place: Callable[[Ticket], QueuePosition] | None = None,
) -> dict[str, Any]:
    """The API shape of a ticket (public: no personal data); its position from ``place``
    when given (a poll's, ``kept.Place``), else worked out for it alone."""
    now = now or now_utc()
    tz = ticket.center.timezone
    data: dict[str, Any] = {
        "id": ticket.id,
        "token": ticket.token,
        "number": ticket.number,
        "center": ticket.center.code,
        "service": ticket.service_item_id,
        "service_name": ticket.service_item.name,
        "case_type": ticket.case_type.code,
        "status": ticket.state.value,
        "priority": ticket.is_priority,
        "booked": ticket.is_booked,
        "remote": ticket.is_remote,
        "assisted": ticket.is_assisted,
        "arrived": not ticket.is_away,
        "issued_at": _iso(ticket.issued_dt, tz),
        "called_at": _iso(ticket.called_dt, tz),
        "call_count": ticket.call_count,
        "window": ticket.window.number if ticket.window is not None and ticket.is_current else None,
    }
    if position:
        where = place(ticket) if place is not None else services.queue_position(ticket, now=now)
        data["position"] = where.ahead
        data["estimated_wait_minutes"] = where.estimated_wait_minutes
    return data
