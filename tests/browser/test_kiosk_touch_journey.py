"""The kiosk on its 1080×1920 portrait touch screen: every screen fits without scrolling, with
targets of 60 px and type of 24 px; three taps or one search reach any item; it speaks Chinese
whatever its browser says; a printed ticket leaves the screen within 10 seconds for good; a
closed hall says when it opens and offers only check-in."""

from __future__ import annotations

import time as wall
from datetime import time, timedelta

import pytest
from sqlalchemy import func, select

from service_center.booking.models import Appointment
from service_center.catalogue.models import Center, ServiceItem
from service_center.clock import now_utc
from service_center.db import db
from service_center.queueing import services
from tests.browser.conftest import add_center, check_accessibility, new_context

pytestmark = pytest.mark.browser

SCREEN = {"width": 1080, "height": 1920}

#: the page's height, and what a finger or an older eye would miss: targets under 60 px
#: high or wide, visible text under 24 px
MEASURE = """() => {
  const visible = (el) => {
    const box = el.getBoundingClientRect(), style = getComputedStyle(el);
    return box.width > 2 && box.height > 2 && style.visibility !== "hidden";
  };
  const small = [];
  const controls = "a, button, input:not([type=hidden]), select, textarea";
  for (const el of document.querySelectorAll(controls)) {
    const boxed = el.matches("input[type=checkbox], input[type=radio]");
    const target = boxed ? el.closest("label") || el : el;
    if (!visible(el)) continue;
    const box = target.getBoundingClientRect();
    const what = target.outerHTML.slice(0, 80) + " " + Math.round(box.height);
    if (box.height < 60 || box.width < 60) small.push(what);
  }
  const tiny = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const el = walker.currentNode.parentElement;
    const text = walker.currentNode.textContent.trim();
    if (!text || !visible(el) || el.closest("svg, .visually-hidden")) continue;
    const size = parseFloat(getComputedStyle(el).fontSize);
    if (size < 24) tiny.push(el.tagName + " " + size + " " + text.slice(0, 30));
  }
  for (const el of document.querySelectorAll("input:not([type=hidden]):not([type=checkbox])")) {
    if (visible(el) && parseFloat(getComputedStyle(el).fontSize) < 24) tiny.push("input#" + el.id);
  }
  return {height: document.documentElement.scrollHeight, small, tiny};
}"""


@pytest.fixture(autouse=True)
def leave_no_one_waiting(live_server):
    """The tickets a test takes at the demo's kiosk go home after it: the later journeys
    (the reports' clerk) call the demo's queues and expect their own tickets first."""
    from service_center.queueing.models import Ticket, TicketState

    with live_server.app.app_context():
        last = db.session.scalar(select(func.max(Ticket.id))) or 0
        db.session.remove()
    yield
    with live_server.app.app_context():
        for ticket in db.session.scalars(
            select(Ticket).where(Ticket.id > last, Ticket.state == TicketState.WAITING)
        ).all():
            services.cancel_ticket(ticket, now=now_utc())
        db.session.commit()
        db.session.remove()


def tap(page, target) -> None:
    """Tap ``target`` and wait for the next screen (measuring a half-loaded one would lie)."""
    with page.expect_navigation(wait_until="load"):
        target.click()


def assert_fits_the_screen(page) -> None:
    measured = page.evaluate(MEASURE)
    assert measured["height"] <= SCREEN["height"], page.url
    assert measured["small"] == [], page.url
    assert measured["tiny"] == [], page.url


def kiosk_page(browser, live_server, locale: str, lang: str | None = None):
    context = new_context(browser, live_server, locale=locale, viewport=SCREEN)
    context.set_default_timeout(10_000)
    if lang is not None:  # a resident's tap on the language switch
        context.add_cookies([{"name": "lang", "value": lang, "url": live_server.url}])
    return context, context.new_page()


@pytest.fixture(params=["zh-CN", "en-US"])
def kiosk(request, browser, live_server):
    """The kiosk's browser, set to Chinese or to English."""
    context, page = kiosk_page(browser, live_server, request.param)
    yield page
    context.close()


