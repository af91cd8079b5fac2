"""The outbox and its worker: messages written with the change that causes them, delivered
once, retried with backoff, given up with the reason kept; the queue's triggers."""

from __future__ import annotations

import concurrent.futures
from datetime import UTC, datetime, time, timedelta

import pytest
from flask import current_app
from sqlalchemy import func, select, text

from service_center.booking import services as booking
from service_center.db import db
from service_center.errors import Invalid
from service_center.notifications import near, worker
from service_center.notifications.models import (
    Notification,
    NotificationKind,
    NotificationState,
)
from service_center.notifications.outbox import center_over_limit, enqueue
from service_center.queueing import services
from service_center.queueing.models import Outcome
from tests.fixtures.booking import BOOKING_NOW, TOMORROW
from tests.fixtures.notifications import webhook_config


@pytest.fixture
def app_config(gateway):
    return webhook_config(gateway)


def messages(**where) -> list[Notification]:
    stmt = select(Notification).order_by(Notification.id)
    for name, value in where.items():
        stmt = stmt.where(getattr(Notification, name) == value)
    return list(db.session.scalars(stmt))


def deliver_all(now: datetime):
    return worker.work(once=True, clock=lambda: now)


def sweep(now: datetime) -> int:
    """A worker's round of "N ahead" for those a call or a withdrawal moved up."""
    return near.Sweep()(now=now)


def test_a_rolled_back_booking_sends_nothing_a_committed_one_is_kept(world, gateway):
    item = world.items.licence
    booking.book_appointment(
        world.center,
        item,
        TOMORROW,
        time(9),
        name="张三",
        phone="13800000001",
        now=BOOKING_NOW,
        notify=True,
    )
    db.session.rollback()
    assert messages() == []
    appointment = booking.book_appointment(
        world.center,
        item,
        TOMORROW,
        time(9),
        name="张三",
        phone="13800000001",
        now=BOOKING_NOW,
        notify=True,
        locale="en",
    )
    db.session.commit()
    (message,) = messages()
    assert (message.kind, message.state) == (NotificationKind.BOOKED, NotificationState.PENDING)
    assert appointment.code in message.body and "张三" not in message.body
    assert message.body.startswith(
        "Testtown Convenience Service Center: booked for Nov 27, 2026 09:00"
    )
    assert deliver_all(BOOKING_NOW)["sent"] == 1
    (sent,) = gateway.delivered.values()
    assert sent["to"] == "13800000001" and f"/book/manage/{appointment.code}" in sent["text"]
    db.session.refresh(message)
    assert message.state is NotificationState.SENT and message.address is None  # erased


def test_without_consent_no_message(world, gateway):
    booking.book_appointment(
        world.center,
        world.items.licence,
        TOMORROW,
        time(9),
        name="张三",
        phone="13800000001",
        now=BOOKING_NOW,
    )
    db.session.commit()
    assert messages() == []


@pytest.mark.parametrize("app_config", [{}])
def test_with_no_channel_configured_a_message_is_recorded_not_sent(world, app_config):
    booking.book_appointment(
        world.center,
        world.items.licence,
        TOMORROW,
        time(9),
        name="张三",
        phone="13800000001",
        now=BOOKING_NOW,
        notify=True,
    )
    db.session.commit()
    (message,) = messages()
    assert message.state is NotificationState.NOT_SENT
    assert message.last_error == "not sent: no channel" and message.address is None
    assert deliver_all(BOOKING_NOW) == {}


