"""到号提醒 end to end: a resident opts in on the kiosk's printed ticket, the clerk calls the
queue down, and the SMS gateway (a local fake) receives "3 ahead" and then "called to window
K", in that order; the phone's ticket page lists the same messages."""

from __future__ import annotations

from datetime import time

import pytest

from service_center.clock import now_utc
from service_center.db import db
from service_center.notifications import worker
from service_center.queueing import services
from service_center.queueing.models import Outcome
from service_center.windows.models import Window, WindowState
from tests.browser.conftest import add_center

pytestmark = pytest.mark.browser


def test_opt_in_at_the_kiosk_then_ahead_and_called_in_order(
    page, live_server, notifying, screenshot
):
    app = live_server.app
    with app.app_context():
        center, item = add_center("notifytown", "business", closes=time(23, 59))
        window = Window(
            center=center, number=7, name_zh="综合窗口", name_en="Any", is_comprehensive=True
        )
        db.session.add(window)
        db.session.commit()
        for _ in range(4):
            services.issue_ticket(center, item, now=now_utc())
        db.session.commit()
        item_id, window_id = item.id, window.id

    page.goto(f"/kiosk/notifytown?walk_in={item_id}")
    page.locator("button.kiosk-item").first.click()
    number = page.locator("#ticket-number").inner_text()
    screenshot("kiosk-notify-form")
    page.fill("#notify", "139 1234 5678")
    page.click("#notify-submit")
    assert page.locator("#notify-on").inner_text() == "消息将发送至 139****5678。"
    token = page.url.rsplit("/", 1)[-1]

    with app.app_context():
        window = db.session.get(Window, window_id)
        window.state = WindowState.OPEN
        db.session.commit()
        ended = worker.work(once=True)
        for _ in range(4):  # the four before, the worker's rounds running between the calls
            ticket = services.call_next_ticket(window, now=now_utc())
            services.start_ticket(ticket, now=now_utc())
            services.complete_ticket(ticket, now=now_utc(), outcome=Outcome.COMPLETED)
            db.session.commit()
            ended.update(worker.work(once=True))
        mine = services.call_next_ticket(window, now=now_utc())
        db.session.commit()
        assert mine.number == number
        ended.update(worker.work(once=True))
        assert ended["sent"] == 2

    texts = notifying.bodies()
    assert [r["to"] for r in notifying.requests] == ["13912345678"] * 2
    assert f"{number} 号前面还有 3 人" in texts[0]
    assert f"请 {number} 号到 7 号窗口办理" in texts[1]

    phone = page.context.new_page()
    phone.goto(f"/t/{token}")
    items = phone.locator("#message-list li")
    items.nth(1).wait_for(timeout=10_000)
    assert "前面还有 3 人" in items.nth(0).inner_text()
    assert "7 号窗口" in items.nth(1).inner_text()
    phone.screenshot(path=str(screenshot("kiosk-notify-form").parent / "ticket-messages.png"))
