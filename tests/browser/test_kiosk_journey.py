"""A resident takes a ticket at the kiosk, follows it on the phone, and sees the window called."""

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


def staff_post(live_server, path: str, token: str) -> dict:
    request = urllib.request.Request(
        live_server.url + path, method="POST", headers={"Authorization": f"Bearer {token}"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read() or b"{}")


def test_kiosk_ticket_then_phone_page_shows_the_window(
    page, live_server, screenshot, demo_queue_empty
):
    with live_server.app.app_context():
        clerk = db.session.scalar(select(User).where(User.username == "zz-clerk"))
        token = issue_api_token(clerk, "browser-test", now=now_utc())
        window = db.session.scalar(
            select(Window).where(Window.center_id == clerk.center_id, Window.number == 22)
        )
        window_id = window.id
        db.session.commit()

    page.goto("/kiosk/zhuangzhai")
    page.fill("#q", "低保")
    page.press("#q", "Enter")
    page.locator("button.kiosk-item").first.click()
    number = page.locator("#ticket-number").inner_text()
    assert number.startswith("M") and len(number) == 4
    assert page.locator(".receipt-qr svg").count() == 1
    screenshot("kiosk-ticket")

    phone = page.context.new_page()  # the resident's phone, after scanning the QR code
    phone.goto("/t/" + page.url.rsplit("/", 1)[-1])
    assert phone.locator("#called").is_hidden()
    assert phone.locator("#ahead").inner_text().isdigit()

    staff_post(live_server, f"/api/v1/windows/{window_id}/sign-on", token)  # the clerk's window
    staff_post(live_server, f"/api/v1/windows/{window_id}/open", token)
    called = staff_post(live_server, f"/api/v1/windows/{window_id}/call-next", token)
    assert called["window"] == 22
    phone.locator("#called").wait_for(state="visible", timeout=10_000)
    assert phone.locator("#window-text").inner_text() == "22 号窗口"
    assert "轮到您了" in phone.locator("#status-text").inner_text()
    phone.screenshot(path=str(screenshot("kiosk-ticket").parent / "ticket-called.png"))
