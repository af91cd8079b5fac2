"""A clerk signs on at /desk and serves a kiosk ticket by keyboard; the resident follows and rates.

The live server is shared with the other browser tests, which take tickets and use windows 22
and 23: this test signs the demo clerk on to window 13 (livelihood), which nobody else uses,
and serves whatever its queue holds until the ticket it issued at the kiosk comes up.
"""

from __future__ import annotations

import json
import re
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from service_center.catalogue.models import Center, ServiceItem
from service_center.db import db
from tests.browser.conftest import new_context

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
WINDOW = 13
ITEM_CODE = "MS-013"  # 内地居民结婚登记: a livelihood item that needs the applicant


def issue_ticket(live_server, item_id: int) -> str:
    """Take a walk-in ticket the way the kiosk's API does; return its number."""
    body = json.dumps({"center": "zhuangzhai", "service": item_id}).encode()
    request = urllib.request.Request(
        live_server.url + "/api/v1/tickets",
        body,
        {"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())["number"]


def serve_current_by_keyboard(desk) -> str:
    """Start (S) and complete (C, 1, Enter) the ticket now called; return the desk's message."""
    number = desk.locator("#current-number").inner_text()
    desk.keyboard.press("s")
    expect(desk.locator("#desk-message")).to_have_text(f"开始办理 {number}。")
    expect(desk.locator("#current-state")).to_contain_text("办理中")
    desk.keyboard.press("c")
    desk.keyboard.press("1")
    expect(desk.locator('input[name="outcome"][value="completed"]')).to_be_checked()
    if desk.locator("#applicant_name").count():
        desk.fill("#applicant_name", "王小明")
        desk.fill("#applicant_phone", "13812345678")
        desk.locator('input[name="outcome"][value="completed"]').focus()
    desk.keyboard.press("Enter")
    message = desk.locator("#desk-message")
    expect(message).to_contain_text(f"{number} 已办理完毕，办件编号 ZZ-")
    return message.inner_text()


def shot(page, name: str) -> None:
    """Save a screenshot of ``page`` under test-artifacts/ (for looking at it by eye)."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_clerk_serves_a_kiosk_ticket_by_keyboard_and_the_resident_rates(page, browser, live_server):
    with live_server.app.app_context():
        item = db.session.scalar(
            select(ServiceItem)
            .join(Center)
            .where(Center.code == "zhuangzhai", ServiceItem.code == ITEM_CODE)
        )
        item_id, item_name = item.id, item.name_zh

    # the resident takes a ticket at the kiosk and opens its page on the phone
    page.goto("/kiosk/zhuangzhai?case_type=livelihood")
    page.locator("button.kiosk-item", has_text=item_name).click()
    mine = page.locator("#ticket-number").inner_text()
    assert re.fullmatch(r"M\d{3}", mine)
    phone = page.context.new_page()
    phone.goto("/t/" + page.url.split("?")[0].rsplit("/", 1)[-1])
    expect(phone.locator("#called")).to_be_hidden()

    # the clerk signs in and signs on to window 13
    context = new_context(browser, live_server, locale="zh-CN")
    context.set_default_timeout(10_000)
    desk = context.new_page()
    desk.goto("/auth/login")
    desk.fill("#username", "zz-clerk")
    desk.fill("#password", "demo-pass-2026")
    desk.locator("main form button[type=submit]").click()
    desk.locator("#desk-link").click()
    desk.locator(f"#window-{WINDOW} button", has_text="上岗").click()
    expect(desk.locator("h1")).to_contain_text(f"{WINDOW} 号窗口")
    expect(desk.locator("#window-status")).to_have_text("开放")
    expect(desk.locator("#queue")).to_contain_text(mine)

    # a lost connection shows a banner, which goes once the desk reaches the server again
    context.set_offline(True)
    expect(desk.locator("#desk-offline")).to_be_visible(timeout=10_000)
    context.set_offline(False)
    expect(desk.locator("#desk-offline")).to_be_hidden(timeout=10_000)

    # the queue refreshes by itself when the kiosk issues a ticket
    later = issue_ticket(live_server, item_id)
    expect(desk.locator(f'#queue li[data-number="{later}"]')).to_be_visible(timeout=10_000)
    shot(desk, "desk-queue")

    # call by keyboard (N) until the kiosk ticket comes up; serve the ones before it
    for _ in range(10):
        desk.keyboard.press("n")
        expect(desk.locator("#desk-message")).to_contain_text("正在呼叫")
        called = desk.locator("#desk-message").inner_text().removeprefix("正在呼叫 ")[:4]
        expect(desk.locator("#current-number")).to_have_text(called)
        if called == mine:
            break
        serve_current_by_keyboard(desk)
    assert desk.locator("#current-number").inner_text() == mine

    # the phone shows the window within the poll interval
    expect(phone.locator("#called")).to_be_visible(timeout=10_000)
    expect(phone.locator("#window-text")).to_have_text(f"{WINDOW} 号窗口")

    # recall (R) counts a second call; a shortcut that does not fit explains itself
    desk.keyboard.press("r")
    expect(desk.locator("#desk-message")).to_have_text(f"已重呼 {mine}。")
    expect(desk.locator("#current-state")).to_contain_text("已呼叫 2 次")
    desk.keyboard.press("c")
    expect(desk.locator("#desk-message")).to_contain_text("请先开始办理")
    desk.keyboard.press("s")
    expect(desk.locator("#desk-message")).to_have_text(f"开始办理 {mine}。")
    expect(desk.locator("#current-state")).to_contain_text("办理中")
    expect(desk.locator("#applicant")).to_contain_text("该事项办结时需登记申请人")
    desk.keyboard.press("c")
    desk.keyboard.press("1")
    desk.keyboard.press("Enter")  # without the applicant the desk refuses and says why
    expect(desk.locator("#desk-message")).to_contain_text("申请人姓名")
    expect(desk.locator("#applicant_name")).to_be_focused()
    desk.keyboard.type("王小明")
    desk.keyboard.press("Tab")
    desk.keyboard.type("13812345678")
    shot(desk, "desk-complete")
    desk.keyboard.press("Enter")
    expect(desk.locator("#desk-message")).to_contain_text(f"{mine} 已办理完毕，办件编号 ZZ-")
    expect(desk.locator("#last-case")).to_contain_text(mine)
    expect(desk.locator("#current-number")).to_have_text("本窗口暂无号票")
    shot(desk, "desk-after")

    # the resident's page says done and takes the rating, without reloading
    expect(phone.locator("#status-text")).to_contain_text("已办结", timeout=10_000)
    rating = phone.locator("#rating")
    expect(rating).to_be_visible()
    rating.get_by_label("非常满意").check()
    shot(phone, "ticket-rating")
    rating.locator("button[type=submit]").click()
    expect(phone.locator("#rating-thanks")).to_contain_text("感谢您的评价")
    expect(phone.locator("#rating")).to_have_count(0)

    # serve the later ticket too (the other browser tests share this server), then sign
    # off (Q, confirmed)
    expect(desk.locator(f'#queue li[data-number="{later}"]')).to_be_visible()
    while desk.locator("#queue li[data-number]").count():
        desk.keyboard.press("n")
        expect(desk.locator("#desk-message")).to_contain_text("正在呼叫")
        serve_current_by_keyboard(desk)
    desk.on("dialog", lambda dialog: dialog.accept())
    desk.keyboard.press("q")
    desk.wait_for_url("**/desk")
    expect(desk.locator(f"#window-{WINDOW} .desk-status")).to_have_class(
        re.compile("status-closed")
    )
    context.close()
