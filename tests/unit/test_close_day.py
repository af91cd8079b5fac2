"""The end of the day (``queueing.closing``): windows signed off, tickets left unserved,
bookings never checked in made no-shows; at closing time, across midnight, on a closed day,
on a make-up working weekend and in a year the holiday library does not know."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import chinese_calendar
import pytest
from sqlalchemy import func, select

from service_center.audit import AuditRecord
from service_center.booking import availability
from service_center.booking import services as booking
from service_center.booking.models import AppointmentState
from service_center.db import db
from service_center.desk import services as desk
from service_center.queueing import services
from service_center.queueing.closing import close_day, closed_through, closing_time
from service_center.queueing.models import (
    Case,
    EventKind,
    Outcome,
    Ticket,
    TicketEvent,
    TicketState,
)
from service_center.reports.scope import Scope
from service_center.reports.services import compute_figures
from service_center.windows.models import WindowState

FRIDAY = date(2026, 11, 27)
#: Friday 27 November 2026 in Shanghai (UTC+8): testtown opens 9–12 and 13:30–17:30
CLOSING = datetime(2026, 11, 27, 9, 30, tzinfo=UTC)  # 17:30 local
AFTERNOON = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)  # 16:00 local


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), UTC) - timedelta(hours=8)


def events(ticket: Ticket, kind: EventKind) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(TicketEvent)
        .where(TicketEvent.ticket_id == ticket.id, TicketEvent.kind == kind)
    )


@pytest.fixture
def hall_at_closing(world, clock):
    """Friday afternoon: clerks at windows 1–3; at window 1 a ticket called, at window 2 one
    being served, two more waiting; a booking checked in and one that never came."""
    clock.now = local(FRIDAY, 15)
    users, windows, items = world.users, world.windows, world.items
    desk.sign_on(windows.business, users.clerk, now=clock.now)
    desk.sign_on(windows.mixed, users.clerk2, now=clock.now)
    desk.sign_on(windows.livelihood, users.supervisor, now=clock.now)
    db.session.commit()
    for item in (items.licence, items.project, items.licence, items.marriage):
        services.issue_ticket(world.center, item, now=clock.advance(minutes=1))
    db.session.commit()
    called = services.call_next_ticket(windows.business, now=clock.advance(minutes=1))
    db.session.commit()
    serving = services.call_next_ticket(windows.mixed, now=clock.advance(minutes=1))
    services.start_ticket(serving, now=clock.now)
    db.session.commit()
    # the livelihood window serves its ticket; one business ticket waits behind window 1
    done = services.call_next_ticket(windows.livelihood, now=clock.advance(minutes=1))
    services.start_ticket(done, now=clock.now)
    services.complete_ticket(done, now=clock.advance(minutes=3), outcome=Outcome.COMPLETED)
    db.session.commit()
    came = booking.book_appointment(
        world.center,
        items.licence,
        FRIDAY,
        time(9),
        name="张三",
        phone="13800000001",
        now=local(FRIDAY, 8) - timedelta(days=1),
    )
    missed = booking.book_appointment(
        world.center,
        items.licence,
        FRIDAY,
        time(9, 30),
        name="李四",
        phone="13800000002",
        now=local(FRIDAY, 8) - timedelta(days=1),
    )
    db.session.commit()
    booking.check_in(came.code, now=local(FRIDAY, 8, 55))  # its ticket waits too
    db.session.commit()
    waiting = list(db.session.scalars(select(Ticket).where(Ticket.state == TicketState.WAITING)))
    return called, serving, waiting, came, missed


def test_closing_time_is_the_end_of_the_last_period(world):
    assert closing_time(world.center, FRIDAY) == datetime(
        2026, 11, 27, 17, 30, tzinfo=closing_time(world.center, FRIDAY).tzinfo
    )
    assert closing_time(world.center, date(2026, 11, 28)) is None  # Saturday
    assert closed_through(world.center, local(FRIDAY, 17, 29)) == FRIDAY - timedelta(days=1)
    assert closed_through(world.center, local(FRIDAY, 17, 30)) == FRIDAY
    # at lunch (12:00–13:30) the day is not over
    assert closed_through(world.center, local(FRIDAY, 12, 30)) == FRIDAY - timedelta(days=1)
    # a closed day has ended from its first minute; midnight starts the next
    assert closed_through(world.center, local(date(2026, 11, 28), 0, 5)) == date(2026, 11, 28)
    assert closed_through(world.center, local(date(2026, 11, 30), 0, 5)) == date(2026, 11, 29)


def test_at_closing_time_the_queue_ends_and_the_windows_sign_off(world, hall_at_closing):
    called, serving, waiting, came, missed = hall_at_closing
    assert len(waiting) == 2 and came.ticket in waiting

    done = close_day(world.center, now=CLOSING)
    db.session.commit()

    assert done.through == FRIDAY
    assert sorted(done.unserved) == sorted([called.number, *(t.number for t in waiting)])
    for ticket in (called, *waiting):
        db.session.refresh(ticket)
        assert ticket.state is TicketState.UNSERVED
        assert ticket.finished_dt == CLOSING
        assert events(ticket, EventKind.UNSERVED) == 1
    # the resident being served stays with the clerk, whose window stays signed on
    db.session.refresh(serving)
    assert serving.state is TicketState.SERVING
    windows = world.windows
    assert done.windows == [windows.business.number, windows.livelihood.number]
    for window in (windows.business, windows.livelihood):
        db.session.refresh(window)
        assert window.clerk_id is None and window.state is WindowState.CLOSED
    db.session.refresh(windows.mixed)
    assert windows.mixed.clerk_id == world.users.clerk2.id
    # bookings: the one that never came is a no-show, the checked-in one is untouched
    db.session.refresh(came)
    db.session.refresh(missed)
    assert came.state is AppointmentState.CHECKED_IN
    assert missed.state is AppointmentState.NO_SHOW
    assert done.others == {"bookings_no_show": 1}
    record = db.session.scalar(select(AuditRecord).where(AuditRecord.action == "day.close"))
    assert record.actor_name == "close-day"
    assert record.changes["tickets_unserved"][1] == sorted(done.unserved)

    # the clerk finishes the case after closing: it counts on its own day
    case = services.complete_ticket(
        serving, now=CLOSING + timedelta(minutes=8), outcome=Outcome.COMPLETED
    )
    db.session.commit()
    assert case.service_date == FRIDAY
    # the next run signs that window off too; then nothing is left
    later = close_day(world.center, now=CLOSING + timedelta(minutes=10))
    db.session.commit()
    assert later.windows == [windows.mixed.number] and later.unserved == []
    again = close_day(world.center, now=CLOSING + timedelta(minutes=15))
    db.session.commit()
    assert not again.changed
    assert (
        db.session.scalar(
            select(func.count()).select_from(AuditRecord).where(AuditRecord.action == "day.close")
        )
        == 2
    )


def test_the_report_counts_unserved_beside_completed_and_no_show(world, hall_at_closing):
    called, serving, waiting, came, missed = hall_at_closing
    scope = Scope((world.center,))
    before = compute_figures(scope, FRIDAY - timedelta(days=1), FRIDAY)  # stores a summary
    assert before.unserved == 0
    close_day(world.center, now=CLOSING)
    db.session.commit()
    for figures in (
        compute_figures(scope, FRIDAY, FRIDAY),
        compute_figures(scope, FRIDAY - timedelta(days=1), FRIDAY),  # the summary was dropped
    ):
        assert figures.unserved == 3
        by_type = {t.case_type.code: t.unserved for t in figures.case_types}
        assert by_type == {"business": 3, "investment": 0, "livelihood": 0}
        assert figures.cases_total == 1
        assert figures.tickets_issued == 5  # 4 walk-ins and the checked-in booking


def test_before_closing_time_only_earlier_days_are_cleared(world, clock):
    thursday = FRIDAY - timedelta(days=1)
    users, windows, items = world.users, world.windows, world.items
    desk.sign_on(windows.business, users.clerk, now=local(thursday, 9))
    db.session.commit()
    left = services.issue_ticket(world.center, items.licence, now=local(thursday, 16))
    services.call_next_ticket(windows.business, now=local(thursday, 16, 5))
    services.start_ticket(left, now=local(thursday, 16, 6))
    forgotten = services.issue_ticket(world.center, items.marriage, now=local(thursday, 16, 10))
    db.session.commit()
    # Friday morning, before opening: yesterday's serving ticket is still at window 1
    desk.sign_on(windows.livelihood, users.supervisor, now=local(FRIDAY, 8, 50))
    today = services.issue_ticket(world.center, items.marriage, now=local(FRIDAY, 9))
    db.session.commit()

    done = close_day(world.center, now=local(FRIDAY, 9, 1))
    db.session.commit()

    assert done.through == thursday
    assert sorted(done.unserved) == sorted([left.number, forgotten.number])
    db.session.refresh(left)
    assert left.state is TicketState.UNSERVED  # the day is over: no case on the wrong day
    assert db.session.scalar(select(func.count()).select_from(Case)) == 0
    assert done.windows == [windows.business.number]
    db.session.refresh(windows.livelihood)
    db.session.refresh(today)
    assert windows.livelihood.clerk_id == users.supervisor.id  # signed on this morning
    assert today.state is TicketState.WAITING
    # today's queue holds only today's ticket, numbered from 1 again
    queue = services.window_queue(windows.livelihood, now=local(FRIDAY, 9, 1))
    assert [t.id for t in queue] == [today.id]
    assert today.number.endswith("001")


def test_across_midnight_a_ticket_served_late_ends_unserved(world):
    users, windows, items = world.users, world.windows, world.items
    desk.sign_on(windows.business, users.clerk, now=local(FRIDAY, 17))
    ticket = services.issue_ticket(world.center, items.licence, now=local(FRIDAY, 17, 20))
    services.call_next_ticket(windows.business, now=local(FRIDAY, 17, 21))
    services.start_ticket(ticket, now=local(FRIDAY, 17, 22))
    db.session.commit()
    assert close_day(world.center, now=local(FRIDAY, 23, 59)).unserved == []
    db.session.commit()
    done = close_day(world.center, now=local(FRIDAY + timedelta(days=1), 0, 1))
    db.session.commit()
    assert done.unserved == [ticket.number] and done.windows == [windows.business.number]
    with pytest.raises(services.InvalidTransition):
        services.complete_ticket(
            ticket, now=local(FRIDAY + timedelta(days=1), 8), outcome=Outcome.COMPLETED
        )


def test_on_a_closed_day_everything_left_is_closed_at_once(world):
    """A holiday has no closing time; a center closed at noon for the rest of the day (a power
    cut) has ended: the next run closes its queue at once."""
    assert closing_time(world.center, date(2026, 10, 1)) is None  # 国庆节
    ticket = services.issue_ticket(world.center, world.items.licence, now=local(FRIDAY, 10))
    db.session.commit()
    assert close_day(world.center, now=local(FRIDAY, 12)).unserved == []
    availability.set_center_day(
        world.center, FRIDAY, is_open=False, reason_zh="停电", reason_en="Power cut"
    )
    db.session.commit()
    done = close_day(world.center, now=local(FRIDAY, 12, 5))
    db.session.commit()
    assert done.through == FRIDAY and done.unserved == [ticket.number]


def test_a_make_up_working_weekend_closes_at_the_monday_hours(world):
    """调休: a weekend the nation works opens with Monday's hours and closes with them."""
    year = 2026
    make_up = next(
        day
        for day in (date(year, 1, 1) + timedelta(days=n) for n in range(365))
        if day.weekday() >= 5 and chinese_calendar.is_workday(day)
    )
    assert closing_time(world.center, make_up).time() == time(17, 30)
    assert closed_through(world.center, local(make_up, 17)) == make_up - timedelta(days=1)
    assert closed_through(world.center, local(make_up, 17, 30)) == make_up


