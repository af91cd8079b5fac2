"""差评整改 end to end: a resident rates a served case 1 (非常不满意) with a reason, sub-ratings
and a call-back number; the center's supervisor finds it in the rectification list with its
deadline, reads the evidence and the phone, verifies, rectifies and records the follow-up,
after which the item is closed and the phone gone.

The live server is shared: the ticket is served at window 17 of 庄寨镇 (livelihood), which no
other browser test uses, after ``demo_queue_empty`` sent home whatever waited there, and the
window is closed again before the browser opens. Pages are found by the case's own number,
so other tests' items in the list do not matter.
"""

from __future__ import annotations

import json
import re
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from service_center.auth.models import User
from service_center.auth.services import issue_api_token
from service_center.clock import local_date, now_utc
from service_center.db import db
from service_center.quality.models import Rectification
from service_center.queueing.models import Case
from service_center.windows.models import Window
from tests.browser.conftest import check_accessibility, new_context

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/shots")
WINDOW = 17
PHONE = "13912345678"


def api(live_server, path: str, token: str | None = None, body=None) -> dict:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body if body is not None else {}).encode()
    request = urllib.request.Request(live_server.url + path, data, headers, method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read() or b"{}")


def shot(page, name: str) -> None:
    """Save a screenshot of ``page`` under /tmp/shots (for looking at it by eye)."""
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def serve_a_ticket(live_server) -> dict:
    """A walk-in ticket of 庄寨镇 served and completed at window 17 through the API, as the
    desk does; return its token and case number."""
    with live_server.app.app_context():
        supervisor = db.session.scalar(select(User).where(User.username == "zz-supervisor"))
        token = issue_api_token(supervisor, "bad-review-journey", now=now_utc())
        window = db.session.scalar(
            select(Window).where(Window.center_id == supervisor.center_id, Window.number == WINDOW)
        )
        item = next(i for i in window.services if not i.needs_applicant)
        window_id, item_id, item_name = window.id, item.id, item.name_zh
        db.session.commit()
    api(live_server, f"/api/v1/windows/{window_id}/open", token)
    try:
        ticket = api(
            live_server, "/api/v1/tickets", body={"center": "zhuangzhai", "service": item_id}
        )
        called = api(live_server, f"/api/v1/windows/{window_id}/call-next", token)
        assert called["number"] == ticket["number"]
        api(live_server, f"/api/v1/tickets/{ticket['id']}/start", token)
        api(
            live_server, f"/api/v1/tickets/{ticket['id']}/complete", token, {"outcome": "completed"}
        )
    finally:
        api(live_server, f"/api/v1/windows/{window_id}/close", token)
    with live_server.app.app_context():
        case_number = db.session.scalar(select(Case.number).where(Case.ticket_id == ticket["id"]))
        db.session.remove()
    return {"token": ticket["token"], "case": case_number, "item": item_name}


