"""The evidence of a rectification: what the rated ticket's own events and the center's
service-level breaches say happened, for the supervisor who checks the review."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import or_, select

from ..catalogue.models import ServiceItem
from ..db import db
from ..queueing.models import EventKind, Ticket, TicketEvent
from ..windows.models import Window
from .models import Breach, BreachKind, Rectification


@dataclass(frozen=True)
class Transfer:
    at_dt: datetime
    from_window: int | None  #: the window number it left
    to_window: int | None  #: the window number it was sent to (None: any window of the item)
    to_item: str  #: the item's name when the transfer changed it, else ""


@dataclass(frozen=True)
class Evidence:
    """What the page shows: times, counts, windows and the clerk, never the resident."""

    ticket_number: str
    issued_dt: datetime
    first_called_dt: datetime | None
    wait_seconds: int | None  #: issue or check-in → first call
    recalls: int
    transfers: list[Transfer]
    no_shows: int
    requeues: int
    window_number: int | None  #: where it was completed
    window_name: str
    clerk_name: str  #: who completed it (staff: the supervisor sees it)
    started_dt: datetime | None
    completed_dt: datetime
    service_seconds: int | None
    standard_minutes: int  #: the item's standard service time
    breaches: list[Breach] = field(default_factory=list)

    @property
    def over_standard(self) -> bool:
        return (
            self.service_seconds is not None and self.service_seconds > self.standard_minutes * 60
        )


def _window_to(detail: str) -> int | None:
    for token in detail.split():
        key, _, value = token.partition("=")
        if key == "window" and value.isdigit():
            return int(value)
    return None


def _transfers(events: list[TicketEvent]) -> list[Transfer]:
    moved = [e for e in events if e.kind is EventKind.TRANSFERRED]
    item_names = {}
    if ids := {e.service_item_id for e in moved if e.service_item_id is not None}:
        item_names = {
            i.id: i.name
            for i in db.session.scalars(select(ServiceItem).where(ServiceItem.id.in_(ids)))
        }
    return [
        Transfer(
            at_dt=e.at_dt,
            from_window=e.window.number if e.window is not None else None,
            to_window=_window_to(e.detail),
            to_item=item_names.get(e.service_item_id, "") if e.service_item_id else "",
        )
        for e in moved
    ]


def _breaches(
    item: Rectification,
    ticket_id: int | None,
    issued: datetime,
    first_call: datetime | None,
    end: datetime,
) -> list[Breach]:
    """The center's breaches naming the ticket, and queue breaches overlapping its wait."""
    candidates = db.session.scalars(
        select(Breach)
        .where(
            Breach.center_id == item.center_id,
            Breach.started_dt <= end,
            or_(Breach.ended_dt.is_(None), Breach.ended_dt > issued),
        )
        .order_by(Breach.started_dt, Breach.id)
    )
    wait_end = first_call or end
    found = []
    for breach in candidates:
        named = ticket_id is not None and str(ticket_id) in breach.ticket_ids.split(",")
        queue = (
            breach.kind is BreachKind.QUEUE
            and breach.started_dt < wait_end
            and (breach.ended_dt is None or breach.ended_dt > issued)
        )
        if named or queue:
            found.append(breach)
    return found


def evidence(item: Rectification) -> Evidence:
    """Retell the rated case from its ticket's events: the wait, recalls, transfers, no-shows,
    the window and clerk that completed it, the service time against the item's standard,
    and the service-level breaches over its wait or naming it."""
    case = item.case
    ticket: Ticket | None = case.ticket
    events: list[TicketEvent] = []
    if ticket is not None:
        events = list(
            db.session.scalars(
                select(TicketEvent)
                .where(TicketEvent.ticket_id == ticket.id)
                .order_by(TicketEvent.at_dt, TicketEvent.id)
            )
        )
    kinds = [e.kind for e in events]
    window: Window | None = case.window
    return Evidence(
        ticket_number=ticket.number if ticket is not None else "",
        issued_dt=case.issued_dt,
        first_called_dt=case.first_called_dt,
        wait_seconds=case.wait_seconds,
        recalls=kinds.count(EventKind.RECALLED),
        transfers=_transfers(events),
        no_shows=kinds.count(EventKind.NO_SHOW),
        requeues=kinds.count(EventKind.REQUEUED),
        window_number=window.number if window is not None else None,
        window_name=window.name if window is not None else "",
        clerk_name=case.clerk.display_name if case.clerk is not None else "",
        started_dt=case.started_dt,
        completed_dt=case.completed_dt,
        service_seconds=case.service_seconds,
        standard_minutes=case.service_item.service_minutes,
        breaches=_breaches(
            item,
            ticket.id if ticket is not None else None,
            case.issued_dt,
            case.first_called_dt,
            case.completed_dt,
        ),
    )
