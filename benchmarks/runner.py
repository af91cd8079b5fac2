"""Run the journeys and the baselines on each database, check correctness after every run."""

from __future__ import annotations

import contextlib
import json
import math
import os
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from . import checks, data, phones, procs, report, wrk
from .baselines import bare_write
from .data import CENTER, Database, Prepared

JOURNEYS = (
    "tickets",
    "booking",
    "call-next",
    "display",
    "ticket-page",
    "ticket-poll",
    "search",
    "phones",
    "notify",
    "reports",
)
RESULTS = Path(__file__).with_name("results")
#: the daily report is measured over the last DAILY_DAYS working days, the range over RANGE_DAYS
DAILY_DAYS = 60
RANGE_DAYS = 365

LABELS = {
    "tickets": "Issue a ticket (POST /api/v1/tickets)",
    "booking": "Book (POST /api/v1/appointments)",
    "call-next": "Call next → start → complete (clerks, one per window)",
    "display": "Display JSON, fresh",
    "display-304": "Display JSON, If-None-Match → 304",
    "ticket-page": "Ticket page /t/<token>",
    "ticket-poll": "Ticket API GET /api/v1/tickets/<token> (the page's poll)",
    "phones": "Phones poll their tickets every 2 s while clerks call them",
    "search": "Catalogue search API ?q=yyzz",
    "search-page": "Catalogue search page ?q=yyzz",
    "tickets-notify-off": "Issue a ticket, notifications off (paired run)",
    "tickets-notify-on": "Issue a ticket, notifications on, every holder opted in",
    "call-next-notify-off": "Call next → start → complete, notifications off (paired run)",
    "call-next-notify-on": "Call next → start → complete, notifications on, every holder opted in",
    "booking-notify-off": "Book, notifications off (paired run)",
    "booking-notify-on": "Book, notifications on, every booker opted in",
}
#: notifications on: an SMS channel (the webhook; no worker runs, so nothing is delivered:
#: what is measured is the outbox's cost inside the queue's requests) and the rate limits as
#: deployed (their defaults): a run soon passes a center's 3,000 an hour, and the guard then
#: costs what it costs at its limit (its counts stop there)
NOTIFY_ENV = {
    "SERVICE_CENTER_NOTIFY_SMS": "webhook",
    "SERVICE_CENTER_NOTIFY_SMS_WEBHOOK_URL": "http://127.0.0.1:9/sms",
}


@dataclass
class Options:
    quick: bool = False
    databases: list[str] = field(default_factory=lambda: ["sqlite", "postgresql"])
    journeys: list[str] = field(default_factory=lambda: list(JOURNEYS))
    duration: float = 10.0
    connections: list[int] = field(default_factory=lambda: [16, 64])
    workers: int = 2
    threads: int = 1
    report_sizes: list[int] = field(default_factory=lambda: [100_000, 5_000_000])
    #: cases a working day in every report database (Zhuangzhai's hall: ~900), so a day costs
    #: the same in both sizes and the larger one spans more years
    report_per_day: int = 900
    scale_out: bool = True
    #: the phones journey: phones (one waiting ticket each), and the seconds the clerks are
    #: paced to call them all in
    phones: int = 500
    phones_call_seconds: float = 45.0
    pg_url: str = "postgresql://postgres@127.0.0.1:5432/postgres"
    output: Path = RESULTS
    stem: str = "latest"