def test_a_year_the_holiday_library_does_not_know(world):
    """2031: weekdays by the statutory rule; the day closes at the center's hours."""
    day = date(2031, 3, 12)  # a Wednesday
    assert closing_time(world.center, day).time() == time(17, 30)
    ticket = services.issue_ticket(world.center, world.items.licence, now=local(day, 10))
    db.session.commit()
    assert close_day(world.center, now=local(day, 17)).unserved == []
    assert close_day(world.center, now=local(day, 18)).unserved == [ticket.number]


def test_close_day_command_is_idempotent(app, runner, world, hall_at_closing, monkeypatch):
    monkeypatch.setattr("service_center.queueing.cli.now_utc", lambda: CLOSING)
    first = runner.invoke(args=["close-day", "--center", "testtown"])
    assert first.exit_code == 0, first.output
    assert "testtown: closed through 2026-11-27; windows signed off: 1, 3; " in first.output
    assert "tickets unserved: 3; bookings no show: 1." in first.output
    again = runner.invoke(args=["close-day"])
    assert again.exit_code == 0, again.output
    assert "testtown: closed through 2026-11-27; nothing was left open." in again.output
    assert "otherville: closed through 2026-11-27; nothing was left open." in again.output
    unknown = runner.invoke(args=["close-day", "--center", "nowhere"])
    assert unknown.exit_code == 2 and "no center has the code 'nowhere'" in unknown.output


def test_the_closed_days_numbers_for_messages_are_erased(world, clock):
    """到号提醒: a no-show that never came back keeps no number past its day."""
    desk.sign_on(world.windows.business, world.users.clerk, now=local(FRIDAY, 9))
    ticket = services.issue_ticket(
        world.center, world.items.licence, now=local(FRIDAY, 10), notify_address="13912345678"
    )
    services.call_next_ticket(world.windows.business, now=local(FRIDAY, 10, 1))
    services.recall_ticket(ticket, now=local(FRIDAY, 10, 2))
    services.mark_no_show(ticket, now=local(FRIDAY, 10, 3))
    db.session.commit()
    assert ticket.notify_address == "13912345678"  # it may still requeue
    close_day(world.center, now=CLOSING)
    db.session.commit()
    db.session.refresh(ticket)
    assert ticket.notify_address is None
