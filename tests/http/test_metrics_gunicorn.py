"""/metrics under real gunicorn with two sync workers (PROMETHEUS_MULTIPROC_DIR): the counts of
every worker add up in whichever worker answers the scrape, and survive a worker's death."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from service_center import create_app
from service_center.db import db
from tests.conftest import base_config
from tests.http.test_metrics import value

GUNICORN = Path(sys.executable).with_name("gunicorn")
CONF = """
def child_exit(server, worker):
    from prometheus_client import multiprocess
    multiprocess.mark_process_dead(worker.pid)
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as answer:
        return answer.read().decode()


def _workers(master: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                stat = (entry / "stat").read_text()
                if int(stat[stat.rfind(")") + 2 :].split()[1]) == master:
                    found.append(int(entry.name))
    return found


def _healthz_count(base: str) -> float:
    return value(
        _get(base + "/metrics"),
        "service_center_http_requests_total",
        method="GET",
        endpoint="health.healthz",
        status="200",
    )


def test_two_workers_counts_add_up_and_survive_a_worker(tmp_path):
    url = f"sqlite:///{tmp_path / 'metrics.sqlite'}"
    app = create_app(base_config(url))
    with app.app_context():
        db.create_all()
        db.engine.dispose()
    counts = tmp_path / "prometheus"
    counts.mkdir()
    conf = tmp_path / "gunicorn.conf.py"
    conf.write_text(CONF)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SERVICE_CENTER_")}
    env.update(
        DATABASE_URL=url,
        SECRET_KEY="metrics-test",
        SERVICE_CENTER_INSTANCE_PATH=str(tmp_path),
        PROMETHEUS_MULTIPROC_DIR=str(counts),
    )
    server = subprocess.Popen(
        [
            str(GUNICORN),
            "-c",
            str(conf),
            "-b",
            f"127.0.0.1:{port}",
            "-w",
            "2",
            "service_center:create_app()",
        ],
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, "gunicorn exited"
            assert time.monotonic() < deadline, "gunicorn did not answer"
            with contextlib.suppress(OSError):
                _get(base + "/healthz")
                if len(_workers(server.pid)) == 2:
                    break
            time.sleep(0.1)
        time.sleep(0.5)  # the second worker finishes loading the app

        before = _healthz_count(base)
        with ThreadPoolExecutor(8) as pool:  # at once, so both workers take some
            list(pool.map(lambda _: _get(base + "/healthz"), range(60)))
        answered_by = {p.name.split("_")[-1] for p in counts.glob("counter_*.db")}
        assert len(answered_by) >= 2, "only one worker answered"
        scrapes = [_healthz_count(base) for _ in range(6)]  # whichever worker scrapes
        assert scrapes == [before + 60] * 6

        victim = _workers(server.pid)[0]
        os.kill(victim, signal.SIGKILL)  # gunicorn starts another; the counts stay
        deadline = time.monotonic() + 30
        while victim in _workers(server.pid) or len(_workers(server.pid)) < 2:
            assert time.monotonic() < deadline, "gunicorn did not replace the worker"
            time.sleep(0.1)
        time.sleep(0.5)
        assert _healthz_count(base) == before + 60
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
