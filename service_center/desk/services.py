"""Desk rules: signing on and off a window, the desk's state and counts, completing with the
applicant, requeueing a missed ticket, granting the priority lane.

The ticket life cycle itself lives in ``queueing.services``; these functions add what a window
desk needs around it. They take ``now`` and never commit.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Sequence
from dataclasses import astuple, dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select

from ..auth.models import User
from ..catalogue.models import Center
from ..clock import local_date
from ..db import db, write_transaction
from ..errors import Conflict, Forbidden, Invalid, NotFound
from ..queueing import services as queue
from ..queueing.models import Case, EventKind, Outcome, Ticket, TicketEvent, TicketState
from ..validators import PersonalDataError, clean_mobile, clean_name
from ..windows.models import Window, WindowState
from .permissions import can_sign_on

#: how many of today's no-shows the desk lists
NO_SHOW_LIST_LIMIT = 10


# --- signing on and off ---------------------------------------------------------------------


def signed_on_window(user: User) -> Window | None:
    """Return the window ``user`` is signed on to, if any."""
    return db.session.scalar(select(Window).where(Window.clerk_id == user.id))


def sign_on(window: Window, user: User, *, now: datetime) -> Window:
    """Sign ``user`` on to ``window`` for the day and open it for calls.

    A clerk staffs one window at a time: signing on elsewhere signs them off their previous
    window (which closes). A window staffed by another clerk today is refused; a sign-on left
    over from an earlier day is taken over.

    :raises Forbidden: unless ``user`` is a clerk or supervisor of the window's center.
    :raises Conflict: when another clerk staffs the window today, or the previous window
        still holds a called or serving ticket.
    """
    if not can_sign_on(user, window):
        raise Forbidden(_("Only the clerks and supervisors of this center sign on to its windows."))
    write_transaction()
    window = _lock(window)
    if window.clerk_id == user.id:
        return queue.set_window_state(window, WindowState.OPEN, now=now, actor=user)
    if staffed_today(window, now=now):
        raise Conflict(
            _(
                "Window %(number)d is staffed by %(name)s today.",
                number=window.number,
                name=window.clerk.display_name if window.clerk else "",
            )
        )
    previous = signed_on_window(user)
    if previous is not None:
        _release(previous, user, now=now)
    window.clerk_id = user.id
    window.clerk_since_dt = now
    db.session.flush()
    return queue.set_window_state(window, WindowState.OPEN, now=now, actor=user)


def staffed_today(window: Window, *, now: datetime) -> bool:
    """Tell whether a clerk signed on to ``window`` on the center's day of ``now``."""
    tz = window.center.timezone
    return (
        window.clerk_id is not None
        and window.clerk_since_dt is not None
        and local_date(window.clerk_since_dt, tz) == local_date(now, tz)
    )


def sign_off(window: Window, user: User, *, now: datetime) -> Window:
    """Sign the clerk off ``window`` and close it.

    :raises Conflict: while the window holds a called or serving ticket.
    """
    write_transaction()
    window = _lock(window)
    _release(window, user, now=now)
    return window


def _release(window: Window, actor: User, *, now: datetime) -> None:
    if queue.current_ticket(window) is not None:
        raise Conflict(
            _(
                "Window %(number)d still holds a ticket: complete, mark no-show or transfer it "
                "before signing off.",
                number=window.number,
            )
        )
    window.clerk_id = None
    window.clerk_since_dt = None
    queue.set_window_state(window, WindowState.CLOSED, now=now, actor=actor)


def _lock(window: Window) -> Window:
    locked = db.session.get(Window, window.id, with_for_update=True, populate_existing=True)
    if locked is None:
        raise NotFound(_("No such window."))
    return locked


# --- the desk's state -----------------------------------------------------------------------


@dataclass(frozen=True)
class DeskCounts:
    """A clerk's figures for today."""

    cases: int
    completed: int
    documents_missing: int
    not_accepted: int
    no_shows: int
    transfers: int
    mean_service_minutes: float | None
    mean_service_seconds: float | None = None  #: the same, exact: the page says it as a duration


@dataclass(frozen=True)
class UndoOffer:
    """The no-show the clerk just marked here and may still undo (the desk's undo bar)."""

    ticket: Ticket
    until: datetime

    def seconds_left(self, now: datetime) -> int:
        return max(0, math.ceil((self.until - now).total_seconds()))


@dataclass(frozen=True)
class DeskState:
    """Everything the desk page shows for one window at one moment."""

    window: Window
    current: Ticket | None
    queue: list[Ticket]
    no_shows: list[Ticket]
    counts: DeskCounts
    last_case: Case | None
    undo: UndoOffer | None = None


