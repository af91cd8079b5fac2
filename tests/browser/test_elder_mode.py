"""长辈版 in Chromium: a resident turns it on on the ticket page and at the kiosk; type grows by
half, lines open up, the choice survives navigation and a new page, 朗读 speaks the ticket
number in Chinese, axe-core finds nothing, and 标准版 switches back.

Headless Chromium has no voices: ``speechSynthesis`` is replaced by a recorder before any page
script runs, so the test sees what would have been spoken.
"""

from __future__ import annotations

from datetime import time
from typing import Any

import pytest

from service_center.clock import now_utc
from service_center.db import db
from service_center.queueing import services
from tests.browser.conftest import add_center

try:  # another change may move the helper into conftest
    from tests.browser.conftest import check_accessibility  # type: ignore[attr-defined]
except ImportError:
    from tests.browser.test_admin_journey import check_accessibility

pytestmark = pytest.mark.browser

RECORD_SPEECH = """
window.__spoken = [];
Object.defineProperty(window, "speechSynthesis", {configurable: true, value: {
  speak: function (u) { window.__spoken.push({text: u.text, lang: u.lang}); },
  cancel: function () {},
  getVoices: function () { return []; }
}});
"""


def style(page: Any, selector: str) -> tuple[float, float]:
    """The element's computed font size and line height, in px."""
    size, height = page.eval_on_selector(
        selector,
        "e => { const s = getComputedStyle(e); return [s.fontSize, s.lineHeight]; }",
    )
    return float(size.removesuffix("px")), float(height.removesuffix("px"))


def mode(page: Any) -> str:
    return page.eval_on_selector("html", "e => e.dataset.mode")


@pytest.fixture(scope="module")
def eldertown(live_server: Any) -> Any:
    """A center of this test's own, open all day, with one business item."""
    with live_server.app.app_context():
        center, item = add_center("eldertown", "business", closes=time(23, 59))
        return item.id


def take_ticket(live_server: Any, item_id: int) -> tuple[str, str]:
    from service_center.catalogue.models import ServiceItem

    with live_server.app.app_context():
        item = db.session.get(ServiceItem, item_id)
        ticket = services.issue_ticket(
            item.center, item, now=now_utc(), remote=True, notify_address="13800000009"
        )
        db.session.commit()
        return ticket.number, ticket.token


def test_elder_mode_on_the_ticket_page(page, live_server, eldertown, screenshot):
    number, token = take_ticket(live_server, eldertown)
    page.add_init_script(RECORD_SPEECH)
    page.goto(f"/t/{token}")
    assert mode(page) == "standard"
    body, _ = style(page, "#status-text")
    key, _ = style(page, "#ticket-number")
    assert page.locator("button.speak").count() == 0
    screenshot("elder-ticket-standard")

    page.click("#mode-elder")
    page.wait_for_url(f"**/t/{token}")
    assert mode(page) == "elder"
    elder_body, body_line = style(page, "#status-text")
    elder_key, key_line = style(page, "#ticket-number")
    assert elder_body >= 1.5 * body and elder_key >= 1.5 * key
    assert body_line >= 1.3 * elder_body and key_line >= 1.3 * elder_key
    assert page.locator("#ahead").is_visible()
    assert page.locator("p[data-secondary]").is_hidden()  # the issue time: not the main path
    screenshot("elder-ticket-elder")

    page.get_by_role("button", name="朗读").click()
    spoken = page.evaluate("window.__spoken")
    assert len(spoken) == 1 and spoken[0]["lang"] == "zh-CN"
    assert spoken[0]["text"].startswith("您的号码：" + " ".join(number))
    assert "前面还有" in spoken[0]["text"]
    assert "0009" not in spoken[0]["text"].replace(" ", "")  # never the phone
    check_accessibility(page)

    page.goto("/centers/eldertown/services")  # the choice follows the resident around
    assert mode(page) == "elder"
    fresh = page.context.new_page()
    fresh.goto(f"/t/{token}")
    assert mode(fresh) == "elder" and fresh.locator("button.speak").is_visible()

    fresh.click("#mode-standard")
    fresh.wait_for_url(f"**/t/{token}")
    assert mode(fresh) == "standard"
    assert style(fresh, "#ticket-number")[0] == key
    assert fresh.locator("#mode-elder").inner_text() == "长辈版"


def test_elder_mode_at_the_kiosk(page, live_server, eldertown, screenshot):
    page.goto("/kiosk/eldertown")
    assert mode(page) == "standard"
    body, _ = style(page, "body")
    tile, _ = style(page, ".kiosk-type")
    screenshot("elder-kiosk-standard")

    page.click("#mode-elder")
    page.wait_for_url("**/kiosk/eldertown")
    assert mode(page) == "elder"
    elder_body, body_line = style(page, ".kiosk-title")
    assert style(page, "body")[0] >= 1.5 * body
    elder_tile, tile_line = style(page, ".kiosk-type")
    assert elder_tile >= 1.5 * tile
    assert body_line >= 1.3 * elder_body and tile_line >= 1.3 * elder_tile
    screenshot("elder-kiosk-elder")
    check_accessibility(page)

    page.fill("#q", "测试")  # taking a ticket keeps the mode
    page.press("#q", "Enter")
    page.locator("button.kiosk-item").first.click()
    page.wait_for_selector("#ticket-number")
    assert mode(page) == "elder"
    # no timeout that hurries: three times as long as the standard 10 seconds
    assert int(page.locator("#countdown-seconds").inner_text()) > 20
    page.click("#done")  # the next resident finds the standard kiosk
    page.wait_for_url("**/kiosk/eldertown")
    assert mode(page) == "standard"

    page.click("#mode-elder")
    page.wait_for_url("**/kiosk/eldertown")
    page.click("#mode-standard")
    page.wait_for_url("**/kiosk/eldertown")
    assert mode(page) == "standard" and style(page, "body")[0] == body


def test_elder_mode_runs_under_the_content_security_policy(browser, live_server, eldertown):
    from tests.browser.test_csp_journey import under_policy

    _, token = take_ticket(live_server, eldertown)
    context, page, violations = under_policy(browser, live_server)
    try:
        page.goto(f"/t/{token}")
        page.click("#mode-elder")
        page.locator("button.speak").wait_for(state="visible")  # elder.js ran
        page.click("button.speak")
        assert violations == []
    finally:
        context.close()


def test_elder_mode_reads_the_booking_code_and_time_but_not_the_person(page, screenshot):
    from tests.browser.test_booking_journey import book_first_free_slot

    page.add_init_script(RECORD_SPEECH)
    page.goto("/centers/zhuangzhai")
    page.click("#mode-elder")
    book_first_free_slot(page, "+86 139 0000 7312")
    assert mode(page) == "elder" and page.locator("#ics-link").is_hidden()
    code = page.locator("#booking-code").inner_text().replace("-", "")
    time_shown = page.locator("#booking-time").inner_text()
    screenshot("elder-booking-confirmation")

    page.get_by_role("button", name="朗读").click()
    (spoken,) = page.evaluate("window.__spoken")
    assert spoken["lang"] == "zh-CN"
    assert spoken["text"].startswith("预约码：" + " ".join(code))
    assert time_shown in spoken["text"]
    assert "王" not in spoken["text"] and "2 2 2 2" not in spoken["text"]
    check_accessibility(page)
