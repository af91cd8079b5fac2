"""Personal data kept as short as the work needs (PIPL), then erased or masked for good.

- A closed case's applicant (name, phone on the case and its ticket) and the booking that led
  to it (name, phone, ID number): ``PERSONAL_DATA_RETENTION_DAYS`` after the case closed
  (default 180).
- A booking that was cancelled, or whose day passed without a check-in (a no-show):
  ``BOOKING_RETENTION_DAYS`` after its day (default 30).
- A place on a waiting list (候补), whatever became of it: the same, ``BOOKING_RETENTION_DAYS``
  after its day (a place taken lives on as its booking, under the rules above).

Names and phones are masked the way public screens show them (张*, 139****5678: the
non-null columns keep a shape), ID numbers erased. Numbers, times, items, outcomes and ratings
stay, so every report total and case number is the same after a purge. It lives with the
bookings because it spans them and the queue's cases (booking sits above the queue).
``flask purge-personal-data [--dry-run]`` runs it; a scheduler runs it nightly.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import or_, select

from ..db import db, write_transaction
from ..privacy import mask_name, mask_phone
from ..queueing.models import Case, Ticket
from .models import Appointment, AppointmentState, WaitlistEntry, WaitlistState


@dataclass(frozen=True)
class Purge:
    cases: int
    tickets: int
    bookings_of_cases: int
    bookings_unused: int
    waitlist_entries: int = 0

    @property
    def total(self) -> int:
        return (
            self.cases
            + self.tickets
            + self.bookings_of_cases
            + self.bookings_unused
            + self.waitlist_entries
        )


def _masked(appointment: Appointment) -> bool:
    return appointment.id_number is None and "*" in appointment.phone


def _mask(appointment: Appointment) -> None:
    appointment.name = mask_name(appointment.name)
    appointment.phone = mask_phone(appointment.phone)
    appointment.id_number = None


def purge_personal_data(*, now: datetime, dry_run: bool = False) -> Purge:
    """Erase or mask what is past its retention (nothing with ``dry_run``); say how much."""
    write_transaction()
    closed_before = now - timedelta(days=current_app.config["PERSONAL_DATA_RETENTION_DAYS"])
    unused_before = (now - timedelta(days=current_app.config["BOOKING_RETENTION_DAYS"])).date()

    cases = list(
        db.session.scalars(
            select(Case).where(
                Case.completed_dt < closed_before,
                or_(Case.applicant_name.is_not(None), Case.applicant_phone.is_not(None)),
            )
        )
    )
    old_ticket_ids = select(Case.ticket_id).where(
        Case.completed_dt < closed_before, Case.ticket_id.is_not(None)
    )
    tickets = list(
        db.session.scalars(
            select(Ticket).where(
                or_(Ticket.applicant_name.is_not(None), Ticket.applicant_phone.is_not(None)),
                or_(
                    Ticket.id.in_(old_ticket_ids),
                    Ticket.service_date < (closed_before.date()),
                ),
            )
        )
    )
    of_cases = [
        a
        for a in db.session.scalars(
            select(Appointment).where(Appointment.ticket_id.in_(old_ticket_ids))
        )
        if not _masked(a)
    ]
    unused = [
        a
        for a in db.session.scalars(
            select(Appointment).where(
                Appointment.service_date < unused_before,
                Appointment.state.in_(
                    (
                        AppointmentState.CANCELLED,
                        AppointmentState.NO_SHOW,
                        AppointmentState.BOOKED,  # its day passed unclosed: a no-show too
                    )
                ),
            )
        )
        if not _masked(a)
    ]
    entries = list(
        db.session.scalars(
            select(WaitlistEntry).where(
                WaitlistEntry.service_date < unused_before,
                or_(WaitlistEntry.id_number.is_not(None), WaitlistEntry.phone.not_like("%*%")),
            )
        )
    )
    result = Purge(len(cases), len(tickets), len(of_cases), len(unused), len(entries))
    if dry_run:
        db.session.rollback()
        return result
    for case_ in cases:
        case_.applicant_name = case_.applicant_phone = None
    for ticket in tickets:
        ticket.applicant_name = ticket.applicant_phone = None
    for appointment in (*of_cases, *unused):
        _mask(appointment)
    for entry in entries:
        if entry.state in (WaitlistState.WAITING, WaitlistState.OFFERED):
            # its day is long past (the sweep never ran): end it, or two masked phones alike
            # would stand in one line (uq_waitlist_active_phone)
            entry.state, entry.ended_dt = WaitlistState.LEFT, now
        entry.name, entry.phone = mask_name(entry.name), mask_phone(entry.phone)
        entry.id_number = None
    db.session.flush()
    return result
