"""Fair booking: missed bookings bring a warning, then a bar from booking at the center.

Local practice (Quanzhou and others): a warning after the first missed booking, and no booking
for a while after ``Center.noshow_limit`` (default 2) within 30 days, so scarce slots go to
people who come. A bar holds for ``Center.noshow_bar_days`` (default 30) against the phone and
the ID number of the missed bookings; a supervisor may lift it. Strikes and bars keep keyed
hashes (``privacy.keyed_hash``) and the phone's last four digits only, so they outlive the
purge of the bookings without keeping who they were about.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select

from .. import audit
from ..catalogue.models import Center
from ..clock import local_date
from ..db import db
from ..errors import Forbidden, NotFound
from ..privacy import keyed_hash
from . import signals
from .models import Appointment, BookingBar, BookingStrike

#: the days over which missed bookings add up to a bar
STRIKE_WINDOW_DAYS = 30


class BookingBarred(Forbidden):
    default_message = _l("This phone number or ID number cannot book at this center now.")


@dataclass(frozen=True)
class Missed:
    """What came of one missed booking: a warning, a bar, or neither (the center bars nobody)."""

    appointment: Appointment
    strikes: int  #: its person's missed bookings within the window, this one included
    bar: BookingBar | None = None


def keys_of(phone: str, id_number: str | None) -> tuple[str, str | None]:
    """The keyed hashes strikes and bars are found by."""
    return keyed_hash(phone), keyed_hash(id_number) if id_number else None


def _matches(model, phone_key: str, id_key: str | None):
    return (
        or_(model.phone_key == phone_key, model.id_key == id_key)
        if id_key
        else (model.phone_key == phone_key)
    )


def active_bar(
    center_id: int, phone: str, id_number: str | None, *, today: date
) -> BookingBar | None:
    """The bar (not lifted, not yet over on ``today``) on this phone or ID number, if any."""
    phone_key, id_key = keys_of(phone, id_number)
    return db.session.scalar(
        select(BookingBar)
        .where(
            BookingBar.center_id == center_id,
            _matches(BookingBar, phone_key, id_key),
            BookingBar.until > today,
            BookingBar.lifted_dt.is_(None),
        )
        .order_by(BookingBar.until.desc())
        .limit(1)
    )


def check_not_barred(center: Center, phone: str, id_number: str | None, *, today: date) -> None:
    """:raises BookingBarred: (on the field ``phone``) naming the first day booking is open
    again, when a bar holds."""
    bar = active_bar(center.id, phone, id_number, today=today)
    if bar is not None:
        raise BookingBarred(
            _(
                "After %(n)d missed bookings within %(days)d days, this phone number or ID "
                "number cannot book at this center until %(until)s. Walk-in tickets at the "
                "kiosk are still open to you.",
                n=bar.strikes,
                days=STRIKE_WINDOW_DAYS,
                until=format_date(bar.until, "long"),
            ),
            field="phone",
        )


def record_missed(
    center: Center, appointments: Iterable[Appointment], *, now: datetime
) -> list[Missed]:
    """Count each missed booking against its phone and ID number; warn, or bar at the
    center's limit (signals ``booking_warned`` / ``booking_barred``, audited)."""
    today = local_date(now, center.timezone)
    outcomes = []
    for appointment in appointments:
        phone_key, id_key = keys_of(appointment.phone, appointment.id_number)
        db.session.add(
            BookingStrike(
                center_id=center.id,
                service_date=appointment.service_date,
                phone_key=phone_key,
                id_key=id_key,
                appointment_id=appointment.id,
            )
        )
        db.session.flush()
        since = today - timedelta(days=STRIKE_WINDOW_DAYS)
        strikes = db.session.scalar(
            select(func.count())
            .select_from(BookingStrike)
            .where(
                BookingStrike.center_id == center.id,
                _matches(BookingStrike, phone_key, id_key),
                BookingStrike.service_date > since,
            )
        )
        audit.record(
            "booking.missed",
            actor=None,
            now=now,
            object_type="appointment",
            object_label=appointment.code,
            center_id=center.id,
            after={"day": appointment.service_date.isoformat(), "strikes": strikes},
        )
        limit = center.noshow_limit
        bar = None
        if limit and strikes >= limit:
            bar = active_bar(center.id, appointment.phone, appointment.id_number, today=today)
            if bar is None:
                bar = BookingBar(
                    center_id=center.id,
                    phone_key=phone_key,
                    id_key=id_key,
                    phone_hint=appointment.phone[-4:],
                    strikes=strikes,
                    created_dt=now,
                    until=today + timedelta(days=center.noshow_bar_days),
                )
                db.session.add(bar)
                audit.record(
                    "booking.bar",
                    actor=None,
                    now=now,
                    obj=bar,
                    object_label=f"*{bar.phone_hint}",
                    after={"strikes": strikes, "until": bar.until.isoformat()},
                )
                signals.booking_barred.send(appointment, bar=bar, now=now)
        elif limit:
            signals.booking_warned.send(appointment, strikes=strikes, limit=limit, now=now)
        outcomes.append(Missed(appointment, strikes, bar))
    return outcomes


def list_bars(center: Center, *, today: date, phone: str | None = None) -> list[BookingBar]:
    """The center's bars still holding on ``today`` (lifted ones too, marked), newest first;
    with ``phone`` (a phone or an ID number as typed), only its own."""
    stmt = (
        select(BookingBar)
        .where(BookingBar.center_id == center.id, BookingBar.until > today)
        .order_by(BookingBar.created_dt.desc())
    )
    if phone:
        key = keyed_hash(phone.strip())
        stmt = stmt.where(or_(BookingBar.phone_key == key, BookingBar.id_key == key))
    return list(db.session.scalars(stmt.limit(200)))


def lift_bar(center: Center, bar_id: int, *, actor: object, now: datetime) -> BookingBar:
    """A supervisor lifts a bar: the phone and ID number may book again at once (audited).

    :raises NotFound: for a bar of another center or none.
    """
    bar = db.session.get(BookingBar, bar_id, with_for_update=True)
    if bar is None or bar.center_id != center.id:
        raise NotFound(_("No such bar."))
    if bar.lifted_dt is None:
        bar.lifted_dt = now
        bar.lifted_by_id = getattr(actor, "id", None)
        audit.record(
            "booking.bar.lift",
            actor=actor,
            now=now,
            obj=bar,
            object_label=f"*{bar.phone_hint}",
            before={"lifted": False},
            after={"lifted": True},
        )
    return bar
