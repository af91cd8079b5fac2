"""A clerk signs on at /desk and serves a kiosk ticket by keyboard; the resident follows and rates.

The live server is shared with the other browser tests, which take tickets and use windows 22
and 23: this test signs the demo clerk on to window 13 (livelihood), which nobody else uses,
and serves whatever its queue holds until the ticket it issued at the kiosk comes up.
"""

from __future__ import annotations

import json
import re
import urllib.request
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from service_center.catalogue.models import Center, ServiceItem
from service_center.clock import to_local
from service_center.db import db
from service_center.queueing.models import Ticket
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
    page.goto(f"/kiosk/zhuangzhai?q={item_name}")
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
    expect(desk.locator("#window-status")).to_have_text("空闲")
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
    rating.get_by_role("radio", name="非常满意", exact=True).check()  # the sub-ratings stay folded
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
    expect(desk).to_have_url(re.compile(r"/desk$"))  # polls past an aborted navigation
    expect(desk.locator(f"#window-{WINDOW} .desk-status")).to_have_class(
        re.compile("status-closed")
    )
    context.close()


def sign_on(browser, live_server, window: int):
    """The demo clerk signed in and on to ``window``; return the desk page."""
    context = new_context(browser, live_server, locale="zh-CN")
    context.set_default_timeout(10_000)
    desk = context.new_page()
    desk.goto("/auth/login")
    desk.fill("#username", "zz-clerk")
    desk.fill("#password", "demo-pass-2026")
    desk.locator("main form button[type=submit]").click()
    desk.locator("#desk-link").click()
    desk.locator(f"#window-{window} button", has_text="上岗").click()
    expect(desk.locator("h1")).to_contain_text(f"{window} 号窗口")
    desk.wait_for_load_state("load")  # its script listens for the keys only once it has run
    return desk


def call_until(desk, number: str) -> None:
    """Call (N) until ``number`` is at the window, serving the tickets before it."""
    for _ in range(10):
        desk.keyboard.press("n")
        expect(desk.locator("#desk-message")).to_contain_text("正在呼叫")
        called = desk.locator("#desk-message").inner_text().removeprefix("正在呼叫 ")[:4]
        if called == number:
            break
        serve_current_by_keyboard(desk)
    expect(desk.locator("#current-number")).to_have_text(number)


@pytest.fixture
def short_undo(live_server):
    """The live server's undo time cut to 3 s for this test (10 s by default)."""
    app = live_server.app
    saved = app.config["QUEUE_NO_SHOW_UNDO_SECONDS"]
    assert saved == 10
    app.config["QUEUE_NO_SHOW_UNDO_SECONDS"] = 3
    yield 3
    app.config["QUEUE_NO_SHOW_UNDO_SECONDS"] = saved


def test_a_no_show_is_undone_with_z_and_after_its_seconds_the_resident_reads_how_to_requeue(
    page, browser, live_server, short_undo, demo_queue_empty
):
    with live_server.app.app_context():
        item_id = db.session.scalar(
            select(ServiceItem.id)
            .join(Center)
            .where(Center.code == "zhuangzhai", ServiceItem.code == ITEM_CODE)
        )
    mine = issue_ticket(live_server, item_id)
    with live_server.app.app_context():
        token = db.session.scalar(
            select(Ticket.token).where(Ticket.number == mine).order_by(Ticket.id.desc())
        )
    page.goto(f"/t/{token}")
    desk = sign_on(browser, live_server, WINDOW)
    call_until(desk, mine)
    desk.keyboard.press("r")
    expect(desk.locator("#current-state")).to_contain_text("已呼叫 2 次")
    expect(page.locator("#window-text")).to_have_text(f"{WINDOW} 号窗口", timeout=10_000)

    # X marks the no-show at once; the bar offers the undo, Z takes it back
    desk.keyboard.press("x")
    bar = desk.locator("#undo-bar")
    expect(bar).to_contain_text(f"{mine} 号已标记过号")
    expect(bar).to_contain_text("撤销")
    expect(bar.locator(".undo-seconds")).to_have_text(re.compile(r"[1-3] 秒"))
    expect(desk.locator("#current-number")).to_have_text("本窗口暂无号票")
    shot(desk, "desk-undo-bar")
    desk.keyboard.press("z")
    expect(desk.locator("#desk-message")).to_have_text(f"已撤销过号：{mine} 号重新叫到本窗口。")
    expect(desk.locator("#current-number")).to_have_text(mine)
    expect(desk.locator("#current-state")).to_contain_text("已呼叫 2 次")
    expect(bar).to_have_count(0)
    # the resident's page is back at the window too
    expect(page.locator("#called")).to_be_visible(timeout=15_000)

    # marked again and left: after its seconds the bar goes, the no-show is final
    desk.keyboard.press("x")
    expect(bar).to_be_visible()
    expect(bar).to_be_hidden(timeout=short_undo * 1000 + 3000)
    with live_server.app.app_context():
        missed_dt = db.session.scalar(select(Ticket.finished_dt).where(Ticket.token == token))
    until = to_local(missed_dt + timedelta(minutes=30), "Asia/Shanghai").strftime("%H:%M")
    status = page.locator("#status-text")
    expect(status).to_contain_text(f"{until} 前可重新排队一次", timeout=15_000)
    expect(status).to_contain_text("错过叫号？重新排队")
    expect(status).to_contain_text(mine)
    shot(page, "ticket-missed")
    desk.keyboard.press("z")  # too late: nothing to undo
    expect(desk.locator("#current-number")).to_have_text("本窗口暂无号票")

    desk.on("dialog", lambda dialog: dialog.accept())
    desk.keyboard.press("q")
    expect(desk).to_have_url(re.compile(r"/desk$"))  # polls past an aborted navigation
    desk.context.close()