def day_start(center: Center, now: datetime) -> datetime:
    """Return midnight of the center's local day of ``now``, as UTC."""
    zone = ZoneInfo(center.timezone)
    return datetime.combine(local_date(now, center.timezone), time(0), zone).astimezone(UTC)


def desk_state(window: Window, user: User, *, now: datetime) -> DeskState:
    """Return the window's current ticket, queue (in call-next order), today's no-shows there,
    ``user``'s counts for today and the last case recorded at the window today."""
    center = window.center
    day = local_date(now, center.timezone)
    last_case = db.session.scalar(
        select(Case)
        .where(Case.window_id == window.id, Case.service_date == day)
        .order_by(Case.completed_dt.desc(), Case.id.desc())
        .limit(1)
    )
    current = queue.current_ticket(window)
    no_shows = todays_no_shows(window, now=now)
    return DeskState(
        window=window,
        current=current,
        queue=queue.window_queue(window, now=now),
        no_shows=no_shows,
        counts=today_counts(user, center, now=now),
        last_case=last_case,
        undo=undo_offer(no_shows, user, now=now) if current is None else None,
    )


def undo_offer(no_shows: list[Ticket], user: User, *, now: datetime) -> UndoOffer | None:
    """Return the latest of ``no_shows`` if ``user`` may still undo it (``undo_window``)."""
    if not no_shows:
        return None
    until = queue.undo_window(no_shows[0], user, now=now)
    return UndoOffer(no_shows[0], until) if until is not None else None


