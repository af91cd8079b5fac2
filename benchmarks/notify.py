"""Notifications: how fast the workers deliver, and what the outbox costs the queue's requests.

``python -m benchmarks notify [--database sqlite|postgresql] [--messages N] [--workers K]``

1. Delivery: N messages waiting in the outbox, K ``flask notifications work --once`` processes
   delivering them to a local fake SMS gateway (the webhook channel): messages per second, wall
   clock from the workers' start to the last one's exit; then the checks (every message sent,
   the gateway got each key exactly once).
2. The cost on the queue: the CPU time of "issue a ticket" and "call-next + start + complete"
   in process (as ``benchmarks costs``), with notifications off (no channel, nobody opted in)
   and on (a channel, every holder opted in, so each issue and each call writes its holder's
   message): the ratio on / off. Each mode has a database of its own, seeded alike.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import tempfile
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from sqlalchemy import text

from . import data
from .data import CENTER
from .procs import ROOT, VENV_BIN


class FakeGateway:
    """An SMS gateway on 127.0.0.1 that counts each Idempotency-Key it receives."""

    def __init__(self) -> None:
        self.keys: Counter[str] = Counter()
        self.first: float | None = None
        self.last: float | None = None
        self.lock = threading.Lock()
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                self.rfile.read(int(self.headers["Content-Length"]))
                with gateway.lock:
                    gateway.keys[self.headers.get("Idempotency-Key", "")] += 1
                    gateway.last = time.perf_counter()
                    gateway.first = gateway.first or gateway.last
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.request_queue_size = 256
        self.url = f"http://127.0.0.1:{self.server.server_port}/sms"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _write_messages(database: data.Database, count: int) -> None:
    now = datetime.now(UTC)
    with data.app_for(database) as app:
        from service_center.db import db

        with app.app_context():
            center_id = db.session.execute(
                text("SELECT id FROM centers WHERE code = :code"), {"code": CENTER}
            ).scalar_one()
            rows = [
                {
                    "key": f"bench:{n}",
                    "center_id": center_id,
                    "kind": "called",
                    "channel": "sms",
                    "address": f"139{n:08d}",
                    "address_key": f"{n:032d}",
                    "subject": "",
                    "body": f"庄寨镇便民服务中心：请 B{n % 1000:03d} 号到 5 号窗口办理。",
                    "params": "{}",
                    "state": "pending",
                    "attempts": 0,
                    "created_dt": now,
                    "next_attempt_dt": now,
                    "last_error": "",
                }
                for n in range(count)
            ]
            from service_center.notifications.models import Notification

            db.session.execute(Notification.__table__.insert(), rows)
            db.session.commit()


def deliver(database: data.Database, messages: int, workers: int, tmp: Path) -> dict[str, Any]:
    _write_messages(database, messages)
    gateway = FakeGateway()
    env = data.server_env(database, tmp, None)
    env.update(
        SERVICE_CENTER_NOTIFY_SMS="webhook",
        SERVICE_CENTER_NOTIFY_SMS_WEBHOOK_URL=gateway.url,
        SERVICE_CENTER_NOTIFY_BATCH="100",
        SERVICE_CENTER_NOTIFY_PER_CENTER_HOURLY=str(messages * 2),
    )
    argv = [str(VENV_BIN / "flask"), "--app", "service_center", "notifications", "work", "--once"]
    started = time.perf_counter()
    processes = [
        subprocess.Popen(argv, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(workers)
    ]
    outputs = [p.communicate(timeout=900) for p in processes]
    elapsed = time.perf_counter() - started
    gateway.close()
    failed = [
        err.decode()[-500:]
        for p, (_out, err) in zip(processes, outputs, strict=True)
        if p.returncode
    ]
    with data.app_for(database) as app:
        from service_center.db import db

        with app.app_context():
            states = dict(
                db.session.execute(
                    text("SELECT state, COUNT(*) FROM notifications GROUP BY state")
                ).all()
            )
    duplicates = sum(n - 1 for n in gateway.keys.values() if n > 1)
    return {
        "messages": messages,
        "workers": workers,
        "seconds": round(elapsed, 2),
        "per_second": round(messages / elapsed, 1),
        # from the first message the gateway received to the last: without the workers'
        # start-up (importing the app), what a running worker pair sustains
        "per_second_running": round(
            messages / ((gateway.last or 0) - (gateway.first or 0) or 1), 1
        ),
        "states": states,
        "gateway_keys": len(gateway.keys),
        "duplicates": duplicates,
        "ok": not failed
        and states == {"sent": messages}
        and len(gateway.keys) == messages
        and duplicates == 0,
        "worker_errors": failed,
        "per_worker": [out.decode().strip() for out, _err in outputs],
    }


def queue_costs(databases: dict[str, data.Database], repeat: int) -> dict[str, Any]:
    """CPU ms of issuing and of the clerk's three requests, notifications off and on.

    ``databases``: "off" and "on", each seeded alike; in "on" every waiting ticket's holder
    opted in, so every call writes a message (a shared queue would let "on" call tickets
    issued without consent, and write none).
    """
    from service_center import clock, create_app
    from service_center.db import db

    gateway = FakeGateway()
    apps, prepared = {}, {}
    for mode, database in databases.items():
        prepared[mode] = data.seed(database, windows=23)
        per_kind = {code: 200 // len(prepared[mode].items) for code in prepared[mode].items}
        data.issue_tickets(database, prepared[mode], per_kind, notify=mode == "on")
        config = {
            "SQLALCHEMY_DATABASE_URI": database.url,
            "SECRET_KEY": "notify-bench",
            "RATELIMIT_ENABLED": False,
            "NOTIFY_PER_ADDRESS_HOURLY": 10**9,
            "NOTIFY_PER_CENTER_HOURLY": 10**9,
        }
        if mode == "on":
            config.update(NOTIFY_SMS="webhook", NOTIFY_SMS_WEBHOOK_URL=gateway.url)
        apps[mode] = create_app(config)
    clock.travel(timedelta(seconds=prepared["off"].clock_offset))
    try:
        # the two modes alternate request by request, so the machine's drift falls on both
        calls = {
            mode: _journeys(app, prepared[mode], on=mode == "on") for mode, app in apps.items()
        }
        results: dict[str, Any] = {}
        for journey in ("issue", "chain"):
            times: dict[str, list[float]] = {"off": [], "on": []}
            for _ in range(3):  # warm both up
                for mode in times:
                    calls[mode][journey]()
            for _ in range(repeat):
                for mode in times:
                    started = time.process_time()
                    response = calls[mode][journey]()
                    times[mode].append((time.process_time() - started) * 1000)
                    if response.status_code >= 400:
                        raise RuntimeError(f"{mode} {journey}: {response.status_code}")
            for mode, values in times.items():
                results.setdefault(mode, {})[f"{journey}_cpu_ms"] = round(
                    statistics.median(values), 2
                )
            results[f"{journey}_ratio_on_off"] = round(
                statistics.median(times["on"]) / statistics.median(times["off"]), 3
            )
        results["messages_on"] = _messages(apps["on"])
    finally:
        for app in apps.values():
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
        gateway.close()
        clock.travel(timedelta(0))
    return results


def _messages(app: Any) -> int:
    """The messages the "on" mode wrote: about one per issue and one per call, or the clerk's
    figure measures nothing."""
    from service_center.db import db

    with app.app_context():
        return int(db.session.scalar(text("SELECT count(*) FROM notifications")) or 0)


APPLICANT = {"outcome": "completed", "applicant_name": "张伟", "applicant_phone": "13800138000"}


def _journeys(app: Any, prepared: data.Prepared, *, on: bool) -> dict[str, Any]:
    """One request of issuing (opted in when ``on``) and the clerk's three requests."""
    client = app.test_client()
    auth = {"Authorization": f"Bearer {prepared.token}"}
    item = prepared.items["business"][0]
    window = prepared.windows[0]
    phones = iter(range(10**7))

    def issue() -> Any:
        body: dict[str, Any] = {"center": CENTER, "service": item}
        if on:
            body["notify"] = f"139{next(phones):08d}"
        return client.post("/api/v1/tickets", json=body)

    def chain() -> Any:
        called = client.post(f"/api/v1/windows/{window}/call-next", headers=auth)
        if called.status_code != 200:
            return called
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

    return {"issue": issue, "chain": chain}


