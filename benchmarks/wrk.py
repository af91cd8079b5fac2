"""Drive a server with wrk and read the JSON summary our Lua scripts print at the end."""

from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from . import procs

LUA = Path(__file__).with_name("lua")


def wrk_binary() -> str:
    path = shutil.which("wrk")
    if path is None:
        raise RuntimeError("wrk is not installed (apt-get install wrk)")
    return path


def wrk_version() -> str:
    out = subprocess.run([wrk_binary(), "-v"], capture_output=True, text=True).stdout
    return out.splitlines()[0].strip() if out else "unknown"


@dataclass
class Load:
    """One wrk invocation: where, with which script and arguments, how hard, how long."""

    url: str
    script: str  # file name in benchmarks/lua/
    connections: int
    duration: float
    threads: int = 2
    args: Sequence[str] = ()
    headers: Sequence[str] = ()
    timeout: int = 10  #: seconds; slower answers count as timeouts, not in the latencies


@dataclass
class Measured:
    """What wrk saw: requests per second, latency percentiles, answers per status."""

    requests: int
    duration_s: float
    rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    statuses: dict[str, int]
    counters: dict[str, int]
    socket_errors: dict[str, int]
    connections: int
    threads: int

    def count(self, *codes: int) -> int:
        return sum(self.statuses.get(str(code), 0) for code in codes)

    def to_json(self) -> dict:
        return asdict(self)


@dataclass
class Running:
    load: Load
    process: subprocess.Popen
    extra: dict = field(default_factory=dict)


def start(load: Load, env: dict[str, str] | None = None) -> Running:
    threads = max(1, min(load.threads, load.connections))
    argv = [
        wrk_binary(),
        "--latency",
        "--timeout",
        f"{load.timeout}s",
        "-t",
        str(threads),
        "-c",
        str(load.connections),
        "-d",
        f"{max(1, round(load.duration))}s",
        "-s",
        str(LUA / load.script),
    ]
    for header in load.headers:
        argv += ["-H", header]
    argv.append(load.url)
    if load.args:
        argv += ["--", *load.args]
    process = procs.start(
        argv,
        env=env or {"PATH": "/usr/bin:/bin"},
        label=f"wrk {load.script}",
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    return Running(load, process, {"threads": threads})


def finish(running: Running) -> Measured:
    try:
        out, err = running.process.communicate(
            timeout=running.load.duration + running.load.timeout + 60
        )
    finally:
        procs.stop(running.process)
    for line in out.splitlines():
        if line.startswith("BENCH_JSON "):
            data = json.loads(line[len("BENCH_JSON ") :])
            break
    else:
        raise RuntimeError(f"wrk printed no summary: {err.strip() or out.strip()}")
    duration = data["duration_us"] / 1e6
    latency = data["latency_us"]
    errors = {k: int(v) for k, v in data["errors"].items() if k != "status"}
    return Measured(
        requests=int(data["requests"]),
        duration_s=round(duration, 3),
        rps=round(data["requests"] / duration, 1) if duration else 0.0,
        p50_ms=round(latency["p50"] / 1000, 2),
        p90_ms=round(latency["p90"] / 1000, 2),
        p99_ms=round(latency["p99"] / 1000, 2),
        max_ms=round(latency["max"] / 1000, 2),
        statuses={k: int(v) for k, v in sorted(data["statuses"].items())},
        counters={k: int(v) for k, v in sorted(data["counters"].items())},
        socket_errors=errors,
        connections=running.load.connections,
        threads=running.extra["threads"],
    )


def sequential(
    base_url: str,
    paths: Sequence[str],
    *,
    headers: dict[str, str],
    duration: float,
    least: int = 5,
    most: int = 1000,
) -> Measured:
    """One request after another (one connection), timed here: the latency of a slow request
    without wrk's time-out; at least ``least`` requests, then until ``duration`` is spent."""
    import urllib.error
    import urllib.request

    samples: list[float] = []
    statuses: dict[str, int] = {}
    started = time.perf_counter()
    while len(samples) < most and (
        len(samples) < least or time.perf_counter() - started < duration
    ):
        path = paths[len(samples) % len(paths)]
        request = urllib.request.Request(base_url + path, headers=headers)
        t0 = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=600) as answer:
                answer.read()
                status = answer.status
        except urllib.error.HTTPError as error:
            status = error.code
        except OSError:  # the connection dropped: the worker died or timed out
            status = 599
        samples.append((time.perf_counter() - t0) * 1000)
        statuses[str(status)] = statuses.get(str(status), 0) + 1
    elapsed = time.perf_counter() - started
    ordered = sorted(samples)

    def rank(percent: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(len(ordered) * percent / 100))], 2)

    return Measured(
        requests=len(samples),
        duration_s=round(elapsed, 3),
        rps=round(len(samples) / elapsed, 1),
        p50_ms=round(statistics.median(ordered), 2),
        p90_ms=rank(90),
        p99_ms=rank(99),
        max_ms=round(ordered[-1], 2),
        statuses=statuses,
        counters={},
        socket_errors={},
        connections=1,
        threads=1,
    )


def run(load: Load) -> Measured:
    measured = finish(start(load))
    settle()
    return measured


#: pause after each load: requests still queued when wrk hung up are served meanwhile
SETTLE_SECONDS = 0.5


def settle() -> None:
    time.sleep(SETTLE_SECONDS)
