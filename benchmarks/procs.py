"""Processes the benchmark starts: each in its own process group, all stopped by id at the end."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
GUNICORN_CONF = Path(__file__).with_name("gunicorn_conf.py")

#: every process group started and not yet stopped: pid → what it is
_running: dict[int, str] = {}


def start(argv: Sequence[str], *, env: dict[str, str], label: str, **kwargs) -> subprocess.Popen:
    """Start ``argv`` as the leader of a new process group and remember it."""
    process = subprocess.Popen(list(argv), env=env, cwd=ROOT, start_new_session=True, **kwargs)
    _running[process.pid] = label
    return process


def stop(process: subprocess.Popen, *, timeout: float = 10.0) -> None:
    """Stop the process group led by ``process``: TERM, then KILL after ``timeout``."""
    pid = process.pid
    try:
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGTERM)
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(pid, signal.SIGKILL)
                process.wait(timeout=timeout)
        # a worker that outlived its master still carries the group id
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGKILL)
    finally:
        _running.pop(pid, None)


def stop_all() -> None:
    """Kill every process group this run started and has not stopped yet (by its id)."""
    for pid in list(_running):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGKILL)
        _running.pop(pid, None)


def running() -> dict[int, str]:
    return dict(_running)


def _raise_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


@contextlib.contextmanager
def cleanup_on_exit() -> Iterator[None]:
    """Turn SIGTERM/SIGHUP into KeyboardInterrupt so ``finally`` blocks run; stop everything."""
    previous = {
        sig: signal.signal(sig, _raise_interrupt) for sig in (signal.SIGTERM, signal.SIGHUP)
    }
    try:
        yield
    finally:
        stop_all()
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    """A gunicorn master on 127.0.0.1:port and how it was started."""

    label: str
    port: int
    process: subprocess.Popen
    log: Path
    peak_worker_rss_kb: int = 0
    workers_seen: set[int] = field(default_factory=set)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def worker_pids(self) -> list[int]:
        return children_of(self.process.pid)

    def sample_memory(self) -> int:
        """Read the peak resident memory (VmHWM, kB) of each worker; keep the highest."""
        for pid in self.worker_pids():
            self.workers_seen.add(pid)
            self.peak_worker_rss_kb = max(self.peak_worker_rss_kb, vm_hwm_kb(pid))
        return self.peak_worker_rss_kb


def children_of(pid: int) -> list[int]:
    """Return the ids of the direct children of ``pid`` (from /proc)."""
    kids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # the command name may hold spaces and parentheses: split after the last ')'
        fields = stat[stat.rfind(")") + 2 :].split()
        if int(fields[1]) == pid:
            kids.append(int(entry.name))
    return sorted(kids)


def vm_hwm_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def start_gunicorn(
    app: str,
    *,
    label: str,
    env: dict[str, str],
    workers: int,
    threads: int,
    log_dir: Path,
    port: int | None = None,
) -> Server:
    """Start gunicorn serving ``app`` ("module:callable") and wait until it answers."""
    port = port or free_port()
    log = log_dir / f"{label}.log"
    argv = [
        str(VENV_BIN / "gunicorn"),
        "--config",
        str(GUNICORN_CONF),
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        app,
    ]
    with log.open("ab") as out:
        process = start(argv, env=env, label=label, stdout=out, stderr=subprocess.STDOUT)
    server = Server(label, port, process, log)
    try:
        wait_until_up(server, workers)
    except BaseException:
        stop(process)
        raise
    return server


def wait_until_up(server: Server, workers: int, *, timeout: float = 60.0) -> None:
    """Wait until every worker is up (each loads the app) and the server answers."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"{server.label} exited; see {server.log}")
        try:
            with urllib.request.urlopen(server.url + "/", timeout=2) as answer:
                answer.read()
            ready = True
        except urllib.error.HTTPError:
            ready = True  # any HTTP answer: the app is loaded
        except OSError:
            ready = False
        if ready and len(server.worker_pids()) >= workers:
            # a request reached one worker; give the others time to finish importing
            time.sleep(0.5)
            return
        time.sleep(0.1)
    raise RuntimeError(f"{server.label} did not answer within {timeout:.0f} s; see {server.log}")
