"""候补 end to end: a resident joins the waiting list of a full day, another resident's
booking is cancelled, the SMS gateway (a local fake) receives the offer, and its link opens
the held place; the resident takes it and sees the booking confirmed."""

from __future__ import annotations

import re
from datetime import time

import pytest

from service_center.booking import availability
from service_center.booking import services as booking
from service_center.clock import now_utc
from service_center.db import db
from service_center.notifications import worker
from tests.browser.conftest import add_center

pytestmark = pytest.mark.browser


def full_day(center, item) -> tuple[str, list[int]]:
    """Open ``center`` 09:00–10:00 only (two slots of one place) and book its first bookable
    day full; return the day and the bookings."""
    for hours in center.hours:
        hours.open_time, hours.close_time = time(9), time(10)
    center.slot_capacity = 1
    db.session.commit()
    now = now_utc()
    day = next(d.day for d in availability.list_bookable_days(center, item, now=now) if d.remaining)
    booked = [
        booking.book_appointment(
            center, item, day, start, name="赵六", phone=f"1360000000{n}", now=now
        ).id
        for n, start in enumerate((time(9), time(9, 30)))
    ]
    db.session.commit()
    return day.isoformat(), booked


def test_join_a_full_day_then_take_the_offered_place(page, live_server, notifying, screenshot):
    app = live_server.app
    with app.app_context():
        center, item = add_center("waittown", "livelihood")
        day, booked = full_day(center, item)
        item_id = item.id

    page.goto(f"/book/waittown/{item_id}/{day}")
    assert "当天已约满" in page.locator(".page-error").inner_text()
    page.click("#join-waitlist")
    page.fill("#name", "王小明")
    page.fill("#phone", "139 2222 3333")
    page.get_by_role("button", name="加入候补").click()
    assert page.locator("#waitlist-status").inner_text() == "候补中"
    assert page.locator("#waitlist-phone").inner_text() == "139****3333"
    assert "前面还有 0 人" in page.locator("#waitlist-ahead").inner_text()
    screenshot("waitlist-joined-zh")

    with app.app_context():
        from service_center.booking.models import Appointment

        booking.cancel_appointment(db.session.get(Appointment, booked[1]), now=now_utc())
        db.session.commit()
        assert worker.work(once=True)["sent"] == 1

    [offer] = [r for r in notifying.requests if r["to"] == "13922223333"]
    assert "09:30" in offer["text"] and "王" not in offer["text"]
    link = re.search(r"https?://\S+", offer["text"]).group(0)
    assert link.startswith(live_server.url + "/book/waitlist/")

    phone = page.context.new_page()
    phone.goto(link)
    assert "09:30" in phone.locator("#offer-slot").inner_text()
    assert "为您保留至" in phone.locator("#offer-until").inner_text()
    phone.screenshot(path=str(screenshot("waitlist-joined-zh").parent / "waitlist-offer-zh.png"))
    phone.click("#accept-offer")
    assert phone.locator(".done-banner h1").inner_text() == "预约成功"
    assert phone.locator("#booking-time").inner_text().startswith("09:30")
    assert phone.locator("#booking-phone").inner_text() == "139****3333"
