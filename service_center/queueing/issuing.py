"""Issuing tickets: walk-ins in opening hours and under the daily caps, bookings checked in;
finding a ticket by the token of its QR code."""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from datetime import datetime
from types import MappingProxyType
from typing import TYPE_CHECKING

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from ..catalogue import calendar, calendar_rows
from ..catalogue import services as catalogue
from ..catalogue.models import CaseType, Center, ServiceItem
from ..clock import local_date
from ..db import db, write_transaction
from ..errors import Conflict, Forbidden, Invalid, NotFound
from ..validators import PersonalDataError, clean_mobile
from . import signals
from .events import record_event
from .models import EventKind, Ticket, TicketPrefix, TicketState, WalkInCap
from .numbering import new_token, next_daily_value
from .order import lock_ticket

if TYPE_CHECKING:
    from ..auth.models import User
    from ..booking.models import Appointment


class CenterClosed(Conflict):
    default_message = _l("The center is not taking walk-in tickets now.")


class WalkInCapReached(Conflict):
    default_message = _l("Today's walk-in tickets for this case type have all been issued.")


def issue_ticket(
    center: Center,
    item: ServiceItem,
    *,
    now: datetime,
    priority: bool = False,
    booked: bool = False,
    remote: bool = False,
    assisted: bool = False,
    appointment: Appointment | None = None,
    applicant_name: str | None = None,
    applicant_phone: str | None = None,
    actor: User | None = None,
    notify_address: str | None = None,
    notify_locale: str | None = None,
) -> Ticket:
    """Issue a ticket for ``item`` and put it in the queue of the windows that handle it.

    Walk-ins are taken only while the center is open and under its daily cap per case type;
    a booking checked in on time (``booked``) is let in before opening too; a ``remote``
    ticket (远程取号, ``remote.issue_remote``) waits like a walk-in until its holder is in
    the hall. ``assisted`` (帮办代办): the holder asked for help; the desk shows it. With
    ``notify_address`` (到号提醒: a mobile number or an e-mail address) the holder has agreed,
    now, to be told when their turn comes (kept until the ticket closes).

    :raises NotFound: when the item is not one of the center's active items.
    :raises CenterClosed: outside opening hours or on a closed day (walk-ins).
    :raises WalkInCapReached: when the day's walk-in tickets of the case type are gone.
    :raises Invalid: for a ``notify_address`` that is neither a mobile number nor an e-mail.
    """
    if notify_address is not None:
        notify_address = clean_notify_address(notify_address)
    write_transaction(keep_loaded=True)  # decided under the lock: the counters, the ticket
    if item.center_id != center.id or not item.is_active:
        raise NotFound(_("This center offers no such service item."), field="service")
    if not booked and not calendar.is_open_at(center, now):
        raise CenterClosed(closed_message(center, now))
    day = local_date(now, center.timezone)
    prefix = ticket_prefixes(center).get(item.case_type_id) or item.case_type.prefix
    if not booked:
        cap = walk_in_caps(center).get(item.case_type_id)
        if cap is not None and next_daily_value(center.id, day, f"walkin:{prefix}") > cap:
            raise WalkInCapReached()
    sequence = next_daily_value(center.id, day, prefix)
    ticket = Ticket(
        token=new_token(),
        center=center,
        service_date=day,
        number=f"{prefix}{sequence:03d}",
        service_item=item,
        case_type_id=item.case_type_id,
        state=TicketState.WAITING,
        is_priority=priority,
        is_booked=booked,
        is_remote=remote,
        is_assisted=assisted,
        issued_dt=now,
        queued_dt=now,
        applicant_name=applicant_name,
        applicant_phone=applicant_phone,
        notify_address=notify_address,
        notify_consent_dt=now if notify_address else None,
        notify_locale=_language(notify_locale) if notify_address else None,
    )
    if appointment is not None:
        ticket.appointment = appointment
    db.session.add(ticket)
    db.session.flush()
    record_event(
        ticket,
        EventKind.ISSUED,
        now,
        actor=actor,
        detail="booked" if booked else "remote" if remote else "",
        item=item,
    )
    return ticket


def issue_walk_in(
    center_code: str,
    item_id: int,
    *,
    now: datetime,
    priority: bool = False,
    assisted: bool = False,
    actor: User | None = None,
    notify_address: str | None = None,
    notify_locale: str | None = None,
) -> Ticket:
    """Take a walk-in ticket at the center ``center_code`` for its item ``item_id``: the
    kiosk's and the API's way in. The center (its calendar version) and the item are read
    under the issuing lock, in one statement.

    :raises NotFound: for an unknown center, or an item it does not offer (or no longer).
    :raises Forbidden: for the priority lane where the kiosk does not offer it and ``actor``
        is not staff of the center.
    :raises CenterClosed: outside opening hours or on a closed day.
    :raises WalkInCapReached: when the day's walk-in tickets of the case type are gone.
    """
    write_transaction()
    center, item = catalogue.find_center_and_item(center_code, item_id)
    if center is None:
        raise NotFound(_("No service center has the code %(code)s.", code=center_code))
    if item is None or not item.is_active:
        raise NotFound(_("This center offers no such service item."), field="service")
    staff = actor is not None and actor.is_authenticated and actor.is_staff_of(center.id)
    if priority and not center.kiosk_priority_enabled and not staff:
        raise Forbidden(
            _("The priority lane is granted by staff at this center."), field="priority"
        )
    return issue_ticket(
        center,
        item,
        now=now,
        priority=priority,
        assisted=assisted,
        actor=actor if staff else None,
        notify_address=notify_address,
        notify_locale=notify_locale,
    )


