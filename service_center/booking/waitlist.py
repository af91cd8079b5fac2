"""The waiting list of a full day (候补): joining it, offering a freed place to the first in
line, holding it in its slot, and taking it, declining it or letting it lapse.

A held offer counts in its slot like a booking (``BookingSlot.booked`` and ``_item_bookings``),
so nobody can book it meanwhile; taking it turns the held place into the booking without
counting it again; declining, leaving or lapsing gives it back and offers it to the next in
line in the same transaction. Every change locks the rows it decides on (the entry, the slot),
and a waiting entry is taken for an offer with ``SKIP LOCKED``, so offers never wait on each
other and never deadlock with a cancellation. See docs/decisions.md.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from ..catalogue.calendar import day_status
from ..catalogue.models import Center, ServiceItem
from ..clock import quiet_until, to_local
from ..db import db, write_transaction
from ..errors import Conflict, Invalid, NotFound
from ..validators import clean_id_number, clean_mobile, clean_name
from . import fairness, signals
from . import services as booking
from .availability import (
    HOLDING,
    check_bookable_item,
    check_booking_day,
    list_slots,
    local_now,
    slot_times,
)
from .models import Appointment, WaitlistEntry, WaitlistState

#: the states of an entry still in line (the partial unique index's)
ACTIVE = (WaitlistState.WAITING, WaitlistState.OFFERED)


class DayNotFull(Conflict):
    """The day still has a free time for the item: book it instead of waiting."""

    field = "date"


class OfferClosed(Conflict):
    """The entry holds no offer now (taken, declined, lapsed, or none made yet)."""


@dataclass(frozen=True)
class Sweep:
    """What ``expire_offers`` did."""

    expired: int  #: lapsed offers ended (their places given back)
    offered: int  #: of those places, offered again to the next in line
    ended: int  #: entries of days that have passed, ended unserved


# -- reading ------------------------------------------------------------------------------


def get_entry(token: str | None) -> WaitlistEntry:
    """Return the entry with ``token``.

    :raises NotFound: for an unknown or malformed token.
    """
    if not token or len(token) > 32:
        raise NotFound(_("This waiting-list link is not valid."))
    entry = db.session.scalar(select(WaitlistEntry).where(WaitlistEntry.token == token))
    if entry is None:
        raise NotFound(_("This waiting-list link is not valid."))
    return entry


def people_ahead(entry: WaitlistEntry) -> int:
    """How many wait before ``entry`` in its day's line (every item of the center)."""
    return (
        db.session.scalar(
            select(func.count())
            .select_from(WaitlistEntry)
            .where(
                WaitlistEntry.center_id == entry.center_id,
                WaitlistEntry.service_date == entry.service_date,
                WaitlistEntry.state == WaitlistState.WAITING,
                or_(
                    WaitlistEntry.created_dt < entry.created_dt,
                    and_(
                        WaitlistEntry.created_dt == entry.created_dt,
                        WaitlistEntry.id < entry.id,
                    ),
                ),
            )
        )
        or 0
    )


def held_offers(center_id: int, item_id: int, day: date, start: time) -> int:
    """How many places of the slot are held for offers to the item's waiting list."""
    return (
        db.session.scalar(
            select(func.count())
            .select_from(WaitlistEntry)
            .where(
                WaitlistEntry.center_id == center_id,
                WaitlistEntry.service_date == day,
                WaitlistEntry.service_item_id == item_id,
                WaitlistEntry.state == WaitlistState.OFFERED,
                WaitlistEntry.offer_start_time == start,
            )
        )
        or 0
    )


def is_offer_open(entry: WaitlistEntry, now: datetime) -> bool:
    """Tell whether ``entry`` holds a place it may still take."""
    return (
        entry.state is WaitlistState.OFFERED
        and entry.offer_expires_dt is not None
        and now < entry.offer_expires_dt
    )


def offer_end_time(entry: WaitlistEntry) -> time | None:
    """The end of the held slot (None when no slot is held)."""
    if entry.offer_start_time is None:
        return None
    return _slot_end(entry.center, entry.service_date, entry.offer_start_time)


# -- join and leave -----------------------------------------------------------------------


