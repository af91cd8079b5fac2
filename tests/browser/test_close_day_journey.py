"""The end of the day seen on a resident's phone: a waiting ticket's page turns to the
closing notice by itself when the center closes, and stops polling."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from service_center.catalogue.models import Center
from service_center.clock import local_date, now_utc
from service_center.db import db
from service_center.queueing import services
from service_center.queueing.closing import close_day, closing_time
from tests.browser.conftest import add_center

pytestmark = pytest.mark.browser


def test_a_waiting_ticket_page_shows_the_closing_notice(page, live_server, screenshot):
    with live_server.app.app_context():  # a center of its own: the demo's queues stay as they are
        center, item = add_center("closingtown", "livelihood")
        ticket = services.issue_ticket(center, item, now=now_utc())
        db.session.commit()
        token, number = ticket.token, ticket.number

    page.goto(f"/t/{token}")
    assert page.locator("#ticket-number, .ticket-number").first.inner_text() == number
    assert page.locator("#waiting").is_visible()
    polls: list[str] = []
    page.on("request", lambda r: polls.append(r.url) if "/api/v1/tickets/" in r.url else None)

    with live_server.app.app_context():
        center = db.session.scalar(select(Center).where(Center.code == "closingtown"))
        closes = closing_time(center, local_date(now_utc(), center.timezone))
        assert closes is not None and closes.tzinfo == ZoneInfo(center.timezone)
        done = close_day(center, now=max(closes, now_utc()))
        db.session.commit()
        assert done.unserved == [number]

    status = page.locator("#status-text")
    status.filter(has_text="中心已下班").wait_for(timeout=10_000)
    assert "请于下一个工作日重新取号或预约" in status.inner_text()
    assert page.locator("#waiting").is_hidden()
    screenshot("ticket-unserved")
    seen = len(polls)
    page.wait_for_timeout(2500)  # a final state: the page stops asking
    assert len(polls) == seen
