"""Worker processes of the waiting-list race (tests/unit/test_waitlist_race.py): each builds its
own app, session and connection, waits at the barrier, then acts until told to stop."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from service_center.booking import services as booking
from service_center.booking import waitlist
from service_center.booking.models import Appointment, WaitlistEntry, WaitlistState
from service_center.catalogue.models import Center, ServiceItem
from service_center.db import db
from service_center.errors import DomainError
from tests.race_workers import make_app
from tests.waitlist_support import NINE, TOMORROW, holding

#: the acceptors' clock: every offer made by a cancellation is still open for them
NOW = datetime.fromisoformat("2026-11-26T01:00:00+00:00")
#: the sweeper's clock: every offer a cancellation made has lapsed for it
LATER = NOW + timedelta(minutes=31)


def _attempt(action: Callable[[], Any]) -> Any:
    """Run ``action`` and commit; SQLite's "database is locked" is retried (a resident presses
    again). A DomainError is an answer, returned; anything else (a deadlock) is raised."""
    for attempt in range(50):
        try:
            result = action()
            db.session.commit()
            return result
        except DomainError as exc:
            db.session.rollback()
            return exc
        except Exception as exc:
            db.session.rollback()
            if attempt == 49 or "locked" not in str(exc).lower():
                raise
            time.sleep(0.02)
    raise AssertionError("unreachable")


def _run(url: str, name: str, barrier: Any, results: Any, body: Callable[[], Any]) -> None:
    app = make_app(url)
    with app.app_context():
        try:
            barrier.wait(timeout=120)
            results.put((name, "ok", body()))
        except Exception as exc:  # reported to the test, which fails on it
            db.session.rollback()
            results.put((name, "error", repr(exc)))
        finally:
            db.session.remove()
            db.engine.dispose()


def canceller(url: str, appointment_ids: list[int], barrier: Any, results: Any) -> None:
    """Cancel the bookings one after another."""

    def body() -> list[int]:
        done = []
        for appointment_id in appointment_ids:
            appointment = db.session.get_one(Appointment, appointment_id)
            answer = _attempt(lambda a=appointment: booking.cancel_appointment(a, now=NOW))
            if not isinstance(answer, DomainError):
                done.append(appointment_id)
        return done

    _run(url, "canceller", barrier, results, body)


def booker(
    url: str, center_id: int, item_id: int, phones: list[str], stop: Any, barrier: Any, results: Any
) -> None:
    """Book the full day's slots directly, over and over, until stopped: only a place nobody
    in line was offered may be taken."""

    def body() -> list[str]:
        won = []
        n = 0
        while not stop.is_set() and n < len(phones):
            center = db.session.get_one(Center, center_id)
            item = db.session.get_one(ServiceItem, item_id)
            start = NINE if n % 2 == 0 else NINE.replace(minute=30)
            answer = _attempt(
                lambda c=center, i=item, s=start, p=phones[n]: booking.book_appointment(
                    c, i, TOMORROW, s, name="抢号", phone=p, now=NOW
                )
            )
            if not isinstance(answer, DomainError):
                won.append(answer.code)
            n += 1
            time.sleep(0.005)
        return won

    _run(url, "booker", barrier, results, body)


def joiner(
    url: str, center_id: int, item_id: int, phones: list[str], stop: Any, barrier: Any, results: Any
) -> None:
    """Join the day's line with new phones, over and over, until stopped: refused while a
    place is free (book it instead)."""

    def body() -> dict[str, int]:
        outcome = {"joined": 0, "refused": 0}
        for phone in phones:
            if stop.is_set():
                break
            center = db.session.get_one(Center, center_id)
            item = db.session.get_one(ServiceItem, item_id)
            answer = _attempt(
                lambda c=center, i=item, p=phone: waitlist.join_waitlist(
                    c, i, TOMORROW, name="候补", phone=p, now=NOW
                )
            )
            outcome["refused" if isinstance(answer, DomainError) else "joined"] += 1
            time.sleep(0.01)
        return outcome

    _run(url, "joiner", barrier, results, body)


def taker(url: str, decline: bool, stop: Any, barrier: Any, results: Any) -> None:
    """Take (or decline) every place on offer, as soon as it is seen, until stopped."""

    def body() -> dict[str, list[str]]:
        outcome: dict[str, list[str]] = {"done": [], "refused": []}
        while not stop.is_set():
            tokens = db.session.scalars(
                select(WaitlistEntry.token).where(WaitlistEntry.state == WaitlistState.OFFERED)
            ).all()
            db.session.rollback()
            for token in tokens:
                action = waitlist.decline_offer if decline else waitlist.accept_offer
                answer = _attempt(lambda t=token, act=action: act(t, now=NOW))
                key = "refused" if isinstance(answer, DomainError) else "done"
                outcome[key].append(token)
            time.sleep(0.005)
        return outcome

    _run(url, "decliner" if decline else "taker", barrier, results, body)


def sweeper(url: str, stop: Any, barrier: Any, results: Any) -> None:
    """Run the cron's sweep at a time every cancellation's offer has lapsed, until stopped."""

    def body() -> int:
        expired = 0
        while not stop.is_set():
            sweep = _attempt(lambda: waitlist.expire_offers(now=LATER))
            expired += sweep.expired
            time.sleep(0.005)
        return expired

    _run(url, "sweeper", barrier, results, body)


def monitor(url: str, center_id: int, stop: Any, barrier: Any, results: Any) -> None:
    """Read, in one statement each time, what every slot holds (bookings and held offers);
    report the most ever seen per slot."""

    def body() -> dict[str, int]:
        most = {"09:00": 0, "09:30": 0}
        while not stop.is_set():
            for label, start in (("09:00", NINE), ("09:30", NINE.replace(minute=30))):
                most[label] = max(most[label], holding(center_id, start))
            db.session.rollback()
            time.sleep(0.002)
        return most

    _run(url, "monitor", barrier, results, body)
