"""The benchmark's databases: create and drop them, seed the demo county, prepare each journey."""

from __future__ import annotations

import contextlib
import json
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from time import monotonic, sleep
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
from flask import Flask
from sqlalchemy import func, select, update

CENTER = "zhuangzhai"
SUPERVISOR = "zz-supervisor"
#: the load starts a minute after the centers open, so walk-ins are taken for ~3 hours
OPENING_MINUTE = time(9, 1)


@dataclass
class Database:
    """A database made for one run, dropped at its end."""

    kind: str  # "sqlite" or "postgresql"
    url: str  # as DATABASE_URL takes it
    server_url: str = ""  # PostgreSQL: where to drop it from

    @property
    def name(self) -> str:
        return self.url.rsplit("/", 1)[-1]


def pg_version(server_url: str) -> str | None:
    """Return the PostgreSQL server version, or None when it cannot be reached."""
    try:
        with psycopg.connect(server_url, connect_timeout=3) as conn:
            return str(conn.execute("SHOW server_version").fetchone()[0])
    except psycopg.Error:
        return None


def create_database(kind: str, folder: Path, *, pg_server: str, label: str) -> Database:
    if kind == "sqlite":
        return Database("sqlite", f"sqlite:///{folder / f'{label}.sqlite'}")
    name = f"sc_bench_{label.replace('-', '_')}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(pg_server, autocommit=True, connect_timeout=5) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    base, _, _ = pg_server.rpartition("/")
    return Database("postgresql", f"{base}/{name}", pg_server)


def drop_database(database: Database) -> None:
    if database.kind == "sqlite":
        path = Path(database.url.removeprefix("sqlite:///"))
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    with psycopg.connect(database.server_url, autocommit=True, connect_timeout=5) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{database.name}" WITH (FORCE)')


@contextlib.contextmanager
def app_for(database: Database) -> Iterator[Flask]:
    """The app on ``database`` inside an app context, for set-up and checks in this process."""
    from service_center import create_app
    from service_center.db import db

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database.url,
            "SECRET_KEY": "benchmark",
            "SQLALCHEMY_ENGINE_OPTIONS": {"hide_parameters": True},
        }
    )
    with app.app_context():
        try:
            yield app
        finally:
            db.session.remove()
            db.engine.dispose()


def server_env(database: Database, instance: Path, clock_offset: float | None) -> dict[str, str]:
    """The environment a gunicorn server of the app (or a baseline) runs with."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("SERVICE_CENTER_", "FLASK_", "BENCH_"))
    }
    env.update(
        {
            "DATABASE_URL": database.url,
            "SECRET_KEY": "benchmark-" + uuid.uuid4().hex,
            "SERVICE_CENTER_INSTANCE_PATH": str(instance),
            "SERVICE_CENTER_RATELIMIT_ENABLED": "false",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
    )
    if clock_offset is not None:
        env["BENCH_CLOCK_OFFSET_SECONDS"] = f"{clock_offset:.3f}"
    return env


# --- the demo county and what the load needs ----------------------------------------------


@dataclass
class Prepared:
    """What the set-up leaves for the journeys."""

    token: str  #: a supervisor's bearer token
    clock_offset: float  #: seconds to add to the real clock: a working morning, center open
    windows: list[int]  #: window ids, one per clerk connection, overlapping skills
    window_case_types: dict[int, str | None]  #: window id → its case type (None: comprehensive)
    items: dict[str, list[int]]  #: case type code → active item ids
    bookable_items: list[int]
    slot_capacity: int


def seed(database: Database, *, windows: int = 0, now: datetime | None = None) -> Prepared:
    """Build the schema, load the demo county and prepare the load on the demo town.

    ``windows``: how many windows the clerks need (one per connection); windows of the demo
    kinds are added past the demo's 23. All windows are opened; the booking horizon is a year.
    """
    from service_center.auth.models import User
    from service_center.auth.services import issue_api_token
    from service_center.catalogue.models import Center, ServiceItem
    from service_center.db import db
    from service_center.demo.seed import seed_demo
    from service_center.windows.models import Window, WindowState

    real_now = now or datetime.now(UTC)
    with app_for(database):
        db.create_all()
        seed_demo()
        db.session.flush()
        center = db.session.scalar(select(Center).where(Center.code == CENTER))
        center.booking_horizon_days = 365
        morning = _next_working_morning(center, real_now)
        _add_windows(center, windows)
        db.session.execute(
            update(Window)
            .where(Window.center_id == center.id)
            .values(state=WindowState.OPEN, state_changed_dt=morning)
        )
        supervisor = db.session.scalar(select(User).where(User.username == SUPERVISOR))
        token = issue_api_token(supervisor, "benchmark", now=real_now)
        db.session.commit()

        items: dict[str, list[int]] = {}
        bookable: list[int] = []
        for item in db.session.scalars(
            select(ServiceItem)
            .where(ServiceItem.center_id == center.id, ServiceItem.is_active)
            .order_by(ServiceItem.id)
        ):
            items.setdefault(item.case_type.code, []).append(item.id)
            if item.is_bookable and item.slot_capacity is None:
                bookable.append(item.id)
        kinds = {}
        order: list[int] = []
        by_kind: dict[str | None, list[int]] = {}
        for window in center.windows:
            kind = None if window.is_comprehensive else _window_case_type(window)
            kinds[window.id] = kind
            by_kind.setdefault(kind, []).append(window.id)
        # clerks take windows round the kinds, so any few of them share skills
        while any(by_kind.values()):
            for kind in ("business", None, "livelihood", "investment"):
                if by_kind.get(kind):
                    order.append(by_kind[kind].pop(0))
        return Prepared(
            token=token,
            clock_offset=(morning - real_now).total_seconds(),
            windows=order,
            window_case_types=kinds,
            items=items,
            bookable_items=bookable,
            slot_capacity=center.slot_capacity,
        )


def _window_case_type(window: Any) -> str | None:
    codes = {item.case_type.code for item in window.services}
    return codes.pop() if len(codes) == 1 else None


def _next_working_morning(center: Any, now: datetime) -> datetime:
    """09:01 at the center on the first working day after today (the demo centers are open)."""
    from service_center.catalogue import calendar

    zone = ZoneInfo(center.timezone)
    day = now.astimezone(zone).date()
    for _ in range(30):
        day += timedelta(days=1)
        if calendar.opening_periods(center, day):
            start = min(p[0] for p in calendar.opening_periods(center, day))
            return datetime.combine(day, max(start, OPENING_MINUTE), zone).astimezone(UTC)
    raise RuntimeError("no working day within 30 days")


def _add_windows(center: Any, wanted: int) -> None:
    """Add windows copying the demo's kinds in turn until the center has ``wanted``."""
    from service_center.db import db
    from service_center.windows.models import Window

    models = list(center.windows)
    number = max(w.number for w in models)
    index = 0
    while len(center.windows) < wanted:
        model = models[index % len(models)]
        number += 1
        index += 7  # walk the demo windows in a stride that mixes their kinds
        center.windows.append(
            Window(
                number=number,
                name_zh=model.name_zh,
                name_en=model.name_en,
                is_comprehensive=model.is_comprehensive,
                services=list(model.services),
            )
        )
    db.session.flush()


