"""axe-core on every page residents, clerks and supervisors see, in Chinese and in English; a
failed submit leads to an error summary; the live floor updates in place and can be paused.

The live server is shared: this module adds the centers axetown (open all day, two windows,
a clerk for each language) and fulltown (its first bookable day full, for the waiting list).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import time
from typing import Any

import pytest
from playwright.sync_api import expect

from service_center.auth.models import Role
from service_center.auth.services import create_user
from service_center.booking import availability
from service_center.booking import services as booking
from service_center.clock import now_utc
from service_center.db import db
from service_center.windows.models import Window
from tests.browser.conftest import add_center, check_accessibility, new_context

pytestmark = pytest.mark.browser

PASSWORD = "demo-pass-2026"
#: the window (and clerk) each run uses: both languages, and Chinese in 长辈版
LOCALES = {"zh-CN": 1, "en": 2, "zh-CN+elder": 3}


@dataclass
class Town:
    item_id: int
    full_item_id: int
    full_day: str


@pytest.fixture(scope="module")
def town(live_server) -> Town:
    with live_server.app.app_context():
        center, item = add_center("axetown", "livelihood")
        center.remote_tickets = True
        for number in LOCALES.values():
            center.windows.append(
                Window(number=number, name_zh="综合窗口", name_en="Any matter", services=[item])
            )
            create_user(f"a11y-clerk-{number}", PASSWORD, Role.CLERK, center, f"窗口员{number}")
        full, full_item = add_center("fulltown", "livelihood")
        for hours in full.hours:
            hours.open_time, hours.close_time = time(9), time(10)
        full.slot_capacity = 1
        db.session.commit()
        now = now_utc()
        days = availability.list_bookable_days(full, full_item, now=now)
        day = next(d.day for d in days if d.remaining)
        for n, start in enumerate((time(9), time(9, 30))):
            booking.book_appointment(
                full, full_item, day, start, name="赵六", phone=f"1360000100{n}", now=now
            )
        db.session.commit()
        return Town(item.id, full_item.id, day.isoformat())


@pytest.fixture(params=list(LOCALES))
def locale_page(request, browser, live_server) -> Any:
    locale, _, mode = request.param.partition("+")
    context = new_context(browser, live_server, locale=locale)
    if mode:
        context.add_cookies([{"name": "sc_mode", "value": mode, "url": live_server.url}])
    context.set_default_timeout(10_000)
    yield request.param, context.new_page()
    context.close()


def take_ticket(page: Any, item_id: int) -> dict[str, Any]:
    """A walk-in ticket, taken the way the kiosk's API does."""
    response = page.request.post("/api/v1/tickets", data={"center": "axetown", "service": item_id})
    assert response.ok, response.text()
    return response.json()


def visit(page: Any, path: str, status: int = 200) -> None:
    response = page.goto(path)
    assert response is not None and response.status == status, path
    check_accessibility(page)