def test_the_first_screen_fits_and_holds_every_way_in_in_chinese(kiosk, live_server, screenshot):
    with live_server.app.app_context():
        center = db.session.scalar(select(Center).where(Center.code == "zhuangzhai"))
        popular = db.session.scalar(
            select(ServiceItem).where(
                ServiceItem.center_id == center.id, ServiceItem.code.like("%")
            )
        )
        for _ in range(3):
            services.issue_ticket(center, popular, now=now_utc())
        db.session.commit()
        popular_name = popular.name_zh

    kiosk.goto("/kiosk/zhuangzhai")
    assert kiosk.locator("html").get_attribute("lang") == "zh-CN"
    assert kiosk.locator("a.kiosk-type").all_inner_texts() == [
        "B\n商事类",
        "T\n投资类",
        "M\n民生类",
    ]
    assert kiosk.locator("#check-in-link").is_visible()
    assert kiosk.locator("#requeue-link").is_visible()
    assert kiosk.locator("#q").is_visible()
    assert popular_name in kiosk.locator(".kiosk-popular").inner_text()
    assert kiosk.locator("#lang-switch").inner_text() == "English"
    assert_fits_the_screen(kiosk)
    check_accessibility(kiosk)
    tap(kiosk, kiosk.locator("#check-in-link"))
    assert_fits_the_screen(kiosk)
    check_accessibility(kiosk)
    kiosk.goto("/kiosk/zhuangzhai/requeue")
    assert_fits_the_screen(kiosk)
    check_accessibility(kiosk)
    tap(kiosk, kiosk.locator("#lang-switch"))  # an explicit choice still works
    assert kiosk.locator("#requeue-heading").inner_text().startswith("Missed your number?")


@pytest.mark.parametrize(("locale", "lang"), [("zh-CN", None), ("en-US", "en")])
def test_three_taps_reach_every_item_on_screens_that_fit(browser, live_server, locale, lang):
    with live_server.app.app_context():
        center = db.session.scalar(select(Center).where(Center.code == "zhuangzhai"))
        every_item = {str(item.id) for item in center.services if item.is_active}  # the demo's 229
    context, page = kiosk_page(browser, live_server, locale, lang)
    reached = set()
    page.goto("/kiosk/zhuangzhai")
    for case_type in range(3):
        tap(page, page.locator("a.kiosk-type").nth(case_type))  # tap 1
        assert_fits_the_screen(page)
        if case_type == 0:
            check_accessibility(page)
        departments = page.locator("a.kiosk-department")
        for n in range(departments.count()):
            tap(page, departments.nth(n))  # tap 2; the item's button is tap 3
            assert_fits_the_screen(page)
            reached.update(
                page.locator("button.kiosk-item").evaluate_all("bs => bs.map(b => b.value)")
            )
            if n == 0 and case_type == 0:
                check_accessibility(page)
            tap(page, page.locator("a.kiosk-back").first)
        tap(page, page.locator("#start-link"))
    context.close()
    assert reached == every_item, (sorted(every_item - reached), sorted(reached - every_item))


def test_pinyin_initials_find_an_item_and_take_its_ticket(kiosk, screenshot):
    kiosk.goto("/kiosk/zhuangzhai")
    kiosk.fill("#q", "zdshbz")  # 最低生活保障
    with kiosk.expect_navigation(wait_until="load"):
        kiosk.press("#q", "Enter")
    assert_fits_the_screen(kiosk)
    check_accessibility(kiosk)
    tap(kiosk, kiosk.locator("button.kiosk-item", has_text="最低生活保障").first)
    assert kiosk.locator("#ticket-number").inner_text().startswith("M")
    assert_fits_the_screen(kiosk)
    check_accessibility(kiosk)


def test_help_asked_for_on_the_printed_ticket_reaches_the_clerk(kiosk, live_server):
    """帮办代办: one tap on the printed ticket marks it; the screen says so and still fits."""
    from service_center.queueing.models import Ticket

    kiosk.goto("/kiosk/zhuangzhai?q=zdshbz")
    tap(kiosk, kiosk.locator("button.kiosk-item").first)
    number = kiosk.locator("#ticket-number").inner_text()
    tap(kiosk, kiosk.locator("#assist-submit"))
    assert kiosk.locator("#assist-on").is_visible()
    assert kiosk.locator("#ticket-number").inner_text() == number  # the same ticket, kept
    assert_fits_the_screen(kiosk)
    check_accessibility(kiosk)
    with live_server.app.app_context():
        ticket = db.session.scalar(
            select(Ticket).where(Ticket.number == number).order_by(Ticket.id.desc())
        )
        assert ticket.is_assisted
        db.session.remove()


