"""Service-level limits (服务时限预警): breaches open once, are extended, end, are told to the
supervisor on duty once, and count in the day's minutes clipped to the day."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from service_center.db import db
from service_center.notifications.models import Notification, NotificationKind
from service_center.quality.models import Breach, BreachKind, WaitLimit
from service_center.quality.service_levels import check_service_levels, day_breaches
from service_center.queueing import services
from tests.processes import CONTEXT
from tests.unit.test_queue_races import run_workers


@pytest.fixture
def limited(world):
    """testtown: business tickets may wait 30 minutes."""
    db.session.add(
        WaitLimit(
            center_id=world.center.id, case_type_id=world.case_types["business"].id, minutes=30
        )
    )
    db.session.commit()
    return world.center


def breaches() -> list[Breach]:
    return list(db.session.scalars(select(Breach).order_by(Breach.id)))


def breach_messages() -> list[Notification]:
    return list(
        db.session.scalars(select(Notification).where(Notification.kind == NotificationKind.BREACH))
    )


def test_a_long_wait_opens_one_breach_extended_until_the_ticket_is_called(
    limited, world, clock, issue, open_windows
):
    first = issue(world.items.licence_change)
    second = issue(world.items.licence_change)
    start = first.issued_dt
    assert check_service_levels(limited, start + timedelta(minutes=30)) == []

    [breach] = check_service_levels(limited, start + timedelta(minutes=31))
    db.session.commit()
    assert breach.kind is BreachKind.WAIT
    assert breach.subject == f"wait:{world.case_types['business'].id}"
    assert breach.started_dt == start + timedelta(minutes=30)
    assert (breach.tickets, breach.worst_value) == (first.number, 31)

    [again] = check_service_levels(limited, start + timedelta(minutes=40))
    db.session.commit()
    assert again.id == breach.id
    assert again.tickets == f"{first.number},{second.number}"
    assert again.worst_value == 40

    services.call_next_ticket(world.windows.business, now=start + timedelta(minutes=41))
    services.call_next_ticket(world.windows.mixed, now=start + timedelta(minutes=41))
    db.session.commit()
    assert check_service_levels(limited, start + timedelta(minutes=42)) == []
    db.session.commit()
    [ended] = breaches()
    assert ended.ended_dt == start + timedelta(minutes=42)
    assert breach_messages() == []  # no duty contact: nobody is told


def test_the_supervisor_on_duty_is_told_once_per_breach(limited, world, clock, issue):
    limited.duty_contact = "13912345678"
    db.session.commit()
    ticket = issue(world.items.licence_change)
    for minutes in (31, 32, 45):
        check_service_levels(limited, ticket.issued_dt + timedelta(minutes=minutes))
        db.session.commit()
    [message] = breach_messages()
    assert message.key == f"breach:{breaches()[0].id}"
    assert message.channel.value == "sms"
    assert "30" in message.body and "10:30" in message.body
    assert ticket.number not in message.body  # the numbers are on the live floor only


def test_a_long_queue_is_a_breach_from_the_check_that_sees_it(world, clock, issue):
    world.center.queue_limit = 2
    db.session.commit()
    for _ in range(3):
        issue(world.items.marriage)
    [breach] = check_service_levels(world.center, clock.now)
    assert (breach.kind, breach.started_dt, breach.worst_value) == (
        BreachKind.QUEUE,
        clock.now,
        3,
    )


def test_a_long_service_is_a_breach_of_its_window(world, clock, issue, open_windows):
    world.center.service_limit_percent = 150
    db.session.commit()
    ticket = issue(world.items.project)  # 20 minutes' standard: 30 allowed
    services.call_next_ticket(world.windows.mixed, now=clock.now)
    services.start_ticket(ticket, now=clock.now)
    db.session.commit()
    started = ticket.started_dt
    assert check_service_levels(world.center, started + timedelta(minutes=30)) == []
    [breach] = check_service_levels(world.center, started + timedelta(minutes=35))
    assert breach.subject == f"service:{world.windows.mixed.id}"
    assert breach.started_dt == started + timedelta(minutes=30)
    assert (breach.limit_value, breach.worst_value, breach.tickets) == (30, 35, ticket.number)


def _breach(center_id: int, started: datetime, ended: datetime | None) -> Breach:
    return Breach(
        center_id=center_id,
        kind=BreachKind.QUEUE,
        subject="queue",
        service_date=started.astimezone(UTC).date(),
        started_dt=started,
        ended_dt=ended,
        limit_value=5,
        worst_value=6,
    )


def test_the_days_minutes_in_breach_are_clipped_to_the_day(world):
    # Shanghai's 2026-11-27 runs from 11-26 16:00 to 11-27 16:00 UTC
    late = _breach(
        world.center.id,
        datetime(2026, 11, 26, 15, 30, tzinfo=UTC),  # 23:30 the day before
        datetime(2026, 11, 26, 16, 20, tzinfo=UTC),
    )
    late.service_date = date(2026, 11, 26)
    still_open = _breach(world.center.id, datetime(2026, 11, 27, 15, 0, tzinfo=UTC), None)
    still_open.service_date = date(2026, 11, 27)
    still_open.subject = "wait:1"
    db.session.add_all([late, still_open])
    db.session.commit()

    day = date(2026, 11, 27)
    tz = "Asia/Shanghai"
    at = datetime(2026, 11, 27, 15, 10, tzinfo=UTC)
    counted = day_breaches([world.center.id], day, tz, now=at)
    assert (counted.begun, counted.minutes) == (1, 20 + 10)
    later = day_breaches([world.center.id], day, tz, now=datetime(2026, 11, 28, 3, 0, tzinfo=UTC))
    assert (later.begun, later.minutes) == (1, 20 + 60)  # the open one up to the day's end


# ---------------------------------------------------------------------------- a race


def checker(url: str, center_id: int, now: datetime, barrier, results) -> None:
    from service_center.catalogue.models import Center
    from tests.race_workers import make_app

    app = make_app(url)
    with app.app_context():
        center = db.session.get(Center, center_id)
        db.session.rollback()
        barrier.wait(timeout=60)
        opened = check_service_levels(center, now)
        db.session.commit()
        results.put(("checker", "ok", [b.id for b in opened]))


def test_two_processes_checking_at_once_open_one_breach(database_url, limited, world, issue):
    ticket = issue(world.items.licence_change)
    limited.duty_contact = "duty@example.org"
    db.session.commit()
    now = ticket.issued_dt + timedelta(minutes=45)
    center_id = limited.id
    db.session.remove()
    barrier = CONTEXT.Barrier(2)
    outcome = run_workers([(checker, (database_url, center_id, now, barrier)) for _ in range(2)])
    [first], [second] = (ids for _, _, ids in outcome)
    assert first == second
    assert len(breaches()) == 1
    assert len(breach_messages()) == 1
