"""The targets, the result table (Markdown) and the result file (JSON), with the machine."""

from __future__ import annotations

import json
import os
import platform
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

MB = 1024


def machine(pg_version: str | None, wrk_version: str) -> dict[str, Any]:
    """What the figures were measured on: they mean little without it."""
    meminfo = Path("/proc/meminfo").read_text().splitlines()
    total_kb = int(next(line for line in meminfo if line.startswith("MemTotal")).split()[1])
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "memory_mb": total_kb // MB,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "postgresql": pg_version or "not reachable",
        "flask": metadata.version("flask"),
        "sqlalchemy": metadata.version("sqlalchemy"),
        "gunicorn": metadata.version("gunicorn"),
        "psycopg": metadata.version("psycopg"),
        "wrk": wrk_version,
        "git_commit": _git_commit(),
        "load_average_at_start": list(os.getloadavg()),
        "probe_ms_at_start": speed_probe(),
    }


def speed_probe() -> float:
    """The machine's speed now, for the targets in milliseconds and seconds: the fastest of
    15 runs of a fixed pure-Python workload (dicts, strings, arithmetic: a few ms), in ms.
    A shared machine slows down by half at times; this says how fast it was when a figure was
    taken, so that a slow figure can be read as the code's or the machine's."""
    best = float("inf")
    for _run in range(15):
        started = time.perf_counter()
        table: dict[str, int] = {}
        for i in range(20_000):
            key = f"k{i % 997}"
            table[key] = table.get(key, 0) + i * 3 // 7
        best = min(best, (time.perf_counter() - started) * 1000)
    return round(best, 2)


def speed_note(results: dict[str, Any], note: str, probe: float | None) -> str:
    """``note``, and 'speed probe then X ms, Y× the run's start' for a figure taken when the
    probe said ``probe`` (``note`` alone when either probe is missing)."""
    start = results.get("machine", {}).get("probe_ms_at_start")
    if not probe or not start:
        return note
    said = f"speed probe then {probe:.2f} ms, {probe / start:.2f}× the run's start ({start:.2f})"
    return f"{note}; {said}" if note else said


def _git_commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            cwd=Path(__file__).parent,
            timeout=5,
        )
        dirty = subprocess.run(
            ["git", "status", "--porcelain"],
            capture_output=True,
            text=True,
            cwd=Path(__file__).parent,
            timeout=5,
        )
    except OSError:
        return "unknown"
    return out.stdout.strip() + (" (with uncommitted changes)" if dirty.stdout.strip() else "")


# --- targets --------------------------------------------------------------------------------

WRITE_RATIOS = {"tickets": 0.5, "call-next": 0.5, "booking": 0.5}
READ_RATIOS = {
    "display-304": 0.8,
    "display": 0.3,
    "ticket-page": 0.2,
    "ticket-poll": 0.5,
    "search": 0.3,
    "search-page": 0.2,
}
#: each journey's p99 at most this many times its baseline's p99 at the same connections (the
#: baseline its req/s ratio uses); the worst connection count decides
P99_RATIO = 1.5
DAILY_MEDIAN_MS = 20.0
DAILY_GROWTH = 2.0
RANGE_MEDIAN_MS = 200.0
SEED_CASES_PER_S = 1_000_000 / 60
#: below this many cases a seeding run is mostly start-up: too few to judge the rate by
SEED_JUDGED_FROM = 100_000
WORKER_RSS_MB = 120.0
#: with notifications on (a channel, every holder opted in), issue, booking and call-next keep
#: this share of their req/s with them off, in runs paired at the same connections
NOTIFY_KEEPS = 0.9
NOTIFY_JOURNEYS = ("tickets", "booking", "call-next")


def _verdict(ok: bool | None) -> str:
    return "N/A" if ok is None else "PASS" if ok else "MISS"