def sign_in(page: Any, username: str) -> None:
    page.goto("/auth/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(re.compile("/auth/"))


def sign_out(page: Any) -> None:
    page.goto("/auth/")
    page.locator("header form[action$='/logout'] button").click()


def test_axe_finds_nothing_on_any_page(locale_page, town):
    locale, page = locale_page
    window = LOCALES[locale]
    phone = f"1390000{window:04d}"

    # the catalogue
    for path in ("/", "/centers/zhuangzhai", "/centers/zhuangzhai/services"):
        visit(page, path)
    expected_mode = "elder" if locale.endswith("+elder") else "standard"
    assert page.locator("html").get_attribute("data-mode") == expected_mode
    visit(page, "/centers/zhuangzhai/services?q=yyzz")
    page.locator("main a[href*='/services/']").first.click()
    check_accessibility(page)

    # a booking: the steps, a refused submit, the confirmation, the manage pages
    visit(page, "/book/")
    visit(page, "/book/axetown")
    page.locator(".items li a").first.click()
    check_accessibility(page)
    page.locator("a.day-button").first.click()
    check_accessibility(page)
    page.locator("a.slot-button").first.click()
    check_accessibility(page)
    page.locator("main form.form button[type=submit]").click()
    expect(page.locator("#error-summary")).to_be_visible()
    check_accessibility(page)
    page.fill("#name", "Li Lei")
    page.fill("#phone", phone)
    page.locator("main form.form button[type=submit]").click()
    code = page.locator("#booking-code").inner_text()
    check_accessibility(page)
    visit(page, "/book/manage")
    page.fill("#code", code)
    page.fill("#phone", phone)
    page.locator("main form.form button[type=submit]").click()
    expect(page.locator("#booking-status")).to_be_visible()
    check_accessibility(page)
    page.click("#move-link")
    check_accessibility(page)
    page.go_back()
    page.click("#cancel-link")
    check_accessibility(page)

    # the waiting list of a full day
    visit(page, f"/book/fulltown/{town.full_item_id}/{town.full_day}")
    page.click("#join-waitlist")
    check_accessibility(page)
    page.fill("#name", "Li Lei")
    page.fill("#phone", phone)
    page.locator("main form.form button[type=submit]").click()
    expect(page.locator("#waitlist-status")).to_be_visible()
    check_accessibility(page)

    # a ticket from the kiosk (its first screen) and its page on the phone
    visit(page, "/kiosk/axetown")
    visit(page, "/t/" + take_ticket(page, town.item_id)["token"])

    # a number from the phone
    visit(page, "/remote/axetown")
    visit(page, f"/remote/axetown/{town.item_id}")
    page.click("#remote-submit")
    expect(page.locator("#error-summary")).to_be_visible()
    check_accessibility(page)
    page.fill("#phone", phone)
    page.click("#remote-submit")
    expect(page).to_have_url(re.compile("/t/"))
    check_accessibility(page)

    # the hall's screens, an unknown page
    visit(page, "/display/axetown")
    visit(page, f"/display/axetown/window/{window}")
    visit(page, "/no-such-page", status=404)

    # a clerk calls a ticket to the window; the screens show the call
    visit(page, "/auth/login")
    sign_in(page, f"a11y-clerk-{window}")
    check_accessibility(page)
    visit(page, "/desk")
    page.locator(f"#window-{window} form[action$='/sign-on'] button").click()
    check_accessibility(page)
    page.locator("form[action$='/call-next'] button").first.click()
    expect(page.locator("#current-number")).to_have_text(re.compile(r"\w\d+"))
    check_accessibility(page)
    visit(page, "/display/axetown")
    visit(page, f"/display/axetown/window/{window}")
    sign_out(page)

    # a supervisor's reports and settings
    sign_in(page, "zz-supervisor")
    for path in ("/reports/daily", "/reports/range", "/reports/live", "/admin/"):
        visit(page, path)
    visit(page, "/auth/password")


def test_a_refused_booking_takes_focus_to_a_summary_linking_each_field(page, town):
    page.goto(f"/book/axetown/{town.item_id}")
    page.locator("a.day-button").first.click()
    page.locator("a.slot-button").first.click()
    title = page.title()
    page.get_by_role("button", name="确认预约").click()

    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    assert page.title() == "错误：" + title
    links = summary.locator("a")
    assert [links.nth(i).get_attribute("href") for i in range(links.count())] == [
        "#name",
        "#phone",
    ]
    expect(summary.locator("h2")).to_have_text("请更正以下问题")
    expect(links.first).to_have_text("姓名：请输入姓名。")
    assert page.locator("#phone").get_attribute("aria-describedby") == "phone-hint phone-error"
    assert page.locator("#phone").get_attribute("aria-invalid") == "true"
    assert page.locator("#id_number").get_attribute("aria-describedby") == "id_number-hint"
    links.nth(1).click()
    expect(page.locator("#phone")).to_be_focused()


def test_the_live_floor_updates_in_place_until_paused(browser, live_server, town):
    context = new_context(browser, live_server, locale="en")
    context.set_default_timeout(10_000)
    context.clock.install()
    page = context.new_page()
    try:
        sign_in(page, "county-admin")
        fetches: list[str] = []
        page.on("request", lambda r: fetches.append(r.url) if "/reports/live" in r.url else None)
        page.goto("/reports/live?center=axetown")
        assert page.locator("meta[http-equiv=refresh]").count() == 0
        waiting = page.locator("#waiting-total")
        before = int(waiting.inner_text())
        page.evaluate("() => { window.notReloaded = true; }")

        # a ticket is taken; within 20 s the figures show it, the page itself not reloaded
        take_ticket(page, town.item_id)
        page.clock.run_for(21_000)
        expect(waiting).to_have_text(str(before + 1))
        assert page.evaluate("() => window.notReloaded === true")

        # paused, the page asks for nothing and keeps its figures, also after a reload
        pause = page.get_by_role("button", name="Pause updates")
        pause.click()
        expect(pause).to_have_attribute("aria-pressed", "true")
        expect(page.locator("#live-status")).to_have_text("Updates paused.")
        fetches.clear()
        take_ticket(page, town.item_id)
        page.clock.run_for(120_000)
        assert fetches == []
        expect(waiting).to_have_text(str(before + 1))
        page.reload()
        expect(page.get_by_role("button", name="Pause updates")).to_have_attribute(
            "aria-pressed", "true"
        )
    finally:
        context.close()