def test_three_ahead_once_then_called_to_the_window_in_that_order(
    world, open_windows, clock, gateway
):
    licence = world.items.licence
    for _ in range(5):
        services.issue_ticket(world.center, licence, now=clock.advance(minutes=1))
    mine = services.issue_ticket(
        world.center,
        licence,
        now=clock.advance(minutes=1),
        notify_address="139 1234 5678",
        notify_locale="en",
    )
    db.session.commit()
    assert mine.notify_address == "13912345678" and mine.notify_consent_dt == clock.now
    window = world.windows.business
    assert messages() == []  # five ahead
    rounds = near.Sweep()  # one worker's, round after round
    for expected_ahead in (4, 3, 2, 1, 0):
        told_before = len(messages(kind=NotificationKind.AHEAD))
        ticket = services.call_next_ticket(window, now=clock.advance(minutes=1))
        services.start_ticket(ticket, now=clock.now)
        services.complete_ticket(ticket, now=clock.advance(minutes=1), outcome=Outcome.COMPLETED)
        db.session.commit()
        assert len(messages(kind=NotificationKind.AHEAD)) == told_before  # the call: its own
        rounds(now=clock.now)
        sweep(clock.now)  # another worker's round: the key lets one message through
        ahead = messages(kind=NotificationKind.AHEAD)
        assert len(ahead) == (0 if expected_ahead > 3 else 1)  # once, not on every call
    called = services.call_next_ticket(window, now=clock.advance(minutes=1))
    db.session.commit()
    assert called.id == mine.id
    services.recall_ticket(called, now=clock.advance(minutes=1))
    db.session.commit()
    kinds = [m.kind for m in messages(ticket_id=mine.id)]  # the calls' at once, in the call
    assert kinds == [NotificationKind.AHEAD, NotificationKind.CALLED, NotificationKind.CALLED]
    deliver_all(clock.now)
    texts = [m.body for m in messages(ticket_id=mine.id)]
    assert gateway.bodies() == texts
    assert "3 ahead of ticket B006" in texts[0]  # 3 people, in the language chosen
    assert "please go to window 1" in texts[1]


def test_a_new_ticket_near_its_turn_is_told_at_the_round_an_opt_in_at_once(world, clock):
    """Issuing writes no "N ahead" (the kiosk's clerk-free hot path); the worker's round
    does, once. An opt-in moves no floor, so its own request tells it."""
    first = services.issue_ticket(
        world.center, world.items.licence, now=clock.now, notify_address="13912345678"
    )
    second = services.issue_ticket(world.center, world.items.licence, now=clock.advance(minutes=1))
    db.session.commit()
    assert messages() == []
    assert sweep(clock.now) == 1 and sweep(clock.now) == 0
    services.opt_in(second, "13912345679", now=clock.advance(minutes=1))
    db.session.commit()
    told = [(m.ticket_id, m.kind) for m in messages()]
    assert told == [(first.id, NotificationKind.AHEAD), (second.id, NotificationKind.AHEAD)]


def opted_in_behind(world, clock, people: int):
    """``people`` walk-ins for the licence, then one more whose holder opted in (committed)."""
    for _ in range(people):
        services.issue_ticket(world.center, world.items.licence, now=clock.advance(minutes=1))
    mine = services.issue_ticket(
        world.center,
        world.items.licence,
        now=clock.advance(minutes=1),
        notify_address="13912345678",
    )
    db.session.commit()
    return mine


def test_the_worker_tells_those_a_call_moved_up_in_its_round(world, open_windows, clock, gateway):
    """Nobody runs a sweep by hand in a hall: the worker's round finds the resident a call
    brought within N, and sends their message in that same round."""
    mine = opted_in_behind(world, clock, 4)
    services.call_next_ticket(world.windows.business, now=clock.advance(minutes=1))
    db.session.commit()
    assert deliver_all(clock.now) == {"sent": 1}
    (ahead,) = messages(kind=NotificationKind.AHEAD)
    assert ahead.ticket_id == mine.id and ahead.state is NotificationState.SENT
    assert "前面还有 3 人" in gateway.bodies()[0]


def test_done_sends_the_rating_link_and_erases_the_address(world, open_windows, clock, gateway):
    ticket = services.issue_ticket(
        world.center, world.items.licence, now=clock.now, notify_address="13912345678"
    )
    db.session.commit()
    services.call_next_ticket(world.windows.business, now=clock.advance(minutes=1))
    services.start_ticket(ticket, now=clock.now)
    services.complete_ticket(ticket, now=clock.advance(minutes=5), outcome=Outcome.COMPLETED)
    db.session.commit()
    assert ticket.notify_address is None
    rate = messages(kind=NotificationKind.RATE)
    assert len(rate) == 1 and f"/t/{ticket.token}" in rate[0].body


