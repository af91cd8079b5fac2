"""Worker processes for the race tests: each builds its own app, session and connection."""

from __future__ import annotations

import time
from datetime import datetime, timedelta

from service_center import create_app
from service_center.catalogue.models import ServiceItem
from service_center.db import db
from service_center.errors import DomainError
from service_center.queueing import services
from service_center.queueing.models import Outcome
from service_center.windows.models import Window


def make_app(url: str):
    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "race",
            "SQLALCHEMY_DATABASE_URI": url,
            "SQLALCHEMY_ENGINE_OPTIONS": {"hide_parameters": True},
        }
    )


def _retrying(action, attempts: int = 20):
    """Run ``action``; a lock time-out is retried (a user would press the button again)."""
    for attempt in range(attempts):
        try:
            return action()
        except DomainError:
            db.session.rollback()
            raise
        except Exception as exc:  # OperationalError: database is locked / serialization
            db.session.rollback()
            if attempt == attempts - 1 or "locked" not in str(exc).lower():
                raise
            time.sleep(0.05)
    raise AssertionError("unreachable")


def clerk_loop(url: str, window_id: int, now: datetime, stop_after_idle: float, results) -> None:
    """Call → start → complete at one window until nothing came for ``stop_after_idle`` s."""
    app = make_app(url)
    called: list[int] = []
    with app.app_context():
        idle_since = time.monotonic()
        while time.monotonic() - idle_since < stop_after_idle:
            window = db.session.get(Window, window_id)
            try:
                ticket = _retrying(lambda w=window: services.call_next_ticket(w, now=now))
            except services.QueueEmpty:
                db.session.rollback()
                time.sleep(0.02)
                continue
            db.session.commit()
            called.append(ticket.id)
            idle_since = time.monotonic()
            _retrying(lambda t=ticket: services.start_ticket(t, now=now))
            db.session.commit()
            _retrying(
                lambda t=ticket: services.complete_ticket(t, now=now, outcome=Outcome.COMPLETED)
            )
            db.session.commit()
        db.session.remove()
        db.engine.dispose()
    results.put(("clerk", window_id, called))


def issuer_loop(url: str, item_ids: list[int], count: int, start: datetime, results) -> None:
    """Issue ``count`` walk-in tickets, cycling over ``item_ids``."""
    app = make_app(url)
    issued: list[tuple[int, str]] = []
    with app.app_context():
        for n in range(count):
            item = db.session.get(ServiceItem, item_ids[n % len(item_ids)])
            at = start + timedelta(seconds=n)
            ticket = _retrying(
                lambda item=item, at=at: services.issue_ticket(item.center, item, now=at)
            )
            db.session.commit()
            issued.append((ticket.id, ticket.number))
        db.session.remove()
        db.engine.dispose()
    results.put(("issuer", None, issued))


def closing_clerk_loop(url: str, window_id: int, now: datetime, results) -> None:
    """Call → start → complete at one window until it is signed off or nobody waits; a ticket
    the day closed on between two steps is given up (the clerk sees it refused)."""
    from service_center.queueing.order import WindowNotOpen

    app = make_app(url)
    completed: list[int] = []
    refused: list[int] = []
    with app.app_context():
        while True:
            window = db.session.get(Window, window_id)
            try:
                ticket = _retrying(lambda w=window: services.call_next_ticket(w, now=now))
            except (services.QueueEmpty, WindowNotOpen):
                db.session.rollback()
                break
            db.session.commit()
            try:
                _retrying(lambda t=ticket: services.start_ticket(t, now=now))
                db.session.commit()
                _retrying(
                    lambda t=ticket: services.complete_ticket(t, now=now, outcome=Outcome.COMPLETED)
                )
                db.session.commit()
                completed.append(ticket.id)
            except services.InvalidTransition:
                db.session.rollback()
                refused.append(ticket.id)
        db.session.remove()
        db.engine.dispose()
    results.put(("clerk", window_id, completed, refused))


def closer(url: str, center_id: int, now: datetime, after_cases: int, results) -> None:
    """Close the center's day once ``after_cases`` cases exist (clerks are mid-queue)."""
    from sqlalchemy import func, select

    from service_center.catalogue.models import Center
    from service_center.queueing.closing import close_day
    from service_center.queueing.models import Case

    app = make_app(url)
    with app.app_context():
        deadline = time.monotonic() + 60
        while db.session.scalar(select(func.count()).select_from(Case)) < after_cases:
            db.session.rollback()
            assert time.monotonic() < deadline, "the clerks never started"
            time.sleep(0.01)
        db.session.rollback()
        center = db.session.get(Center, center_id)
        done = _retrying(lambda: close_day(center, now=now))
        db.session.commit()
        unserved, windows = list(done.unserved), list(done.windows)
        db.session.remove()
        db.engine.dispose()
    results.put(("closer", None, unserved, windows))


def notification_worker(url: str, gateway_url: str, lease: int, results, stall=None) -> None:
    """``flask notifications work --once`` in its own process; ``stall``: a multiprocessing
    Event to set once the first message is sent, then hang there (to be killed)."""
    from service_center.notifications import outbox, worker

    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "race",
            "SQLALCHEMY_DATABASE_URI": url,
            "SQLALCHEMY_ENGINE_OPTIONS": {"hide_parameters": True},
            "NOTIFY_SMS": "webhook",
            "NOTIFY_SMS_WEBHOOK_URL": gateway_url,
            "NOTIFY_LEASE_SECONDS": lease,
            "NOTIFY_BATCH": 10,
        }
    )
    with app.app_context():
        if stall is not None:
            sender = outbox.channels()["sms"]
            real_send = sender.send

            def send_then_hang(message):
                answer = real_send(message)
                stall.set()
                time.sleep(3600)  # killed here, holding the rest of its batch
                return answer

            sender.send = send_then_hang
        ended = _retrying(lambda: worker.work(once=True))
        db.session.remove()
        db.engine.dispose()
    results.put(("worker", None, dict(ended)))


def call_next_once(url: str, window_id: int, now: datetime) -> None:
    """Another app process of this host calls the next ticket at one window, then exits."""
    app = make_app(url)
    with app.app_context():
        services.call_next_ticket(db.session.get(Window, window_id), now=now)
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