def test_a_bad_review_is_verified_rectified_followed_up_and_closed(
    page, browser, live_server, demo_queue_empty
):
    served = serve_a_ticket(live_server)

    # the resident opens their ticket page: the case is closed, the rating form is there
    page.goto(f"/t/{served['token']}")
    rating = page.locator("#rating")
    expect(rating).to_be_visible()
    more = rating.locator("#rating-more")
    expect(more).not_to_have_attribute("open", "")
    check_accessibility(page)

    rating.locator("fieldset:not(.rating-sub)").get_by_label("非常不满意", exact=True).check()
    page.get_by_label("意见（选填）").fill("等了一个多小时，窗口说材料不全却不说缺什么。")
    more.locator("summary", has_text="更多评价（选填）").click()
    expect(more).to_have_attribute("open", "")
    more.get_by_role("group", name="办事效率").get_by_label("非常不满意", exact=True).check()
    more.get_by_role("group", name="服务态度").get_by_label("不满意", exact=True).check()
    more.get_by_role("group", name="服务水平").get_by_label("一般", exact=True).check()
    rating.get_by_label("同意工作人员回访").check()
    page.get_by_label("回访手机号码").fill(PHONE)
    check_accessibility(page)
    shot(page, "rating-form")
    rating.get_by_role("button", name="提交评价").click()
    expect(page.locator("#rating-thanks")).to_contain_text("感谢您的评价")
    expect(page.locator("#rating")).to_have_count(0)

    with live_server.app.app_context():
        item = db.session.scalar(
            select(Rectification).join(Case).where(Case.number == served["case"])
        )
        assert item is not None, "a rating of 1 opens a rectification"
        due = item.due_date.isoformat()
        today = local_date(now_utc(), "Asia/Shanghai").isoformat()
        db.session.remove()
    assert due > today

    # the supervisor signs in and finds the item among the center's rectifications
    context = new_context(browser, live_server, locale="zh-CN")
    context.set_default_timeout(10_000)
    boss = context.new_page()
    boss.goto("/auth/login")
    boss.fill("#username", "zz-supervisor")
    boss.fill("#password", "demo-pass-2026")
    boss.locator("main form button[type=submit]").click()
    boss.click("#reports-link")
    boss.click("#rectifications-tab")
    expect(boss.locator("h1")).to_have_text("差评整改")
    row = boss.locator("#rectifications tbody tr", has_text=served["case"])
    expect(row).to_have_count(1)
    cells = row.locator("td")
    expect(cells.nth(0)).to_have_text(due)
    expect(cells.nth(2)).to_have_text(served["item"])
    expect(cells.nth(3)).to_have_text("1")
    expect(cells.nth(4)).to_have_text("待核实")
    expect(cells.nth(5)).to_have_text("李强 (庄寨镇主任)")
    check_accessibility(boss)
    shot(boss, "rectification-list")

    # the item: the review as rated, what the records say, the phone for the assignee
    row.get_by_role("link", name=served["case"]).click()
    expect(boss.locator("#case-number")).to_have_text(served["case"])
    expect(boss.locator("#state")).to_contain_text("待核实")
    expect(boss.locator("#deadline")).to_contain_text(due)
    expect(boss.locator("#assignee")).to_have_text("李强 (庄寨镇主任)")
    review = boss.locator("#review")
    expect(review).to_contain_text("1 · 非常不满意")
    expect(boss.locator("#efficiency")).to_have_text("1 · 非常不满意")
    expect(boss.locator("#attitude")).to_have_text("2 · 不满意")
    expect(boss.locator("#service-level")).to_have_text("3 · 一般")
    expect(boss.locator("#comment")).to_have_text("等了一个多小时，窗口说材料不全却不说缺什么。")
    expect(boss.locator("#evidence")).to_contain_text(f"{WINDOW} 号窗口")
    expect(boss.locator("#recalls")).to_have_text("0")
    expect(boss.locator("#contact a")).to_have_text(PHONE)
    expect(boss.locator("#contact a")).to_have_attribute("href", f"tel:{PHONE}")
    check_accessibility(boss)
    shot(boss, "rectification-detail")

    # verify with a finding
    boss.get_by_role("textbox", name="核实情况").fill("窗口未一次性告知所缺材料，属实。")
    boss.get_by_role("button", name="登记核实情况").click()
    expect(boss.locator("p.flash")).to_contain_text("核实情况已登记")
    expect(boss.locator("#state")).to_contain_text("已核实")

    # rectify with an action
    boss.get_by_role("textbox", name="整改措施").fill(
        "对窗口人员进行一次性告知制度培训，并电话致歉。"
    )
    boss.get_by_role("button", name="登记整改措施").click()
    expect(boss.locator("#state")).to_contain_text("已整改")
    expect(boss.get_by_role("button", name="登记核实情况")).to_have_count(0)
    check_accessibility(boss)  # the follow-up form's radio group
    shot(boss, "rectification-follow-up")

    # the follow-up call: satisfied, and the item closes
    boss.get_by_role("group", name="回访时群众的答复").get_by_label("对整改满意").check()
    boss.get_by_role("button", name="登记回访并办结").click()
    expect(boss.locator("p.flash")).to_contain_text("回访已登记；该件已办结，联系方式已删除。")
    expect(boss.locator("#state")).to_contain_text("已回访")
    expect(boss.locator("#deadline")).to_contain_text(today)
    expect(boss.locator("#contact")).to_have_text("该件办结时群众的联系方式已删除。")
    expect(boss.locator("#contact a")).to_have_count(0)
    expect(boss.get_by_text(PHONE)).to_have_count(0)
    expect(boss.locator("main form button[type=submit]")).to_have_count(0)
    history = boss.locator("#history tbody tr")
    expect(history).to_have_count(4)
    check_accessibility(boss)
    shot(boss, "rectification-closed")

    # back in the list the item shows as followed up (closed)
    boss.click("#back-link")
    expect(row.locator("td").nth(4)).to_have_text("已回访")
    expect(row).not_to_have_class(re.compile("is-overdue"))

    # the other quality pages and the live floor, for looking at by eye
    boss.goto("/quality/zhuangzhai/one-trip")
    expect(boss.locator("h1")).to_contain_text("一次办成率")
    shot(boss, "one-trip")
    boss.goto("/quality/zhuangzhai/rankings")
    shot(boss, "rankings")
    boss.goto("/reports/live")
    shot(boss, "live-floor")
    context.close()