def join_waitlist(
    center: Center,
    item: ServiceItem | None,
    day: date,
    *,
    name: str,
    phone: str,
    id_number: str | None = None,
    now: datetime,
    locale: str | None = None,
) -> WaitlistEntry:
    """Put a resident in line for ``item`` on ``day``, a bookable day with no free time left;
    starts its own write transaction. Joining is consent to the offer's text message.

    :raises Invalid: for bad personal data, an unbookable item, a day not on offer or with no
        slot left.
    :raises fairness.BookingBarred: when missed bookings bar the phone or ID number here.
    :raises DayNotFull: when a time of the day is still free for the item.
    :raises booking.PhoneLimitReached: when the phone already booked the item that day, is in
        this line already, or stands in as many lines as it may hold bookings.
    """
    today = local_now(center, now).date()
    name = booking._personal("name", lambda: clean_name(name))
    phone = booking._personal("phone", lambda: clean_mobile(phone))
    id_number = booking._personal("id_number", lambda: clean_id_number(id_number, today=today))
    item = check_bookable_item(center, item)
    center_id, item_id = center.id, item.id

    write_transaction(keep_loaded=True)
    center, item = db.session.get_one(Center, center_id), db.session.get_one(ServiceItem, item_id)
    booking._lock_phone(phone)
    fairness.check_not_barred(center, phone, id_number, today=today)
    check_booking_day(center, day, now=now)
    # the day's slots, locked in order: a place freed meanwhile is either seen free here or
    # offered to this entry (its cancellation waits for these locks, then reads the line)
    for start, _end in slot_times(center, day):
        booking._lock_slot(center.id, day, start)
    status, slots = list_slots(center, item, day, now=now)
    if not status.is_open:
        raise Invalid(
            _(
                "The center is closed on this day (%(reason)s). Please pick another day.",
                reason=status.reason or _("closed"),
            ),
            field="date",
        )
    if not slots:
        raise Invalid(
            _("This day has no time left to book. Please pick another day."), field="date"
        )
    if any(not slot.is_full for slot in slots):
        raise DayNotFull(
            _("This day still has free times. Please book one of them instead of waiting.")
        )
    _check_phone_in_line(phone, item, day, today)
    entry = WaitlistEntry(
        token=secrets.token_urlsafe(12),  # 96 bits, 16 URL-safe characters
        center=center,
        service_item=item,
        service_date=day,
        state=WaitlistState.WAITING,
        name=name,
        phone=phone,
        id_number=id_number,
        locale="en" if locale and locale.startswith("en") else "zh_CN",
        created_dt=now,
    )
    try:
        with db.session.begin_nested():
            db.session.add(entry)
    except IntegrityError:  # the index's word when the phone's lock was not enough
        raise booking.PhoneLimitReached(_already_in_line()) from None
    return entry


def _already_in_line() -> str:
    return _("This phone number is already on the waiting list for this item on that day.")


def _check_phone_in_line(phone: str, item: ServiceItem, day: date, today: date) -> None:
    """:raises booking.PhoneLimitReached: see ``join_waitlist``."""
    if db.session.scalar(
        select(Appointment.id).where(
            Appointment.phone == phone,
            Appointment.service_item_id == item.id,
            Appointment.service_date == day,
            Appointment.state.in_(HOLDING),
        )
    ):
        raise booking.PhoneLimitReached(
            _("This phone number already has a booking for this item on that day.")
        )
    lines = db.session.scalars(
        select(WaitlistEntry).where(
            WaitlistEntry.phone == phone,
            WaitlistEntry.state.in_(ACTIVE),
            WaitlistEntry.service_date >= today,
        )
    ).all()
    if any(e.service_item_id == item.id and e.service_date == day for e in lines):
        raise booking.PhoneLimitReached(_already_in_line())
    limit = current_app.config["BOOKING_MAX_OPEN_PER_PHONE"]
    if len(lines) >= limit:
        raise booking.PhoneLimitReached(
            _(
                "This phone number is already on %(n)d waiting lists, the most allowed. "
                "Leave one to join another.",
                n=limit,
            )
        )


def leave_waitlist(token: str, *, now: datetime) -> WaitlistEntry:
    """Take the entry out of line; a place held for it goes to the next in line.

    :raises NotFound: for an unknown token.
    :raises Conflict: when the entry is no longer in line.
    """
    entry = _lock_entry(get_entry(token).id)
    if entry.state is WaitlistState.WAITING:
        entry.state, entry.ended_dt = WaitlistState.LEFT, now
        db.session.flush()
    elif entry.state is WaitlistState.OFFERED:
        _give_back(entry, WaitlistState.LEFT, now)
    else:
        raise Conflict(_("This place on the waiting list has already ended."))
    return entry


# -- offers -------------------------------------------------------------------------------


