"""The phones journey: residents' phones poll their tickets while clerks call them.

Each phone holds one waiting ticket and does what ``static/js/ticket.js`` does: ``GET
/api/v1/tickets/<token>``, then, once the answer is in, waits ``POLL_INTERVAL`` and asks again,
until the ticket is final (done, cancelled, unserved). Meanwhile clerks work at their windows
through the API: call-next, keep the ticket called for ``HOLD_S`` (the resident walks over),
then start and complete it. Every clock reading is ``time.monotonic()`` in this one process,
so "seen − called" needs no clock sync:

- a clerk records, for each ticket called, when its call-next answer arrived (``called``);
- a phone records when the first answer with its ticket called (status ``called`` or
  ``serving``: the page shows the window in both) arrived (``seen``), and that poll's round
  trip (``rtt``).

A phone is **late** when ``seen − called > POLL_INTERVAL + ALLOWANCE_S``: one poll interval
(the poll before may have been answered "waiting" an instant before the call) and
``ALLOWANCE_S`` for the round trips of that poll and the next when the server keeps up (tens of
milliseconds) and this client's own scheduling. A phone whose ticket was called but that never
saw it called (only done) counts as late too. The round trip of the poll that saw the call is
recorded; ``late_beyond_round_trip`` counts the phones late even when that round trip is
allowed on top (``seen − called > POLL_INTERVAL + rtt + ALLOWANCE_S``): when it is 0 while
``late`` is not, the delay is the server's queueing, not the polling.

One asyncio loop drives all phones and clerks over plain HTTP/1.1 connections kept alive
whenever the server allows it (gunicorn's sync workers close each connection after the answer:
then the next request opens a new one, as a browser would), so the client costs little CPU on
a machine whose cores the server shares; its CPU time is recorded.
"""

from __future__ import annotations

import asyncio
import json
import math
import resource
import statistics
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

#: ticket.js: ``setTimeout(poll, 2000)`` after each answer
POLL_INTERVAL = 2.0
#: ticket.js waits this long after an error before polling again
ERROR_RETRY_S = 4.0
#: the round trips of the poll before and the seeing one when the server keeps up, and the
#: client's own scheduling
ALLOWANCE_S = 0.5
#: how long a clerk keeps a ticket called before starting it: longer than a poll interval and
#: its round trip, so every phone can see its call while it lasts
HOLD_S = POLL_INTERVAL + 1.0
#: statuses in which the ticket page shows the window
CALLED = ("called", "serving")
FINISHED = ("done", "cancelled", "unserved")
COMPLETE_BODY = json.dumps(
    {"outcome": "completed", "applicant_name": "张伟", "applicant_phone": "13800138000"}
).encode()


