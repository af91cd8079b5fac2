"""Appointments and the per-slot row that serialises bookings of one slot."""

from __future__ import annotations

import enum
from datetime import date, datetime, time
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint, false, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import UTCDateTime, db, str_enum

if TYPE_CHECKING:
    from ..auth.models import User
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
    #: 帮办代办: the resident asked for help at the center (its ticket is marked at check-in)
    is_assisted: Mapped[bool] = mapped_column(default=False, server_default=false())
    #: the staff member who booked on the resident's behalf (a helper at a desk), if any
    helper_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
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


# -- fair booking: missed bookings and the bars they bring ---------------------------------


class BookingStrike(db.Model):
    """One missed booking (its day closed without a check-in), kept by keyed hashes only:
    what the bar counts once the booking itself is purged."""

    __tablename__ = "booking_strikes"

    id: Mapped[int] = mapped_column(primary_key=True)
    center_id: Mapped[int] = mapped_column(ForeignKey("centers.id", ondelete="CASCADE"))
    service_date: Mapped[date]  #: the booked day that was missed
    phone_key: Mapped[str] = mapped_column(String(32))  #: ``privacy.keyed_hash`` of the phone
    id_key: Mapped[str | None] = mapped_column(String(32))  #: …of the ID number, if given
    appointment_id: Mapped[int | None] = mapped_column(
        ForeignKey("appointments.id", ondelete="SET NULL"), unique=True
    )

    __table_args__ = (
        Index("ix_booking_strikes_phone", "center_id", "phone_key", "service_date"),
        Index("ix_booking_strikes_id", "center_id", "id_key", "service_date"),
    )


class BookingBar(db.Model):
    """No booking at a center for a phone and an ID number until ``until`` (exclusive):
    ``noshow_limit`` missed bookings within 30 days. A supervisor may lift it."""

    __tablename__ = "booking_bars"

    id: Mapped[int] = mapped_column(primary_key=True)
    center_id: Mapped[int] = mapped_column(ForeignKey("centers.id", ondelete="CASCADE"))
    phone_key: Mapped[str] = mapped_column(String(32))
    id_key: Mapped[str | None] = mapped_column(String(32))
    phone_hint: Mapped[str] = mapped_column(String(20), default="")  #: masked: 138****5678
    strikes: Mapped[int]  #: the missed bookings that brought it
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime)
    until: Mapped[date]  #: the first day the phone may book again
    lifted_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lifted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    center: Mapped[Center] = relationship()
    lifted_by: Mapped[User | None] = relationship()

    __table_args__ = (
        Index("ix_booking_bars_phone", "center_id", "phone_key", "until"),
        Index("ix_booking_bars_id", "center_id", "id_key", "until"),
    )


# -- the waiting list of a full day ------------------------------------------------------


class WaitlistState(enum.StrEnum):
    WAITING = "waiting"  #: in line for a place
    OFFERED = "offered"  #: a place is held for it until ``offer_expires_dt``
    BOOKED = "booked"  #: took the offer: ``appointment``
    EXPIRED = "expired"  #: let an offer lapse (or declined it)
    LEFT = "left"  #: left the list, or the day passed with no place freed


class WaitlistEntry(db.Model):
    """A resident in line for a place on a full day for one item (候补). A place freed there
    is offered by message to the first in line and held for the center's hold time; the
    held place counts in its slot like a booking, so it is never promised twice."""

    __tablename__ = "waitlist_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(32), unique=True)  #: in the offer's link
    center_id: Mapped[int] = mapped_column(ForeignKey("centers.id", ondelete="CASCADE"))
    service_item_id: Mapped[int] = mapped_column(ForeignKey("service_items.id"))
    service_date: Mapped[date]
    state: Mapped[WaitlistState] = mapped_column(
        str_enum(WaitlistState, "waitlist_state"), default=WaitlistState.WAITING
    )
    #: the booking's details, so taking an offer is one tap; erased with the bookings' data
    name: Mapped[str] = mapped_column(String(60))
    phone: Mapped[str] = mapped_column(String(20))
    id_number: Mapped[str | None] = mapped_column(String(18))
    locale: Mapped[str] = mapped_column(String(8), default="zh_CN")
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime)
    #: the slot held for it while OFFERED (and the one it booked)
    offer_start_time: Mapped[time | None]
    offered_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    offer_expires_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    appointment_id: Mapped[int | None] = mapped_column(
        ForeignKey("appointments.id", ondelete="SET NULL")
    )

    center: Mapped[Center] = relationship()
    service_item: Mapped[ServiceItem] = relationship()
    appointment: Mapped[Appointment | None] = relationship()

    __table_args__ = (
        # the line of a center's day, first come first
        Index("ix_waitlist_line", "center_id", "service_date", "state", "created_dt"),
        # one place in line per phone, item and day
        Index(
            "uq_waitlist_active_phone",
            "center_id",
            "service_date",
            "service_item_id",
            "phone",
            unique=True,
            sqlite_where=text("state IN ('waiting', 'offered')"),
            postgresql_where=text("state IN ('waiting', 'offered')"),
        ),
        CheckConstraint(
            "state <> 'offered' OR (offer_start_time IS NOT NULL AND offer_expires_dt IS NOT NULL)",
            name="offer_has_slot",
        ),
    )
