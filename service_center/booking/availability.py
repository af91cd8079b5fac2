"""Bookable days and slots: the booking range, a day's slots, the places left, own closures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from flask import current_app
from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy import func, select

from ..catalogue.calendar import DayStatus, day_status, opening_periods, store_notice
from ..catalogue.holidays import NoticeRow
from ..catalogue.models import Center, CenterDay, ServiceItem
from ..clock import now_utc, to_local
from ..db import db, write_transaction
from ..errors import Invalid
from . import signals
from .models import Appointment, AppointmentState, BookingSlot, WaitlistEntry, WaitlistState

#: the states that keep a place in a slot (a checked-in booking used its place)
HOLDING = (AppointmentState.BOOKED, AppointmentState.CHECKED_IN, AppointmentState.NO_SHOW)


@dataclass(frozen=True)
class Slot:
    """One bookable time slot of a day and the places it still has for one item."""

    start: time
    end: time
    capacity: int
    remaining: int

    @property
    def is_full(self) -> bool:
        return self.remaining <= 0


@dataclass(frozen=True)
class BookableDay:
    """A day in the booking range: its calendar status and the item's places left."""

    status: DayStatus
    remaining: int

    @property
    def day(self) -> date:
        return self.status.day


def local_now(center: Center, now: datetime) -> datetime:
    return to_local(now, center.timezone)


def booking_range(center: Center, *, now: datetime) -> tuple[date, date]:
    """Return the first and last day a resident may book at ``center``."""
    today = local_now(center, now).date()
    first = today if current_app.config["BOOKING_SAME_DAY"] else today + timedelta(days=1)
    return first, today + timedelta(days=center.booking_horizon_days)


def slot_times(center: Center, day: date) -> list[tuple[time, time]]:
    """Return the (start, end) of every slot of ``day``; a lunch break has none."""
    length = timedelta(minutes=center.slot_minutes)
    slots = []
    for opens, closes in opening_periods(center, day):
        cursor, end = datetime.combine(day, opens), datetime.combine(day, closes)
        while cursor + length <= end:
            slots.append((cursor.time(), (cursor + length).time()))
            cursor += length
    return slots


def item_capacity(center: Center, item: ServiceItem) -> int:
    """Return the places per slot for ``item``: the center's, narrowed by the item's own."""
    if item.slot_capacity is None:
        return center.slot_capacity
    return min(center.slot_capacity, item.slot_capacity)


def check_bookable_item(center: Center, item: ServiceItem | None) -> ServiceItem:
    """Return ``item`` if residents may book it online at ``center``.

    :raises Invalid: (field ``service``) for an unknown, inactive or unbookable item.
    """
    if item is None or item.center_id != center.id or not item.is_active:
        raise Invalid(_("This center offers no such service item."), field="service")
    if not item.is_bookable:
        raise Invalid(_("This item cannot be booked online."), field="service")
    return item


def check_booking_day(center: Center, day: date, *, now: datetime) -> None:
    """Refuse a day outside the booking range (open or not).

    :raises Invalid: (field ``date``) for a past day, today without same-day booking, or a
        day beyond the horizon.
    """
    first, last = booking_range(center, now=now)
    today = local_now(center, now).date()
    if day < today:
        raise Invalid(_("This date has passed. Please pick a later day."), field="date")
    if day < first:
        raise Invalid(_("Bookings for today are closed; you can book from tomorrow."), field="date")
    if day > last:
        raise Invalid(
            _("Bookings are open up to %(day)s.", day=format_date(last, "medium")), field="date"
        )


def list_bookable_days(center: Center, item: ServiceItem, *, now: datetime) -> list[BookableDay]:
    """Return every day of the booking range with its status and the places left for ``item``."""
    first, last = booking_range(center, now=now)
    days = []
    day = first
    while day <= last:
        status = day_status(center, day)
        remaining = (
            sum(s.remaining for s in _slots(center, item, day, now)) if status.is_open else 0
        )
        days.append(BookableDay(status, remaining))
        day += timedelta(days=1)
    return days


def list_slots(
    center: Center, item: ServiceItem, day: date, *, now: datetime
) -> tuple[DayStatus, list[Slot]]:
    """Return the day's status and its slots with the places left for ``item``.

    A closed day has no slots; on a same-day booking slots already begun are left out.

    :raises Invalid: for a day outside the booking range.
    """
    check_booking_day(center, day, now=now)
    status = day_status(center, day)
    return status, _slots(center, item, day, now) if status.is_open else []


