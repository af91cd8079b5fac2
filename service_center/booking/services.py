"""Booking rules: book, look up, cancel and move a booking under the slot locks; check-in."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, select, text, update
from sqlalchemy.exc import IntegrityError

from ..catalogue.models import Center, ServiceItem
from ..db import db, is_postgresql, write_transaction
from ..errors import Conflict, Invalid, NotFound
from ..queueing.services import issue_ticket
from ..validators import PersonalDataError, clean_id_number, clean_mobile, clean_name
from . import fairness, signals, waitlist
from .availability import HOLDING, check_bookable_item, check_slot, local_now
from .codes import new_booking_code, normalize_code
from .models import Appointment, AppointmentState, BookingSlot

if TYPE_CHECKING:
    from ..auth.models import User
    from ..queueing.models import Ticket

#: namespace of the per-phone advisory lock on PostgreSQL ("BK")
_PHONE_LOCK_CLASS = 0x424B


class SlotFull(Conflict):
    default_message = _l("This time slot has just been fully booked. Please pick another one.")


class PhoneLimitReached(Conflict):
    field = "phone"


class CheckInRefused(Conflict):
    """A booking that cannot be checked in now (wrong day, too early, cancelled…)."""


class CheckInTooLate(CheckInRefused):
    """The check-in window has closed: the resident may take a walk-in ticket instead."""

    def __init__(self, message: Any, *, appointment: Appointment) -> None:
        super().__init__(message)
        #: the kiosk offers a walk-in ticket for this booking's center and item
        self.center_code = appointment.center.code
        self.service_id = appointment.service_item_id


# -- locks --------------------------------------------------------------------------------


def _lock_phone(phone: str) -> None:
    """Serialise the bookings of one phone (its limits span slots) on PostgreSQL.

    On SQLite the write transaction already serialises every booking.
    """
    if is_postgresql():
        key = int.from_bytes(hashlib.sha256(phone.encode()).digest()[:4], "big", signed=True)
        db.session.execute(
            text("SELECT pg_advisory_xact_lock(:cls, :key)"), {"cls": _PHONE_LOCK_CLASS, "key": key}
        )


def _insert_ignore() -> Callable[..., Any]:
    if is_postgresql():
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert


def _lock_slot(center_id: int, day: date, start: time) -> BookingSlot:
    """Create the slot's row if missing and return it locked for this transaction.

    Every booking, cancellation and move of one slot goes through this row, so they queue on
    it (``FOR UPDATE`` on PostgreSQL, the write lock of ``BEGIN IMMEDIATE`` on SQLite).
    """
    insert = _insert_ignore()
    db.session.execute(
        insert(BookingSlot)
        .values(center_id=center_id, service_date=day, start_time=start, booked=0)
        .on_conflict_do_nothing(index_elements=["center_id", "service_date", "start_time"])
    )
    return db.session.scalars(
        select(BookingSlot)
        .where(
            BookingSlot.center_id == center_id,
            BookingSlot.service_date == day,
            BookingSlot.start_time == start,
        )
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def _lock_appointment(appointment_id: int) -> Appointment:
    return db.session.scalars(
        select(Appointment)
        .where(Appointment.id == appointment_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def _take_place(slot: BookingSlot, center: Center, item: ServiceItem) -> None:
    """Count one more booking of ``item`` into the locked ``slot``.

    :raises SlotFull: when the center's or the item's places in the slot are all taken.
    """
    if slot.booked >= center.slot_capacity:
        raise SlotFull()
    if item.slot_capacity is not None and (
        _item_bookings(center, item, slot.service_date, slot.start_time) >= item.slot_capacity
    ):
        raise SlotFull()
    slot.booked += 1


def _book_place(center: Center, item: ServiceItem, day: date, start: time) -> None:
    """Count one more booking of ``item`` into the slot, creating its row if missing.

    One ``INSERT … ON CONFLICT DO UPDATE … RETURNING``: it locks the slot's row for this
    transaction like ``_lock_slot`` (bookings of one slot queue on it) and returns the count
    with this booking in it. A full slot gives the place back before raising.

    :raises SlotFull: when the center's or the item's places in the slot are all taken.
    """
    key = {"center_id": center.id, "service_date": day, "start_time": start}
    stmt = _insert_ignore()(BookingSlot).values(**key, booked=1)
    stmt = stmt.on_conflict_do_update(
        index_elements=list(key), set_={"booked": BookingSlot.booked + 1}
    ).returning(BookingSlot.booked)
    booked = db.session.execute(stmt).scalar_one()
    if booked > center.slot_capacity or (
        item.slot_capacity is not None
        and _item_bookings(center, item, day, start) >= item.slot_capacity
    ):
        db.session.execute(
            update(BookingSlot)
            .where(*(getattr(BookingSlot, column) == value for column, value in key.items()))
            .values(booked=BookingSlot.booked - 1)
        )
        raise SlotFull()


def _item_bookings(center: Center, item: ServiceItem, day: date, start: time) -> int:
    """How many bookings of ``item`` hold a place in the slot (the new one not flushed yet),
    with the places held there for the item's waiting list (``waitlist.py``)."""
    booked = (
        db.session.scalar(
            select(func.count())
            .select_from(Appointment)
            .where(
                Appointment.center_id == center.id,
                Appointment.service_date == day,
                Appointment.start_time == start,
                Appointment.service_item_id == item.id,
                Appointment.state.in_(HOLDING),
            )
        )
        or 0
    )
    return booked + waitlist.held_offers(center.id, item.id, day, start)


