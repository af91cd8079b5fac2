"""Appointments and the per-slot row that serialises bookings of one slot."""

from __future__ import annotations

import enum
from datetime import date, datetime, time
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import UTCDateTime, db, str_enum

if TYPE_CHECKING:
    from ..catalogue.models import Center, ServiceItem
    from ..queueing.models import Ticket


class AppointmentState(enum.StrEnum):
    BOOKED = "booked"
    CANCELLED = "cancelled"
    CHECKED_IN = "checked_in"
    NO_SHOW = "no_show"  #: its day closed without a check-in (``queueing.closing``)


class BookingSlot(db.Model):
    """One slot of one center's day; locked while a booking takes a place in it."""

    __tablename__ = "booking_slots"

    id: Mapped[int] = mapped_column(primary_key=True)
    center_id: Mapped[int] = mapped_column(ForeignKey("centers.id", ondelete="CASCADE"))
    service_date: Mapped[date]
    start_time: Mapped[time]
    booked: Mapped[int] = mapped_column(default=0)  #: open bookings holding a place

    __table_args__ = (
        UniqueConstraint("center_id", "service_date", "start_time"),
        CheckConstraint("booked >= 0", name="booked_nonnegative"),
    )


class Appointment(db.Model):
    """A resident's booking of a slot for one item, found again by code + phone."""

    __tablename__ = "appointments"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)  #: random, never derived from id
    center_id: Mapped[int] = mapped_column(ForeignKey("centers.id", ondelete="CASCADE"))
    service_item_id: Mapped[int] = mapped_column(ForeignKey("service_items.id"))
    service_date: Mapped[date]
    start_time: Mapped[time]
    end_time: Mapped[time]
    state: Mapped[AppointmentState] = mapped_column(
        str_enum(AppointmentState, "appointment_state"), default=AppointmentState.BOOKED
    )
    name: Mapped[str] = mapped_column(String(60))
    phone: Mapped[str] = mapped_column(String(20))  #: normalised: 11 digits
    id_number: Mapped[str | None] = mapped_column(String(18))
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime)
    cancelled_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    checked_in_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: the resident agreed to text messages about this booking (to its phone), at this time
    notify_consent_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    notify_locale: Mapped[str | None] = mapped_column(String(8))  #: the messages' language
    ticket_id: Mapped[int | None] = mapped_column(
        ForeignKey("tickets.id", ondelete="SET NULL"), unique=True
    )

    center: Mapped[Center] = relationship()
    service_item: Mapped[ServiceItem] = relationship()
    ticket: Mapped[Ticket | None] = relationship(back_populates="appointment")

    __table_args__ = (
        CheckConstraint("start_time < end_time", name="starts_before_end"),
        Index("ix_appointments_slot", "center_id", "service_date", "start_time", "state"),
        Index("ix_appointments_phone", "phone", "state"),
    )