def offer_freed_place(
    center_id: int, day: date, start: time, *, now: datetime
) -> WaitlistEntry | None:
    """Hold the place just freed in the slot (``day``, ``start``) for the first in the day's
    line whose item still fits the slot; return that entry (None: nobody, or nothing to hold).

    Called inside the transaction that freed the place (a cancellation, a move, an offer
    given back), after the slot's counter went down. The hold lasts the center's
    ``waitlist_hold_minutes`` from when a message may go out (after the quiet hours), and ends
    at the slot's start at the latest; a slot that has begun, a closed day or a slot the day no
    longer has is not offered.
    """
    center = db.session.get_one(Center, center_id)
    begins = datetime.combine(day, start, ZoneInfo(center.timezone))
    told_from = _messages_from(center, now)
    if told_from >= begins or not day_status(center, day).is_open:
        return None
    if start not in {s for s, _end in slot_times(center, day)}:
        return None
    slot = booking._lock_slot(center_id, day, start)
    if slot.booked >= center.slot_capacity:
        return None
    until = min(told_from + timedelta(minutes=center.waitlist_hold_minutes), begins)
    items: dict[int, ServiceItem] = {}
    for entry_id, item_id in _line(center_id, day):
        item = items.setdefault(item_id, db.session.get_one(ServiceItem, item_id))
        if not _fits(center, item, day, start):
            continue
        entry = _take_waiting(entry_id)
        if entry is None:  # taken by another transaction, or no longer waiting
            continue
        if _barred(center, entry, now):  # could not take it: keeps its place for later
            continue
        if _booked_meanwhile(entry):
            entry.state, entry.ended_dt = WaitlistState.LEFT, now
            continue
        slot.booked += 1
        entry.state = WaitlistState.OFFERED
        entry.offer_start_time, entry.offered_dt, entry.offer_expires_dt = start, now, until
        db.session.flush()
        signals.place_offered.send(entry, now=now)
        return entry
    return None


def _line(center_id: int, day: date) -> Sequence[tuple[int, int]]:
    return db.session.execute(
        select(WaitlistEntry.id, WaitlistEntry.service_item_id)
        .where(
            WaitlistEntry.center_id == center_id,
            WaitlistEntry.service_date == day,
            WaitlistEntry.state == WaitlistState.WAITING,
        )
        .order_by(WaitlistEntry.created_dt, WaitlistEntry.id)
    ).all()


def _fits(center: Center, item: ServiceItem, day: date, start: time) -> bool:
    if not item.is_active or not item.is_bookable or item.center_id != center.id:
        return False
    return item.slot_capacity is None or (
        booking._item_bookings(center, item, day, start) < item.slot_capacity
    )


def _take_waiting(entry_id: int) -> WaitlistEntry | None:
    """Lock the entry if it is still waiting and nobody else holds it (``SKIP LOCKED``)."""
    return db.session.scalars(
        select(WaitlistEntry)
        .where(WaitlistEntry.id == entry_id, WaitlistEntry.state == WaitlistState.WAITING)
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    ).first()


def _booked_meanwhile(entry: WaitlistEntry) -> bool:
    """The resident booked the item for that day on their own (a place freed for all)."""
    return (
        db.session.scalar(
            select(Appointment.id).where(
                Appointment.phone == entry.phone,
                Appointment.service_item_id == entry.service_item_id,
                Appointment.service_date == entry.service_date,
                Appointment.state.in_(HOLDING),
            )
        )
        is not None
    )


def _barred(center: Center, entry: WaitlistEntry, now: datetime) -> bool:
    """Missed bookings bar the entry's phone or ID number here now (``fairness``)."""
    today = local_now(center, now).date()
    return fairness.active_bar(center.id, entry.phone, entry.id_number, today=today) is not None


def _messages_from(center: Center, now: datetime) -> datetime:
    """When the offer's message may go out: now, or the end of the quiet hours
    (``NOTIFY_QUIET_HOURS`` in the center's time, as the outbox holds messages), so a place
    freed at night is not held while its resident sleeps."""
    hours = current_app.config.get("NOTIFY_QUIET_HOURS") or ""
    return quiet_until(now, center.timezone, hours) or now


