"""Browser tests: Debian's Chromium through Playwright against a live server on 127.0.0.1.

The server runs in a thread of the test session (werkzeug, threaded) on a SQLite file seeded
with the demo county; the app's clock is moved to 10:00 of the next working day, so the
centers are open whenever the suite runs. Without Chromium the tests skip with a reason,
except under CI=true, where a missing Chromium fails the run.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from werkzeug.serving import make_server

from service_center import clock, create_app
from service_center.catalogue.holidays import national_day
from service_center.db import db
from service_center.demo.seed import seed_demo
from tests.conftest import base_config
from tests.fixtures.notifications import webhook_config

SHANGHAI = ZoneInfo("Asia/Shanghai")
IN_CI = os.environ.get("CI", "").lower() == "true"
AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(autouse=True)
def _browser_marker(request: pytest.FixtureRequest) -> None:
    if request.node.get_closest_marker("browser") is None:
        raise pytest.UsageError("tests in tests/browser must be marked browser")


def buffered(app: Any) -> Any:
    """Read each response whole and close it before the server writes a byte.

    Werkzeug's development server closes a response only after its clean-up on the socket,
    which fails when the browser has already dropped the connection (a page reloaded while the
    chime downloads): the open file then reaches the garbage collector and its ResourceWarning,
    an error under ``filterwarnings``, fails whichever test runs then (seen once in three runs
    on a loaded machine). Production runs gunicorn, which closes every response.
    """

    def wsgi(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        body = app(environ, start_response)
        try:
            return [b"".join(body)]
        finally:
            if hasattr(body, "close"):
                body.close()

    return wsgi


class LiveServer:
    def __init__(self, app: Flask) -> None:
        self.app = app
        self._server = make_server("127.0.0.1", 0, buffered(app), threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(timeout=10)


def next_working_morning(now: datetime) -> datetime:
    """10:00 in Shanghai on the next working day after ``now`` (the demo centers are open)."""
    local = now.astimezone(SHANGHAI)
    day = local.date() + timedelta(days=1)
    while not national_day(day).is_workday or day.weekday() >= 5:
        day += timedelta(days=1)
    return datetime.combine(day, time(10, 0), SHANGHAI).astimezone(UTC)


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The demo county served on a free port of 127.0.0.1 for the whole session."""
    folder: Path = tmp_path_factory.mktemp("live")
    app = create_app(
        base_config(
            f"sqlite:///{folder / 'live.sqlite'}",
            WTF_CSRF_ENABLED=True,
            # every browser test comes from 127.0.0.1: one "resident" to the rate limits, so
            # they are raised here (tests/http checks the limits themselves)
            AUTH_LOGIN_FAILURE_LIMIT="1000 per minute",
            BOOKING_RATE_LIMIT="1000 per minute",
            BOOKING_LOOKUP_RATE_LIMIT="1000 per minute",
            REMOTE_TICKET_RATE_LIMIT="1000 per minute",
        )
    )
    with app.app_context():
        db.create_all()
        seed_demo()
        db.session.commit()
    real_now = datetime.now(UTC)
    clock.travel(next_working_morning(real_now) - real_now)
    server = LiveServer(app)
    server.start()
    yield server
    server.stop()
    clock.travel(timedelta(0))
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = shutil.which("chromium")
    if path is None:
        if IN_CI:
            pytest.fail("chromium is not installed (apt-get install chromium); CI=true needs it")
        pytest.skip("chromium is not installed: apt-get install chromium")
    return path


@pytest.fixture(scope="session")
def browser(chromium_path: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


def new_context(browser: Any, live_server: LiveServer, **options: Any) -> Any:
    """A browser context for a test: the test tools (Playwright's ``wait_for_function``, the
    axe-core script added to a page) evaluate strings, which the app's Content-Security-Policy
    forbids the page itself, so they run with it bypassed; test_csp_journey.py opens the pages
    under the policy and fails on any violation."""
    options.setdefault("locale", "zh-CN")
    return browser.new_context(base_url=live_server.url, bypass_csp=True, **options)


def check_accessibility(page: Any) -> None:
    """axe-core's WCAG 2 A/AA rules find nothing on the page (node_modules from ``npm ci``)."""
    if not AXE.exists():
        if IN_CI:
            pytest.fail("node_modules/axe-core is missing: run npm ci (scripts/test.sh does)")
        pytest.skip("axe-core is not installed: npm ci")
    if not page.evaluate("typeof axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "async () => (await axe.run(document, {runOnly: ['wcag2a', 'wcag2aa']})).violations"
        ".map(v => ({id: v.id, nodes: v.nodes.map(n => n.target.join(' '))}))"
    )
    assert result == [], f"{page.url}: {result}"


@pytest.fixture
def demo_queue_empty(live_server: LiveServer) -> None:
    """Nobody waits at the demo's main center when the test starts: a test that calls the
    next ticket at a demo window and expects its own gets it, whatever an earlier test left
    waiting (the live server's database lasts the whole session)."""
    from sqlalchemy import select

    from service_center.catalogue.models import Center
    from service_center.clock import now_utc
    from service_center.queueing import services
    from service_center.queueing.models import Ticket, TicketState

    with live_server.app.app_context():
        waiting = db.session.scalars(
            select(Ticket)
            .join(Center)
            .where(Center.code == "zhuangzhai", Ticket.state == TicketState.WAITING)
        ).all()
        for ticket in waiting:
            services.cancel_ticket(ticket, now=now_utc())
        db.session.commit()
        db.session.remove()


@pytest.fixture
def page(browser: Any, live_server: LiveServer) -> Iterator[Any]:
    context = new_context(browser, live_server)
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def screenshot(page: Any, request: pytest.FixtureRequest):
    """Save a screenshot under test-artifacts/ (for looking at the page by eye)."""
    folder = Path(__file__).resolve().parents[2] / "test-artifacts"

    def take(name: str) -> Path:
        folder.mkdir(exist_ok=True)
        path = folder / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


def add_center(code: str, case_type: str, *, closes: time = time(18)) -> tuple[Any, Any]:
    """A center of the test's own in the live server's database (inside its app context):
    open every day 08:00 until ``closes``, one item of ``case_type``, so the demo's queues
    stay as the other tests left them. Returns (center, item)."""
    from sqlalchemy import select

    from service_center.catalogue.models import (
        CaseType,
        Center,
        Department,
        OpeningHours,
        ServiceItem,
    )

    center = Center(
        code=code,
        case_prefix=code[:2].upper(),
        name_zh=f"{code}便民服务中心",
        name_en=f"{code.title()} Service Center",
        address_zh="测试路 1 号",
        address_en="1 Test Road",
    )
    center.hours = [OpeningHours(weekday=d, open_time=time(0), close_time=closes) for d in range(7)]
    item = ServiceItem(
        center=center,
        case_type=db.session.scalar(select(CaseType).where(CaseType.code == case_type)),
        department=db.session.scalars(select(Department)).first(),
        code=f"{code[:2].upper()}-1",
        name_zh="测试事项",
        name_en="Test item",
    )
    db.session.add_all([center, item])
    db.session.commit()
    return center, item


@pytest.fixture
def notifying(live_server: LiveServer, gateway: Any) -> Iterator[Any]:
    """The live server delivers SMS to the fake gateway for this test, with links to itself."""
    app = live_server.app
    saved = dict(app.config)
    app.config.update(webhook_config(gateway), PUBLIC_URL=live_server.url)
    app.extensions.pop("notify_channels", None)
    yield gateway
    app.config.clear()
    app.config.update(saved)
    app.extensions.pop("notify_channels", None)