def region_versions(state: DeskState, *, now: datetime) -> dict[str, str]:
    """Return a short fingerprint per region of the desk page; a live page redraws the regions
    whose fingerprint changed (the queue also once a minute, for its waiting times)."""
    window, current, last = state.window, state.current, state.last_case
    parts = {
        "head": (window.state.value, window.clerk_id, current is not None),
        # never redrawn for the queue alone while a ticket is current: the clerk may be typing
        "current": (
            window.state.value,
            last.id if last else None,
            (current.id, current.state.value, current.call_count, current.service_item_id)
            if current
            else len(state.queue),
            state.undo.ticket.id if state.undo else None,
        ),
        "queue": (
            int(now.timestamp() // 60),
            [(t.id, t.is_priority) for t in state.queue],
        ),
        "side": (
            astuple(state.counts),
            [(t.id, can_requeue(t, now=now)) for t in state.no_shows],
        ),
    }
    return {key: format(zlib.crc32(repr(value).encode()), "08x") for key, value in parts.items()}


def today_counts(user: User, center: Center, *, now: datetime) -> DeskCounts:
    """Count ``user``'s cases by outcome, no-shows and transfers of the center's day."""
    day = local_date(now, center.timezone)
    by_outcome = dict(
        db.session.execute(
            select(Case.outcome, func.count(Case.id))
            .where(Case.clerk_id == user.id, Case.center_id == center.id, Case.service_date == day)
            .group_by(Case.outcome)
        ).all()
    )
    mean_seconds = db.session.scalar(
        select(func.avg(Case.service_seconds)).where(
            Case.clerk_id == user.id, Case.center_id == center.id, Case.service_date == day
        )
    )
    events = dict(
        db.session.execute(
            select(TicketEvent.kind, func.count(TicketEvent.id))
            .where(
                TicketEvent.actor_id == user.id,
                TicketEvent.center_id == center.id,
                TicketEvent.at_dt >= day_start(center, now),
                TicketEvent.kind.in_(
                    [EventKind.NO_SHOW, EventKind.REINSTATED, EventKind.TRANSFERRED]
                ),
            )
            .group_by(TicketEvent.kind)
        ).all()
    )
    return DeskCounts(
        cases=sum(by_outcome.values()),
        completed=by_outcome.get(Outcome.COMPLETED, 0),
        documents_missing=by_outcome.get(Outcome.DOCUMENTS_MISSING, 0),
        not_accepted=by_outcome.get(Outcome.NOT_ACCEPTED, 0),
        # a no-show undone within seconds was never one
        no_shows=events.get(EventKind.NO_SHOW, 0) - events.get(EventKind.REINSTATED, 0),
        transfers=events.get(EventKind.TRANSFERRED, 0),
        mean_service_minutes=(
            round(float(mean_seconds) / 60, 1) if mean_seconds is not None else None
        ),
        mean_service_seconds=float(mean_seconds) if mean_seconds is not None else None,
    )


def todays_no_shows(window: Window, *, now: datetime) -> list[Ticket]:
    """Return today's no-shows missed at ``window``, the latest first."""
    day = local_date(now, window.center.timezone)
    return list(
        db.session.scalars(
            select(Ticket)
            .where(
                Ticket.window_id == window.id,
                Ticket.service_date == day,
                Ticket.state == TicketState.NO_SHOW,
            )
            .order_by(Ticket.finished_dt.desc(), Ticket.id.desc())
            .limit(NO_SHOW_LIST_LIMIT)
        )
    )


def can_requeue(ticket: Ticket, *, now: datetime) -> bool:
    """Tell whether a no-show may still be put back (once, within QUEUE_REQUEUE_MINUTES)."""
    limit = timedelta(minutes=int(current_app.config.get("QUEUE_REQUEUE_MINUTES", 30)))
    return (
        ticket.state is TicketState.NO_SHOW
        and not ticket.is_requeued
        and (ticket.finished_dt is None or now - ticket.finished_dt <= limit)
    )


def applicant_of(ticket: Ticket) -> dict[str, str | None]:
    """The applicant as the clerk sees it, unmasked: from the booking or typed earlier."""
    appointment = ticket.appointment
    return {
        "name": ticket.applicant_name or (appointment.name if appointment else None),
        "phone": ticket.applicant_phone or (appointment.phone if appointment else None),
        "id_number": appointment.id_number if appointment else None,
    }


# --- completing -----------------------------------------------------------------------------


def needs_applicant(ticket: Ticket) -> bool:
    """Tell whether the desk must type the applicant: the item needs one and none is known."""
    known = applicant_of(ticket)
    return ticket.service_item.needs_applicant and not (known["name"] and known["phone"])


def complete_at_desk(
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
    """Complete a served ticket with its outcome and notes, recording the applicant.

    The applicant's name and phone come from the booking, or are typed at the desk; an item
    that ``needs_applicant`` cannot be completed without them. A typed phone must be a
    mainland mobile number. ``missing_materials``, ticked for a documents-missing outcome
    (ignored for the others), must be the item's materials.

    :raises Invalid: for a missing or malformed name or phone, or a material the item does not
        list (``field`` says which).
    :raises InvalidTransition: unless the ticket is being served.
    """
    if ticket.state is not TicketState.SERVING:  # a status conflict before a form error
        return queue.complete_ticket(ticket, now=now, outcome=outcome, actor=actor)
    name, phone = (applicant_name or "").strip(), (applicant_phone or "").strip()
    typed = bool(name and phone)  # then the booking need not be read
    known: dict[str, str | None] = {"name": None, "phone": None} if typed else applicant_of(ticket)
    required = not typed and needs_applicant(ticket)
    try:
        if name:
            name = clean_name(name)
        elif required:
            raise PersonalDataError(_("This item needs the applicant's name."))
    except PersonalDataError as exc:
        raise Invalid(str(exc), field="applicant_name") from None
    try:
        if phone:
            phone = clean_mobile(phone)
        elif required:
            raise PersonalDataError(_("This item needs the applicant's mobile number."))
    except PersonalDataError as exc:
        raise Invalid(str(exc), field="applicant_phone") from None
    materials = (
        queue.clean_materials(ticket.service_item, missing_materials)
        if outcome is Outcome.DOCUMENTS_MISSING
        else []
    )
    return queue.complete_ticket(
        ticket,
        now=now,
        outcome=outcome,
        notes=notes,
        applicant_name=name or known["name"],
        applicant_phone=phone or known["phone"],
        missing_materials=materials,
        actor=actor,
    )


# --- requeue and priority -------------------------------------------------------------------


def window_could_call(window: Window, ticket: Ticket) -> bool:
    """Tell whether ``ticket`` waits in ``window``'s queue."""
    if ticket.transfer_window_id is not None:
        return ticket.transfer_window_id == window.id
    return window.handles(ticket.service_item)


def grant_priority(
    ticket: Ticket, window: Window, *, now: datetime, actor: User | None = None
) -> Ticket:
    """Move a ticket waiting in ``window``'s queue into the priority lane (绿色通道).

    :raises InvalidTransition: unless the ticket is waiting.
    :raises Invalid: when the ticket does not wait for this window.
    """
    ticket = queue.lock_ticket(ticket)
    if ticket.state is not TicketState.WAITING:
        raise queue.InvalidTransition(
            _(
                "Ticket %(number)s is %(state)s; only a waiting ticket can be given priority.",
                number=ticket.number,
                state=queue.STATE_LABELS[ticket.state],
            )
        )
    if not window_could_call(window, ticket):
        raise Invalid(
            _("Ticket %(number)s does not wait for this window.", number=ticket.number),
            field="ticket",
        )
    if ticket.is_priority:  # granted already: the same answer, no second event
        return ticket
    ticket.is_priority = True
    queue.record_event(ticket, EventKind.PRIORITISED, now, window=window, actor=actor)
    db.session.flush()
    return ticket