def opt_in(ticket: Ticket, address: str, *, now: datetime, locale: str | None = None) -> Ticket:
    """到号提醒 after the ticket was taken (the printed ticket's or the phone's form): the
    holder agrees, now, to be told at ``address`` when their turn comes.

    :raises Invalid: for an address that is neither a mobile number nor an e-mail address.
    :raises Conflict: when the ticket no longer waits (it is called, served or closed).
    """
    address = clean_notify_address(address)
    ticket = lock_ticket(ticket)
    if ticket.state is not TicketState.WAITING:
        raise Conflict(_("Ticket %(number)s no longer waits.", number=ticket.number))
    ticket.notify_address = address
    ticket.notify_consent_dt = now
    ticket.notify_locale = _language(locale)
    ticket.notify_near_told = False
    db.session.flush()
    signals.ticket_opted_in.send(ticket, now=now)
    return ticket


def ask_for_help(ticket: Ticket) -> Ticket:
    """帮办代办 asked for after the ticket was taken (the kiosk's button on the printed
    ticket): the ticket keeps its place and the clerk sees that its holder needs help.

    :raises Conflict: when the ticket no longer waits.
    """
    ticket = lock_ticket(ticket)
    if ticket.state is not TicketState.WAITING:
        raise Conflict(_("Ticket %(number)s no longer waits.", number=ticket.number))
    ticket.is_assisted = True
    db.session.flush()
    return ticket


def opt_out(ticket: Ticket, *, now: datetime) -> Ticket:
    """No more messages for this ticket: the address is erased at once."""
    ticket = lock_ticket(ticket)
    ticket.notify_address = None
    db.session.flush()
    signals.ticket_opted_out.send(ticket, now=now)
    return ticket


def _language(locale: str | None) -> str:
    """The messages' language: English if asked for, else Chinese."""
    return "en" if locale and locale.startswith("en") else "zh_CN"


#: an e-mail address as mail servers take it: no quoting, comments or brackets (a plain local
#: part, a dotted domain of letters, digits and hyphens)
_EMAIL = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")


def clean_notify_address(value: str) -> str:
    """A mainland mobile number (normalised) or an e-mail address for 到号提醒.

    :raises Invalid: for anything else (on the field ``notify``).
    """
    value = value.strip()
    if "@" in value:
        if len(value) <= 254 and _EMAIL.fullmatch(value):
            return value
        raise Invalid(_("Enter a mobile number or an e-mail address."), field="notify")
    try:
        return clean_mobile(value)
    except PersonalDataError as exc:
        raise Invalid(_("Enter a mobile number or an e-mail address."), field="notify") from exc


def walk_in_caps(center: Center) -> Mapping[int, int]:
    """Return the center's daily walk-in caps by case type id (kept per calendar version)."""
    return calendar_rows.cached(center, "walk_in_caps", _load_walk_in_caps)


def ticket_prefixes(center: Center) -> Mapping[int, str]:
    """The center's own ticket letters by case type id (kept per calendar version); a case
    type without one numbers with its own letter."""
    return calendar_rows.cached(center, "ticket_prefixes", _load_ticket_prefixes)


def ticket_prefix(center: Center, case_type: CaseType) -> str:
    """The letter the center's tickets of ``case_type`` start with."""
    return ticket_prefixes(center).get(case_type.id) or case_type.prefix


def _load_ticket_prefixes(center_id: int) -> Mapping[int, str]:
    rows = db.session.execute(
        select(TicketPrefix.case_type_id, TicketPrefix.prefix).where(
            TicketPrefix.center_id == center_id
        )
    )
    return MappingProxyType({case_type_id: prefix for case_type_id, prefix in rows})


def _load_walk_in_caps(center_id: int) -> Mapping[int, int]:
    rows = db.session.execute(
        select(WalkInCap.case_type_id, WalkInCap.daily_cap).where(WalkInCap.center_id == center_id)
    )
    return MappingProxyType({case_type_id: cap for case_type_id, cap in rows})


def closed_message(center: Center, now: datetime) -> str:
    status = calendar.day_status(center, local_date(now, center.timezone))
    if not status.is_open:
        reason = f" ({status.reason})" if status.reason else ""
        return _(
            "The center is closed today%(reason)s; walk-in tickets are not issued.", reason=reason
        )
    periods = calendar.opening_periods(center, status.day)
    hours = ", ".join(f"{a.strftime('%H:%M')}–{b.strftime('%H:%M')}" for a, b in periods)
    return _("Walk-in tickets are issued during opening hours only: %(hours)s.", hours=hours)


@functools.cache
def _by_token():
    # with the rows its page and its API answer show (one statement instead of four)
    return (
        select(Ticket)
        .where(Ticket.token == bindparam("token"))
        .options(
            joinedload(Ticket.center), joinedload(Ticket.service_item), joinedload(Ticket.case_type)
        )
    )


def get_ticket_by_token(token: str) -> Ticket:
    """Return the ticket behind a QR token.

    :raises NotFound: for an unknown token.
    """
    ticket = db.session.scalar(_by_token(), {"token": token})
    if ticket is None:
        raise NotFound(_("No ticket has this code."))
    return ticket
