"""The benchmark command runs end to end, and its correctness checks catch what they look for."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from benchmarks import checks
from benchmarks.data import Database
from service_center.db import db
from service_center.queueing.models import EventKind, TicketEvent

ROOT = Path(__file__).resolve().parent.parent
JOURNEYS = "tickets,call-next,display,ticket-page,search"


def test_quick_run_writes_a_result_table_and_checks_every_run(tmp_path):
    """A tiny SQLite run under gunicorn and wrk: a table per journey, checks after each run."""
    finished = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks",
            "run",
            "--quick",
            "--databases",
            "sqlite",
            "--journeys",
            JOURNEYS,
            "--duration",
            "1",
            "--connections",
            "4",
            "--output",
            str(tmp_path),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert finished.returncode == 0, finished.stdout[-3000:] + finished.stderr[-3000:]
    results = json.loads((tmp_path / "quick.json").read_text(encoding="utf-8"))
    runs = results["databases"]["sqlite"]["runs"]
    measured = {run["journey"] for run in runs}
    assert {"tickets", "call-next", "ticket-page", "search", "search-page"} <= measured
    assert "display" in measured or "display" in results["databases"]["sqlite"]["unavailable"]
    assert all(run["requests"] > 0 and run["checks"] for run in runs)
    tickets = next(run for run in runs if run["journey"] == "tickets")
    assert tickets["statuses"].get("201", 0) > 0
    assert "acknowledged_tickets_recorded" in tickets["checks"]
    call_next = next(run for run in runs if run["journey"] == "call-next")
    assert call_next["counters"].get("calls", 0) > 0
    assert "ticket_called_twice" in call_next["checks"]
    assert results["correctness"] == {**results["correctness"], "ok": True, "violations": []}
    assert results["correctness"]["runs_checked"] == len(runs)
    assert {"hello", "bare_insert", "bare_call_next"} <= set(
        results["databases"]["sqlite"]["baselines"]
    )
    table = (tmp_path / "quick.md").read_text(encoding="utf-8")
    assert "| journey | conns | req/s | × base |" in table
    assert "Issue a ticket (POST /api/v1/tickets)" in table
    assert "## Targets" in table and "## Correctness" in table
    assert "PASS" in finished.stdout or "MISS" in finished.stdout


def test_checks_report_a_ticket_called_twice(app_ctx, database_url, world, issue, open_windows):
    """A second 'called' event without a transfer in between is a violation, named as such."""
    ticket = issue(world.items.licence)
    database = Database(
        "sqlite" if database_url.startswith("sqlite") else "postgresql", database_url
    )
    assert checks.check(database).ok
    for _ in range(2):
        db.session.add(
            TicketEvent(
                ticket_id=ticket.id,
                center_id=ticket.center_id,
                kind=EventKind.CALLED,
                at_dt=ticket.issued_dt,
                window_id=world.windows.business.id,
            )
        )
    db.session.commit()
    result = checks.check(database)
    assert list(result.violations) == ["ticket_called_twice"]
    assert f"({ticket.id},)" in result.violations["ticket_called_twice"]


def test_checks_report_an_acknowledged_write_missing(app_ctx, database_url, world, issue):
    """More tickets acknowledged to clients than the database gained: a lost write."""
    database = Database(
        "sqlite" if database_url.startswith("sqlite") else "postgresql", database_url
    )
    before = checks.counts(database)
    issue(world.items.licence)
    assert checks.check(database, before=before, acknowledged={"tickets": 1}).ok
    result = checks.check(database, before=before, acknowledged={"tickets": 2})
    assert list(result.violations) == ["acknowledged_tickets_recorded"]


def _seeded(cases: int, per_s: float) -> dict:
    size = {"cases": cases, "per_day": 900, "seed_cases_per_s": per_s, "daily_p50_ms": 5.0}
    return {"databases": {"sqlite": {"runs": [], "reports": {"sizes": {str(cases): size}}}}}


def test_seeding_target_is_judged_only_on_enough_cases():
    """A quick run seeds a thousand cases, mostly start-up: its rate is shown, not judged."""
    from benchmarks.report import evaluate

    [few] = [t for t in evaluate(_seeded(1_000, 545)) if t["target"].startswith("bulk seeding")]
    assert few["verdict"] == "N/A" and few["value"] == "not measured"
    assert "only 1,000 cases seeded" in few["note"] and "100,000" in few["note"]
    [many] = [t for t in evaluate(_seeded(200_000, 20_000)) if t["target"].startswith("bulk")]
    assert many["verdict"] == "PASS" and "1 M in 50 s" in many["value"]
    [slow] = [t for t in evaluate(_seeded(200_000, 10_000)) if t["target"].startswith("bulk")]
    assert slow["verdict"] == "MISS"
