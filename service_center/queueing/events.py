"""A ticket's events: every state change is written as a row and announced (``signals``)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from ..catalogue.models import ServiceItem
from ..db import db
from ..windows.models import Window
from . import signals
from .models import EventKind, Ticket, TicketEvent

if TYPE_CHECKING:
    from ..auth.models import User


def record_event(
    ticket: Ticket,
    kind: EventKind,
    now: datetime,
    *,
    window: Window | None = None,
    actor: User | None = None,
    detail: str = "",
    item: ServiceItem | None = None,
    **announce: object,
) -> TicketEvent:
    """Write the ticket's event and announce it (``signals``) inside the same transaction.

    :param item: the item the ticket is issued for or transferred to (``service_item_id``).
    :param announce: more for the listeners (e.g. ``item_changed`` on a transfer).
    """
    event = TicketEvent(
        ticket_id=ticket.id,
        center_id=ticket.center_id,
        kind=kind,
        at_dt=now,
        window_id=window.id if window is not None else None,
        actor_id=actor.id if actor is not None else None,
        detail=detail[:200],
        service_item_id=item.id if item is not None else None,
    )
    db.session.add(event)
    signals.BY_KIND[kind].send(ticket, event=event, now=now, **announce)
    return event
