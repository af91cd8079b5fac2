"""Closing a served ticket into its case (办件): outcome, case number, applicant, times."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy.orm.attributes import set_committed_value

from ..clock import local_date
from ..db import db
from . import signals
from .events import record_event
from .models import Case, EventKind, Outcome, Ticket
from .numbering import next_daily_value
from .order import lock_ticket

if TYPE_CHECKING:
    from ..auth.models import User


def complete_ticket(
    ticket: Ticket,
    *,
    now: datetime,
    outcome: Outcome,
    notes: str = "",
    applicant_name: str | None = None,
    applicant_phone: str | None = None,
    actor: User | None = None,
) -> Case:
    """Close a served ticket and record its case (办件) with a unique case number.

    :raises InvalidTransition: unless the ticket is being served.
    """
    ticket = lock_ticket(ticket)
    ticket.require("complete")
    center = ticket.center
    day = local_date(now, center.timezone)
    sequence = next_daily_value(center.id, day, "case")
    issued = ticket.issued_dt
    case_ = Case(
        number=f"{center.case_prefix}-{day:%Y%m%d}-{sequence:04d}",
        center_id=center.id,
        service_date=day,
        ticket_id=ticket.id,
        service_item_id=ticket.service_item_id,
        case_type_id=ticket.case_type_id,
        outcome=outcome,
        clerk_id=actor.id if actor is not None else None,
        window_id=ticket.window_id,
        is_booked=ticket.is_booked,
        is_remote=ticket.is_remote,
        issued_dt=issued,
        first_called_dt=ticket.first_called_dt,
        started_dt=ticket.started_dt,
        completed_dt=now,
        wait_seconds=_seconds(issued, ticket.first_called_dt),
        service_seconds=_seconds(ticket.started_dt, now),
        applicant_name=applicant_name or ticket.applicant_name,
        applicant_phone=applicant_phone or ticket.applicant_phone,
        notes=notes.strip(),
    )
    db.session.add(case_)
    # link both sides in memory without loading the ticket's (absent) case first
    set_committed_value(case_, "ticket", ticket)
    set_committed_value(ticket, "case", case_)
    ticket.mark_done(now)
    record_event(
        ticket, EventKind.COMPLETED, now, window=ticket.window, actor=actor, detail=outcome.value
    )
    signals.case_recorded.send(case_, center=center, now=now)
    db.session.flush()
    return case_


def _seconds(start: datetime | None, end: datetime | None) -> int | None:
    if start is None or end is None:
        return None
    return max(int((end - start).total_seconds()), 0)