def app_now(prepared: Prepared) -> datetime:
    return datetime.now(UTC) + timedelta(seconds=prepared.clock_offset)


def issue_tickets(
    database: Database, prepared: Prepared, per_case_type: dict[str, int], *, notify: bool = False
) -> int:
    """Issue waiting tickets through the queue engine (as the kiosk would), by case type;
    with ``notify``, each holder opted in to 到号提醒 with a phone of their own."""
    from service_center.catalogue.models import Center, ServiceItem
    from service_center.db import db
    from service_center.queueing import services

    issued = 0
    with app_for(database):
        center = db.session.scalar(select(Center).where(Center.code == CENTER))
        for code, count in per_case_type.items():
            items = [db.session.get(ServiceItem, i) for i in prepared.items.get(code, [])]
            for n in range(count):
                services.issue_ticket(
                    center,
                    items[n % len(items)],
                    now=app_now(prepared),
                    notify_address=f"137{issued:08d}" if notify else None,
                )
                issued += 1
                if issued % 500 == 0:
                    db.session.commit()
        db.session.commit()
    return issued


def issue_for_windows(
    database: Database, prepared: Prepared, windows: list[int], count: int
) -> list[tuple[int, str]]:
    """Issue ``count`` waiting tickets (walk-ins, as the kiosk would), the n-th for an item
    the n-th of ``windows`` (in turn) serves, so that every ticket can be called at one of
    these windows and each window has as many to call; return their (id, token), oldest first.
    A comprehensive window serves every item."""
    from service_center.catalogue.models import Center, ServiceItem
    from service_center.db import db
    from service_center.queueing import services
    from service_center.windows.models import Window, window_services

    with app_for(database):
        center = db.session.scalar(select(Center).where(Center.code == CENTER))
        active = [i for code in sorted(prepared.items) for i in prepared.items[code]]
        skills: list[list[ServiceItem]] = []
        for window_id in windows:
            window = db.session.get(Window, window_id)
            served = set(
                db.session.scalars(
                    select(window_services.c.service_item_id).where(
                        window_services.c.window_id == window_id
                    )
                )
            )
            ids = [i for i in active if window.is_comprehensive or i in served]
            if ids:
                skills.append([db.session.get(ServiceItem, i) for i in ids])
        if not skills:
            raise RuntimeError(f"windows {windows} serve no active item")
        issued = []
        for n in range(count):
            items = skills[n % len(skills)]
            item = items[(n // len(skills)) % len(items)]
            ticket = services.issue_ticket(center, item, now=app_now(prepared))
            db.session.flush()
            issued.append((ticket.id, ticket.token))
            if (n + 1) % 500 == 0:
                db.session.commit()
        db.session.commit()
        return issued


def wait_quiet(database: Database, *, timeout: float = 60.0) -> None:
    """Wait until the server has finished the requests still queued when wrk hung up (under
    64 connections, dozens): the database stops changing. Changing tickets in this process
    before would race them (a call served after the windows were settled leaves one busy)."""
    from .checks import counts

    deadline = monotonic() + timeout
    last = counts(database)
    while monotonic() < deadline:
        sleep(0.3)
        now = counts(database)
        if now == last:
            return
        last = now


def cancel_waiting(database: Database, prepared: Prepared) -> int:
    """Cancel every waiting ticket through the queue engine (residents gone home), so a journey
    starts from the queue it sets up rather than from what earlier journeys left.

    The cancellations are not announced (``ticket_cancelled`` muted): its only listener tells
    opted-in holders behind how near they now are, reading every window's queue for each
    ticket cancelled (~90 ms a ticket with a few hundred opted in); everyone is sent home
    here, and no message is measured."""
    from service_center.db import db
    from service_center.queueing import services, signals
    from service_center.queueing.models import Ticket, TicketState

    with app_for(database), signals.ticket_cancelled.muted():
        waiting = db.session.scalars(
            select(Ticket).where(Ticket.state == TicketState.WAITING).order_by(Ticket.id)
        ).all()
        for n, ticket in enumerate(waiting, 1):
            services.cancel_ticket(ticket, now=app_now(prepared))
            if n % 500 == 0:
                db.session.commit()
        db.session.commit()
        return len(waiting)


def settle_windows(database: Database, prepared: Prepared) -> int:
    """Complete any ticket a window still holds (a clerk's chain cut off when the load stopped)."""
    from service_center.catalogue.models import Center
    from service_center.db import db
    from service_center.queueing import services
    from service_center.queueing.models import Outcome, Ticket, TicketState

    with app_for(database):
        center = db.session.scalar(select(Center).where(Center.code == CENTER))
        held = db.session.scalars(
            select(Ticket).where(
                Ticket.center_id == center.id,
                Ticket.state.in_([TicketState.CALLED, TicketState.SERVING]),
            )
        ).all()
        for ticket in held:
            if ticket.state is TicketState.CALLED:
                services.start_ticket(ticket, now=app_now(prepared))
            services.complete_ticket(ticket, now=app_now(prepared), outcome=Outcome.COMPLETED)
            db.session.commit()
        return len(held)


def waiting_by_case_type(database: Database) -> dict[str, int]:
    """How many tickets wait, by case type code."""
    from service_center.catalogue.models import CaseType
    from service_center.db import db
    from service_center.queueing.models import Ticket, TicketState

    with app_for(database):
        rows = db.session.execute(
            select(CaseType.code, func.count(Ticket.id))
            .join(Ticket, Ticket.case_type_id == CaseType.id)
            .where(Ticket.state == TicketState.WAITING)
            .group_by(CaseType.code)
        )
        return {code: int(n) for code, n in rows}


def waiting_tokens(database: Database, limit: int) -> list[str]:
    from service_center.db import db
    from service_center.queueing.models import Ticket, TicketState

    with app_for(database):
        return list(
            db.session.scalars(
                select(Ticket.token)
                .where(Ticket.state == TicketState.WAITING)
                .order_by(Ticket.id)
                .limit(limit)
            )
        )


def write_lines(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    return path


def ticket_bodies(prepared: Prepared, *, notify: bool = False) -> list[str]:
    """One request body a line; with ``notify``, each opted in with a phone of its own
    (every holder asks for "N ahead" and "called": the outbox's worst case)."""
    ids = [i for code in sorted(prepared.items) for i in prepared.items[code]]
    if not notify:
        return [json.dumps({"center": CENTER, "service": i}) for i in ids]
    return [
        json.dumps({"center": CENTER, "service": ids[n % len(ids)], "notify": f"138{n:08d}"})
        for n in range(max(len(ids), 5_000))
    ]


def last_working_days(database: Database, count: int) -> list[date]:
    """The center's last ``count`` working days up to yesterday (real clock), oldest first:
    the days ``flask seed-history --days`` fills when given the calendar span they cover."""
    from service_center.catalogue import calendar
    from service_center.catalogue.models import Center
    from service_center.db import db

    with app_for(database):
        center = db.session.scalar(select(Center).where(Center.code == CENTER))
        day = datetime.now(UTC).astimezone(ZoneInfo(center.timezone)).date() - timedelta(1)
        days: list[date] = []
        while len(days) < count:
            if calendar.opening_periods(center, day):
                days.append(day)
            day -= timedelta(1)
        return days[::-1]


def days_after(day: date, count: int) -> list[date]:
    return [day + timedelta(days=n) for n in range(1, count + 1)]