def _free_place(slot: BookingSlot) -> None:
    slot.booked = max(slot.booked - 1, 0)


def _check_phone_limits(
    phone: str, item: ServiceItem, day: date, *, today: date, moving: Appointment | None = None
) -> None:
    """Apply the per-phone limits; a booking being moved counts once and never against itself.

    :raises PhoneLimitReached: when the phone holds its maximum of open bookings, or already
        has this item on this day.
    """
    same_day = and_(
        Appointment.service_item_id == item.id,
        Appointment.service_date == day,
        Appointment.state.in_(HOLDING),
    )
    if moving is not None:
        same_day = and_(same_day, Appointment.id != moving.id)
    open_ = and_(Appointment.state == AppointmentState.BOOKED, Appointment.service_date >= today)
    # both counts in one statement over the phone's bookings (ix_appointments_phone)
    same_day_count, open_count = db.session.execute(
        select(func.count().filter(same_day), func.count().filter(open_)).where(
            Appointment.phone == phone
        )
    ).one()
    if same_day_count:
        raise PhoneLimitReached(
            _("This phone number already has a booking for this item on that day.")
        )
    if moving is not None:
        return
    limit = current_app.config["BOOKING_MAX_OPEN_PER_PHONE"]
    if (open_count or 0) >= limit:
        raise PhoneLimitReached(
            _(
                "This phone number already holds %(n)d open bookings, the most allowed. "
                "Cancel one to book another.",
                n=limit,
            )
        )


def _add_with_unique_code(appointment: Appointment) -> None:
    """Insert ``appointment`` under a fresh code; a code taken meanwhile is drawn again.

    The unique constraint decides: the insert runs in a savepoint, so a collision with a
    booking committed (or in flight) elsewhere costs one retry, never the booking.
    """
    for _attempt in range(8):
        appointment.code = new_booking_code()
        try:
            with db.session.begin_nested():
                db.session.add(appointment)
        except IntegrityError:
            if (
                db.session.scalar(
                    select(Appointment.id).where(Appointment.code == appointment.code)
                )
                is None
            ):
                raise
            continue
        return
    raise Conflict(_("No booking code could be issued. Please try again."))


def _personal(field: str, check: Callable[[], Any]) -> Any:
    try:
        return check()
    except PersonalDataError as exc:
        raise Invalid(str(exc), field=field) from None


# -- book, find, cancel, move -------------------------------------------------------------


