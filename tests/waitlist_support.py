"""Helpers of the waiting-list tests: a short full Friday, joining its line, reading slots."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time
from itertools import count
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from service_center.booking import services as booking
from service_center.booking import waitlist
from service_center.booking.availability import HOLDING
from service_center.booking.models import (
    Appointment,
    BookingSlot,
    WaitlistEntry,
    WaitlistState,
)
from service_center.catalogue.models import OpeningHours
from service_center.db import db
from tests.fixtures.booking import BOOKING_NOW, TOMORROW

#: the two slots of the short Friday (TOMORROW)
NINE, HALF_NINE = time(9), time(9, 30)
SHANGHAI = ZoneInfo("Asia/Shanghai")
_phones: Iterator[int] = count(15900000001)


def local(hour: int, minute: int = 0, day: date = TOMORROW) -> datetime:
    """``day`` (the short Friday) at hh:mm in Shanghai, as UTC."""
    return datetime.combine(day, time(hour, minute), SHANGHAI).astimezone(UTC)


def next_phone() -> str:
    return str(next(_phones))


def short_friday(world: Any, capacity: int = 1) -> None:
    """TOMORROW (a Friday) opens 09:00–10:00 only: two slots of ``capacity`` places."""
    center = world.center
    for hours in [h for h in center.hours if h.weekday == 4]:
        center.hours.remove(hours)
        db.session.delete(hours)
    db.session.flush()
    center.hours.append(OpeningHours(weekday=4, open_time=time(9), close_time=time(10)))
    center.slot_capacity = capacity
    db.session.commit()


def book(world: Any, start: time, item: Any = None, now: datetime = BOOKING_NOW) -> Appointment:
    appointment = booking.book_appointment(
        world.center,
        item or world.items.licence,
        TOMORROW,
        start,
        name="张三",
        phone=next_phone(),
        now=now,
    )
    db.session.commit()
    return appointment


def fill(world: Any, item: Any = None) -> list[Appointment]:
    """Book every place of the short Friday."""
    capacity = world.center.slot_capacity
    return [book(world, start, item) for start in (NINE, HALF_NINE) for _ in range(capacity)]


def join(world: Any, item: Any = None, now: datetime = BOOKING_NOW, **more: Any) -> WaitlistEntry:
    values = {"name": "李四", "phone": next_phone(), "now": now, **more}
    entry = waitlist.join_waitlist(world.center, item or world.items.licence, TOMORROW, **values)
    db.session.commit()
    return entry


def reload(entry: WaitlistEntry) -> WaitlistEntry:
    db.session.expire_all()
    return db.session.get_one(WaitlistEntry, entry.id)


def counter(center_id: int, start: time) -> int:
    """The slot's counter of places taken (bookings and held offers)."""
    db.session.expire_all()
    return db.session.scalar(
        select(BookingSlot.booked).where(
            BookingSlot.center_id == center_id,
            BookingSlot.service_date == TOMORROW,
            BookingSlot.start_time == start,
        )
    )


def holding(center_id: int, start: time) -> int:
    """Bookings and held offers in the slot, read in one statement."""
    booked = (
        select(func.count())
        .select_from(Appointment)
        .where(
            Appointment.center_id == center_id,
            Appointment.service_date == TOMORROW,
            Appointment.start_time == start,
            Appointment.state.in_(HOLDING),
        )
        .scalar_subquery()
    )
    held = (
        select(func.count())
        .select_from(WaitlistEntry)
        .where(
            WaitlistEntry.center_id == center_id,
            WaitlistEntry.service_date == TOMORROW,
            WaitlistEntry.offer_start_time == start,
            WaitlistEntry.state == WaitlistState.OFFERED,
        )
        .scalar_subquery()
    )
    return db.session.execute(select(booked + held)).scalar_one()