def test_a_no_show_is_told_how_to_requeue_and_until_when(world, open_windows, clock, gateway):
    ticket = services.issue_ticket(
        world.center, world.items.licence, now=clock.now, notify_address="a.resident@example.cn"
    )
    db.session.commit()
    services.call_next_ticket(world.windows.business, now=clock.advance(minutes=1))
    services.recall_ticket(ticket, now=clock.advance(minutes=1))
    services.mark_no_show(ticket, now=clock.advance(minutes=1))  # 10:03 in Shanghai
    db.session.commit()
    (missed,) = messages(kind=NotificationKind.MISSED)
    assert missed.channel.value == "email"
    assert "Before 10:33" in missed.body or "10:33" in missed.body


def test_a_bad_notify_address_is_refused_beside_its_field(world, clock):
    with pytest.raises(Invalid) as refused:
        services.issue_ticket(world.center, world.items.licence, now=clock.now, notify_address="12")
    assert refused.value.field == "notify"


class Flaky:
    """A channel failing ``failures`` times (transient), then delivering."""

    name = "flaky"

    def __init__(self, failures: int, *, permanent: bool = False) -> None:
        self.failures = failures
        self.permanent = permanent
        self.sent: list[str] = []

    def send(self, message):
        from service_center.notifications.channels import DeliveryError

        if self.failures:
            self.failures -= 1
            raise DeliveryError("provider said 503", permanent=self.permanent)
        self.sent.append(message.key)
        return "ok"


def _one_message(world, clock):
    services.issue_ticket(
        world.center,
        world.items.licence,
        now=clock.now,
        notify_address="13912345678",
        notify_locale="en",
    )
    db.session.commit()
    sweep(clock.now)  # the worker's round: nobody ahead, "0 ahead"
    return messages()[0]


def test_retries_back_off_with_jitter_then_deliver(app, world, clock):
    message = _one_message(world, clock)  # nobody ahead: "0 ahead"
    flaky = Flaky(2)
    now = clock.now
    waits = []
    for _ in range(3):
        (claimed,) = worker.claim_batch(now=now)
        worker.deliver(claimed, {"sms": flaky}, clock=lambda at=now: at)
        db.session.refresh(message)
        if message.state is NotificationState.PENDING:
            waits.append((message.next_attempt_dt - now).total_seconds())
            assert worker.claim_batch(now=now) == []  # not due before its time
            now = message.next_attempt_dt
    assert message.state is NotificationState.SENT and message.attempts == 3
    assert flaky.sent == [message.key] and message.last_error == ""
    # doubling from 1 s, each between half and the whole of it
    assert 0.5 <= waits[0] <= 1 and 1 <= waits[1] <= 2
    assert message.kind is NotificationKind.AHEAD and "ticket B001 is next" in message.body


def test_a_permanent_error_or_the_last_try_gives_up_with_the_reason(app, world, clock):
    app.config["NOTIFY_MAX_ATTEMPTS"] = 2
    message = _one_message(world, clock)  # the "ahead" message: nobody before the ticket
    (claimed,) = worker.claim_batch(now=clock.now)
    assert worker.deliver(claimed, {"sms": Flaky(1, permanent=True)}, clock=lambda: clock.now) == (
        "failed"
    )
    db.session.refresh(message)
    assert (message.state, message.last_error) == (NotificationState.FAILED, "provider said 503")
    assert message.address is None

    db.session.execute(
        Notification.__table__.update().values(
            state=NotificationState.PENDING, attempts=0, address="13912345678"
        )
    )
    db.session.commit()
    flaky = Flaky(5)
    later = clock.now
    for expected in ("pending", "failed"):
        (claimed,) = worker.claim_batch(now=later)
        assert worker.deliver(claimed, {"sms": flaky}, clock=lambda at=later: at) == expected
        later += timedelta(hours=2)
    assert db.session.scalar(select(func.count()).select_from(Notification)) == 1


