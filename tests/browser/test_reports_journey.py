"""The demo supervisor serves a few tickets, then reads the day's totals and chart."""

from __future__ import annotations

import json
import urllib.request

import pytest
from sqlalchemy import select

from service_center.auth.models import User
from service_center.auth.services import issue_api_token
from service_center.clock import now_utc
from service_center.db import db
from service_center.windows.models import Window

pytestmark = pytest.mark.browser


def api(live_server, method: str, path: str, token: str | None = None, body=None) -> dict:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        live_server.url + path, method=method, headers=headers, data=data
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read() or b"{}")


def test_supervisor_reads_the_days_headline_and_chart(
    page, live_server, screenshot, demo_queue_empty
):
    with live_server.app.app_context():
        supervisor = db.session.scalar(select(User).where(User.username == "zz-supervisor"))
        token = issue_api_token(supervisor, "reports-browser-test", now=now_utc())
        window = db.session.scalar(
            select(Window).where(Window.center_id == supervisor.center_id, Window.number == 21)
        )
        item = next(i for i in window.services if not i.needs_applicant)
        window_id, item_id = window.id, item.id
        db.session.commit()

    before = api(live_server, "GET", "/api/v1/reports/daily?center=zhuangzhai", token)
    api(live_server, "POST", f"/api/v1/windows/{window_id}/open", token)
    for outcome in ("completed", "completed", "documents_missing"):
        ticket = api(
            live_server,
            "POST",
            "/api/v1/tickets",
            body={"center": "zhuangzhai", "service": item_id},
        )
        called = api(live_server, "POST", f"/api/v1/windows/{window_id}/call-next", token)
        assert called["number"] == ticket["number"]
        api(live_server, "POST", f"/api/v1/tickets/{ticket['id']}/start", token)
        api(
            live_server,
            "POST",
            f"/api/v1/tickets/{ticket['id']}/complete",
            token,
            {"outcome": outcome},
        )
    api(live_server, "POST", f"/api/v1/windows/{window_id}/close", token)
    after = api(live_server, "GET", "/api/v1/reports/daily?center=zhuangzhai", token)
    assert after["cases"]["livelihood"] == before["cases"]["livelihood"] + 3
    assert after["outcomes"]["livelihood"]["documents_missing"] >= 1

    page.goto("/auth/login")
    page.fill("#username", "zz-supervisor")
    page.fill("#password", "demo-pass-2026")
    page.press("#password", "Enter")
    page.click("#reports-link")
    assert page.locator("#report-center").inner_text() == "庄寨镇便民服务中心"
    assert page.locator("#report-date").inner_text() == after["date"]
    cases = after["cases"]
    for code, n in cases.items():
        assert page.locator(f"#cases-{code}").inner_text() == str(n)
    assert page.locator("#cases-total").inner_text() == str(after["cases_total"])
    assert page.locator("#cases-sentence").inner_text() == (
        f"商事类 {cases['business']} 件、投资类 {cases['investment']} 件、"
        f"民生类 {cases['livelihood']} 件"
    )
    chart = page.locator("svg#chart-hourly")
    assert chart.is_visible()
    assert chart.locator("rect.chart-bar").count() >= 1
    assert page.locator("#window-zhuangzhai-21-livelihood").inner_text() == str(
        next(w for w in after["windows"] if w["number"] == 21)["case_types"]["livelihood"]
    )
    screenshot("reports-daily")

    page.click("text=区间与累计")
    assert page.locator("svg#chart-daily").is_visible()
    assert int(page.locator("#since-livelihood").inner_text()) >= cases["livelihood"]
    screenshot("reports-range")