def book_appointment(
    center: Center,
    item: ServiceItem | None,
    day: date,
    start: time,
    *,
    name: str,
    phone: str,
    id_number: str | None = None,
    now: datetime,
    notify: bool = False,
    locale: str | None = None,
    assisted: bool = False,
    helper: User | None = None,
) -> Appointment:
    """Book a place in a slot for ``item``; starts its own write transaction.

    ``notify``: the resident agrees, now, to text messages about this booking (in ``locale``).
    ``assisted`` (帮办代办): the resident asks for help at the center; ``helper``: a staff
    member of the center booking on the resident's behalf (recorded; such a booking is
    assisted). Staff of another center book as anyone does.

    :raises Invalid: for bad personal data, an unbookable item, a day or slot not on offer.
    :raises BookingBarred: when missed bookings bar the phone or ID number here for now.
    :raises PhoneLimitReached: when the phone is over its limits.
    :raises SlotFull: when the slot has no place left for the item.
    """
    today = local_now(center, now).date()
    name = _personal("name", lambda: clean_name(name))
    phone = _personal("phone", lambda: clean_mobile(phone))
    id_number = _personal("id_number", lambda: clean_id_number(id_number, today=today))
    item = check_bookable_item(center, item)
    end = check_slot(center, item, day, start, now=now)
    center_id, item_id = center.id, item.id

    # the slot's counter and the phone's bookings are read under the lock; the center and
    # item (capacities) as loaded just before
    write_transaction(keep_loaded=True)
    center, item = db.session.get_one(Center, center_id), db.session.get_one(ServiceItem, item_id)
    _lock_phone(phone)
    fairness.check_not_barred(center, phone, id_number, today=today)
    _check_phone_limits(phone, item, day, today=today)
    _book_place(center, item, day, start)
    if helper is not None and not helper.is_staff_of(center.id):
        helper = None
    appointment = Appointment(
        center=center,
        service_item=item,
        service_date=day,
        start_time=start,
        end_time=end,
        name=name,
        phone=phone,
        id_number=id_number,
        created_dt=now,
        notify_consent_dt=now if notify else None,
        notify_locale=("en" if locale and locale.startswith("en") else "zh_CN") if notify else None,
        is_assisted=assisted or helper is not None,
        helper_id=helper.id if helper is not None else None,
    )
    _add_with_unique_code(appointment)
    signals.appointment_booked.send(appointment, now=now)
    return appointment


def find_appointment(code: str | None, phone: str | None) -> Appointment:
    """Return the booking with ``code`` made with ``phone``.

    A wrong pair and an unknown code get the same answer, so a code cannot be probed.

    :raises Invalid: (field ``phone``) when the phone number is malformed.
    :raises NotFound: when no booking has both.
    """
    phone = _personal("phone", lambda: clean_mobile(phone))
    miss = NotFound(_("No booking matches this code and phone number. Please check both."))
    normalized = normalize_code(code)
    if normalized is None:
        raise miss
    appointment = db.session.scalar(select(Appointment).where(Appointment.code == normalized))
    if appointment is None or not hmac.compare_digest(appointment.phone, phone):
        raise miss
    return appointment


def get_by_code(code: str | None) -> Appointment | None:
    normalized = normalize_code(code)
    if normalized is None:
        return None
    return db.session.scalar(select(Appointment).where(Appointment.code == normalized))


def slot_start(appointment: Appointment) -> datetime:
    """Return the aware local datetime the booking's slot begins."""
    zone = ZoneInfo(appointment.center.timezone)
    return datetime.combine(appointment.service_date, appointment.start_time, tzinfo=zone)


def checkin_window(appointment: Appointment) -> tuple[datetime, datetime]:
    """Return (opens, closes) of the booking's check-in, as aware local datetimes."""
    start = slot_start(appointment)
    early = timedelta(minutes=current_app.config["BOOKING_CHECKIN_EARLY_MINUTES"])
    late = timedelta(minutes=current_app.config["BOOKING_CHECKIN_LATE_MINUTES"])
    return start - early, start + late


def can_change(appointment: Appointment, *, now: datetime) -> bool:
    """Tell whether the resident may still cancel or move the booking."""
    return appointment.state is AppointmentState.BOOKED and now < slot_start(appointment)


def _check_changeable(appointment: Appointment, now: datetime) -> None:
    if appointment.state is AppointmentState.CANCELLED:
        raise Conflict(_("This booking has been cancelled."))
    if appointment.state is AppointmentState.CHECKED_IN:
        raise Conflict(_("This booking has been checked in and can no longer be changed."))
    if now >= slot_start(appointment):
        raise Conflict(_("This booking's time has begun; it can no longer be changed."))


def cancel_appointment(appointment: Appointment, *, now: datetime) -> Appointment:
    """Cancel the booking and free its place (offered first to the day's waiting list);
    starts its own write transaction.

    :raises Conflict: when it is cancelled or checked in already, or its slot has begun.
    """
    appointment_id = appointment.id
    write_transaction()
    appointment = _lock_appointment(appointment_id)
    _check_changeable(appointment, now)
    _free_place(_lock_slot(appointment.center_id, appointment.service_date, appointment.start_time))
    appointment.state = AppointmentState.CANCELLED
    appointment.cancelled_dt = now
    db.session.flush()
    waitlist.offer_freed_place(
        appointment.center_id, appointment.service_date, appointment.start_time, now=now
    )
    signals.appointment_cancelled.send(appointment, now=now)
    return appointment


