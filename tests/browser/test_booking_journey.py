"""A resident books a slot at 庄寨镇, keeps the QR and the .ics, looks it up, moves and cancels it.

The live server runs on the real clock, so the test takes the first bookable day the page offers.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest

from tests.browser.conftest import new_context

pytestmark = pytest.mark.browser
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def book_first_free_slot(page, phone: str) -> dict[str, str]:
    """Walk item → day → slot → details from the catalogue; return what was chosen."""
    page.goto("/centers/zhuangzhai/services?q=yyzz")
    page.locator(".items li a").first.click()
    item_name = page.locator("#item-name").inner_text()
    page.click("#book-item")

    day_button = page.locator("a.day-button").first
    day = day_button.get_attribute("data-date")
    day_button.click()
    assert page.locator("#slot-day").is_visible()

    slot_button = page.locator("a.slot-button").first
    start = slot_button.get_attribute("data-start")
    slot_button.click()

    page.fill("#name", "王小明")
    page.fill("#phone", phone)
    page.get_by_role("button", name="确认预约").click()
    return {"item": item_name, "day": day, "start": start}


def test_book_keep_look_up_move_and_cancel(page, browser, live_server, screenshot, tmp_path):
    chosen = book_first_free_slot(page, "+86 139 0000 1111")
    assert date.fromisoformat(chosen["day"]) > date(2026, 11, 25)

    # the confirmation: code, QR served by the app, masked details, materials
    assert page.locator(".done-banner h1").inner_text() == "预约成功"
    shown_code = page.locator("#booking-code").inner_text()
    code = shown_code.replace("-", "")
    assert len(code) == 10
    qr = page.locator("#booking-qr")
    assert qr.evaluate("img => img.complete && img.naturalWidth > 0")
    assert page.locator("#booking-name").inner_text() == "王**"
    assert page.locator("#booking-phone").inner_text() == "139****1111"
    assert page.locator("#materials li").count() >= 1
    screenshot("booking-confirmation-zh")

    # the .ics download opens in a calendar at the center, in its zone, with the materials
    with page.expect_download() as download_info:
        page.click("#ics-link")
    saved = Path(tmp_path) / "booking.ics"
    download_info.value.save_as(saved)
    calendar = icalendar.Calendar.from_ical(saved.read_bytes())
    event = next(iter(calendar.walk("VEVENT")))
    start = event.decoded("dtstart")
    hour, minute = map(int, chosen["start"].split(":"))
    expected = datetime.fromisoformat(chosen["day"]).replace(
        hour=hour, minute=minute, tzinfo=ZoneInfo("Asia/Shanghai")
    )
    assert start == expected
    assert str(event["dtstart"].params["TZID"]) == "Asia/Shanghai"
    assert "庄寨镇便民服务中心" in str(event["location"]) and "人民路" in str(event["location"])
    assert chosen["item"] in str(event["summary"])
    first_material = page.locator("#materials li").first.inner_text()
    assert first_material in str(event["description"])

    # another browser: looks the booking up with code and phone
    other = new_context(browser, live_server, locale="zh-CN")
    other.set_default_timeout(10_000)
    resident = other.new_page()
    resident.goto("/book/manage")
    resident.fill("#code", shown_code.lower())
    resident.fill("#phone", "13900001111")
    resident.get_by_role("button", name="查询预约").click()
    assert resident.locator("#booking-status").inner_text() == "已预约"
    assert resident.locator("#booking-code").inner_text() == shown_code

    # move it to another slot of that day
    resident.click("#move-link")
    resident.locator(f'a.day-button[data-date="{chosen["day"]}"]').click()
    new_slot = resident.locator(f'button.slot-button:not([data-start="{chosen["start"]}"])').first
    new_start = new_slot.get_attribute("data-start")
    new_slot.click()
    assert "已改到" in resident.locator(".flash").inner_text()
    assert resident.locator("#booking-time").inner_text().startswith(new_start)
    resident.screenshot(path=str(ARTIFACTS / "booking-manage-zh.png"), full_page=True)

    # and cancel it
    resident.click("#cancel-link")
    resident.click("#confirm-cancel")
    assert resident.locator("#booking-status").inner_text() == "已取消"
    assert "名额已释放" in resident.locator(".flash").inner_text()
    other.close()


def test_booking_works_with_javascript_switched_off(browser, live_server):
    context = new_context(browser, live_server, locale="en-US", java_script_enabled=False)
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto("/book/zhuangzhai?q=yyzz")
    page.locator(".items li a").first.click()
    page.locator("a.day-button").first.click()
    page.locator("a.slot-button").nth(1).click()
    page.fill("#name", "Li Lei")
    page.fill("#phone", "1")
    page.get_by_role("button", name="Confirm booking").click()
    assert "11-digit mainland mobile" in page.locator("#phone-error").inner_text()
    page.fill("#phone", "13900002222")
    page.get_by_role("button", name="Confirm booking").click()
    assert page.locator(".done-banner h1").inner_text() == "You are booked"
    assert page.locator("#booking-phone").inner_text() == "139****2222"
    context.close()
