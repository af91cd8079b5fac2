"""The pages work under their own Content-Security-Policy: every page a resident, the hall, a
clerk, a supervisor and an administrator opens, with scripts running, reports no violation.

The other browser tests bypass the policy for their tools (conftest.new_context); this one does
not, and its pages wait for their scripts by what the page shows, never by evaluating a string.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

DEMO_PASSWORD = "demo-pass-2026"


def under_policy(browser: Any, live_server: Any) -> tuple[Any, Any, list[str]]:
    context = browser.new_context(locale="zh-CN", base_url=live_server.url)
    context.set_default_timeout(10_000)
    page = context.new_page()
    violations: list[str] = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    return context, page, violations


def test_residents_and_the_hall_see_no_policy_violation(browser, live_server):
    context, page, violations = under_policy(browser, live_server)
    try:
        page.goto("/kiosk/qinghe?case_type=livelihood")  # a case type's departments
        page.locator("a.kiosk-department").first.click()
        page.locator("button.kiosk-item").first.click()
        expect(page.locator(".receipt-qr")).to_be_visible()  # the printed ticket, its script
        page.goto("/centers/qinghe/services")
        page.goto("/book/qinghe")
        page.goto("/display/qinghe")
        # the page renders HH:MM; its script ticks the clock to the second
        expect(page.locator("#clock-time")).to_have_text(re.compile(r"^\d{2}:\d{2}:\d{2}$"))
        page.goto("/display/qinghe/window/1")
        page.wait_for_load_state("networkidle")
    finally:
        context.close()
    assert violations == []


def test_staff_pages_see_no_policy_violation(browser, live_server):
    context, page, violations = under_policy(browser, live_server)
    try:
        page.goto("/auth/login")
        page.fill("#username", "qh-supervisor")
        page.fill("#password", DEMO_PASSWORD)
        page.locator("form.form button[type=submit]").click()
        for path in (
            "/desk",
            "/reports/live",
            "/reports/daily",
            "/reports/range",
            "/admin/",
            "/admin/centers/qinghe/windows",
            "/admin/centers/qinghe/calendar",
        ):
            page.goto(path)
            page.wait_for_load_state("networkidle")
    finally:
        context.close()
    assert violations == []
