"""What one request of each journey costs the app, in process: CPU time and SQL statements.

Under wrk, a busy shared machine moves every figure by tens of percent; the CPU time a request
takes in this process and the statements it sends move far less, so they are what the
profiling in docs/performance.md compares before and after a change.
``python -m benchmarks costs [--database sqlite|postgresql] [--waiting N]``
"""

from __future__ import annotations

import cProfile
import os
import pstats
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import event

from . import data
from .data import CENTER


def _measure(call: Callable[[], Any], counter: list[int], repeat: int) -> tuple[float, float, int]:
    for _ in range(3):
        call()
    cpu, wall, queries = [], [], []
    for _ in range(repeat):
        counter[0] = 0
        c0, w0 = time.process_time(), time.perf_counter()
        response = call()
        cpu.append((time.process_time() - c0) * 1000)
        wall.append((time.perf_counter() - w0) * 1000)
        queries.append(counter[0])
        if response.status_code >= 400:
            raise RuntimeError(f"{response.status_code}: {response.get_data(as_text=True)[:300]}")
    return statistics.median(cpu), statistics.median(wall), max(queries)


def _hello() -> Flask:
    from .baselines.hello import app

    return app


def _profile(name: str, call: Callable[[], Any], repeat: int) -> None:
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(repeat):
        call()
    profiler.disable()
    print(f"\n## profile: {name} ({repeat} requests)")
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
    pstats.Stats(profiler).sort_stats("tottime").print_stats(15)


def run_costs(
    kind: str, waiting: int, repeat: int, pg_url: str, profile: str | None = None
) -> list[tuple[str, float, float, int]]:
    from service_center import clock, create_app
    from service_center.db import db

    rows: list[tuple[str, float, float, int]] = []
    hello = _hello().test_client()
    rows.append(("hello world", *_measure(lambda: hello.get("/"), [0], repeat)))

    tmp = Path(tempfile.mkdtemp(prefix="sc-costs-"))
    os.environ["SERVICE_CENTER_INSTANCE_PATH"] = str(tmp)
    database = data.create_database(kind, tmp, pg_server=pg_url, label="costs")
    try:
        prepared = data.seed(database, windows=23)
        per_kind = {code: waiting // len(prepared.items) for code in prepared.items}
        data.issue_tickets(database, prepared, per_kind)
        token = data.waiting_tokens(database, waiting)[-1]  # the newest: many ahead of it
        clock.travel(timedelta(seconds=prepared.clock_offset))
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": database.url,
                "SECRET_KEY": "costs",
                "RATELIMIT_ENABLED": False,
            }
        )
        client = app.test_client()
        auth = {"Authorization": f"Bearer {prepared.token}"}
        counter = [0]
        with app.app_context():
            engine = db.engine

        shown: list[str] = []

        @event.listens_for(engine, "before_cursor_execute")
        def _count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            counter[0] += 1
            shown.append(" ".join(statement.split())[:160])

        item = prepared.items["business"][0]
        window = prepared.windows[0]
        phone = iter(range(10**6))
        today = data.app_now(prepared).date()
        slots = [
            (d, s["start"])
            for d in data.days_after(today, 30)
            for s in client.get(
                f"/api/v1/centers/{CENTER}/slots?service={prepared.bookable_items[0]}&date={d}"
            ).json.get("slots", [])
        ]
        slot_iter = iter(slots * 6)

        def book() -> Any:
            day, start = next(slot_iter)
            return client.post(
                "/api/v1/appointments",
                json={
                    "center": CENTER,
                    "service": prepared.bookable_items[0],
                    "date": str(day),
                    "start": start,
                    "name": "张伟",
                    "phone": f"15{next(phone):09d}",
                },
            )

        def chain() -> Any:
            called = client.post(f"/api/v1/windows/{window}/call-next", headers=auth)
            ticket = called.json["id"]
            client.post(f"/api/v1/tickets/{ticket}/start", headers=auth)
            return client.post(
                f"/api/v1/tickets/{ticket}/complete",
                headers=auth,
                json={
                    "outcome": "completed",
                    "applicant_name": "张伟",
                    "applicant_phone": "13800138000",
                },
            )

        display = f"/api/v1/centers/{CENTER}/display"
        etags: list[str] = []

        def display_304() -> Any:
            # the board's tag as it stands after the journeys before this one changed it
            if not etags:
                etags.append(client.get(display).headers.get("ETag", ""))
            response = client.get(display, headers={"If-None-Match": etags[0]})
            if response.status_code != 304:
                raise RuntimeError(f"expected 304, got {response.status_code}")
            return response

        def poll_built(*, batch: bool) -> Callable[[], Any]:
            # a phone's answer as it is built again once the floor moved under it (nothing
            # kept for it in this process; its center known): placed from the batch of
            # every waiting ticket's positions this process keeps, or reading that batch
            def call() -> Any:
                app.extensions.get("kept_ticket_polls", {}).clear()
                if not batch:
                    app.extensions.get("queue_places", {}).clear()
                return client.get(f"/api/v1/tickets/{token}")

            return call

        journeys: list[tuple[str, Callable[[], Any]]] = [
            (
                "issue a ticket",
                lambda: client.post("/api/v1/tickets", json={"center": CENTER, "service": item}),
            ),
            ("book", book),
            ("call-next + start + complete (3 requests)", chain),
            ("display, fresh", lambda: client.get(display)),
            ("display, 304", display_304),
            ("ticket page", lambda: client.get(f"/t/{token}")),
            ("ticket poll (API)", lambda: client.get(f"/api/v1/tickets/{token}")),
            ("ticket poll, built, reading every position", poll_built(batch=False)),
            ("ticket poll, built, placed from those kept", poll_built(batch=True)),
            ("search API", lambda: client.get(f"/api/v1/centers/{CENTER}/services?q=yyzz")),
            ("search page", lambda: client.get(f"/centers/{CENTER}/services?q=yyzz")),
            (
                "daily report",
                lambda: client.get(
                    f"/api/v1/reports/daily?center={CENTER}&date={today}", headers=auth
                ),
            ),
        ]
        for name, call in journeys:
            try:
                rows.append((name, *_measure(call, counter, repeat)))
                if profile and profile in name:
                    shown.clear()
                    call()
                    print(f"\n## statements: {name}")
                    print("\n".join(f"{n:3}. {text}" for n, text in enumerate(shown, 1)))
                    _profile(name, call, repeat)
            except Exception as exc:  # noqa: BLE001 (a journey missing from this build)
                rows.append((f"{name}: {exc}"[:100], float("nan"), float("nan"), 0))
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    finally:
        clock.travel(timedelta(0))
        data.drop_database(database)
    return rows


def print_costs(rows: list[tuple[str, float, float, int]], waiting: int, kind: str) -> None:
    print(f"\n{kind}, {waiting} tickets waiting; median of the repeats, in this process")
    print("| request | CPU ms | wall ms | SQL statements |\n| --- | ---: | ---: | ---: |")
    for name, cpu, wall, queries in rows:
        print(f"| {name} | {cpu:.2f} | {wall:.2f} | {queries} |")