def accept_offer(token: str, *, now: datetime) -> Appointment:
    """Turn the place held for the entry into its booking (messages agreed to, in the entry's
    language); the place was counted when it was offered, so nothing is counted again.

    :raises NotFound: for an unknown token.
    :raises OfferClosed: when no offer is open (taken, declined, lapsed, or none yet).
    :raises Conflict: when the center has closed the day since.
    :raises fairness.BookingBarred: when missed bookings bar the phone or ID number here now.
    :raises booking.PhoneLimitReached: when the phone is over its limits now (the place stays
        held until the offer lapses).
    """
    entry = _lock_entry(get_entry(token).id)
    _check_offer_open(entry, now)
    center, item, day = entry.center, entry.service_item, entry.service_date
    status = day_status(center, day)
    if not status.is_open:
        raise Conflict(
            _(
                "The center is closed on this day (%(reason)s). Please pick another day.",
                reason=status.reason or _("closed"),
            )
        )
    booking._lock_phone(entry.phone)
    today = local_now(center, now).date()
    fairness.check_not_barred(center, entry.phone, entry.id_number, today=today)
    booking._check_phone_limits(entry.phone, item, day, today=today)
    start = entry.offer_start_time
    assert start is not None  # an offer has a slot (ck_waitlist_entries_offer_has_slot)
    appointment = Appointment(
        center=center,
        service_item=item,
        service_date=day,
        start_time=start,
        end_time=_slot_end(center, day, start),
        name=entry.name,
        phone=entry.phone,
        id_number=entry.id_number,
        created_dt=now,
        notify_consent_dt=now,
        notify_locale=entry.locale,
    )
    booking._add_with_unique_code(appointment)
    entry.state, entry.appointment, entry.ended_dt = WaitlistState.BOOKED, appointment, now
    db.session.flush()
    signals.offer_ended.send(entry, now=now)
    signals.appointment_booked.send(appointment, now=now)
    return appointment


def decline_offer(token: str, *, now: datetime) -> WaitlistEntry:
    """Give the held place back (the entry leaves the line); it goes to the next in line.

    :raises NotFound: for an unknown token.
    :raises OfferClosed: when no offer is open.
    """
    entry = _lock_entry(get_entry(token).id)
    _check_offer_open(entry, now)
    _give_back(entry, WaitlistState.EXPIRED, now)
    return entry


def expire_offers(*, now: datetime) -> Sweep:
    """End the offers whose hold has lapsed, offering each place to the next in line, and end
    the entries of days that have passed; starts its own write transaction (cron: a minute).

    An offer being taken or declined right now (its row locked) is left to that transaction.
    """
    write_transaction()
    ended = _end_past_days(now)
    lapsed = db.session.scalars(
        select(WaitlistEntry)
        .where(
            WaitlistEntry.state == WaitlistState.OFFERED,
            WaitlistEntry.offer_expires_dt <= now,
        )
        .order_by(WaitlistEntry.offer_expires_dt, WaitlistEntry.id)
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    ).all()
    offered = sum(_give_back(e, WaitlistState.EXPIRED, now) is not None for e in lapsed)
    return Sweep(expired=len(lapsed), offered=offered, ended=ended)


def _end_past_days(now: datetime) -> int:
    """Entries still waiting for a day that has passed (in its center's time) end as left."""
    rows = db.session.execute(
        select(WaitlistEntry.id, WaitlistEntry.service_date, Center.timezone)
        .join(Center, Center.id == WaitlistEntry.center_id)
        .where(
            WaitlistEntry.state == WaitlistState.WAITING,
            WaitlistEntry.service_date <= now.date() + timedelta(days=1),
        )
    ).all()
    past = [id_ for id_, day, zone in rows if day < to_local(now, zone).date()]
    if not past:
        return 0
    result = db.session.execute(
        update(WaitlistEntry)
        .where(WaitlistEntry.id.in_(past), WaitlistEntry.state == WaitlistState.WAITING)
        .values(state=WaitlistState.LEFT, ended_dt=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


def _give_back(entry: WaitlistEntry, state: WaitlistState, now: datetime) -> WaitlistEntry | None:
    """End the (locked) offered ``entry`` in ``state``, free its held place and offer it to
    the next in line; return whom it went to."""
    start = entry.offer_start_time
    assert start is not None
    booking._free_place(booking._lock_slot(entry.center_id, entry.service_date, start))
    entry.state, entry.ended_dt = state, now
    db.session.flush()
    signals.offer_ended.send(entry, now=now)
    return offer_freed_place(entry.center_id, entry.service_date, start, now=now)


def _check_offer_open(entry: WaitlistEntry, now: datetime) -> None:
    if entry.state is WaitlistState.BOOKED:
        raise OfferClosed(_("You have already taken this place."))
    if entry.state is WaitlistState.WAITING:
        raise OfferClosed(_("No place has been offered to you yet."))
    if not is_offer_open(entry, now):
        raise OfferClosed(_("This offer has ended; the place has gone to the next in line."))


def _lock_entry(entry_id: int) -> WaitlistEntry:
    write_transaction()
    return db.session.scalars(
        select(WaitlistEntry)
        .where(WaitlistEntry.id == entry_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def _slot_end(center: Center, day: date, start: time) -> time:
    for slot_start, slot_end in slot_times(center, day):
        if slot_start == start:
            return slot_end
    # the hours changed since: the slot's usual length
    return (datetime.combine(day, start) + timedelta(minutes=center.slot_minutes)).time()