def test_a_wide_search_stays_on_one_screen(kiosk):
    kiosk.goto("/kiosk/zhuangzhai?q=证")
    assert kiosk.locator("#more-results").is_visible()
    assert_fits_the_screen(kiosk)


def test_the_printed_ticket_goes_back_to_the_start_for_good(browser, live_server):
    context, page = kiosk_page(browser, live_server, "en-US", "en")  # the resident chose English
    page.goto("/kiosk/zhuangzhai?q=zdshbz")
    page.locator("button.kiosk-item").first.click()
    page.locator("#ticket-number").wait_for()
    shown = wall.monotonic()
    assert page.locator("#countdown").is_visible()
    assert page.locator(".receipt-qr svg").count() == 1
    page.wait_for_url("**/kiosk/zhuangzhai", timeout=12_000)
    assert wall.monotonic() - shown <= 11
    assert page.locator("html").get_attribute("lang") == "zh-CN"  # the next resident's language
    assert page.locator(".receipt-qr").count() == 0
    page.go_back()
    assert page.locator(".receipt-qr").count() == 0 and page.locator("#ticket-number").count() == 0
    page.go_forward()
    assert page.locator(".receipt-qr").count() == 0

    page.goto("/kiosk/zhuangzhai?q=zdshbz")  # "Done" ends the countdown at once
    page.locator("button.kiosk-item").first.click()
    page.locator("#done").click()
    page.wait_for_url("**/kiosk/zhuangzhai", timeout=2_000)
    page.go_back()
    assert page.locator("#ticket-number").count() == 0
    context.close()


def test_a_closed_hall_says_when_it_opens_and_offers_only_check_in(kiosk, live_server):
    app = live_server.app
    language = kiosk.evaluate("navigator.language")[:2]  # one center per browser language
    closed_code, booking_code = f"{language}-closed", f"FUTUR{language.upper()}234"
    with app.app_context():
        center, item = add_center(closed_code, "livelihood")
        # opens 08:00-09:00 daily: closed at the live clock's 10:00
        for hours in center.hours:
            hours.open_time, hours.close_time = time(8), time(9)
        center.calendar_version += 1
        tomorrow = (now_utc() + timedelta(hours=8) + timedelta(days=1)).date()
        db.session.add(
            Appointment(
                code=booking_code,
                center=center,
                service_item=item,
                service_date=tomorrow,
                start_time=time(8, 0),
                end_time=time(8, 30),
                name="王五",
                phone="13900001111",
                created_dt=now_utc(),
            )
        )
        db.session.commit()

    kiosk.goto(f"/kiosk/{closed_code}")
    assert kiosk.locator("#closed-notice").count() == 1
    assert kiosk.locator(".flash, .kiosk-notice").count() == 1
    assert "08:00" in kiosk.locator("#next-opening").inner_text()
    assert "恢复办公" in kiosk.locator("#next-opening").inner_text()
    tappable = kiosk.locator("a, button, input:not([type=hidden])").evaluate_all(
        "els => els.map(e => e.id || e.type)"
    )
    settings = {"lang-switch", "mode-elder"}  # how the screen speaks, not what it does
    assert [t for t in tappable if t not in settings] == ["code", "submit"]
    assert_fits_the_screen(kiosk)
    check_accessibility(kiosk)
    kiosk.goto(f"/kiosk/{closed_code}?case_type=livelihood")
    assert kiosk.locator("button.kiosk-item, a.kiosk-department").count() == 0
    kiosk.goto(f"/kiosk/{closed_code}")
    kiosk.fill("#code", booking_code)
    tap(kiosk, kiosk.locator("button[type=submit]"))
    message = kiosk.locator(".flash").inner_text()  # on the check-in screen, in Chinese
    assert f"{tomorrow.month}月{tomorrow.day}日" in message and "请在当天签到" in message