def evaluate(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Return one line per target and database: PASS, MISS, or N/A (not measured)."""
    lines: list[dict[str, Any]] = []

    def add(target: str, database: str, value: str, ok: bool | None, note: str = "") -> None:
        lines.append(
            {
                "target": target,
                "database": database,
                "value": value,
                "verdict": _verdict(ok),
                "note": note,
            }
        )

    for database, section in results["databases"].items():
        if section.get("skipped"):
            continue
        runs = [r for r in section.get("runs", []) if r.get("servers", 1) == 1]
        unavailable = section.get("unavailable", {})
        for journey, floor in {**WRITE_RATIOS, **READ_RATIOS}.items():
            mine = [r for r in runs if r["journey"] == journey and r.get("rps_ratio") is not None]
            name = f"{journey}: req/s ≥ {floor}× {_baseline_name(journey)}"
            if not mine:
                add(name, database, unavailable.get(journey, "not measured"), None)
                continue
            worst = min(mine, key=lambda r: r["rps_ratio"])
            value = ", ".join(f"{r['rps_ratio']:.2f}× @{r['connections']}" for r in mine)
            add(name, database, value, worst["rps_ratio"] >= floor)
        for journey in {**WRITE_RATIOS, **READ_RATIOS}:
            mine = [r for r in runs if r["journey"] == journey and r.get("p99_ratio") is not None]
            if not mine:
                continue
            worst = max(mine, key=lambda r: r["p99_ratio"])
            add(
                f"{journey}: p99 ≤ {P99_RATIO}× {_baseline_name(journey)}'s p99",
                database,
                ", ".join(
                    f"{r['p99_ratio']:.2f}× @{r['connections']} ({r['p99_ms']:.1f} ms)"
                    for r in mine
                ),
                worst["p99_ratio"] <= P99_RATIO,
                "at the same connections; the worst count decides",
            )
        _notify_targets(runs, database, add)
        _phones_target(runs, database, add)
        _report_targets(section, database, add, lambda *a: speed_note(results, *a))
        rss = section.get("memory_kb", {}).get("app")
        if rss:
            add(
                f"worker resident memory < {WORKER_RSS_MB:.0f} MB",
                database,
                f"{rss / MB:.1f} MB",
                rss / MB < WORKER_RSS_MB,
            )
    return lines


def _notify_targets(runs: list[dict[str, Any]], database: str, add) -> None:  # noqa: ANN001
    for journey in NOTIFY_JOURNEYS:
        by_conns: dict[int, dict[str, list[float]]] = {}
        for r in runs:
            for mode in ("on", "off"):
                if r["journey"] == f"{journey}-notify-{mode}":
                    by_conns.setdefault(r["connections"], {}).setdefault(mode, []).append(r["rps"])
        shares = {
            conns: (sum(m["on"]) / len(m["on"])) / (sum(m["off"]) / len(m["off"]))
            for conns, m in sorted(by_conns.items())
            if m.get("on") and m.get("off") and sum(m["off"])
        }
        if not shares:
            continue
        add(
            f"{journey}: notifications on keep ≥ {NOTIFY_KEEPS:.0%} of req/s off",
            database,
            ", ".join(f"{share:.2f}× @{conns}" for conns, share in shares.items()),
            min(shares.values()) >= NOTIFY_KEEPS,
            "mean of two paired runs each, in the order off, on, on, off, each half a run's "
            "duration",
        )


def _phones_target(runs: list[dict[str, Any]], database: str, add) -> None:  # noqa: ANN001
    for run in runs:
        if run["journey"] != "phones" or not run.get("phones"):
            continue
        p = run["phones"]
        add(
            "phones: every phone sees its call within one poll interval",
            database,
            f"{p['late']} of {p['called']} late (max {p['delay_max_ms']} ms, "
            f"p99 {p['delay_p99_ms']} ms, p50 {p['delay_p50_ms']} ms)",
            None if not p["called"] else p["late"] == 0 and p["called_not_a_phone"] == 0,
            f"{p['phones']} phones polling every {p['poll_interval_s']:g} s, {p['clerks']} "
            f"clerks; late: seen − called > {p['poll_interval_s']:g} s + {p['allowance_s']:g} s, "
            f"or never seen called; {p['late_beyond_round_trip']} late even allowing the "
            f"seeing poll's round trip; {p['called']} called, {p['seen']} seen; the server "
            f"answered {p['rps']:,.0f} req/s",
        )


def _baseline_name(journey: str) -> str:
    if journey == "call-next":
        return "bare call-next"
    return "bare insert" if journey in WRITE_RATIOS else "hello world"


def _report_targets(  # noqa: ANN001
    section: dict[str, Any], database: str, add, speed: Callable[[str, float | None], str]
) -> None:
    reports = section.get("reports")
    if not reports or reports.get("unavailable"):
        if reports is not None:
            add("reports and bulk seeding", database, reports.get("unavailable", ""), None)
        return
    sizes = sorted(reports["sizes"], key=int)
    if not sizes:
        return
    small, large = reports["sizes"][sizes[0]], reports["sizes"][sizes[-1]]
    daily_small, daily_large = small.get("daily_p50_ms"), large.get("daily_p50_ms")
    a_day = f"days of {large['per_day']:,} cases" if large.get("per_day") else "its days"
    if daily_large is not None:
        add(
            f"daily report median < {DAILY_MEDIAN_MS:.0f} ms over {int(sizes[-1]):,} cases",
            database,
            f"{daily_large:.2f} ms",
            daily_large < DAILY_MEDIAN_MS,
            speed(a_day, large.get("daily_probe_ms")),
        )
    if daily_large is not None and daily_small and len(sizes) > 1:
        growth = daily_large / daily_small
        add(
            f"daily report over {int(sizes[-1]):,} ≤ {DAILY_GROWTH:.0f}× over {int(sizes[0]):,}",
            database,
            f"{growth:.2f}× ({daily_large:.2f} / {daily_small:.2f} ms)",
            growth <= DAILY_GROWTH,
            f"{a_day} in both",
        )
    range_large = large.get("range_p50_ms")
    if range_large is not None:
        add(
            f"one-year range median < {RANGE_MEDIAN_MS:.0f} ms over {int(sizes[-1]):,} cases",
            database,
            f"{range_large:.1f} ms",
            range_large < RANGE_MEDIAN_MS,
            speed("", large.get("range_probe_ms")),
        )
    rates = [s["seed_cases_per_s"] for s in reports["sizes"].values() if s.get("seed_cases_per_s")]
    if rates:
        best = max(reports["sizes"].values(), key=lambda s: s.get("cases", 0))
        rate, seeded = best.get("seed_cases_per_s") or 0, best.get("cases", 0)
        if seeded < SEED_JUDGED_FROM:
            add(
                "bulk seeding: 1,000,000 cases < 60 s",
                database,
                "not measured",
                None,
                f"only {seeded:,} cases seeded ({rate:,.0f}/s), mostly start-up; "
                f"judged from {SEED_JUDGED_FROM:,}",
            )
            return
        add(
            "bulk seeding: 1,000,000 cases < 60 s",
            database,
            f"{rate:,.0f} cases/s → 1 M in {1_000_000 / rate:.0f} s" if rate else "n/a",
            rate >= SEED_CASES_PER_S if rate else None,
            speed(f"measured seeding {seeded:,} cases", best.get("seed_probe_ms")),
        )


# --- output ---------------------------------------------------------------------------------


def _fmt(value: float | None, digits: int = 1, suffix: str = "") -> str:
    if value is None:
        return "–"
    return f"{value:,.{digits}f}{suffix}"


def markdown(results: dict[str, Any], targets: list[dict[str, Any]]) -> str:
    m = results["machine"]
    s = results["settings"]
    out = [
        "# Benchmark results",
        "",
        f"Run {results['started_at']} ({'quick' if s['quick'] else 'full'} mode), "
        f"{results.get('elapsed_s', 0):.0f} s in all. Command: `{results['command']}`.",
        "",
        f"Machine: {m['nproc']} CPUs ({m['cpu']}), {m['memory_mb']:,} MB memory, "
        f"Linux {m['kernel']}; Python {m['python']}, SQLite {m['sqlite']}, "
        f"PostgreSQL {m['postgresql']}; Flask {m['flask']}, SQLAlchemy {m['sqlalchemy']}, "
        f"gunicorn {m['gunicorn']}, psycopg {m['psycopg']}; {m['wrk']}. "
        f"Load average at start {', '.join(f'{x:.2f}' for x in m['load_average_at_start'])}"
        + (
            f", at end {', '.join(f'{x:.2f}' for x in results['load_average_at_end'])}"
            if results.get("load_average_at_end")
            else ""
        )
        + (
            f"; speed probe (`report.speed_probe`, lower is faster) "
            f"{m['probe_ms_at_start']:.2f} ms at start, {results['probe_ms_at_end']:.2f} ms at end"
            if m.get("probe_ms_at_start") and results.get("probe_ms_at_end")
            else ""
        )
        + f". Code: {m['git_commit']}.",
        "",
        f"Servers: gunicorn, {s['workers']} workers × {s['threads']} threads "
        f"({'gthread' if s['threads'] > 1 else 'sync'}), the same for the app and both "
        f"baselines, one at a time; wrk on the same machine, {s['duration']:g} s a run, "
        f"{', '.join(str(c) for c in s['connections'])} connections. Ratios: the app's figure "
        "÷ its baseline's at the same connections in the same run (writes against the bare "
        "write, reads against hello world); for latency a ratio above 1 means slower.",
        "",
    ]
    verdicts = {"PASS": 0, "MISS": 0, "N/A": 0}
    for t in targets:
        verdicts[t["verdict"]] += 1
    out += [
        "## Correctness",
        "",
        "**"
        + ("all checks held" if results["correctness"]["ok"] else "VIOLATIONS")
        + f"** after {results['correctness']['runs_checked']} load runs "
        f"({', '.join(results['correctness']['rules'])}).",
        "",
    ]
    for violation in results["correctness"]["violations"]:
        out.append(f"- {violation}")
    out += [
        "",
        "## Targets",
        "",
        f"{verdicts['PASS']} PASS, {verdicts['MISS']} MISS, {verdicts['N/A']} not measured.",
        "",
        "| target | database | measured | verdict |",
        "| --- | --- | --- | --- |",
    ]
    for t in targets:
        note = f" ({t['note']})" if t["note"] else ""
        out.append(f"| {t['target']} | {t['database']} | {t['value']}{note} | **{t['verdict']}** |")
    for database, section in results["databases"].items():
        out += ["", f"## {database}", ""]
        if section.get("skipped"):
            out.append(f"Skipped: {section['skipped']}.")
            continue
        out += _baseline_table(section) + [""] + _run_table(section)
        if section.get("unavailable"):
            out += ["", "Not available in this build:"]
            out += [f"- {k}: {v}" for k, v in section["unavailable"].items()]
        memory = section.get("memory_kb", {})
        if memory:
            out += [
                "",
                "Peak resident memory of one worker (VmHWM): "
                + ", ".join(f"{k} {v / MB:.1f} MB" for k, v in memory.items())
                + ".",
            ]
        out += _phones_section(section)
        out += _reports_section(section)
        out += _scale_out_section(section)
        timings = section.get("timings_s")
        if timings:
            out += [
                "",
                "Time taken (s): " + ", ".join(f"{k} {v:,.0f}" for k, v in timings.items()) + ".",
            ]
    notes = results.get("notes") or []
    if notes:
        out += ["", "## Notes", ""] + [f"- {n}" for n in notes]
    return "\n".join(out) + "\n"


def _baseline_table(section: dict[str, Any]) -> list[str]:
    rows = [
        "Baselines (the stack's ceiling): `hello` a Flask hello world; `bare_insert` one row "
        "inserted; `bare_call_next` the oldest waiting row taken (BEGIN IMMEDIATE on SQLite, "
        "FOR UPDATE SKIP LOCKED on PostgreSQL); `bare_read` one row read through "
        "Flask-SQLAlchemy (for reference: what one ORM query costs; no target uses it).",
        "",
        "| baseline | connections | req/s | p50 ms | p99 ms | answers |",
        "| --- | ---: | ---: | ---: | ---: | --- |",
    ]
    for name, by_conns in section.get("baselines", {}).items():
        for conns, m in sorted(by_conns.items(), key=lambda kv: int(kv[0])):
            rows.append(
                f"| {name} | {conns} | {_fmt(m['rps'])} | {_fmt(m['p50_ms'], 2)} | "
                f"{_fmt(m['p99_ms'], 2)} | {_answers(m['statuses'])} |"
            )
    return rows


def _answers(statuses: dict[str, int]) -> str:
    return ", ".join(f"{n:,}×{code}" for code, n in sorted(statuses.items()))


def _run_table(section: dict[str, Any]) -> list[str]:
    rows = [
        "| journey | conns | req/s | × base | p50 ms | × base | p99 ms | × base | answers "
        "| checks |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |",
    ]
    for r in section.get("runs", []):
        if r.get("servers", 1) != 1:
            continue
        checks = "ok" if not r["violations"] else "**" + "; ".join(r["violations"]) + "**"
        label = r["label"] + (f" — {r['note']}" if r.get("note") else "")
        rows.append(
            f"| {label} | {r['connections']} | {_fmt(r['rps'])} | {_fmt(r.get('rps_ratio'), 2)} "
            f"| {_fmt(r['p50_ms'], 2)} | {_fmt(r.get('p50_ratio'), 2)} | {_fmt(r['p99_ms'], 2)} "
            f"| {_fmt(r.get('p99_ratio'), 2)} | {_answers(r['statuses'])} | {checks} |"
        )
    return rows


def _phones_section(section: dict[str, Any]) -> list[str]:
    rows = []
    for r in section.get("runs", []):
        p = r.get("phones")
        if r["journey"] != "phones" or not p:
            continue
        rows += [
            "",
            f"Phones: {p['phones']} phones, each holding one waiting ticket, poll `GET "
            f"/api/v1/tickets/<token>` {p['poll_interval_s']:g} s after each answer (as "
            f"ticket.js does) while {p['clerks']} clerks call next, keep the ticket called "
            f"{p['hold_s']:g} s, start and complete it ({p['clerk_pause_s']:g} s between two "
            f"tickets). Called: the client's monotonic time the call-next answer arrived; seen: "
            f"the time the phone's first answer saying called (or serving) arrived. A phone is "
            f"late when seen − called > {p['poll_interval_s']:g} s + {p['allowance_s']:g} s "
            f"(the round trips of a server that keeps up), or when it never saw its ticket "
            f"called; late + its round trip: late even with the seeing poll's round trip "
            f"allowed on top (0 while late is not: the delay is the server's queueing).",
            "",
            "| called | seen | late | late + its round trip | delay p50 ms | delay p99 ms "
            "| delay max ms | seeing poll's round trip, max ms | requests | req/s answered "
            "| polls failed | connections opened | client CPU |",
            "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: "
            "| ---: |",
            f"| {p['called']:,} of {p['phones']:,} in {p['calling_s']:.0f} s | {p['seen']:,} "
            f"| {p['late']:,} | {p['late_beyond_round_trip']:,} | {_fmt(p['delay_p50_ms'])} "
            f"| {_fmt(p['delay_p99_ms'])} "
            f"| {_fmt(p['delay_max_ms'])} | {_fmt(p['seen_rtt_max_ms'])} | {p['requests']:,} "
            f"| {_fmt(p['rps'])} | {p['poll_errors']:,} | {p['connections_opened']:,} "
            f"| {p['client_cpu_s']:.1f} s ({p['client_cpu_share']:.0%} of a core) |",
        ]
        if p["late_examples"]:
            rows += ["", "Late (first ten): " + json.dumps(p["late_examples"])]
    return rows


def _reports_section(section: dict[str, Any]) -> list[str]:
    reports = section.get("reports")
    if not reports:
        return []
    if reports.get("unavailable"):
        return ["", f"Reports: not available ({reports['unavailable']})."]
    rows = [
        "",
        "Reports (each size a fresh database seeded with `flask seed-history`, the same number "
        "of cases every working day up to yesterday, so the larger size spans more years; the "
        "daily report over the last 60 working days, the range report over the last 365 days; "
        "latencies from one request after another, throughput under wrk at the lowest "
        "connection count):",
        "",
        "| cases | a working day | working days | seeding | cases/s | daily p50 ms "
        "| daily p99 ms | range p50 ms | range p99 ms | daily req/s | range req/s |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for _size, r in sorted(reports["sizes"].items(), key=lambda kv: int(kv[0])):
        first = f" from {r['first_day']}" if r.get("first_day") else ""
        rows.append(
            f"| {r.get('cases', 0):,} | {r.get('per_day', 0):,} "
            f"| {r.get('working_days', 0):,}{first} | {_fmt(r.get('seed_seconds'), 1, ' s')} "
            f"| {_fmt(r.get('seed_cases_per_s'), 0)} | {_fmt(r.get('daily_p50_ms'), 2)} "
            f"| {_fmt(r.get('daily_p99_ms'), 2)} | {_fmt(r.get('range_p50_ms'), 2)} "
            f"| {_fmt(r.get('range_p99_ms'), 2)} | {_fmt(r.get('daily_rps'))} "
            f"| {_fmt(r.get('range_rps'))} |"
        )
    return rows


def _scale_out_section(section: dict[str, Any]) -> list[str]:
    scale = section.get("scale_out")
    if not scale:
        return []
    rows = [
        "",
        "Scale-out: two app servers (each the same gunicorn settings) on one PostgreSQL, one wrk "
        "per server in parallel, half the connections each; against one server:",
        "",
        "| journey | conns | one server req/s | two servers req/s | growth | p99 ms (two) "
        "| checks |",
        "| --- | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for r in scale["runs"]:
        checks = "ok" if not r["violations"] else "**" + "; ".join(r["violations"]) + "**"
        rows.append(
            f"| {r['label']} | {r['connections']} | {_fmt(r.get('single_rps'))} "
            f"| {_fmt(r['rps'])} | {_fmt(r.get('growth'), 2, '×')} | {_fmt(r['p99_ms'], 2)} "
            f"| {checks} |"
        )
    if scale.get("note"):
        rows += ["", scale["note"]]
    return rows


def write(results: dict[str, Any], targets: list[dict[str, Any]], folder: Path, stem: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    results = {**results, "targets": targets}
    (folder / f"{stem}.json").write_text(
        json.dumps(results, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8"
    )
    path = folder / f"{stem}.md"
    path.write_text(markdown(results, targets), encoding="utf-8")
    return path


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def command_line() -> str:
    return " ".join(["python -m benchmarks", *sys.argv[1:]])
