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
JOURNEYS = "tickets,call-next,display,ticket-page,ticket-poll,search,phones"


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
    assert {
        "tickets",
        "call-next",
        "ticket-page",
        "ticket-poll",
        "search",
        "search-page",
        "phones",
    } <= measured
    assert "display" in measured or "display" in results["databases"]["sqlite"]["unavailable"]
    assert all(run["requests"] > 0 and run["checks"] for run in runs)
    tickets = next(run for run in runs if run["journey"] == "tickets")
    assert tickets["statuses"].get("201", 0) > 0
    assert "acknowledged_tickets_recorded" in tickets["checks"]
    call_next = next(run for run in runs if run["journey"] == "call-next")
    assert call_next["counters"].get("calls", 0) > 0
    assert "ticket_called_twice" in call_next["checks"]
    poll = next(run for run in runs if run["journey"] == "ticket-poll")
    assert poll["statuses"].get("200", 0) == poll["requests"]
    phones = next(run for run in runs if run["journey"] == "phones")["phones"]
    # the clerks called the phones' tickets and nothing else, and each one called was either
    # seen called by its phone or counted as never seen
    assert phones["called"] > 0 and phones["called_not_a_phone"] == 0
    assert phones["seen"] + phones["never_seen"] == phones["called"]
    assert phones["polls"] >= phones["phones"]
    assert results["correctness"] == {**results["correctness"], "ok": True, "violations": []}
    assert results["correctness"]["runs_checked"] == len(runs)
    assert {"hello", "bare_insert", "bare_call_next"} <= set(
        results["databases"]["sqlite"]["baselines"]
    )
    table = (tmp_path / "quick.md").read_text(encoding="utf-8")
    assert "| journey | conns | req/s | × base |" in table
    # how fast the machine was at the start and the end, for the figures in milliseconds
    assert results["machine"]["probe_ms_at_start"] > 0 and results["probe_ms_at_end"] > 0
    assert "ms at start" in table and "ms at end" in table
    assert "Issue a ticket (POST /api/v1/tickets)" in table
    assert "## Targets" in table and "## Correctness" in table
    for target in (
        "ticket-poll: req/s ≥ 0.5× hello world",
        "search: req/s ≥ 0.3× hello world",
        "ticket-poll: p99 ≤ 1.5× hello world's p99",
        "call-next: p99 ≤ 1.5× bare call-next's p99",
        "phones: every phone sees its call within one poll interval",
    ):
        assert f"| {target} | sqlite |" in table, target
    assert "Phones: 30 phones" in table
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


def test_a_figure_in_milliseconds_says_how_fast_the_machine_was_when_taken():
    """The daily report and the seeding rate carry the speed probe taken just before them,
    against the run's start: a machine at half speed shows as 2× (lower is faster)."""
    from benchmarks.report import evaluate

    results = _seeded(200_000, 20_000)
    results["machine"] = {"probe_ms_at_start": 6.0}
    size = results["databases"]["sqlite"]["reports"]["sizes"]["200000"]
    size.update(daily_probe_ms=12.0, seed_probe_ms=6.3)
    notes = {t["target"]: t["note"] for t in evaluate(results)}
    daily = next(v for k, v in notes.items() if k.startswith("daily report median"))
    assert "speed probe then 12.00 ms, 2.00× the run's start (6.00)" in daily
    seeding = next(v for k, v in notes.items() if k.startswith("bulk seeding"))
    assert "speed probe then 6.30 ms, 1.05×" in seeding
    del results["machine"]  # a result file from before the probe: no note, no failure
    assert "speed probe" not in str(evaluate(results))


def _phones_run(late: int, called: int = 100) -> dict:
    phones = {
        "phones": 100,
        "clerks": 30,
        "poll_interval_s": 2.0,
        "allowance_s": 0.25,
        "called": called,
        "seen": called - late,
        "late": late,
        "late_beyond_round_trip": 0,
        "called_not_a_phone": 0,
        "delay_max_ms": 2400.0,
        "delay_p99_ms": 2100.0,
        "delay_p50_ms": 1000.0,
        "rps": 60.0,
    }
    return {"journey": "phones", "connections": 130, "rps_ratio": None, "phones": phones}


def test_phones_target_misses_when_one_phone_is_late():
    """One phone late of a hundred is a MISS; none late a PASS; nothing called not measured."""
    from benchmarks.report import evaluate

    def verdict(run: dict) -> dict:
        results = {"databases": {"sqlite": {"runs": [run]}}}
        [line] = [t for t in evaluate(results) if t["target"].startswith("phones")]
        return line

    assert verdict(_phones_run(0))["verdict"] == "PASS"
    late = verdict(_phones_run(1))
    assert late["verdict"] == "MISS" and late["value"].startswith("1 of 100 late")
    assert verdict(_phones_run(0, called=0))["verdict"] == "N/A"


def test_p99_target_is_judged_on_the_worst_connection_count():
    """p99 within 1.5× its baseline's at 16 connections but not at 64: a MISS."""
    from benchmarks.report import evaluate

    runs = [
        {"journey": "ticket-poll", "connections": c, "rps_ratio": 0.6, "p99_ratio": r, "p99_ms": m}
        for c, r, m in ((16, 1.2, 6.0), (64, 1.8, 40.0))
    ]
    results = {"databases": {"sqlite": {"runs": runs}}}
    [line] = [t for t in evaluate(results) if t["target"].startswith("ticket-poll: p99")]
    assert line["verdict"] == "MISS"
    assert line["value"] == "1.20× @16 (6.0 ms), 1.80× @64 (40.0 ms)"
