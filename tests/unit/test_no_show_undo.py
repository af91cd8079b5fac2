"""Undoing a no-show: only its clerk, within QUEUE_NO_SHOW_UNDO_SECONDS, with nothing since; the
ticket is called at its window again, audited, and its "missed" message withdrawn unsent."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from service_center.db import db
from service_center.desk import services as desk
from service_center.notifications import worker
from service_center.notifications.models import Notification, NotificationKind, NotificationState
from service_center.queueing import services as queue
from service_center.queueing.models import EventKind, TicketEvent, TicketState
from tests.fixtures.notifications import webhook_config

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def app_config(gateway):
    return webhook_config(gateway)


@pytest.fixture
def missed(world, clock, issue, sign_on, serve):
    """B001, opted in to messages, called twice at window 1 and marked no-show by its clerk;
    the clock stands at the moment of the no-show."""
    issue(world.items.licence_change, notify_address="13800000001")
    sign_on(world.users.clerk, world.windows.business)
    ticket = serve(world.windows.business, world.users.clerk)
    queue.recall_ticket(ticket, now=clock.advance(seconds=30), actor=world.users.clerk)
    queue.mark_no_show(ticket, now=clock.advance(seconds=30), actor=world.users.clerk)
    db.session.commit()
    return ticket


def undo(ticket, clerk, now):
    ticket = queue.undo_no_show(ticket, now=now, actor=clerk)
    db.session.commit()
    return ticket


def test_undone_within_the_time_the_ticket_is_called_at_its_window_as_before(world, clock, missed):
    called_dt, calls = missed.called_dt, missed.call_count
    ticket = undo(missed, world.users.clerk, clock.now + timedelta(seconds=9))
    assert (ticket.state, ticket.window_id) == (TicketState.CALLED, world.windows.business.id)
    assert (ticket.called_dt, ticket.call_count, ticket.finished_dt) == (called_dt, calls, None)
    assert queue.current_ticket(world.windows.business) is ticket
    last = db.session.scalars(
        select(TicketEvent).where(TicketEvent.ticket_id == ticket.id).order_by(TicketEvent.id)
    ).all()[-1]
    assert (last.kind, last.actor_id, last.window_id) == (
        EventKind.REINSTATED,
        world.users.clerk.id,
        world.windows.business.id,
    )
    # the clerk's day counts no no-show
    assert desk.today_counts(world.users.clerk, world.center, now=clock.now).no_shows == 0


def test_after_the_time_the_no_show_is_final(world, clock, missed):
    assert queue.undo_window(missed, world.users.clerk, now=clock.now) == clock.now + timedelta(
        seconds=10
    )
    late = clock.now + timedelta(seconds=11)
    assert queue.undo_window(missed, world.users.clerk, now=late) is None
    with pytest.raises(queue.InvalidTransition, match="B001 is final"):
        queue.undo_no_show(missed, now=late, actor=world.users.clerk)
    db.session.rollback()
    assert db.session.get(type(missed), missed.id).state is TicketState.NO_SHOW


def test_after_a_requeue_at_the_kiosk_it_cannot_be_undone(world, clock, missed):
    queue.requeue_missed_ticket(world.center, "B001", now=clock.advance(seconds=3))
    db.session.commit()
    with pytest.raises(queue.InvalidTransition, match="waiting"):
        queue.undo_no_show(missed, now=clock.advance(seconds=3), actor=world.users.clerk)
    db.session.rollback()
    # missed again later: that no-show is not the one undone, and it is the clerk's own again
    assert queue.undo_window(missed, world.users.clerk, now=clock.now) is None


def test_only_the_clerk_who_marked_it_and_only_while_the_window_is_free(
    world, clock, issue, missed
):
    with pytest.raises(queue.InvalidTransition, match="final"):
        queue.undo_no_show(missed, now=clock.now, actor=world.users.supervisor)
    db.session.rollback()
    marked = clock.now
    issue(world.items.licence)
    clock.now = marked + timedelta(seconds=2)
    queue.call_next_ticket(world.windows.business, now=clock.now, actor=world.users.clerk)
    db.session.commit()
    with pytest.raises(queue.InvalidTransition, match="Window 1 holds B002 now"):
        queue.undo_no_show(missed, now=clock.now, actor=world.users.clerk)
    db.session.rollback()


def test_the_missed_message_waits_out_the_undo_and_is_withdrawn_by_it(world, clock, missed):
    (message,) = db.session.scalars(
        select(Notification).where(Notification.kind == NotificationKind.MISSED)
    )
    assert message.next_attempt_dt == clock.now + timedelta(seconds=10)
    worker.work(once=True, clock=lambda: clock.now + timedelta(seconds=5))  # not yet due
    db.session.refresh(message)
    assert message.state is NotificationState.PENDING
    undo(missed, world.users.clerk, clock.now + timedelta(seconds=8))
    db.session.refresh(message)
    assert message.state is NotificationState.NOT_SENT
    assert "undone" in message.last_error