def stop_messages(appointment: Appointment, *, now: datetime) -> Appointment:
    """The resident withdraws the consent to messages about this booking."""
    write_transaction()
    appointment = _lock_appointment(appointment.id)
    appointment.notify_consent_dt = None
    db.session.flush()
    signals.appointment_opted_out.send(appointment, now=now)
    return appointment


def reschedule_appointment(
    appointment: Appointment, day: date, start: time, *, now: datetime
) -> Appointment:
    """Move the booking to another slot: the old place is freed, the new one taken, at once.

    :raises Conflict: when the booking can no longer be changed.
    :raises Invalid: for a day or slot not on offer, or the booking's own slot.
    :raises PhoneLimitReached: when the phone already has this item on the new day.
    :raises SlotFull: when the new slot has no place left for the item.
    """
    _check_changeable(appointment, now)
    center, item = appointment.center, appointment.service_item
    end = check_slot(center, item, day, start, now=now)
    if (day, start) == (appointment.service_date, appointment.start_time):
        raise Invalid(_("Your booking is already at this time."), field="start")
    appointment_id, today = appointment.id, local_now(center, now).date()

    write_transaction()
    appointment = _lock_appointment(appointment_id)
    _lock_phone(appointment.phone)
    _check_changeable(appointment, now)
    center, item = appointment.center, appointment.service_item
    _check_phone_limits(appointment.phone, item, day, today=today, moving=appointment)
    old_key = (appointment.service_date, appointment.start_time)
    slots = {key: _lock_slot(center.id, *key) for key in sorted([old_key, (day, start)])}
    _take_place(slots[(day, start)], center, item)
    _free_place(slots[old_key])
    appointment.service_date, appointment.start_time, appointment.end_time = day, start, end
    db.session.flush()
    waitlist.offer_freed_place(center.id, *old_key, now=now)
    signals.appointment_moved.send(appointment, now=now, before=old_key)
    return appointment


# -- check-in -----------------------------------------------------------------------------


def check_in(appointment_code: str, *, now: datetime, center: Center | None = None) -> Ticket:
    """Turn a booking into a queue ticket flagged booked, within its check-in window.

    The name and phone of the booking travel to the ticket (and so to its case).

    :param center: the kiosk's center, when known: a booking for another center is refused.
    :raises NotFound: for an unknown code.
    :raises CheckInRefused: when cancelled, already checked in, for another center, on another
        day or too early.
    :raises CheckInTooLate: when the window has closed (a walk-in ticket is the way).
    """
    appointment = get_by_code(appointment_code)
    if appointment is None:
        raise NotFound(_("No booking has this code. Please check it and try again."))
    if center is not None and appointment.center_id != center.id:
        raise CheckInRefused(
            _(
                "This booking is for %(center)s. Please check in there.",
                center=appointment.center.name,
            )
        )
    appointment_id = appointment.id
    write_transaction()
    appointment = _lock_appointment(appointment_id)
    if appointment.state is AppointmentState.CANCELLED:
        raise CheckInRefused(_("This booking has been cancelled."))
    if appointment.state is AppointmentState.CHECKED_IN:
        raise CheckInRefused(_("This booking has already been checked in."))
    opens, closes = checkin_window(appointment)
    here = local_now(appointment.center, now)
    if here.date() < appointment.service_date:
        raise CheckInRefused(
            _(
                "Your booking is for %(day)s at %(time)s. Please check in on that day.",
                day=format_date(appointment.service_date, "medium"),
                time=appointment.start_time.strftime("%H:%M"),
            )
        )
    if here < opens:
        raise CheckInRefused(
            _(
                "Check-in for your %(start)s booking opens at %(opens)s. Please come back then.",
                start=appointment.start_time.strftime("%H:%M"),
                opens=opens.strftime("%H:%M"),
            )
        )
    if here > closes:
        raise CheckInTooLate(
            _(
                "Check-in for this booking closed at %(closes)s on %(day)s. "
                "You can take a walk-in ticket for the same item instead.",
                closes=closes.strftime("%H:%M"),
                day=format_date(closes.date(), "medium"),
            ),
            appointment=appointment,
        )
    ticket = issue_ticket(
        appointment.center,
        appointment.service_item,
        now=now,
        booked=True,
        assisted=appointment.is_assisted,
        appointment=appointment,
        applicant_name=appointment.name,
        applicant_phone=appointment.phone,
        notify_address=appointment.phone if appointment.notify_consent_dt else None,
        notify_locale=appointment.notify_locale,
    )
    appointment.state = AppointmentState.CHECKED_IN
    appointment.ticket = ticket
    appointment.checked_in_dt = now
    db.session.flush()
    return ticket