class Connection:
    """One client connection: HTTP/1.1, kept alive while the server keeps it open."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.opened = 0  #: TCP connections opened

    async def request(
        self, method: str, path: str, headers: dict[str, str] | None = None, body: bytes = b""
    ) -> tuple[int, bytes]:
        for attempt in (1, 2):
            reused = self.writer is not None
            if not reused:
                self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
                self.opened += 1
            try:
                return await self._exchange(method, path, headers or {}, body)
            except (ConnectionError, asyncio.IncompleteReadError):
                self.close()
                if not reused or attempt == 2:  # a kept-alive connection may have been closed
                    raise
        raise AssertionError("unreachable")

    async def _exchange(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, bytes]:
        assert self.reader is not None and self.writer is not None
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        if body or method == "POST":
            lines.append(f"Content-Length: {len(body)}")
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
        await self.writer.drain()
        status_line = await self.reader.readuntil(b"\r\n")
        status = int(status_line.split()[1])
        answer_headers: dict[str, str] = {}
        while True:
            line = await self.reader.readuntil(b"\r\n")
            if line == b"\r\n":
                break
            name, _, value = line.decode("latin-1").partition(":")
            answer_headers[name.strip().lower()] = value.strip()
        if "content-length" in answer_headers:
            data = await self.reader.readexactly(int(answer_headers["content-length"]))
        elif answer_headers.get("transfer-encoding", "").lower() == "chunked":
            data = b""
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                data += await self.reader.readexactly(size + 2)
                if size == 0:
                    break
                data = data[:-2]
        elif status in (204, 304):
            data = b""
        else:
            data = await self.reader.read()
            self.close()
        if answer_headers.get("connection", "").lower() == "close":
            self.close()
        return status, data

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


@dataclass
class Tally:
    """Every answer the server gave during the journey, with its round trip."""

    rtts_ms: list[float] = field(default_factory=list)
    statuses: dict[str, int] = field(default_factory=dict)
    errors: int = 0

    def add(self, status: int, seconds: float) -> None:
        self.rtts_ms.append(seconds * 1000)
        self.statuses[str(status)] = self.statuses.get(str(status), 0) + 1


@dataclass
class Phone:
    ticket_id: int
    token: str
    polls: int = 0
    errors: int = 0
    seen: float | None = None  #: monotonic time the first "called" answer arrived
    seen_rtt: float | None = None
    seen_status: str = ""
    seen_window: int | None = None
    last_status: str = "waiting"


@dataclass
class Call:
    ticket_id: int
    token: str
    window_id: int
    called: float  #: monotonic time the call-next answer arrived


def percentile(values: list[float], percent: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(len(ordered) * percent / 100) - 1)]


def clerks_needed(phones: int, windows: int, call_seconds: float) -> tuple[int, float]:
    """How many clerks, and the pause each takes between two tickets, so that ``phones``
    tickets are called in about ``call_seconds`` (a clerk's ticket lasts ``HOLD_S`` plus three
    requests, taken as half a second)."""
    clerks = max(1, min(windows, math.ceil(phones * (HOLD_S + 0.5) / call_seconds)))
    pause = max(0.0, clerks * call_seconds / phones - HOLD_S - 0.5)
    return clerks, pause


async def _journey(
    url: str,
    tickets: list[tuple[int, str]],
    windows: list[int],
    auth: str,
    *,
    call_seconds: float,
    limit_seconds: float,
) -> dict[str, Any]:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    phones = [Phone(ticket_id, token) for ticket_id, token in tickets]
    by_token = {p.token: p for p in phones}
    calls: list[Call] = []
    tally = Tally()
    clerk_errors: dict[str, int] = {}
    counters = {"calls": 0, "starts": 0, "completes": 0, "empty": 0}
    stop_calling = asyncio.Event()
    stop_polling = asyncio.Event()
    connections: list[Connection] = []
    clerk_count, pause = clerks_needed(len(phones), len(windows), call_seconds)
    started = time.monotonic()

    async def sleep_or_stop(seconds: float, event: asyncio.Event) -> None:
        try:
            await asyncio.wait_for(event.wait(), timeout=seconds)
        except TimeoutError:
            pass

    async def timed(
        conn: Connection, method: str, path: str, headers: dict[str, str], body: bytes = b""
    ) -> tuple[int, bytes, float]:
        t0 = time.monotonic()
        status, data = await conn.request(method, path, headers, body)
        t1 = time.monotonic()
        tally.add(status, t1 - t0)
        return status, data, t1

    async def phone(n: int, me: Phone) -> None:
        conn = Connection(host, port)
        connections.append(conn)
        path = f"/api/v1/tickets/{me.token}"
        headers = {"Accept": "application/json"}
        # the phones' polls spread evenly over one interval, as residents open their pages
        await sleep_or_stop(POLL_INTERVAL * n / len(phones), stop_polling)
        while not stop_polling.is_set():
            t0 = time.monotonic()
            try:
                status, data, t1 = await timed(conn, "GET", path, headers)
                if status != 200:
                    raise ValueError(status)
                answer = json.loads(data)
            except (OSError, ValueError, asyncio.IncompleteReadError):
                me.errors += 1
                tally.errors += 1
                conn.close()
                await sleep_or_stop(ERROR_RETRY_S, stop_polling)
                continue
            me.polls += 1
            me.last_status = answer["status"]
            if me.seen is None and me.last_status in CALLED:
                me.seen, me.seen_rtt = t1, t1 - t0
                me.seen_status, me.seen_window = me.last_status, answer.get("window")
            if me.last_status in FINISHED:
                break
            await sleep_or_stop(POLL_INTERVAL, stop_polling)
        conn.close()

    async def clerk(window: int) -> None:
        conn = Connection(host, port)
        connections.append(conn)
        headers = {"Authorization": auth, "Content-Type": "application/json"}
        while not stop_calling.is_set():
            try:
                status, data, t1 = await timed(
                    conn, "POST", f"/api/v1/windows/{window}/call-next", headers
                )
                if status == 204:
                    counters["empty"] += 1
                    if len(calls) >= len(phones):
                        return
                    await sleep_or_stop(0.5, stop_calling)
                    continue
                if status != 200:
                    raise ValueError(f"call-next {status}")
                ticket = json.loads(data)
                calls.append(Call(ticket["id"], ticket["token"], window, t1))
                counters["calls"] += 1
                # the resident walks over; when the time is up the clerk leaves the ticket
                # called (its phone still gets to see it; the runner settles the windows)
                await sleep_or_stop(HOLD_S, stop_calling)
                if stop_calling.is_set():
                    break
                for step, body in (("start", b""), ("complete", COMPLETE_BODY)):
                    status, _, _ = await timed(
                        conn, "POST", f"/api/v1/tickets/{ticket['id']}/{step}", headers, body
                    )
                    if status != 200:
                        raise ValueError(f"{step} {status}")
                    counters[step + "s"] += 1
            except (OSError, ValueError, asyncio.IncompleteReadError) as error:
                key = str(error) or type(error).__name__
                clerk_errors[key] = clerk_errors.get(key, 0) + 1
                conn.close()
            await sleep_or_stop(pause, stop_calling)
        conn.close()

    cpu_before = resource.getrusage(resource.RUSAGE_SELF)
    phone_tasks = [asyncio.create_task(phone(n, p)) for n, p in enumerate(phones)]
    # the clerks start once every phone has polled once
    await asyncio.sleep(POLL_INTERVAL)
    calls_started = time.monotonic()
    clerk_tasks = [asyncio.create_task(clerk(w)) for w in windows[:clerk_count]]
    clerks_done = asyncio.gather(*clerk_tasks)
    try:
        await asyncio.wait_for(asyncio.shield(clerks_done), timeout=limit_seconds)
    except TimeoutError:
        stop_calling.set()
        await clerks_done
    calls_ended = time.monotonic()
    # the phones called get time to see it: two poll intervals and round trips
    tail_end = calls_ended + 2 * POLL_INTERVAL + 3.0
    called_tokens = {c.token for c in calls}
    while time.monotonic() < tail_end and any(
        by_token[t].seen is None and by_token[t].last_status not in FINISHED
        for t in called_tokens
        if t in by_token
    ):
        await asyncio.sleep(0.1)
    stop_polling.set()
    await asyncio.gather(*phone_tasks)
    ended = time.monotonic()
    cpu_after = resource.getrusage(resource.RUSAGE_SELF)
    client_cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (
        cpu_after.ru_stime - cpu_before.ru_stime
    )
    return _summary(
        phones,
        calls,
        by_token,
        tally,
        counters,
        clerk_errors,
        clerk_count=clerk_count,
        pause=pause,
        duration=ended - started,
        calling=calls_ended - calls_started,
        client_cpu=client_cpu,
        connections=sum(c.opened for c in connections),
    )


def _summary(
    phones: list[Phone],
    calls: list[Call],
    by_token: dict[str, Phone],
    tally: Tally,
    counters: dict[str, int],
    clerk_errors: dict[str, int],
    *,
    clerk_count: int,
    pause: float,
    duration: float,
    calling: float,
    client_cpu: float,
    connections: int,
) -> dict[str, Any]:
    delays: list[float] = []
    late: list[dict[str, Any]] = []
    beyond_round_trip = 0
    never = 0
    strangers = 0
    seen_rtts: list[float] = []
    for call in calls:
        me = by_token.get(call.token)
        if me is None:
            strangers += 1
            continue
        if me.seen is None:
            never += 1
            late.append({"ticket": call.ticket_id, "delay_s": None, "last": me.last_status})
            continue
        delay = me.seen - call.called
        rtt = me.seen_rtt or 0.0
        delays.append(delay)
        seen_rtts.append(rtt)
        if delay > POLL_INTERVAL + ALLOWANCE_S:
            late.append(
                {"ticket": call.ticket_id, "delay_s": round(delay, 3), "rtt_s": round(rtt, 3)}
            )
        if delay > POLL_INTERVAL + rtt + ALLOWANCE_S:
            beyond_round_trip += 1
    requests = len(tally.rtts_ms)

    def ms(value: float | None) -> float | None:
        return None if value is None else round(value * 1000, 1)

    return {
        "phones": len(phones),
        "clerks": clerk_count,
        "clerk_pause_s": round(pause, 2),
        "hold_s": HOLD_S,
        "poll_interval_s": POLL_INTERVAL,
        "allowance_s": ALLOWANCE_S,
        "called": len(calls),
        "called_not_a_phone": strangers,
        "seen": len(delays),
        "never_seen": never,
        "late": len(late),
        "late_beyond_round_trip": beyond_round_trip + never,
        "late_examples": late[:10],
        "delay_max_ms": ms(max(delays) if delays else None),
        "delay_p99_ms": ms(percentile(delays, 99)),
        "delay_p50_ms": ms(statistics.median(delays) if delays else None),
        "seen_rtt_max_ms": ms(max(seen_rtts) if seen_rtts else None),
        "polls": sum(p.polls for p in phones),
        "poll_errors": sum(p.errors for p in phones),
        "clerk_errors": clerk_errors,
        "counters": counters,
        "requests": requests,
        "statuses": dict(sorted(tally.statuses.items())),
        "rtt_p50_ms": round(statistics.median(tally.rtts_ms), 2) if requests else None,
        "rtt_p90_ms": round(percentile(tally.rtts_ms, 90) or 0, 2),
        "rtt_p99_ms": round(percentile(tally.rtts_ms, 99) or 0, 2),
        "rtt_max_ms": round(max(tally.rtts_ms), 2) if requests else None,
        "duration_s": round(duration, 2),
        "calling_s": round(calling, 2),
        "rps": round(requests / duration, 1) if duration else 0.0,
        "connections_opened": connections,
        "client_cpu_s": round(client_cpu, 2),
        "client_cpu_share": round(client_cpu / duration, 3) if duration else None,
    }


def run(
    url: str,
    tickets: list[tuple[int, str]],
    windows: list[int],
    auth: str,
    *,
    call_seconds: float,
    limit_seconds: float,
) -> dict[str, Any]:
    """Run the journey against the server at ``url``: ``tickets`` (id, token) one a phone,
    clerks at the first of ``windows`` (bearer ``auth``, "Bearer …"), paced to call them all in
    about ``call_seconds``, stopped after ``limit_seconds`` of calling; return the summary."""
    return asyncio.run(
        _journey(
            url,
            tickets,
            windows,
            auth,
            call_seconds=call_seconds,
            limit_seconds=limit_seconds,
        )
    )