def test_a_lease_run_out_is_taken_over_and_the_late_worker_writes_nothing(app, world, clock):
    message = _one_message(world, clock)
    (first,) = worker.claim_batch(now=clock.now)
    lease = app.config["NOTIFY_LEASE_SECONDS"]
    later = clock.now + timedelta(seconds=lease + 1)
    (second,) = worker.claim_batch(now=later)  # the first worker looks dead
    assert first.id == second.id and first.claim != second.claim
    channel = Flaky(0)
    assert worker.deliver(first, {"sms": channel}, clock=lambda: later) == "lost"
    assert worker.deliver(second, {"sms": channel}, clock=lambda: later) == "sent"
    db.session.refresh(message)
    assert message.state is NotificationState.SENT and message.attempts == 2


def test_the_worker_command_delivers_and_says_what_happened(runner, world, clock, gateway):
    _one_message(world, clock)
    gateway.fail_next = [503]
    first = runner.invoke(args=["notifications", "work", "--once"])
    assert first.exit_code == 0 and "Messages: pending: 1." in first.output
    db.session.execute(Notification.__table__.update().values(next_attempt_dt=clock.now))
    db.session.commit()
    second = runner.invoke(args=["notifications", "work", "--once"])
    assert "Messages: sent: 1." in second.output, second.output
    assert len(gateway.requests) == 2 and len(gateway.delivered) == 1
    assert gateway.requests[0]["key"] == gateway.requests[1]["key"]  # the same key both times
    assert UTC  # the clock of the test is aware


class Exploding:
    name = "exploding"

    def send(self, message):
        raise RuntimeError("the e-mail parser fell over")


def test_a_message_the_channel_cannot_build_fails_and_the_worker_goes_on(world, clock):
    for phone in ("13912345678", "13912345679"):
        services.issue_ticket(
            world.center, world.items.licence, now=clock.now, notify_address=phone
        )
    db.session.commit()
    sweep(clock.now)
    batch = worker.claim_batch(now=clock.now)
    fine = Flaky(0)
    senders = iter([{"sms": Exploding()}, {"sms": fine}])
    ended = [worker.deliver(claimed, next(senders), clock=lambda: clock.now) for claimed in batch]
    assert ended == ["failed", "sent"]
    failed = messages(state=NotificationState.FAILED)
    assert failed[0].last_error == "not sendable: RuntimeError" and failed[0].address is None


class Slow:
    name = "slow"

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.sent: list[str] = []

    def send(self, message):
        import time

        time.sleep(self.seconds)
        self.sent.append(message.key)
        return "ok"


def test_a_slow_provider_hands_back_what_it_cannot_send_within_half_the_lease(app, world, clock):
    app.config["NOTIFY_LEASE_SECONDS"] = 0.5
    for n in range(5):
        services.issue_ticket(
            world.center, world.items.licence, now=clock.now, notify_address=f"1391234567{n}"
        )
    db.session.commit()
    sweep(clock.now)
    batch = worker.claim_batch(now=clock.now)
    slow = Slow(0.2)
    ended = worker.deliver_batch(batch, {"sms": slow}, clock=lambda: clock.now)
    assert len(batch) == 4  # the fifth ticket has four ahead: no message yet
    assert ended["sent"] == len(slow.sent) < 4  # never past half the lease
    handed_back = messages(state=NotificationState.PENDING)
    assert len(handed_back) == 4 - len(slow.sent)
    assert {m.attempts for m in handed_back} == {0} and all(m.claim is None for m in handed_back)
    assert len(worker.claim_batch(now=clock.now)) == len(handed_back)  # due again at once


