"""Closing a served ticket into its case (办件): outcome, case number, applicant, times."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from flask_babel import gettext as _
from sqlalchemy.orm.attributes import set_committed_value

from ..clock import local_date
from ..db import db
from ..errors import Invalid
from ..i18n import current_language
from ..privacy import keyed_hash
from ..validators import PersonalDataError, clean_mobile
from . import signals
from .events import record_event
from .models import Case, EventKind, Outcome, Ticket
from .numbering import next_daily_value
from .order import lock_ticket

if TYPE_CHECKING:
    from ..auth.models import User
    from ..catalogue.models import ServiceItem


def complete_ticket(
    ticket: Ticket,
    *,
    now: datetime,
    outcome: Outcome,
    notes: str = "",
    applicant_name: str | None = None,
    applicant_phone: str | None = None,
    missing_materials: Sequence[str] = (),
    actor: User | None = None,
) -> Case:
    """Close a served ticket and record its case (办件) with a unique case number.

    ``missing_materials`` (lines of the item's Chinese materials, see ``clean_materials``)
    are kept for a documents-missing outcome only.

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
        phone_key=_phone_key(ticket, applicant_phone),
        missing_materials="\n".join(missing_materials)
        if outcome is Outcome.DOCUMENTS_MISSING
        else "",
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


def _phone_key(ticket: Ticket, applicant_phone: str | None) -> str | None:
    """The keyed hash of the first mobile number known of the resident: the one given at
    the desk, the booking's, the one they asked to be told at (how a return visit is seen)."""

    def candidates() -> Iterator[str | None]:
        yield applicant_phone
        yield ticket.applicant_phone
        appointment = ticket.appointment  # read only when the desk took no phone
        yield appointment.phone if appointment is not None else None
        yield ticket.notify_address

    for raw in candidates():
        if not raw:
            continue
        try:
            return keyed_hash(clean_mobile(raw))
        except PersonalDataError:
            continue  # an e-mail address or a malformed number: try the next
    return None


def material_choices(item: ServiceItem) -> list[tuple[str, str]]:
    """The item's materials as (stored value, label in the current language) pairs.

    A material is stored as its Chinese line, so counts hold whatever language the desk
    used; the English line of the same position labels it where both lists match.
    """
    zh = _lines(item.materials_zh)
    en = _lines(item.materials_en)
    if current_language() == "en" and len(en) == len(zh):
        return list(zip(zh, en, strict=True))
    return [(line, line) for line in zh]


def clean_materials(item: ServiceItem, given: Sequence[str]) -> list[str]:
    """Return the ticked materials as stored values (Chinese lines), in the item's order.

    Either language's line is accepted.

    :raises Invalid: for anything that is not one of the item's materials.
    """
    zh = _lines(item.materials_zh)
    en = _lines(item.materials_en)
    chosen: set[str] = set()
    for raw in given:
        text = (raw or "").strip()
        if text in zh:
            chosen.add(text)
        elif text in en and len(en) == len(zh):
            chosen.add(zh[en.index(text)])
        else:
            raise Invalid(
                _("“%(material)s” is not one of this item's materials.", material=text[:80]),
                field="missing_materials",
            )
    return [line for line in zh if line in chosen]


def _lines(text: str | None) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]
