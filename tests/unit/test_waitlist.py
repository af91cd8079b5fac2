"""The waiting list of a full day (候补): joining, offers on a cancellation or a move, the hold
and its clamp, lapse, decline, taking the place, the held place closed to others, past days,
retention."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from service_center.booking import availability, fairness, retention, waitlist
from service_center.booking import services as booking
from service_center.booking.models import (
    Appointment,
    AppointmentState,
    BookingBar,
    WaitlistState,
)
from service_center.db import db
from service_center.errors import Invalid
from service_center.notifications.models import Notification, NotificationKind
from tests.fixtures.booking import BOOKING_NOW, TOMORROW
from tests.waitlist_support import (
    HALF_NINE,
    NINE,
    book,
    counter,
    fill,
    holding,
    join,
    local,
    reload,
    short_friday,
)

pytestmark = pytest.mark.usefixtures("english")

HOLD = timedelta(minutes=30)


@pytest.fixture
def full_day(world):
    """The short Friday (two slots of one place) fully booked: [09:00, 09:30]."""
    short_friday(world)
    return fill(world)


def offers() -> list[Notification]:
    return list(
        db.session.scalars(
            select(Notification)
            .where(Notification.kind == NotificationKind.OFFER)
            .order_by(Notification.id)
        )
    )


# -- joining ------------------------------------------------------------------------------


def test_a_day_with_a_free_time_cannot_be_joined(world):
    short_friday(world)
    book(world, NINE)
    with pytest.raises(waitlist.DayNotFull, match="still has free times"):
        join(world)


def test_a_full_day_is_joined_in_order(world, full_day):
    first, second = join(world), join(world, now=BOOKING_NOW + timedelta(seconds=1))
    assert first.state is WaitlistState.WAITING and len(first.token) == 16
    assert (waitlist.people_ahead(first), waitlist.people_ahead(second)) == (0, 1)


def test_one_phone_stands_once_in_a_line(world, full_day):
    join(world, phone="13911112222")
    with pytest.raises(booking.PhoneLimitReached, match="already on the waiting list"):
        join(world, phone="139 1111 2222")


def test_a_phone_that_booked_the_item_that_day_cannot_wait_for_it(world, full_day):
    with pytest.raises(booking.PhoneLimitReached, match="already has a booking"):
        join(world, phone=full_day[0].phone)


def test_joining_checks_the_personal_data(world, full_day):
    with pytest.raises(Invalid) as caught:
        join(world, phone="12345")
    assert caught.value.field == "phone"


def test_a_day_out_of_range_cannot_be_joined(world, full_day):
    with pytest.raises(Invalid) as caught:
        waitlist.join_waitlist(
            world.center,
            world.items.licence,
            TOMORROW + timedelta(days=60),
            name="李四",
            phone="13912345678",
            now=BOOKING_NOW,
        )
    assert caught.value.field == "date"


# -- offers -------------------------------------------------------------------------------


def test_a_cancellation_offers_the_place_to_the_first_in_line(world, full_day):
    first, second = join(world), join(world, now=BOOKING_NOW + timedelta(seconds=1))
    booking.cancel_appointment(full_day[1], now=BOOKING_NOW)
    db.session.commit()
    first, second = reload(first), reload(second)
    assert first.state is WaitlistState.OFFERED and second.state is WaitlistState.WAITING
    assert first.offer_start_time == HALF_NINE
    assert first.offer_expires_dt == BOOKING_NOW + HOLD
    assert counter(world.center.id, HALF_NINE) == 1  # held: still counted
    [message] = offers()
    assert message.key.startswith(f"offer:{first.id}:")
    assert "保留至 09:30" in message.body and first.token in message.body  # zh_CN: the default
    assert "李" not in message.body


def test_a_move_offers_the_place_it_leaves(world, full_day):
    entry = join(world)
    monday = TOMORROW + timedelta(days=3)
    booking.reschedule_appointment(full_day[0], monday, NINE, now=BOOKING_NOW)
    db.session.commit()
    entry = reload(entry)
    assert entry.state is WaitlistState.OFFERED and entry.offer_start_time == NINE
    assert counter(world.center.id, NINE) == 1


def test_the_held_place_is_not_bookable_by_others(world, full_day):
    join(world)
    booking.cancel_appointment(full_day[0], now=BOOKING_NOW)
    db.session.commit()
    _, slots = availability.list_slots(world.center, world.items.licence, TOMORROW, now=BOOKING_NOW)
    assert [s.remaining for s in slots] == [0, 0]
    with pytest.raises(booking.SlotFull):
        book(world, NINE)


def test_a_held_place_counts_against_the_items_own_capacity(world):
    short_friday(world, capacity=2)
    project = world.items.project
    project.slot_capacity = 1
    db.session.commit()
    taken = [book(world, NINE, project), book(world, NINE), book(world, HALF_NINE, project)]
    book(world, HALF_NINE)
    entry = join(world, project)
    booking.cancel_appointment(taken[0], now=BOOKING_NOW)
    db.session.commit()
    assert reload(entry).state is WaitlistState.OFFERED
    _, slots = availability.list_slots(world.center, project, TOMORROW, now=BOOKING_NOW)
    assert [s.remaining for s in slots] == [0, 0]
    with pytest.raises(booking.SlotFull):
        book(world, NINE, project)


def test_the_first_whose_item_fits_the_slot_gets_it(world):
    short_friday(world, capacity=2)
    project = world.items.project
    project.slot_capacity = 1
    db.session.commit()
    book(world, NINE, project)
    licence_at_nine = book(world, NINE)
    book(world, HALF_NINE, project)
    book(world, HALF_NINE)
    waits_for_project = join(world, project)
    waits_for_licence = join(world, now=BOOKING_NOW + timedelta(seconds=1))
    booking.cancel_appointment(licence_at_nine, now=BOOKING_NOW)  # 09:00 still has a project
    db.session.commit()
    assert reload(waits_for_project).state is WaitlistState.WAITING
    assert reload(waits_for_licence).state is WaitlistState.OFFERED


def test_the_hold_ends_at_the_slots_start_at_the_latest(world, full_day):
    entry = join(world)
    at = local(9, 10)  # Friday 09:10: the 09:30 booking is cancelled
    booking.cancel_appointment(full_day[1], now=at)
    db.session.commit()
    assert reload(entry).offer_expires_dt == local(9, 30)


def test_a_slot_that_has_begun_is_not_offered(world, full_day):
    entry = join(world)
    assert waitlist.offer_freed_place(world.center.id, TOMORROW, NINE, now=local(9, 0)) is None
    assert reload(entry).state is WaitlistState.WAITING


def test_a_place_freed_in_the_quiet_hours_is_held_from_their_end(world, full_day):
    entry = join(world)
    night = local(22, 0, day=TOMORROW - timedelta(days=1))  # Thursday 22:00
    booking.cancel_appointment(full_day[0], now=night)
    db.session.commit()
    assert reload(entry).offer_expires_dt == local(8, 30)
    [message] = offers()
    assert message.next_attempt_dt == local(8, 0)


def test_nobody_in_line_leaves_the_place_free(world, full_day):
    booking.cancel_appointment(full_day[0], now=BOOKING_NOW)
    db.session.commit()
    assert counter(world.center.id, NINE) == 0


# -- decline, lapse, leave ----------------------------------------------------------------


def test_a_lapsed_offer_passes_to_the_next_in_line(world, full_day):
    first, second = join(world), join(world, now=BOOKING_NOW + timedelta(seconds=1))
    booking.cancel_appointment(full_day[0], now=BOOKING_NOW)
    db.session.commit()
    assert waitlist.expire_offers(now=BOOKING_NOW + HOLD - timedelta(seconds=1)).expired == 0
    db.session.rollback()
    later = BOOKING_NOW + HOLD
    sweep = waitlist.expire_offers(now=later)
    db.session.commit()
    assert (sweep.expired, sweep.offered, sweep.ended) == (1, 1, 0)
    first, second = reload(first), reload(second)
    assert first.state is WaitlistState.EXPIRED and first.ended_dt == later
    assert second.state is WaitlistState.OFFERED and second.offer_expires_dt == later + HOLD
    assert counter(world.center.id, NINE) == 1 == holding(world.center.id, NINE)


def test_the_last_lapsed_offer_frees_the_place_for_anyone(world, full_day):
    join(world)
    booking.cancel_appointment(full_day[0], now=BOOKING_NOW)
    db.session.commit()
    waitlist.expire_offers(now=BOOKING_NOW + HOLD)
    db.session.commit()
    assert counter(world.center.id, NINE) == 0
    book(world, NINE, now=BOOKING_NOW + HOLD)


def test_a_declined_offer_goes_to_the_next_in_line(world, full_day):
    first, second = join(world), join(world, now=BOOKING_NOW + timedelta(seconds=1))
    booking.cancel_appointment(full_day[0], now=BOOKING_NOW)
    db.session.commit()
    waitlist.decline_offer(first.token, now=BOOKING_NOW + timedelta(minutes=1))
    db.session.commit()
    assert reload(first).state is WaitlistState.EXPIRED
    assert reload(second).state is WaitlistState.OFFERED
    assert counter(world.center.id, NINE) == 1


def test_leaving_with_an_offer_passes_it_on_and_a_waiting_entry_just_leaves(world, full_day):
    first, second = join(world), join(world, now=BOOKING_NOW + timedelta(seconds=1))
    waitlist.leave_waitlist(second.token, now=BOOKING_NOW)
    db.session.commit()
    booking.cancel_appointment(full_day[0], now=BOOKING_NOW)
    db.session.commit()
    waitlist.leave_waitlist(first.token, now=BOOKING_NOW)
    db.session.commit()
    assert reload(first).state is reload(second).state is WaitlistState.LEFT
    assert counter(world.center.id, NINE) == 0
    with pytest.raises(waitlist.Conflict, match="already ended"):
        waitlist.leave_waitlist(first.token, now=BOOKING_NOW)


def test_entries_of_a_past_day_end(world, full_day):
    entry = join(world)
    sweep = waitlist.expire_offers(now=local(23, 0))  # Friday evening: still its day
    assert sweep.ended == 0
    db.session.rollback()
    sweep = waitlist.expire_offers(now=local(0, 5, day=TOMORROW + timedelta(days=1)))
    db.session.commit()
    assert sweep.ended == 1 and reload(entry).state is WaitlistState.LEFT


# -- taking the place ---------------------------------------------------------------------


def test_taking_the_offer_books_the_held_place_once(world, full_day):
    entry = join(world, id_number="11010519491231002X", locale="en")
    booking.cancel_appointment(full_day[0], now=BOOKING_NOW)
    db.session.commit()
    at = BOOKING_NOW + timedelta(minutes=5)
    appointment = waitlist.accept_offer(entry.token, now=at)
    db.session.commit()
    entry = reload(entry)
    assert entry.state is WaitlistState.BOOKED and entry.appointment_id == appointment.id
    assert appointment.state is AppointmentState.BOOKED and appointment.start_time == NINE
    assert (appointment.name, appointment.phone) == (entry.name, entry.phone)
    assert appointment.notify_consent_dt == at and appointment.notify_locale == "en"
    assert appointment.end_time == HALF_NINE
    assert counter(world.center.id, NINE) == 1 == holding(world.center.id, NINE)
    booked = db.session.scalars(
        select(Notification).where(Notification.kind == NotificationKind.BOOKED)
    ).all()
    assert [n.appointment_id for n in booked] == [appointment.id]
    with pytest.raises(waitlist.OfferClosed, match="already taken"):
        waitlist.accept_offer(entry.token, now=at)


def test_a_lapsed_offer_cannot_be_taken(world, full_day):
    entry = join(world)
    booking.cancel_appointment(full_day[0], now=BOOKING_NOW)
    db.session.commit()
    with pytest.raises(waitlist.OfferClosed, match="has ended"):
        waitlist.accept_offer(entry.token, now=BOOKING_NOW + HOLD)
    db.session.rollback()
    assert db.session.scalar(select(Appointment.id).where(Appointment.phone == entry.phone)) is None


def test_a_phone_over_its_limit_keeps_the_offer_until_it_lapses(world, full_day, app):
    app.config["BOOKING_MAX_OPEN_PER_PHONE"] = 1
    entry = join(world)
    monday = TOMORROW + timedelta(days=3)
    booking.book_appointment(
        world.center,
        world.items.food,
        monday,
        NINE,
        name="李四",
        phone=entry.phone,
        now=BOOKING_NOW,
    )
    db.session.commit()
    booking.cancel_appointment(full_day[0], now=BOOKING_NOW)
    db.session.commit()
    with pytest.raises(booking.PhoneLimitReached):
        waitlist.accept_offer(entry.token, now=BOOKING_NOW)
    db.session.rollback()
    assert reload(entry).state is WaitlistState.OFFERED


def test_a_resident_who_booked_meanwhile_leaves_the_line_at_the_offer(world, full_day):
    booked_meanwhile, next_in_line = (
        join(world),
        join(world, now=BOOKING_NOW + timedelta(seconds=1)),
    )
    world.center.slot_capacity = 2  # the center adds places: anyone may book them
    db.session.commit()
    booking.book_appointment(
        world.center,
        world.items.licence,
        TOMORROW,
        NINE,
        name="李四",
        phone=booked_meanwhile.phone,
        now=BOOKING_NOW,
    )
    book(world, HALF_NINE)
    db.session.commit()
    booking.cancel_appointment(full_day[1], now=BOOKING_NOW)
    db.session.commit()
    assert reload(booked_meanwhile).state is WaitlistState.LEFT
    assert reload(next_in_line).state is WaitlistState.OFFERED


def bar(world, phone: str) -> None:
    """Missed bookings bar ``phone`` at the center for a week (``fairness``)."""
    phone_key, id_key = fairness.keys_of(phone, None)
    db.session.add(
        BookingBar(
            center_id=world.center.id,
            phone_key=phone_key,
            id_key=id_key,
            strikes=3,
            created_dt=BOOKING_NOW,
            until=TOMORROW + timedelta(days=7),
        )
    )
    db.session.commit()


def test_a_barred_phone_can_neither_join_nor_take_an_offer(world, full_day):
    bar(world, "13955556666")
    with pytest.raises(fairness.BookingBarred):
        join(world, phone="13955556666")
    db.session.rollback()
    entry = join(world)
    booking.cancel_appointment(full_day[0], now=BOOKING_NOW)
    db.session.commit()
    bar(world, entry.phone)
    with pytest.raises(fairness.BookingBarred):
        waitlist.accept_offer(entry.token, now=BOOKING_NOW)


def test_a_barred_entry_keeps_its_place_but_the_offer_goes_to_the_next(world, full_day):
    barred, next_in_line = join(world), join(world, now=BOOKING_NOW + timedelta(seconds=1))
    bar(world, barred.phone)
    booking.cancel_appointment(full_day[0], now=BOOKING_NOW)
    db.session.commit()
    assert reload(barred).state is WaitlistState.WAITING
    assert reload(next_in_line).state is WaitlistState.OFFERED


# -- retention ----------------------------------------------------------------------------


def test_retention_erases_the_entries_personal_data(world, full_day, app):
    entry = join(world, id_number="11010519491231002X")
    later = BOOKING_NOW + timedelta(days=app.config["BOOKING_RETENTION_DAYS"] + 2)
    done = retention.purge_personal_data(now=later)
    db.session.commit()
    entry = reload(entry)
    assert done.waitlist_entries == 1
    assert entry.name == "李*" and "*" in entry.phone and entry.id_number is None
    assert entry.state is WaitlistState.LEFT
    assert retention.purge_personal_data(now=later).waitlist_entries == 0