def test_an_opt_out_while_a_message_is_in_a_workers_hands_wins(world, clock):
    ticket = services.issue_ticket(
        world.center, world.items.licence, now=clock.now, notify_address="13912345678"
    )
    db.session.commit()
    sweep(clock.now)
    (claimed,) = worker.claim_batch(now=clock.now)
    services.opt_out(ticket, now=clock.now)
    db.session.commit()
    assert worker.deliver(claimed, {"sms": Flaky(1)}, clock=lambda: clock.now) == "lost"
    (message,) = messages()
    assert message.state is NotificationState.NOT_SENT and message.address is None


def test_a_new_opt_in_after_an_opt_out_is_told_again(world, clock):
    ticket = services.issue_ticket(
        world.center, world.items.licence, now=clock.now, notify_address="13912345678"
    )
    db.session.commit()
    sweep(clock.now)
    services.opt_out(ticket, now=clock.advance(minutes=1))
    services.opt_in(ticket, "13912345679", now=clock.advance(minutes=1))
    db.session.commit()
    ahead = messages(kind=NotificationKind.AHEAD)
    assert len(ahead) == 2 and ahead[1].state is NotificationState.PENDING


def test_each_center_sets_at_how_many_ahead_its_residents_are_told(world, open_windows, clock):
    world.center.notify_ahead = 1
    db.session.commit()
    mine = opted_in_behind(world, clock, 2)
    assert messages(kind=NotificationKind.AHEAD) == []  # two ahead, told at one
    ticket = services.call_next_ticket(world.windows.business, now=clock.advance(minutes=1))
    services.start_ticket(ticket, now=clock.now)
    services.complete_ticket(ticket, now=clock.advance(minutes=1), outcome=Outcome.COMPLETED)
    db.session.commit()
    assert sweep(clock.now) == 1
    (ahead,) = messages(kind=NotificationKind.AHEAD)
    assert (
        ahead.ticket_id == mine.id and "1 ahead of" in ahead.body or "前面还有 1 人" in ahead.body
    )


def test_a_withdrawn_ticket_moves_those_behind_it_within_reach(world, open_windows, clock):
    """The licence is served at the business window and at the comprehensive one: withdrawing
    the first ticket brings the opted-in third within one of its turn in both queues."""
    world.center.notify_ahead = 1
    db.session.commit()
    licence = world.items.licence
    first = services.issue_ticket(world.center, licence, now=clock.advance(minutes=1))
    services.issue_ticket(world.center, licence, now=clock.advance(minutes=1))
    mine = services.issue_ticket(
        world.center, licence, now=clock.advance(minutes=1), notify_address="13912345678"
    )
    db.session.commit()
    assert messages(kind=NotificationKind.AHEAD) == []  # two ahead

    services.cancel_ticket(first, now=clock.advance(minutes=1))
    db.session.commit()
    sweep(clock.now)

    (ahead,) = messages(kind=NotificationKind.AHEAD)
    assert ahead.ticket_id == mine.id


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_ticket_that_changes_while_the_round_tells_it_is_not_told(world, open_windows, clock):
    """PostgreSQL: the round reads the positions without a lock, then marks only the tickets
    still waiting and opted in. A ticket another transaction holds (its holder opting out, a
    window calling it) is waited for, looked at again once that commits, and not told; the
    calls themselves never wait for the round (they write no "N ahead")."""
    world.center.notify_ahead = 1
    db.session.commit()
    licence = world.items.licence
    services.issue_ticket(world.center, licence, now=clock.advance(minutes=1))
    mine = services.issue_ticket(
        world.center, licence, now=clock.advance(minutes=1), notify_address="13912345678"
    )
    db.session.commit()
    other = db.engine.connect()
    app = current_app._get_current_object()
    try:
        other.execute(
            text("UPDATE tickets SET notify_address = NULL WHERE id = :id"), {"id": mine.id}
        )
        with concurrent.futures.ThreadPoolExecutor(1) as pool:  # its own session
            round_ = pool.submit(_round_in_app, app, near.Sweep(), clock.now)
            with pytest.raises(concurrent.futures.TimeoutError):
                round_.result(timeout=1)  # it waits for the opt-out's transaction
            other.commit()
            assert round_.result(timeout=10) == 0
    finally:
        other.rollback()
        other.close()
    assert messages(kind=NotificationKind.AHEAD) == []