def _slots(center: Center, item: ServiceItem, day: date, now: datetime) -> list[Slot]:
    booked = dict(
        db.session.execute(
            select(BookingSlot.start_time, BookingSlot.booked).where(
                BookingSlot.center_id == center.id, BookingSlot.service_date == day
            )
        ).all()
    )
    by_item = dict(
        db.session.execute(
            select(Appointment.start_time, func.count())
            .where(
                Appointment.center_id == center.id,
                Appointment.service_date == day,
                Appointment.service_item_id == item.id,
                Appointment.state.in_(HOLDING),
            )
            .group_by(Appointment.start_time)
        ).all()
    )
    if item.slot_capacity is not None:  # places held for the item's waiting list count too
        for start, held in db.session.execute(
            select(WaitlistEntry.offer_start_time, func.count())
            .where(
                WaitlistEntry.center_id == center.id,
                WaitlistEntry.service_date == day,
                WaitlistEntry.service_item_id == item.id,
                WaitlistEntry.state == WaitlistState.OFFERED,
            )
            .group_by(WaitlistEntry.offer_start_time)
        ):
            by_item[start] = by_item.get(start, 0) + held
    capacity = item_capacity(center, item)
    current = local_now(center, now)
    slots = []
    for start, end in slot_times(center, day):
        if day == current.date() and start <= current.time():
            continue
        left = min(center.slot_capacity - booked.get(start, 0), capacity - by_item.get(start, 0))
        slots.append(Slot(start, end, capacity, max(left, 0)))
    return slots


def check_slot(center: Center, item: ServiceItem, day: date, start: time, *, now: datetime) -> time:
    """Return the end of the slot starting at ``start`` on ``day``.

    :raises Invalid: (``date``) for a day out of range or closed, (``start``) for no such slot.
    """
    check_booking_day(center, day, now=now)
    status = day_status(center, day)
    if not status.is_open:
        reason = status.reason or _("closed")
        raise Invalid(
            _(
                "The center is closed on this day (%(reason)s). Please pick another day.",
                reason=reason,
            ),
            field="date",
        )
    current = local_now(center, now)
    for slot_start, slot_end in slot_times(center, day):
        if slot_start == start:
            if day == current.date() and start <= current.time():
                break
            return slot_end
    raise Invalid(
        _("There is no bookable slot at this time. Please pick one from the list."), field="start"
    )


# -- a center's own closures and special openings, the calendar warning ------------------


def set_center_day(
    center: Center,
    day: date,
    *,
    is_open: bool,
    reason_zh: str = "",
    reason_en: str = "",
    now: datetime | None = None,
) -> CenterDay:
    """Enter a closure (``is_open`` False) or a special opening of ``center`` on ``day``.

    Replaces an exception already entered for that day. A closure announces the bookings it
    strands (``signals.bookings_stranded``: their residents are told).
    """
    entry = db.session.scalar(
        select(CenterDay).where(CenterDay.center_id == center.id, CenterDay.day == day)
    )
    if entry is None:
        entry = CenterDay(center_id=center.id, day=day)
        db.session.add(entry)
    entry.is_open, entry.reason_zh, entry.reason_en = is_open, reason_zh, reason_en
    db.session.flush()
    if not is_open:
        signals.bookings_stranded.send(
            center,
            day=day,
            appointments=open_bookings(day, day, center),
            reason_zh=reason_zh,
            reason_en=reason_en,
            now=now or now_utc(),
        )
    elif day_status(center, day).is_open:
        signals.day_reopened.send(center, day=day, appointments=open_bookings(day, day, center))
    return entry


def remove_center_day(center: Center, day: date) -> bool:
    """Remove the center's exception on ``day``; tell whether there was one."""
    entry = db.session.scalar(
        select(CenterDay).where(CenterDay.center_id == center.id, CenterDay.day == day)
    )
    if entry is None:
        return False
    db.session.delete(entry)
    db.session.flush()
    if day_status(center, day).is_open:
        signals.day_reopened.send(center, day=day, appointments=open_bookings(day, day, center))
    return True


def open_bookings(first: date, last: date, center: Center | None = None) -> list[Appointment]:
    """Return the bookings still to come from ``first`` to ``last`` (of ``center``, or all)."""
    stmt = select(Appointment).where(
        Appointment.state == AppointmentState.BOOKED,
        Appointment.service_date.between(first, last),
    )
    if center is not None:
        stmt = stmt.where(Appointment.center_id == center.id)
    order = (Appointment.center_id, Appointment.service_date, Appointment.start_time)
    return list(db.session.scalars(stmt.order_by(*order)))


def on_closed_days(appointments: list[Appointment]) -> list[Appointment]:
    """Return those of ``appointments`` whose center is closed on their day."""
    closed: dict[tuple[int, date], bool] = {}
    for a in appointments:
        key = (a.center_id, a.service_date)
        if key not in closed:
            closed[key] = not day_status(a.center, a.service_date).is_open
    return [a for a in appointments if closed[(a.center_id, a.service_date)]]


@dataclass(frozen=True)
class NoticeChange:
    """The bookings still to come in a year whose notice changed, and which were on a closed
    day before the change."""

    booked: list[Appointment]
    closed_before: frozenset[int]

    def stranded(self) -> list[Appointment]:
        """The bookings the change left on a closed day (ask once it is committed)."""
        closed_now = {a.id for a in on_closed_days(self.booked)}
        return [a for a in self.booked if a.id in closed_now and a.id not in self.closed_before]


def replace_notice(year: int, rows: list[NoticeRow], *, today: date) -> NoticeChange:
    """Store ``rows`` as ``year``'s national notice (none: the notice is removed), under the
    write lock so no booking is made between the bookings read and the notice stored.
    """
    write_transaction()
    booked = open_bookings(max(date(year, 1, 1), today), date(year, 12, 31))
    closed_before = frozenset(a.id for a in on_closed_days(booked))
    store_notice(year, rows)
    return NoticeChange(booked, closed_before)