def run_notify(kind: str, messages: int, workers: int, repeat: int, pg_url: str) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="sc-notify-"))
    os.environ["SERVICE_CENTER_INSTANCE_PATH"] = str(tmp)
    result: dict[str, Any] = {"database": kind}
    database = data.create_database(kind, tmp, pg_server=pg_url, label="notify")
    try:
        data.seed(database)
        result["delivery"] = deliver(database, messages, workers, tmp)
    finally:
        data.drop_database(database)
    databases = {
        mode: data.create_database(kind, tmp, pg_server=pg_url, label=f"notifycost{mode}")
        for mode in ("off", "on")
    }
    try:
        result["queue_costs"] = queue_costs(databases, repeat)
    finally:
        for database in databases.values():
            data.drop_database(database)
    return result


def print_notify(result: dict[str, Any]) -> None:
    d = result["delivery"]
    print(f"\n{result['database']}: {d['messages']:,} messages, {d['workers']} workers")
    print(
        f"delivered {d['per_second_running']:,.0f}/s once running, {d['per_second']:,.0f}/s "
        f"with the workers' start-up ({d['seconds']} s); "
        f"checks {'ok' if d['ok'] else 'FAILED'}"
    )
    if not d["ok"]:
        print(json.dumps(d, ensure_ascii=False, indent=1)[:2000])
    costs = result["queue_costs"]
    print("| mode | issue CPU ms | call-next + start + complete CPU ms |\n| --- | ---: | ---: |")
    for mode in ("off", "on"):
        print(f"| {mode} | {costs[mode]['issue_cpu_ms']} | {costs[mode]['chain_cpu_ms']} |")
    print(
        f"on / off (medians, requests alternating): issue {costs['issue_ratio_on_off']}×, "
        f"clerk {costs['chain_ratio_on_off']}× (target ≤ 1.10); "
        f"messages written with notifications on: {costs['messages_on']:,}"
    )