def test_a_center_raising_its_n_is_looked_at_again_though_no_ticket_moved(world, clock):
    world.center.notify_ahead = 1
    db.session.commit()
    opted_in_behind(world, clock, 2)
    rounds = near.Sweep()
    assert rounds(now=clock.now) == 0  # two ahead, told at one
    world.center.notify_ahead = 2
    db.session.commit()
    assert rounds(now=clock.now) == 1


def test_a_failing_look_does_not_stop_delivery(world, clock, gateway, monkeypatch, caplog):
    services.issue_ticket(
        world.center, world.items.licence, now=clock.now, notify_address="13912345678"
    )
    db.session.commit()
    sweep(clock.now)
    services.issue_ticket(
        world.center, world.items.licence, now=clock.now, notify_address="13912345679"
    )
    db.session.commit()

    def broken(self, *, now):
        raise RuntimeError("a bug in the look")

    monkeypatch.setattr(near.Sweep, "__call__", broken)
    assert deliver_all(clock.now) == {"sent": 1}  # the first's message still goes
    assert "the look for tickets near their turn failed" in caplog.text


def _round_in_app(app, rounds: near.Sweep, now: datetime) -> int:
    with app.app_context():
        return rounds(now=now)


def _write_one(address: str, now: datetime, center_id: int) -> None:
    enqueue(
        key=f"test:{address}:{now.timestamp()}",
        kind=NotificationKind.AHEAD,
        center_id=center_id,
        address=address,
        locale="zh_CN",
        text={"body": lambda: "前面还有 0 人"},
        now=now,
    )
    db.session.commit()


def test_the_centers_hour_is_counted_per_process_and_again_every_few_seconds(
    app, world, clock, other_worker
):
    """The center's limit is a flood guard: this process's own messages count at once, another
    process's once the count is NOTIFY_CENTER_COUNT_SECONDS old (the address's is exact)."""
    for config in (app.config, other_worker.config):
        config.update(NOTIFY_PER_CENTER_HOURLY=3, NOTIFY_CENTER_COUNT_SECONDS=10)
    center_id = world.center.id
    for n in range(2):
        _write_one(f"1391234500{n}", clock.now, center_id)
    assert not center_over_limit(center_id, clock.now)  # 2 of 3
    db.session.rollback()  # each request ends its transaction (SQLite: and its snapshot)
    with other_worker.app_context():
        _write_one("13912345009", clock.now, center_id)
    assert not center_over_limit(center_id, clock.now)  # that one is not counted yet
    db.session.rollback()
    assert center_over_limit(center_id, clock.now + timedelta(seconds=10))  # counted again
    with other_worker.app_context():
        assert center_over_limit(center_id, clock.now)  # its own count: 3 of 3


def test_an_address_at_its_hourly_limit_is_written_not_sent_without_its_address(app, world, clock):
    """The address's limit is exact and decided in the message's own insert: the third
    message of the hour to one phone is kept, not sent, with the reason and no address (and
    counts); once its hour has passed over all three, that phone has room again; another
    phone never had less."""
    app.config["NOTIFY_PER_ADDRESS_HOURLY"] = 2
    center_id = world.center.id
    for n in range(3):
        _write_one("13912345678", clock.now + timedelta(minutes=n), center_id)
    _write_one("13912345679", clock.now + timedelta(minutes=3), center_id)
    _write_one("13912345678", clock.now + timedelta(hours=1, minutes=2, seconds=1), center_id)
    assert [(m.state, m.address, m.last_error) for m in messages()] == [
        (NotificationState.PENDING, "13912345678", ""),
        (NotificationState.PENDING, "13912345678", ""),
        (NotificationState.NOT_SENT, None, "not sent: rate limit"),
        (NotificationState.PENDING, "13912345679", ""),
        (NotificationState.PENDING, "13912345678", ""),
    ]
    assert len({m.address_key for m in messages()}) == 2  # still counted by its key
