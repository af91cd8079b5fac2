"""帮办代办: a resident asks for help at the kiosk or when booking; the ticket is marked, the
desk sees it, the reports count it; a helper on the center's staff books on someone's behalf
and is recorded."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from service_center.booking import services as booking
from service_center.db import db
from service_center.queueing import services
from service_center.reports.scope import Scope
from service_center.reports.services import compute_figures
from tests.fixtures.queueing import OPENING_MORNING

pytestmark = pytest.mark.usefixtures("english")

CHECK_IN = datetime(2026, 11, 27, 1, 0, tzinfo=UTC)  # Friday 09:00 in Shanghai


def test_a_walk_in_who_asks_for_help_is_marked(world, open_windows, clock):
    helped = services.issue_walk_in(
        "testtown", world.items.licence.id, now=clock.now, assisted=True
    )
    plain = services.issue_walk_in("testtown", world.items.licence.id, now=clock.now)
    db.session.commit()
    assert helped.is_assisted and not plain.is_assisted
    # asking for help does not move anyone: the queue's order is the issue order
    called = services.call_next_ticket(world.windows.business, now=clock.advance(minutes=1))
    assert called.id == helped.id


def test_a_booking_that_asks_for_help_checks_in_as_an_assisted_ticket(world, create_appointment):
    appointment = create_appointment(assisted=True)
    assert appointment.is_assisted and appointment.helper_id is None
    ticket = booking.check_in(appointment.code, now=CHECK_IN)
    db.session.commit()
    assert ticket.is_booked and ticket.is_assisted


def test_a_clerk_booking_for_a_resident_is_recorded_as_the_helper(world, create_appointment):
    appointment = create_appointment(helper=world.users.clerk)
    assert appointment.is_assisted and appointment.helper_id == world.users.clerk.id


def test_staff_of_another_center_book_as_anyone_does(world, create_appointment):
    appointment = create_appointment(helper=world.users.other_clerk)
    assert not appointment.is_assisted and appointment.helper_id is None


def test_reports_count_assisted_tickets_whatever_their_channel(world, create_appointment, clock):
    services.issue_walk_in("testtown", world.items.licence.id, now=clock.now, assisted=True)
    services.issue_walk_in("testtown", world.items.licence.id, now=clock.now)
    db.session.commit()
    day = OPENING_MORNING.date()
    figures = compute_figures(Scope((world.center,)), day, day, live=True)
    assert (figures.tickets_issued, figures.tickets_assisted) == (2, 1)
    (business,) = [t for t in figures.case_types if t.case_type.code == "business"]
    assert business.tickets_assisted == 1
