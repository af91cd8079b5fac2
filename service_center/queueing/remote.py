"""远程取号: a ticket taken from the phone, and the holder saying they are in the hall.

A remote ticket joins the queue at its issue time like a walk-in (the walk-in caps apply
too), under the center's switch, the item's switch, a daily cap of remote tickets and a cap
per phone and day. The phone is the ticket's 到号提醒 address: it gets "N ahead" and "called"
like any opted-in holder, and is erased when the ticket closes; the cap per phone counts a
keyed hash of it (a daily counter), never the number itself.

A remote ticket is called only once its holder is in the hall: the kiosk scanned its QR code,
or its page's "I have arrived" was pressed (no location is asked). At the head of a queue
without that, it is a no-show at once (``order.call_next_ticket``) and may be put back once
at the kiosk under the usual requeue rule.
"""

from __future__ import annotations

import re
from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..catalogue import calendar
from ..catalogue import services as catalogue
from ..catalogue.models import Center
from ..clock import local_date
from ..db import write_transaction
from ..errors import Conflict, Forbidden, Invalid, NotFound
from ..privacy import keyed_hash
from ..validators import PersonalDataError, clean_mobile
from .issuing import CenterClosed, closed_message, issue_ticket
from .models import Ticket, TicketState
from .numbering import next_daily_value
from .order import lock_ticket


class RemoteNotOffered(Forbidden):
    default_message = _l("Tickets cannot be taken from the phone for this service item here.")


class RemoteCapReached(Conflict):
    default_message = _l(
        "Today's tickets from the phone have all been issued; take one at the kiosk in the hall."
    )


class RemotePhoneCapReached(Conflict):
    default_message = _l("This phone number has taken today's tickets from the phone already.")


def remote_open(center: Center, now: datetime) -> bool:
    """Tell whether the center takes remote tickets right now (its switch, its hours)."""
    return center.remote_tickets and calendar.is_open_at(center, now)


def issue_remote(
    center_code: str, item_id: int, *, phone: str, now: datetime, locale: str | None = None
) -> Ticket:
    """Take a ticket from the phone: the remote page's and the API's way in.

    :raises Invalid: for a phone that is not a mainland mobile number (field ``phone``).
    :raises NotFound: for an unknown center or an item it does not offer.
    :raises RemoteNotOffered: where the center or the item does not take remote tickets.
    :raises CenterClosed: outside opening hours or on a closed day.
    :raises RemoteCapReached: when the day's remote tickets are gone.
    :raises RemotePhoneCapReached: when the phone has taken its remote tickets of the day.
    :raises WalkInCapReached: when the day's walk-in tickets of the case type are gone.
    """
    try:
        phone = clean_mobile(phone)
    except PersonalDataError as exc:
        raise Invalid(str(exc), field="phone") from None
    write_transaction()
    center, item = catalogue.find_center_and_item(center_code, item_id)
    if center is None:
        raise NotFound(_("No service center has the code %(code)s.", code=center_code))
    if item is None or not item.is_active:
        raise NotFound(_("This center offers no such service item."), field="service")
    if not center.remote_tickets or not item.remote_allowed:
        raise RemoteNotOffered(field="service")
    if not calendar.is_open_at(center, now):
        raise CenterClosed(closed_message(center, now))
    day = local_date(now, center.timezone)
    cap = center.remote_daily_cap
    if cap is not None and next_daily_value(center.id, day, "remote") > cap:
        raise RemoteCapReached()
    # the phone's tickets of the day: a counter under a keyed hash (16 characters of series)
    if next_daily_value(center.id, day, "rp:" + keyed_hash(phone)[:13]) > center.remote_per_phone:
        raise RemotePhoneCapReached(field="phone")
    return issue_ticket(
        center, item, now=now, remote=True, notify_address=phone, notify_locale=locale
    )


def confirm_arrival(ticket: Ticket, *, now: datetime) -> Ticket:
    """The holder of a remote ticket is in the hall: it may be called from now on.

    Idempotent; a walk-in or booked ticket is in the hall already and is left as it is.

    :raises Conflict: when the ticket no longer waits (called, served, missed or closed).
    """
    ticket = lock_ticket(ticket)
    if not ticket.is_remote or ticket.arrived_dt is not None:
        return ticket
    if ticket.state is not TicketState.WAITING:
        raise Conflict(_("Ticket %(number)s no longer waits.", number=ticket.number))
    ticket.mark_arrived(now)
    return ticket


#: what a kiosk's QR scanner types: the ticket page's address (…/t/<token>) or the token
_SCANNED = re.compile(r"(?:.*/t/)?([A-Za-z0-9_-]{16,32})/?")


def token_of_scan(scanned: str) -> str:
    """The ticket token in what the kiosk's scanner typed.

    :raises Invalid: when it is not a ticket's code (field ``ticket``).
    """
    match = _SCANNED.fullmatch(scanned.strip())
    if match is None:
        raise Invalid(_("This is not a ticket's QR code."), field="ticket")
    return match.group(1)
