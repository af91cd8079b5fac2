"""远程取号: tickets from the phone under the center's and the item's switches and caps; called
only once the holder is in the hall; a no-show otherwise, put back once at the kiosk; counted
as their own channel."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from service_center.db import db
from service_center.errors import Conflict, Invalid
from service_center.notifications.models import Notification, NotificationKind
from service_center.queueing import remote, services
from service_center.queueing.issuing import CenterClosed, WalkInCapReached
from service_center.queueing.models import (
    EventKind,
    Outcome,
    TicketEvent,
    TicketState,
    WalkInCap,
)
from service_center.reports.scope import Scope
from service_center.reports.services import compute_figures
from tests.fixtures.notifications import webhook_config
from tests.fixtures.queueing import OPENING_MORNING


@pytest.fixture
def app_config(gateway):
    return webhook_config(gateway)


@pytest.fixture
def center(world):
    world.center.remote_tickets = True
    world.center.remote_daily_cap = None
    world.center.remote_per_phone = 1
    db.session.commit()
    return world.center


def take(world, phone="13800000001", *, item=None, now=OPENING_MORNING, locale=None):
    ticket = remote.issue_remote(
        world.center.code, (item or world.items.licence).id, phone=phone, now=now, locale=locale
    )
    db.session.commit()
    return ticket


def test_a_remote_ticket_joins_the_queue_like_a_walk_in_with_its_phone_for_messages(
    world, center, clock
):
    walk_in = services.issue_ticket(center, world.items.licence, now=clock.now)
    db.session.commit()
    ticket = take(world, "138 0000 0001", now=clock.advance(minutes=1), locale="en")
    assert ticket.is_remote and ticket.arrived_dt is None and ticket.is_away
    assert ticket.state is TicketState.WAITING and ticket.number == "B002"
    assert ticket.notify_address == "13800000001" and ticket.notify_consent_dt == clock.now
    issued = db.session.scalar(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id))
    assert (issued.kind, issued.detail) == (EventKind.ISSUED, "remote")
    position = services.queue_position(ticket, now=clock.now)
    assert position.ahead == 1 and walk_in.is_away is False


@pytest.mark.parametrize("switch", ["center", "item"])
def test_only_where_the_center_and_the_item_allow_it(world, center, switch):
    if switch == "center":
        center.remote_tickets = False
    else:
        world.items.licence.remote_allowed = False
    db.session.commit()
    with pytest.raises(remote.RemoteNotOffered):
        take(world)
    db.session.rollback()
    if switch == "item":  # the center's other items still may
        assert take(world, item=world.items.licence_change).is_remote
    else:
        with pytest.raises(remote.RemoteNotOffered):
            take(world, item=world.items.licence_change)


def test_only_during_opening_hours(world, center):
    evening = OPENING_MORNING + timedelta(hours=10)  # 20:00 in Shanghai
    with pytest.raises(CenterClosed):
        take(world, now=evening)


def test_a_phone_that_is_not_a_mobile_number_is_refused_beside_its_field(world, center):
    with pytest.raises(Invalid) as refused:
        take(world, "12345")
    assert refused.value.field == "phone"


def test_the_cap_per_phone_and_day_counts_the_phone_not_its_format(world, center, clock):
    take(world, "13800000001", now=clock.now)
    with pytest.raises(remote.RemotePhoneCapReached):
        take(world, "138-0000-0001", now=clock.advance(minutes=1))
    db.session.rollback()
    take(world, "13800000002", now=clock.now)  # another phone
    # the next day the phone may take one again
    take(world, "13800000001", now=OPENING_MORNING + timedelta(days=3))  # Monday


def test_the_daily_cap_of_remote_tickets_leaves_the_kiosk_open(world, center, clock):
    center.remote_daily_cap = 2
    db.session.commit()
    take(world, "13800000001", now=clock.now)
    take(world, "13800000002", now=clock.advance(minutes=1))
    with pytest.raises(remote.RemoteCapReached):
        take(world, "13800000003", now=clock.advance(minutes=1))
    db.session.rollback()
    services.issue_ticket(center, world.items.licence, now=clock.now)  # the kiosk still issues
    db.session.commit()


def test_remote_tickets_count_against_the_walk_in_cap_too(world, center, clock):
    db.session.add(
        WalkInCap(center_id=center.id, case_type_id=world.items.licence.case_type_id, daily_cap=1)
    )
    center.calendar_version += 1
    db.session.commit()
    take(world, now=clock.now)
    with pytest.raises(WalkInCapReached):
        services.issue_ticket(center, world.items.licence, now=clock.advance(minutes=1))


def test_called_only_once_in_the_hall_else_a_no_show_and_the_next_is_called(
    world, center, open_windows, clock
):
    away = take(world, "13800000001", now=clock.now)
    arrived = take(world, "13800000002", now=clock.advance(minutes=1))
    walk_in = services.issue_ticket(center, world.items.licence, now=clock.advance(minutes=1))
    db.session.commit()
    remote.confirm_arrival(arrived, now=clock.advance(minutes=1))
    db.session.commit()
    window = world.windows.business
    called = services.call_next_ticket(window, now=clock.advance(minutes=1))
    db.session.commit()
    assert called.id == arrived.id  # the first, not in the hall, was skipped…
    db.session.refresh(away)
    assert away.state is TicketState.NO_SHOW and away.call_count == 0  # …as a no-show
    events = db.session.execute(
        select(TicketEvent.kind, TicketEvent.detail)
        .where(TicketEvent.ticket_id == away.id)
        .order_by(TicketEvent.id)
    )
    assert [tuple(e) for e in events] == [
        (EventKind.ISSUED, "remote"),
        (EventKind.NO_SHOW, "not arrived"),
    ]
    services.start_ticket(called, now=clock.now)
    services.complete_ticket(called, now=clock.advance(minutes=3), outcome=Outcome.COMPLETED)
    db.session.commit()
    assert services.call_next_ticket(window, now=clock.advance(minutes=1)).id == walk_in.id


def test_a_queue_of_only_absent_remote_holders_is_empty_for_the_window(
    world, center, open_windows, clock
):
    take(world, "13800000001", now=clock.now)
    take(world, "13800000002", now=clock.advance(minutes=1))
    with pytest.raises(services.QueueEmpty):
        services.call_next_ticket(world.windows.business, now=clock.advance(minutes=1))
    db.session.commit()  # the two no-shows are kept
    states = db.session.scalars(select(TicketEvent.kind).where(TicketEvent.kind == "no_show"))
    assert len(list(states)) == 2


def test_the_kiosk_puts_a_missed_remote_ticket_back_once_and_it_counts_as_arrived(
    world, center, open_windows, clock
):
    away = take(world, now=clock.now)
    walk_in = services.issue_ticket(center, world.items.licence, now=clock.advance(minutes=1))
    db.session.commit()
    assert services.call_next_ticket(world.windows.business, now=clock.now).id == walk_in.id
    db.session.commit()
    back = services.requeue_missed_ticket(center, away.number, now=clock.advance(minutes=5))
    db.session.commit()
    assert back.state is TicketState.WAITING and back.arrived_dt == clock.now
    assert not back.is_away


def test_arrival_is_idempotent_and_only_while_waiting(world, center, open_windows, clock):
    ticket = take(world, now=clock.now)
    remote.confirm_arrival(ticket, now=clock.advance(minutes=1))
    first = ticket.arrived_dt
    remote.confirm_arrival(ticket, now=clock.advance(minutes=1))
    db.session.commit()
    assert ticket.arrived_dt == first
    other = take(world, "13800000002", now=clock.now)
    services.cancel_ticket(other, now=clock.advance(minutes=1))
    db.session.commit()
    with pytest.raises(Conflict):
        remote.confirm_arrival(other, now=clock.now)


@pytest.mark.parametrize(
    "scanned",
    ["https://hall.example.cn/t/{token}", "http://x/t/{token}/", "{token}", "  {token}\n"],
)
def test_the_kiosk_reads_the_token_from_what_its_scanner_types(scanned):
    token = "AbCdEfGhIjKlMnOp"
    assert remote.token_of_scan(scanned.format(token=token)) == token


def test_a_scan_that_is_no_ticket_is_refused():
    with pytest.raises(Invalid):
        remote.token_of_scan("https://example.cn/book/manage/ABC")


def test_the_phone_is_told_its_number_then_called_never_twice_near(
    world, center, open_windows, clock, gateway
):
    for _ in range(2):
        services.issue_ticket(center, world.items.licence, now=clock.advance(minutes=1))
    db.session.commit()
    ticket = take(world, now=clock.advance(minutes=1), locale="en")
    kinds = [m.kind for m in _messages(ticket.id)]
    assert kinds == [NotificationKind.TAKEN]  # 2 ahead (≤ 3): the number's message says it
    (taken,) = _messages(ticket.id)
    assert "B003, 2 ahead" in taken.body and f"/t/{ticket.token}" in taken.body
    remote.confirm_arrival(ticket, now=clock.now)
    window = world.windows.business
    for _ in range(2):
        done = services.call_next_ticket(window, now=clock.advance(minutes=1))
        services.start_ticket(done, now=clock.now)
        services.complete_ticket(done, now=clock.advance(minutes=1), outcome=Outcome.COMPLETED)
    services.call_next_ticket(window, now=clock.advance(minutes=1))
    db.session.commit()
    kinds = [m.kind for m in _messages(ticket.id)]
    assert kinds == [NotificationKind.TAKEN, NotificationKind.CALLED]


def test_a_holder_not_in_the_hall_at_their_turn_is_told_how_to_get_back(
    world, center, open_windows, clock
):
    ticket = take(world, now=clock.now, locale="en")
    services.issue_ticket(center, world.items.licence, now=clock.advance(minutes=1))
    services.call_next_ticket(world.windows.business, now=clock.advance(minutes=1))
    db.session.commit()
    kinds = [m.kind for m in _messages(ticket.id)]
    assert kinds == [NotificationKind.TAKEN, NotificationKind.MISSED]
    assert "was missed" in _messages(ticket.id)[1].body


def test_reports_count_remote_tickets_as_their_own_channel(world, center, open_windows, clock):
    take(world, now=clock.now)
    services.issue_ticket(center, world.items.licence, now=clock.advance(minutes=1))
    db.session.commit()
    day = OPENING_MORNING.date()
    figures = compute_figures(Scope((center,)), day, day, live=True)
    assert (figures.tickets_issued, figures.tickets_remote, figures.tickets_walk_in) == (2, 1, 1)
    assert figures.tickets_booked == 0


def _messages(ticket_id: int) -> list[Notification]:
    return list(
        db.session.scalars(
            select(Notification)
            .where(Notification.ticket_id == ticket_id)
            .order_by(Notification.id)
        )
    )