class Bench:
    """One benchmark run over the chosen databases; ``results`` is what gets written."""

    def __init__(self, options: Options, tmp: Path) -> None:
        self.o = options
        self.tmp = tmp
        self.started = time.monotonic()
        self.pg_version = data.pg_version(options.pg_url)
        self.results: dict[str, Any] = {
            "started_at": report.now_iso(),
            "command": report.command_line(),
            "machine": report.machine(self.pg_version, wrk.wrk_version()),
            "settings": {
                "quick": options.quick,
                "databases": options.databases,
                "journeys": options.journeys,
                "duration": options.duration,
                "connections": options.connections,
                "workers": options.workers,
                "threads": options.threads,
                "report_sizes": options.report_sizes,
                "report_per_day": options.report_per_day,
                "scale_out": options.scale_out,
            },
            "databases": {},
            "correctness": {"ok": True, "runs_checked": 0, "rules": [], "violations": []},
            "notes": [],
        }
        wrk.SETTLE_SECONDS = 0.2 if options.quick else 0.5
        if options.quick:
            # a handful of phones, called in a few seconds: the journey runs end to end
            options.phones = min(options.phones, 30)
            options.phones_call_seconds = min(options.phones_call_seconds, 5.0)
        self.booking_state: dict[str, Any] | None = None
        self.waiting = 0
        self.instance = tmp / "instance"
        self.instance.mkdir()
        os.environ["SERVICE_CENTER_INSTANCE_PATH"] = str(self.instance)

    # --- the whole run ------------------------------------------------------------------

    def run(self) -> dict[str, Any]:
        for kind in self.o.databases:
            if kind == "postgresql" and self.pg_version is None:
                self.results["databases"][kind] = {
                    "skipped": f"PostgreSQL is not reachable at {self.o.pg_url}"
                }
                self.log(f"PostgreSQL not reachable at {self.o.pg_url}: skipped")
                continue
            self.section = self.results["databases"].setdefault(
                kind,
                {"baselines": {}, "runs": [], "unavailable": {}, "memory_kb": {}, "timings_s": {}},
            )
            self.run_database(kind)
        self.results["elapsed_s"] = round(time.monotonic() - self.started, 1)
        self.results["load_average_at_end"] = list(os.getloadavg())
        self.results["probe_ms_at_end"] = report.speed_probe()
        return self.results

    def run_database(self, kind: str) -> None:
        load_journeys = [j for j in self.o.journeys if j != "reports"]
        if load_journeys:
            database = data.create_database(kind, self.tmp, pg_server=self.o.pg_url, label="load")
            try:
                self.log(f"[{kind}] seeding the demo county")
                with self.timed("seed"):
                    prepared = data.seed(database, windows=max(self.o.connections))
                with self.timed("baselines"):
                    self.run_baselines(database)
                self.run_app(database, prepared, self.o.journeys)
                if self.o.scale_out and kind == "postgresql":
                    with self.timed("scale-out"):
                        self.run_scale_out(database, prepared)
            finally:
                data.drop_database(database)
        if "reports" in self.o.journeys and not (self.o.quick and load_journeys):
            with self.timed("reports"):
                if "hello" not in self.section["baselines"]:
                    self.run_baselines(None)
                self.run_reports(kind)

    @contextlib.contextmanager
    def timed(self, part: str) -> Any:
        """Add the seconds the block took to this database's ``timings_s[part]``."""
        started = time.monotonic()
        try:
            yield
        finally:
            timings = self.section["timings_s"]
            timings[part] = round(timings.get(part, 0) + time.monotonic() - started, 1)

    def sections(self) -> list[dict[str, Any]]:
        return [s for s in self.results["databases"].values() if "baselines" in s]

    # --- servers ------------------------------------------------------------------------

    def start_server(
        self,
        app: str,
        label: str,
        database: Database | None,
        offset: float | None = None,
        extra_env: dict[str, str] | None = None,
    ) -> procs.Server:
        env = (
            data.server_env(database, self.instance, offset)
            if database
            else data.server_env(Database("sqlite", "sqlite://"), self.instance, None)
        )
        env.update(extra_env or {})
        server = procs.start_gunicorn(
            app,
            label=label,
            env=env,
            workers=self.o.workers,
            threads=self.o.threads,
            log_dir=self.tmp,
        )
        # warm the workers up (first connections, compiled statements) before measuring
        if self.o.quick:
            for _ in range(10):
                with contextlib.suppress(OSError), urllib.request.urlopen(server.url + "/") as r:
                    r.read()
        else:
            wrk.run(wrk.Load(server.url + "/", "get.lua", connections=4, duration=1))
        return server

    def stop_server(self, server: procs.Server, memory_key: str) -> None:
        rss = server.sample_memory()
        memory = self.section["memory_kb"]
        memory[memory_key] = max(memory.get(memory_key, 0), rss)
        procs.stop(server.process)
        log = server.log.read_text(errors="replace") if server.log.exists() else ""
        if "Traceback" in log:
            self.note(
                f"{server.label}: the server logged a traceback (see its log): "
                + log[log.find("Traceback") :][:600]
            )

    # --- baselines ----------------------------------------------------------------------

    def run_baselines(self, database: Database | None) -> None:
        baselines = self.section["baselines"]
        earlier = [s["baselines"]["hello"] for s in self.sections() if "hello" in s["baselines"]]
        if self.o.quick and earlier:
            # quick mode measures hello world once a run: it does not touch the database
            baselines["hello"] = earlier[0]
        else:
            server = self.start_server("benchmarks.baselines.hello:app", "hello", None)
            try:
                for conns in self.o.connections:
                    m = wrk.run(self.load(server, "/", "get.lua", conns))
                    baselines.setdefault("hello", {})[conns] = m.to_json()
                    self.log(f"  hello world @{conns}: {m.rps:,.0f} req/s p99 {m.p99_ms} ms")
            finally:
                self.stop_server(server, "hello")
        if database is None:
            return
        bare_write.prepare(database.url, waiting=0)
        server = self.start_server("benchmarks.baselines.bare_write:create_app()", "bare", database)
        try:
            for conns in self.o.connections:
                m = wrk.run(self.load(server, "/rows", "post.lua", conns))
                baselines.setdefault("bare_insert", {})[conns] = m.to_json()
                self.log(f"  bare insert @{conns}: {m.rps:,.0f} req/s p99 {m.p99_ms} ms")
            # for reference only (no target uses it): at the lowest connection count
            for conns in [] if self.o.quick else [min(self.o.connections)]:
                m = wrk.run(self.load(server, "/rows/1", "get.lua", conns))
                baselines.setdefault("bare_read", {})[conns] = m.to_json()
                self.log(f"  bare read @{conns}: {m.rps:,.0f} req/s p99 {m.p99_ms} ms")
            for conns in self.o.connections:
                bare_write.prepare(database.url, waiting=self.rows_needed(conns))
                m = wrk.run(self.load(server, "/call-next", "post.lua", conns))
                baselines.setdefault("bare_call_next", {})[conns] = m.to_json()
                if m.count(204):
                    self.note(f"bare call-next @{conns}: the rows ran out ({m.count(204)} × 204)")
                self.log(f"  bare call-next @{conns}: {m.rps:,.0f} req/s p99 {m.p99_ms} ms")
        finally:
            self.stop_server(server, "bare write")

    def rows_needed(self, conns: int) -> int:
        insert = self.section["baselines"]["bare_insert"][conns]["rps"]
        return int(max(insert, 500) * 3 * self.o.duration) + 1000

    def load(
        self,
        server: procs.Server,
        path: str,
        script: str,
        conns: int,
        *,
        args: tuple[str, ...] = (),
        headers: tuple[str, ...] = (),
        threads: int = 2,
        duration: float | None = None,
    ) -> wrk.Load:
        return wrk.Load(
            server.url + path,
            script,
            connections=conns,
            duration=duration or self.o.duration,
            threads=threads,
            args=args,
            headers=headers,
        )

    # --- the app ------------------------------------------------------------------------

    def run_app(self, database: Database, prepared: Prepared, journeys: list[str]) -> None:
        kind = database.kind
        self.log(f"[{kind}] the app")
        server = self.start_server(
            "service_center:create_app()", "app", database, prepared.clock_offset
        )
        self.auth = f"Authorization: Bearer {prepared.token}"
        self.prepared = prepared
        self.booking_state = None
        self.busy: tuple[dict[str, int], list[str], int] | None = None
        self.call_rates: dict[int, float] = {}
        try:
            with self.timed("app start and warm-up"):
                paths = self.api_paths(server)
                self.warm_up(server, prepared, paths)
            for journey in JOURNEYS:
                if journey not in journeys or journey == "reports":
                    continue
                method = getattr(self, "journey_" + journey.replace("-", "_"))
                with self.timed(journey):
                    method(database, prepared, server, paths)
            if self.o.quick and "reports" in self.o.journeys:
                with self.timed("reports"):
                    self.quick_reports(database, prepared, server, paths)
        finally:
            self.stop_server(server, "app")

    def warm_up(self, server: procs.Server, prepared: Prepared, paths: set[str]) -> None:
        """A few requests of every journey on each worker before anything is measured: the
        first ones compile statements and templates and would count against short runs."""
        auth = {"Authorization": f"Bearer {prepared.token}"}
        json_type = {"Content-Type": "application/json"}
        day = data.app_now(prepared).date() + timedelta(days=300)  # far from the booking load
        bookable = prepared.bookable_items[0]
        slots = self.get_json(
            server, f"/api/v1/centers/{CENTER}/slots?service={bookable}&date={day}"
        )
        starts = [s["start"] for s in (slots or {}).get("slots", [])]
        window = prepared.windows[-1]
        for n in range(2 * self.o.workers):
            ticket = self.send(
                server, "POST", "/api/v1/tickets", data.ticket_bodies(prepared)[n], json_type
            )
            if starts and "/appointments" in paths:
                body = {
                    "center": CENTER,
                    "service": bookable,
                    "date": str(day),
                    "start": starts[n % len(starts)],
                    "name": "张伟",
                    "phone": f"1990000{n:04d}",
                }
                self.send(server, "POST", "/api/v1/appointments", json.dumps(body), json_type)
            called = self.send(server, "POST", f"/api/v1/windows/{window}/call-next", "", auth)
            if called and called.get("id"):
                complete = json.dumps(
                    {
                        "outcome": "completed",
                        "applicant_name": "张伟",
                        "applicant_phone": "13800138000",
                    }
                )
                for step, body in (("start", ""), ("complete", complete)):
                    self.send(
                        server,
                        "POST",
                        f"/api/v1/tickets/{called['id']}/{step}",
                        body,
                        {**auth, **json_type},
                    )
            for path in (
                f"/api/v1/centers/{CENTER}/display",
                f"/t/{ticket['token']}" if ticket else "/",
                f"/api/v1/tickets/{ticket['token']}" if ticket else "/",
                f"/api/v1/centers/{CENTER}/services?q=yyzz",
                f"/centers/{CENTER}/services?q=yyzz",
            ):
                self.send(server, "GET", path, None, {})

    def send(
        self, server: procs.Server, method: str, path: str, body: str | None, headers: dict
    ) -> dict | None:
        request = urllib.request.Request(
            server.url + path,
            data=body.encode() if body is not None else None,
            headers=headers,
            method=method,
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                text = answer.read()
        except urllib.error.HTTPError:
            return None
        try:
            return json.loads(text) if text else None
        except ValueError:
            return None

    def get_json(self, server: procs.Server, path: str) -> dict | None:
        return self.send(server, "GET", path, None, {})

    def api_paths(self, server: procs.Server) -> set[str]:
        with urllib.request.urlopen(server.url + "/api/v1/openapi.json", timeout=10) as answer:
            document = json.load(answer)
        return {p.removeprefix("/api/v1") for p in document.get("paths", {})}

    def unavailable(self, journey: str, why: str) -> None:
        self.section["unavailable"][journey] = why
        self.log(f"  {journey}: not available ({why})")

    def record(
        self,
        database: Database,
        journey: str,
        m: wrk.Measured,
        *,
        expected: tuple[int, ...],
        baseline: str,
        before: dict[str, int] | None = None,
        acknowledged: dict[str, int] | None = None,
        note: str = "",
        servers: int = 1,
        extra: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Check correctness, compare with the baseline at the same connections, keep the run."""
        result = checks.check(database, before=before, acknowledged=acknowledged)
        correctness = self.results["correctness"]
        correctness["runs_checked"] += 1
        correctness["rules"] = sorted(set(correctness["rules"]) | set(result.checked))
        for name, text in result.violations.items():
            correctness["ok"] = False
            correctness["violations"].append(
                f"{database.kind} {journey} @{m.connections}: {name}: {text}"
            )
        unexpected = m.requests - m.count(*expected)
        notes = [note] if note else []
        if unexpected:
            others = {k: v for k, v in m.statuses.items() if int(k) not in expected}
            notes.append(f"unexpected answers {others}")
        if any(m.socket_errors.values()):
            notes.append(f"socket errors {m.socket_errors}")
        base = self.section["baselines"].get(baseline, {}).get(m.connections)
        run = {
            "database": database.kind,
            "journey": journey,
            "label": LABELS.get(journey, journey),
            "connections": m.connections,
            "servers": servers,
            "baseline": baseline,
            **m.to_json(),
            "rps_ratio": round(m.rps / base["rps"], 3) if base and base["rps"] else None,
            "p50_ratio": round(m.p50_ms / base["p50_ms"], 2) if base and base["p50_ms"] else None,
            "p99_ratio": round(m.p99_ms / base["p99_ms"], 2) if base and base["p99_ms"] else None,
            "checks": result.checked,
            "violations": list(result.violations),
            "note": "; ".join(notes),
            **(extra or {}),
        }
        self.section["runs"].append(run)
        ratio = f" ({run['rps_ratio']:.2f}× {baseline})" if run["rps_ratio"] else ""
        self.log(
            f"  {journey} @{m.connections}: {m.rps:,.0f} req/s{ratio}, p50 {m.p50_ms} ms, "
            f"p99 {m.p99_ms} ms; checks {'ok' if result.ok else 'VIOLATED'}"
            + (f"; {run['note']}" if run["note"] else "")
        )
        return run

    def journey_tickets(
        self, database: Database, prepared: Prepared, server: procs.Server, paths: set[str]
    ) -> None:
        for conns in self.o.connections:
            self.tickets_run(database, prepared, server, conns)

    def tickets_run(
        self,
        database: Database,
        prepared: Prepared,
        server: procs.Server,
        conns: int,
        *,
        journey: str = "tickets",
        notify: bool = False,
        duration: float | None = None,
    ) -> dict[str, Any]:
        bodies = data.write_lines(
            self.tmp / f"ticket_bodies_{notify}.txt", data.ticket_bodies(prepared, notify=notify)
        )
        before = checks.counts(database)
        waiting = sum(data.waiting_by_case_type(database).values())
        m = wrk.run(
            self.load(
                server,
                "/api/v1/tickets",
                "post.lua",
                conns,
                args=(str(bodies),),
                duration=duration,
            )
        )
        return self.record(
            database,
            journey,
            m,
            expected=(201,),
            baseline="bare_insert",
            before=before,
            acknowledged={"tickets": m.count(201)},
            note=f"{waiting:,} waiting at the start, {waiting + m.count(201):,} at the end",
        )

    def journey_booking(
        self, database: Database, prepared: Prepared, server: procs.Server, paths: set[str]
    ) -> None:
        if not self.booking_available(paths):
            self.unavailable("booking", "POST /api/v1/appointments is not served")
            return
        for conns in self.o.connections:
            self.booking_run(database, prepared, server, conns)

    def booking_available(self, paths: set[str]) -> bool:
        return "/appointments" in paths and "/centers/{code}/slots" in paths

    def booking_slots(self, server: procs.Server, prepared: Prepared) -> dict[str, Any]:
        """Free slots for every booking run of this database (the journey's, and the paired
        runs' of the notify journey): each place is asked for once over all of them."""
        if self.booking_state is not None:
            return self.booking_state
        insert = self.section["baselines"]["bare_insert"]
        runs = list(self.o.connections) if "booking" in self.o.journeys else []
        if "notify" in self.o.journeys:
            runs += self.notify_connections() * 2  # four runs of half the duration
        places = sum(insert[c]["rps"] * self.o.duration * 1.2 for c in runs)
        slots = self.free_slots(server, prepared, math.ceil(places / prepared.slot_capacity))
        note = ""
        if len(slots) * prepared.slot_capacity < places:
            note = f"only {len(slots) * prepared.slot_capacity:,} places within the horizon"
        self.booking_state = {
            "file": data.write_lines(self.tmp / "slots.txt", [" ".join(s) for s in slots]),
            "slots": len(slots),
            "note": note,
            "first_place": 0,
            "phone_base": 0,
        }
        return self.booking_state

    def booking_run(
        self,
        database: Database,
        prepared: Prepared,
        server: procs.Server,
        conns: int,
        *,
        journey: str = "booking",
        notify: bool = False,
        duration: float | None = None,
    ) -> dict[str, Any]:
        state = self.booking_slots(server, prepared)
        before = checks.counts(database)
        m = wrk.run(
            self.load(
                server,
                "/api/v1/appointments",
                "booking.lua",
                conns,
                args=(
                    str(state["file"]),
                    str(prepared.slot_capacity),
                    str(min(2, conns)),
                    str(state["first_place"]),
                    str(state["phone_base"]),
                    "1" if notify else "0",
                ),
                duration=duration,
            )
        )
        run = self.record(
            database,
            journey,
            m,
            expected=(201,),
            baseline="bare_insert",
            before=before,
            acknowledged={"appointments": m.count(201)},
            note=state["note"],
            extra={"slots_offered": state["slots"]},
        )
        used = state["first_place"] + m.counters.get("max_sent", 0) * min(2, conns)
        state["first_place"] = math.ceil(used / prepared.slot_capacity) * prepared.slot_capacity
        state["phone_base"] += m.counters.get("max_sent", 0) + 1
        return run

    def free_slots(
        self, server: procs.Server, prepared: Prepared, wanted: int
    ) -> list[tuple[str, str, str]]:
        """Ask the app for empty slots, day after day from tomorrow, until ``wanted``."""
        today = (datetime.now(UTC) + timedelta(seconds=prepared.clock_offset)).date()
        found: list[tuple[str, str, str]] = []
        items = prepared.bookable_items
        for n, day in enumerate(data.days_after(today, 366)):
            item = items[n % len(items)]
            url = f"{server.url}/api/v1/centers/{CENTER}/slots?service={item}&date={day}"
            try:
                with urllib.request.urlopen(url, timeout=10) as answer:
                    body = json.load(answer)
            except urllib.error.HTTPError:
                continue
            if not body.get("open"):
                continue
            for slot in body["slots"]:
                if slot["remaining"] == slot["capacity"] == prepared.slot_capacity:
                    found.append((str(day), slot["start"], str(item)))
            if len(found) >= wanted:
                break
        return found

    def journey_call_next(
        self, database: Database, prepared: Prepared, server: procs.Server, paths: set[str]
    ) -> None:
        for conns in self.o.connections:
            rate = self.call_next_rate(database, prepared, server, conns)
            self.call_next_run(database, prepared, server, conns, rate)

    def clerks(self, server: procs.Server, conns: int, seconds: float) -> wrk.Load:
        """One clerk per connection, each at a window of their own."""
        window_file = data.write_lines(
            self.tmp / f"windows_{conns}.txt", [str(w) for w in self.prepared.windows[:conns]]
        )
        return self.load(
            server,
            "/",
            "call_next.lua",
            conns,
            args=(str(window_file),),
            headers=(self.auth,),
            threads=conns,
            duration=seconds,
        )

    def call_next_rate(
        self, database: Database, prepared: Prepared, server: procs.Server, conns: int
    ) -> float:
        """Tickets a second the clerks will call: no clerk calls faster than the bare call-next
        (a queue for that is the upper bound); a full run calibrates it for 2 seconds, once
        for each connection count (the notify journey's paired runs take the rate measured
        for the call-next journey)."""
        if conns in self.call_rates:
            return self.call_rates[conns]
        rate = max(self.section["baselines"]["bare_call_next"][conns]["rps"], 300) / 3
        if not self.o.quick:
            self.prepare_queue(database, prepared, prepared.windows[:conns], rate, 2)
            calibration = wrk.run(self.clerks(server, conns, 2))
            rate = calibration.counters.get("calls", 0) / calibration.duration_s * 1.5
        self.call_rates[conns] = rate
        return rate

    def call_next_run(
        self,
        database: Database,
        prepared: Prepared,
        server: procs.Server,
        conns: int,
        rate: float,
        *,
        journey: str = "call-next",
        notify: bool = False,
        duration: float | None = None,
    ) -> dict[str, Any]:
        windows = prepared.windows[:conns]
        seconds = duration or self.o.duration
        self.prepare_queue(database, prepared, windows, rate, seconds, notify=notify)
        before = checks.counts(database)
        self.waiting = sum(data.waiting_by_case_type(database).values())
        m = wrk.run(self.clerks(server, conns, seconds))
        return self.record_call_next(database, m, before, journey=journey)

    def journey_notify(
        self, database: Database, prepared: Prepared, server: procs.Server, paths: set[str]
    ) -> None:
        """Issue, book and call-next once more, notifications off (the app's server) and on (a
        second server with a channel, every holder opted in), in the order off, on, on, off,
        so the machine's drift falls on both alike; at the highest connection count only (the
        outbox's writes contend most there), each run half the duration: per journey as long
        on as off, together two runs' time."""
        half = self.o.duration / 2
        on = self.start_server(
            "service_center:create_app()",
            "app, notifications on",
            database,
            prepared.clock_offset,
            extra_env=NOTIFY_ENV,
        )
        servers = {False: server, True: on}
        order = (False, True, True, False)
        try:
            self.warm_up(on, prepared, paths)
            for conns in self.notify_connections():
                for notify in order:
                    self.tickets_run(
                        database,
                        prepared,
                        servers[notify],
                        conns,
                        journey=f"tickets-notify-{'on' if notify else 'off'}",
                        notify=notify,
                        duration=half,
                    )
            if self.booking_available(paths):
                for conns in self.notify_connections():
                    for notify in order:
                        self.booking_run(
                            database,
                            prepared,
                            servers[notify],
                            conns,
                            journey=f"booking-notify-{'on' if notify else 'off'}",
                            notify=notify,
                            duration=half,
                        )
            for conns in self.notify_connections():
                rate = self.call_next_rate(database, prepared, server, conns)
                for notify in order:
                    self.call_next_run(
                        database,
                        prepared,
                        servers[notify],
                        conns,
                        rate,
                        journey=f"call-next-notify-{'on' if notify else 'off'}",
                        notify=notify,
                        duration=half,
                    )
        finally:
            self.stop_server(on, "app, notifications on")

    def notify_connections(self) -> list[int]:
        return [max(self.o.connections)]

    def prepare_queue(
        self,
        database: Database,
        prepared: Prepared,
        windows: list[int],
        per_second: float,
        seconds: float,
        *,
        notify: bool = False,
    ) -> None:
        """Settle the windows and queue what ``per_second`` calls for ``seconds`` need, by
        the windows' skills (the queue of a busy hall, not what earlier journeys left)."""
        data.wait_quiet(database)
        data.settle_windows(database, prepared)
        data.cancel_waiting(database, prepared)
        tickets = per_second * seconds + 50
        kinds = [prepared.window_case_types[w] for w in windows]
        specific = [k for k in kinds if k is not None] or list(prepared.items)
        per_kind = {
            code: math.ceil(tickets * specific.count(code) / len(specific)) + 20
            for code in prepared.items
            if code in specific
        }
        data.issue_tickets(database, prepared, per_kind, notify=notify)

    def record_call_next(
        self,
        database: Database,
        m: wrk.Measured,
        before: dict[str, int],
        servers: int = 1,
        journey: str = "call-next",
    ) -> dict[str, Any]:
        calls = m.counters.get("calls", 0)
        note = (
            f"{calls / m.duration_s:,.0f} tickets called and closed per second; "
            f"{self.waiting:,} waiting at the start"
        )
        if m.counters.get("empty"):
            note += f"; the queue ran dry {m.counters['empty']} times (204)"
        if m.counters.get("failed"):
            note += f"; {m.counters['failed']} steps failed"
        return self.record(
            database,
            journey,
            m,
            expected=(200, 204),
            baseline="bare_call_next",
            before=before,
            acknowledged={"calls": calls, "cases": m.counters.get("completes", 0)},
            note=note,
            servers=servers,
            extra={"calls_per_s": round(calls / m.duration_s, 1)},
        )

    def journey_display(
        self, database: Database, prepared: Prepared, server: procs.Server, paths: set[str]
    ) -> None:
        path = f"/api/v1/centers/{CENTER}/display"
        if "/centers/{code}/display" not in paths:
            self.unavailable("display", f"GET {path} is not served")
            self.unavailable("display-304", f"GET {path} is not served")
            return
        for conns in self.o.connections:
            m = wrk.run(self.load(server, path, "get.lua", conns))
            self.record(database, "display", m, expected=(200,), baseline="hello")
        for conns in self.o.connections:
            # the board's version as it is now (no write runs during this load)
            with urllib.request.urlopen(server.url + path, timeout=10) as answer:
                etag = answer.headers.get("ETag")
            if not etag:
                self.unavailable("display-304", "the display answers without an ETag")
                return
            m = wrk.run(
                self.load(server, path, "get.lua", conns, headers=(f"If-None-Match: {etag}",))
            )
            self.record(database, "display-304", m, expected=(304,), baseline="hello")

    def busy_queue(self, database: Database, prepared: Prepared) -> tuple[list[str], int]:
        """A busy hall: 200 waiting (the queue is all a ticket's position counts through);
        return up to 500 of their tokens from the head of the queue to its end, and how many
        wait. The ticket page and the poll share it: made again only when the database
        changed in between."""
        data.wait_quiet(database)
        state = {**checks.counts(database), **data.waiting_by_case_type(database)}
        if self.busy is not None and self.busy[0] == state:
            return self.busy[1], self.busy[2]
        data.settle_windows(database, prepared)
        data.cancel_waiting(database, prepared)
        data.issue_tickets(
            database, prepared, {code: 200 // len(prepared.items) + 1 for code in prepared.items}
        )
        tokens = data.waiting_tokens(database, 100_000)
        tokens = tokens[:: max(1, len(tokens) // 500)][:500]
        waiting = sum(data.waiting_by_case_type(database).values())
        state = {**checks.counts(database), **data.waiting_by_case_type(database)}
        self.busy = (state, tokens, waiting)
        return tokens, waiting

    def journey_ticket_page(
        self, database: Database, prepared: Prepared, server: procs.Server, paths: set[str]
    ) -> None:
        tokens, waiting = self.busy_queue(database, prepared)
        pages = data.write_lines(self.tmp / "ticket_pages.txt", [f"/t/{t}" for t in tokens])
        for conns in self.o.connections:
            m = wrk.run(self.load(server, "/", "get.lua", conns, args=(str(pages),)))
            self.record(
                database,
                "ticket-page",
                m,
                expected=(200,),
                baseline="hello",
                note=f"{len(tokens)} tickets' pages in turn, {waiting:,} waiting",
            )

    def journey_ticket_poll(
        self, database: Database, prepared: Prepared, server: procs.Server, paths: set[str]
    ) -> None:
        """What every open ticket page asks every 2 seconds (ticket.js): the ticket API."""
        if "/tickets/{token}" not in paths:
            self.unavailable("ticket-poll", "GET /api/v1/tickets/{token} is not served")
            return
        tokens, waiting = self.busy_queue(database, prepared)
        polls = data.write_lines(
            self.tmp / "ticket_polls.txt", [f"/api/v1/tickets/{t}" for t in tokens]
        )
        for conns in self.o.connections:
            m = wrk.run(self.load(server, "/", "get.lua", conns, args=(str(polls),)))
            self.record(
                database,
                "ticket-poll",
                m,
                expected=(200,),
                baseline="hello",
                note=f"{len(tokens)} tickets in turn, {waiting:,} waiting",
            )

    def journey_phones(
        self, database: Database, prepared: Prepared, server: procs.Server, paths: set[str]
    ) -> None:
        """Phones poll their tickets (ticket.js) while clerks call them (benchmarks/phones.py):
        does every phone see its call within one poll interval?"""
        count = self.o.phones
        clerks, _ = phones.clerks_needed(count, len(prepared.windows), self.o.phones_call_seconds)
        windows = prepared.windows[:clerks]
        # the queue holds the phones' tickets and nothing else, each one callable at a
        # clerk's window (their items are the windows' skills)
        data.wait_quiet(database)
        data.settle_windows(database, prepared)
        data.cancel_waiting(database, prepared)
        tickets = data.issue_for_windows(database, prepared, windows, count)
        before = checks.counts(database)
        self.log(
            f"  phones: {count} phones polling every {phones.POLL_INTERVAL:g} s, {clerks} clerks"
        )
        result = phones.run(
            server.url,
            tickets,
            windows,
            f"Bearer {prepared.token}",
            call_seconds=self.o.phones_call_seconds,
            limit_seconds=self.o.phones_call_seconds * 1.25,
        )
        wrk.settle()
        m = wrk.Measured(
            requests=result["requests"],
            duration_s=result["duration_s"],
            rps=result["rps"],
            p50_ms=result["rtt_p50_ms"] or 0.0,
            p90_ms=result["rtt_p90_ms"] or 0.0,
            p99_ms=result["rtt_p99_ms"] or 0.0,
            max_ms=result["rtt_max_ms"] or 0.0,
            statuses=result["statuses"],
            counters=result["counters"],
            socket_errors={"poll": result["poll_errors"]} if result["poll_errors"] else {},
            connections=count + clerks,
            threads=1,
        )
        counters = result["counters"]
        note = (
            f"{result['called']} of {count} tickets called in {result['calling_s']:.0f} s, "
            f"{result['seen']} phones saw their call, {result['late']} late; delay seen − called "
            f"p50 {result['delay_p50_ms']} ms, p99 {result['delay_p99_ms']} ms, max "
            f"{result['delay_max_ms']} ms; the client's CPU {result['client_cpu_share']:.0%}"
        )
        if result["clerk_errors"]:
            note += f"; clerks' errors {result['clerk_errors']}"
        self.record(
            database,
            "phones",
            m,
            expected=(200, 204),
            baseline="none",
            before=before,
            acknowledged={"calls": counters["calls"], "cases": counters["completes"]},
            note=note,
            extra={"phones": result},
        )

    def journey_search(
        self, database: Database, prepared: Prepared, server: procs.Server, paths: set[str]
    ) -> None:
        for journey, path in (
            ("search", f"/api/v1/centers/{CENTER}/services?q=yyzz"),
            ("search-page", f"/centers/{CENTER}/services?q=yyzz"),
        ):
            for conns in self.o.connections:
                m = wrk.run(self.load(server, path, "get.lua", conns))
                self.record(database, journey, m, expected=(200,), baseline="hello")

    # --- scale-out ----------------------------------------------------------------------

    def run_scale_out(self, database: Database, prepared: Prepared) -> None:
        """Two app servers on one PostgreSQL, a wrk for each in parallel; at the highest
        connection count only (no target: what it shows is exactly-once across servers)."""
        self.log(f"[{database.kind}] scale-out: two app servers")
        scale: dict[str, Any] = {"runs": []}
        self.section["scale_out"] = scale
        servers = [
            self.start_server(
                "service_center:create_app()", f"app-{n}", database, prepared.clock_offset
            )
            for n in (1, 2)
        ]
        try:
            bodies = data.write_lines(self.tmp / "ticket_bodies.txt", data.ticket_bodies(prepared))
            if "tickets" in self.o.journeys:
                for conns in [max(self.o.connections)]:
                    before = checks.counts(database)
                    loads = [
                        self.load(s, "/api/v1/tickets", "post.lua", conns // 2, args=(str(bodies),))
                        for s in servers
                    ]
                    m = self.parallel(loads)
                    run = self.record(
                        database,
                        "tickets",
                        m,
                        expected=(201,),
                        baseline="bare_insert",
                        before=before,
                        acknowledged={"tickets": m.count(201)},
                        servers=2,
                    )
                    self.add_scale_run(scale, run)
            if "call-next" in self.o.journeys:
                for conns in [max(self.o.connections)]:
                    windows = prepared.windows[:conns]
                    single = [
                        r["calls_per_s"]
                        for r in self.section["runs"]
                        if r["journey"] == "call-next"
                        and r["connections"] == conns
                        and r.get("servers", 1) == 1
                    ]
                    bare = self.section["baselines"]["bare_call_next"][conns]["rps"] / 3
                    rate = 2 * 1.5 * single[0] if single else bare
                    self.prepare_queue(database, prepared, windows, rate, self.o.duration)
                    self.waiting = sum(data.waiting_by_case_type(database).values())
                    loads = []
                    for n, server in enumerate(servers):
                        mine = windows[n::2]
                        window_file = data.write_lines(
                            self.tmp / f"windows_{conns}_{n}.txt", [str(w) for w in mine]
                        )
                        loads.append(
                            self.load(
                                server,
                                "/",
                                "call_next.lua",
                                len(mine),
                                args=(str(window_file),),
                                headers=(self.auth,),
                                threads=len(mine),
                            )
                        )
                    before = checks.counts(database)
                    m = self.parallel(loads)
                    run = self.record_call_next(database, m, before, servers=2)
                    self.add_scale_run(scale, run)
        finally:
            for n, server in enumerate(servers, 1):
                self.stop_server(server, f"app (scale-out {n})")
        scale["note"] = (
            f"On this {os.cpu_count()}-CPU machine the two servers and wrk share the same cores, "
            "so growth shows how little is serialised in the database, not what a second host "
            "adds; exactly-once holds across both servers (checks above)."
        )

    def add_scale_run(self, scale: dict[str, Any], run: dict[str, Any]) -> None:
        single = next(
            (
                r
                for r in self.section["runs"]
                if r["journey"] == run["journey"]
                and r["connections"] == run["connections"]
                and r.get("servers", 1) == 1
            ),
            None,
        )
        run["single_rps"] = single["rps"] if single else None
        run["growth"] = round(run["rps"] / single["rps"], 2) if single and single["rps"] else None
        scale["runs"].append(run)

    def parallel(self, loads: list[wrk.Load]) -> wrk.Measured:
        """Run several wrk processes at once and add their figures up (latency: the worst)."""
        running = [wrk.start(load) for load in loads]
        parts = [wrk.finish(r) for r in running]
        statuses: dict[str, int] = {}
        counters: dict[str, int] = {}
        errors: dict[str, int] = {}
        for part in parts:
            for target, source in (
                (statuses, part.statuses),
                (counters, part.counters),
                (errors, part.socket_errors),
            ):
                for key, value in source.items():
                    target[key] = target.get(key, 0) + value
        duration = max(p.duration_s for p in parts)
        return wrk.Measured(
            requests=sum(p.requests for p in parts),
            duration_s=duration,
            rps=round(sum(p.rps for p in parts), 1),
            p50_ms=max(p.p50_ms for p in parts),
            p90_ms=max(p.p90_ms for p in parts),
            p99_ms=max(p.p99_ms for p in parts),
            max_ms=max(p.max_ms for p in parts),
            statuses=statuses,
            counters=counters,
            socket_errors=errors,
            connections=sum(p.connections for p in parts),
            threads=sum(p.threads for p in parts),
        )

    # --- reports ------------------------------------------------------------------------

    def run_reports(self, kind: str) -> None:
        """Each size a fresh database: the demo county, then ``flask seed-history``."""
        section = self.reports_section()
        if section is None:
            return
        for size in self.o.report_sizes:
            database = data.create_database(
                kind, self.tmp, pg_server=self.o.pg_url, label=f"reports-{size}"
            )
            try:
                prepared = data.seed(database)
                figures, open_days = self.seed_history(database, size)
                server = self.start_server("service_center:create_app()", "app-reports", database)
                try:
                    self.measure_reports(
                        database,
                        server,
                        prepared,
                        open_days,
                        figures,
                        under_load=size == max(self.o.report_sizes),
                    )
                finally:
                    self.stop_server(server, "app (reports)")
                section["sizes"][str(size)] = figures
            finally:
                data.drop_database(database)

    def quick_reports(
        self, database: Database, prepared: Prepared, server: procs.Server, paths: set[str]
    ) -> None:
        """Quick mode: history into the load database (days before the load's), same server."""
        section = self.reports_section()
        if section is None:
            return
        size = self.o.report_sizes[0]
        figures, open_days = self.seed_history(database, size)
        self.measure_reports(database, server, prepared, open_days, figures)
        section["sizes"][str(size)] = figures

    def reports_section(self) -> dict[str, Any] | None:
        section: dict[str, Any] = {"sizes": {}}
        self.section["reports"] = section
        missing = self.reports_missing()
        if missing:
            section["unavailable"] = missing
            self.unavailable("reports", missing)
            return None
        return section

    def reports_missing(self) -> str:
        """Say what of the reports is missing in this build ('' when all is there)."""
        from service_center import create_app

        app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x"})
        rules = {rule.rule for rule in app.url_map.iter_rules()}
        missing = [
            f"GET {rule}"
            for rule in ("/api/v1/reports/daily", "/api/v1/reports/totals")
            if rule not in rules
        ]
        if "seed-history" not in app.cli.commands:
            missing.append("flask seed-history")
        return ", ".join(missing) + " not in this build" if missing else ""

    def seed_history(self, database: Database, size: int) -> tuple[dict[str, Any], list[date]]:
        """Run ``flask seed-history`` for about ``size`` cases, ``report_per_day`` a working day
        up to yesterday (a larger size spans more years, not fuller days); time it."""
        per_day = self.o.report_per_day
        open_days = data.last_working_days(database, max(1, math.ceil(size / per_day)))
        days = (open_days[-1] - open_days[0]).days + 1
        self.log(
            f"[{database.kind}] reports over {per_day * len(open_days):,} cases "
            f"({per_day:,} a working day, {len(open_days):,} working days from {open_days[0]})"
        )
        argv = [
            *(str(procs.VENV_BIN / "flask"), "--app", "service_center", "seed-history"),
            *("--center", CENTER, "--days", str(days), "--per-day", str(per_day)),
        ]
        before = checks.counts(database).get("cases", 0)
        probe = report.speed_probe()
        started = time.monotonic()
        seeding = procs.start(
            argv,
            env=data.server_env(database, self.instance, None),
            label="seed-history",
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        try:
            out, _ = seeding.communicate()
        finally:
            procs.stop(seeding)
        seconds = time.monotonic() - started
        if seeding.returncode != 0:
            raise RuntimeError(f"seed-history failed: {out.decode(errors='replace')[-2000:]}")
        cases = checks.counts(database).get("cases", 0) - before
        self.log(f"  seeded {cases:,} cases in {seconds:.1f} s ({cases / seconds:,.0f}/s)")
        figures = {
            "cases": cases,
            "per_day": per_day,
            "working_days": len(open_days),
            "first_day": open_days[0].isoformat(),
            "seed_seconds": round(seconds, 1),
            "seed_cases_per_s": round(cases / seconds, 0) if seconds else None,
            "seed_output": out.decode(errors="replace").strip()[-300:],
            "seed_probe_ms": probe,
        }
        return figures, open_days

    def measure_reports(
        self,
        database: Database,
        server: procs.Server,
        prepared: Prepared,
        open_days: list[date],
        figures: dict[str, Any],
        *,
        under_load: bool = False,
    ) -> None:
        """The daily report over the last working days (each of the same size in every database),
        the range report over the 365 days up to each of the last seven: medians from one
        request after another for half the run's duration (hundreds of requests); with
        ``under_load`` (the largest size: no target uses the throughput), also under wrk."""
        daily = [f"/api/v1/reports/daily?center={CENTER}&date={d}" for d in open_days[-DAILY_DAYS:]]
        ranges = [
            f"/api/v1/reports/totals?center={CENTER}"
            f"&from={end - timedelta(days=RANGE_DAYS - 1)}&to={end}"
            for end in (open_days[-1] - timedelta(days=n) for n in range(7))
        ]
        auth = {"Authorization": f"Bearer {prepared.token}"}
        in_database = f"{figures['cases']:,} cases in the database"
        LABELS["report-daily"] = f"Daily report, {figures['per_day']:,} cases a day, {in_database}"
        LABELS["report-range"] = f"Range report, last {RANGE_DAYS} days, {in_database}"
        for name, paths in (("daily", daily), ("range", ranges)):
            journey = f"report-{name}"
            # the median: one request after another, timed here (a slow report would
            # otherwise be cut off by wrk's time-out)
            figures[f"{name}_probe_ms"] = report.speed_probe()
            m = wrk.sequential(server.url, paths, headers=auth, duration=self.o.duration / 2)
            self.record(database, journey, m, expected=(200,), baseline="hello")
            figures[f"{name}_p50_ms"] = m.p50_ms
            figures[f"{name}_p99_ms"] = m.p99_ms
            figures[f"{name}_requests"] = m.requests
            if self.o.quick or not under_load:
                continue
            if m.p50_ms > 1000:
                # under load, requests this slow would queue for minutes after wrk stops
                self.note(
                    f"{database.kind} {journey} over {figures['cases']:,} cases: one request "
                    f"takes {m.p50_ms / 1000:.1f} s; not run under load"
                )
                continue
            paths_file = data.write_lines(self.tmp / f"{name}.txt", paths)
            m = wrk.run(
                wrk.Load(
                    server.url + "/",
                    "get.lua",
                    connections=min(self.o.connections),
                    duration=self.o.duration / 2,
                    args=(str(paths_file),),
                    headers=(f"Authorization: {auth['Authorization']}",),
                    timeout=60,
                )
            )
            self.record(database, journey, m, expected=(200,), baseline="hello")
            figures[f"{name}_rps"] = m.rps

    # --- output -------------------------------------------------------------------------

    def log(self, message: str) -> None:
        elapsed = time.monotonic() - self.started
        print(f"[{elapsed:6.1f}s] {message}", flush=True)

    def note(self, message: str) -> None:
        self.results["notes"].append(message)
        self.log("note: " + message)


def run(options: Options) -> int:
    """Run the benchmark, write the results, print the targets; 1 if correctness failed."""
    with procs.cleanup_on_exit(), tempfile.TemporaryDirectory(prefix="sc-bench-") as tmp:
        bench = Bench(options, Path(tmp))
        try:
            results = bench.run()
        except KeyboardInterrupt:
            print("interrupted: every process started has been stopped", flush=True)
            return 130
    targets = report.evaluate(results)
    path = report.write(results, targets, options.output, options.stem)
    print()
    for t in targets:
        note = f" ({t['note']})" if t["note"] else ""
        print(f"{t['verdict']:4}  {t['database']:<10}  {t['target']}: {t['value']}{note}")
    correctness = results["correctness"]
    print()
    if correctness["ok"]:
        print(f"correctness: all checks held after {correctness['runs_checked']} load runs")
    else:
        print("correctness: VIOLATED")
        for violation in correctness["violations"]:
            print("  " + violation)
    print(f"results: {path} and {path.with_suffix('.json')}")
    return 0 if correctness["ok"] else 1
