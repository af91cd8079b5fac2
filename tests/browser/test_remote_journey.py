"""远程取号 end to end in Chromium: a resident takes a number on the phone, is told it (the fake
SMS gateway), says "I am in the hall" on the ticket page, and the page shows the window when the
clerk calls; a second phone never says it and is skipped as a no-show."""

from __future__ import annotations

from datetime import time

import pytest

from service_center.clock import now_utc
from service_center.db import db
from service_center.notifications import worker
from service_center.queueing import services
from service_center.queueing.models import Ticket, TicketState
from service_center.windows.models import Window, WindowState
from tests.browser.conftest import add_center

pytestmark = pytest.mark.browser


def test_a_number_from_the_phone_then_in_the_hall_then_called(
    page,
    live_server,
    notifying,
    screenshot,
):
    app = live_server.app
    with app.app_context():
        center, item = add_center("remotetown", "business", closes=time(23, 59))
        center.remote_tickets = True
        window = Window(
            center=center, number=3, name_zh="综合窗口", name_en="Any", is_comprehensive=True
        )
        db.session.add(window)
        db.session.commit()
        away = services.issue_ticket(
            center, item, now=now_utc(), remote=True, notify_address="13800000009"
        )
        db.session.commit()
        item_id, window_id, away_id = item.id, window.id, away.id

    page.goto("/remote/remotetown")
    page.locator(f"a[href='/remote/remotetown/{item_id}']").click()
    page.fill("#phone", "139 1234 5678")
    screenshot("remote-take")
    page.click("#remote-submit")
    page.wait_for_selector("#arrived-button")
    number = page.locator(".ticket-number").inner_text()
    assert page.locator("#ahead").inner_text() == "1"
    screenshot("remote-ticket-away")
    page.click("#arrived-button")
    page.wait_for_selector("#arrived")

    with app.app_context():
        window = db.session.get(Window, window_id)
        window.state = WindowState.OPEN
        db.session.commit()
        mine = services.call_next_ticket(window, now=now_utc())
        db.session.commit()
        assert mine.number == number  # the one ahead never came: skipped
        assert db.session.get(Ticket, away_id).state is TicketState.NO_SHOW
        worker.work(once=True)

    page.wait_for_selector("#called:not([hidden])", timeout=10_000)
    assert page.locator("#window-text").inner_text() == "3 号窗口"
    screenshot("remote-ticket-called")
    mine_texts = [r["text"] for r in notifying.requests if r["to"] == "13912345678"]
    assert f"您的号码 {number}" in mine_texts[0] and "3 号窗口" in mine_texts[-1]
