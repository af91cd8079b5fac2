"""The hall TV: a call and a recall appear within 2 seconds and are spoken in order, once.

The live server is shared with the other browser tests, which call tickets too: these tests
drive window 23 (comprehensive) alone, with the demo supervisor's bearer token, and expect the
numbers the API hands back rather than any fixed global state. The page's speech engine is
replaced by a recorder before the page loads; the chime's play() is refused, as headless
Chromium may do, to prove the announcements do not wait for it.
"""

from __future__ import annotations

import json
import re
import urllib.request
from types import SimpleNamespace

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from service_center.auth.models import User
from service_center.auth.services import issue_api_token
from service_center.catalogue.models import Center, ServiceItem
from service_center.clock import now_utc
from service_center.db import db
from service_center.queueing import services as queue
from service_center.queueing.models import Outcome, Ticket, TicketState
from service_center.windows.models import Window
from tests.browser.conftest import check_accessibility

pytestmark = pytest.mark.browser

HALL = "/display/zhuangzhai"
FEED = "**/api/v1/centers/zhuangzhai/display"
#: how long a page may take to show what a poll brought: far past the 1-second poll, so a busy
#: machine cannot fail a test (how fast calls reach the hall is the benchmarks' to measure)
SOON = 10_000
ZH_VOICE = {"name": "Test 普通话", "lang": "zh-CN", "localService": True, "voiceURI": "zh"}
EN_VOICE = {"name": "Test English", "lang": "en-US", "localService": True, "voiceURI": "en"}

RECORDER = """
(() => {
  const voices = %s;
  window.__log = [];
  const engine = {
    speaking: false, pending: false, paused: false,
    getVoices: () => voices,
    speak(utterance) {
      window.__log.push({type: "speak", text: utterance.text, lang: utterance.lang});
      setTimeout(() => utterance.dispatchEvent(new Event("end")), 50);
    },
    cancel() {}, pause() {}, resume() {},
    addEventListener() {}, removeEventListener() {},
  };
  Object.defineProperty(window, "speechSynthesis", {configurable: true, get: () => engine});
  HTMLMediaElement.prototype.play = function () {
    window.__log.push({type: "play", id: this.id});
    return Promise.reject(new DOMException("refused", "NotAllowedError"));
  };
})();
"""

DIGITS = dict(zip("0123456789", "零一二三四五六七八九", strict=True))


def spoken(number: str, window: int) -> str:
    """What a Chinese voice must be given: the ticket spelled one character at a time."""
    spelled = " ".join(DIGITS.get(c, c) for c in number)
    return f"请 {spelled} 号到 {window} 号窗口办理"


def api(live_server, path: str, token: str | None = None, body: dict | None = None) -> dict:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body or {}).encode()
    request = urllib.request.Request(live_server.url + path, data, headers, method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read() or b"{}")


@pytest.fixture(scope="module")
def window23(live_server) -> SimpleNamespace:
    """Window 23 of 庄寨镇, open, with the supervisor's token and an item to take tickets for."""
    with live_server.app.app_context():
        supervisor = db.session.scalar(select(User).where(User.username == "zz-supervisor"))
        token = issue_api_token(supervisor, "display-journey", now=now_utc())
        center = db.session.scalar(select(Center).where(Center.code == "zhuangzhai"))
        window = db.session.scalar(
            select(Window).where(Window.center_id == center.id, Window.number == 23)
        )
        item = db.session.scalar(
            select(ServiceItem)
            .where(
                ServiceItem.center_id == center.id,
                ServiceItem.is_active,
                ~ServiceItem.needs_applicant,
            )
            .order_by(ServiceItem.id)
        )
        db.session.commit()
        found = SimpleNamespace(number=23, id=window.id, token=token, service=item.id)
    api(live_server, f"/api/v1/windows/{found.id}/open", found.token)
    return found


def free(live_server, window23) -> None:
    """Finish whatever ticket window 23 still holds from an earlier test."""
    with live_server.app.app_context():
        ticket = queue.current_ticket(db.session.get(Window, window23.id))
        if ticket is not None:
            if ticket.state is TicketState.CALLED:
                queue.start_ticket(ticket, now=now_utc())
            queue.complete_ticket(ticket, now=now_utc(), outcome=Outcome.COMPLETED)
            db.session.commit()
        db.session.remove()


def call_a_ticket(live_server, window23) -> dict:
    """Take a ticket at the kiosk, then call the next one to window 23 (whichever it is)."""
    free(live_server, window23)
    api(live_server, f"/api/v1/windows/{window23.id}/open", window23.token)
    api(live_server, "/api/v1/tickets", body={"center": "zhuangzhai", "service": window23.service})
    called = api(live_server, f"/api/v1/windows/{window23.id}/call-next", window23.token)
    assert called["window"] == 23
    return called


def recall(live_server, window23, ticket: dict) -> None:
    api(live_server, f"/api/v1/tickets/{ticket['id']}/recall", window23.token)


def wait_for_polls(page, count: int) -> None:
    """Wait until the page has asked for the feed ``count`` more times: a condition, not a
    duration, however slow the machine (a failed request counts: it was tried)."""
    for _ in range(count):
        with page.expect_request(FEED):
            pass


def speeches(page) -> list[dict]:
    return [e for e in page.evaluate("window.__log") if e["type"] == "speak"]


def wait_for_speeches(page, count: int) -> list[dict]:
    page.wait_for_function(
        f"window.__log.filter(e => e.type === 'speak').length >= {count}", timeout=SOON
    )
    return speeches(page)


def open_hall(page, url: str = HALL) -> None:
    page.add_init_script(RECORDER % json.dumps([ZH_VOICE, EN_VOICE]))
    page.goto(url)
    start = page.locator("#start-sound")
    expect(start).to_be_visible()  # the chime was refused: a person must allow sound once
    start.click()
    expect(start).to_be_hidden()


def test_call_and_recall_appear_at_the_next_polls_and_are_spoken_in_order(
    page, live_server, window23, screenshot
):
    page.set_viewport_size({"width": 1920, "height": 1080})
    open_hall(page)

    ticket = call_a_ticket(live_server, window23)
    number = ticket["number"]
    expect(page.locator("#now-call")).to_contain_text(
        f"请 {number} 号到 23 号窗口办理", timeout=SOON
    )
    expect(page.locator("#now-call")).to_contain_text(f"Ticket {number}, please go to window 23")
    expect(page.locator('#windows [data-window="23"]')).to_contain_text(number)
    expect(page.locator("#recall-mark")).to_be_hidden()
    screenshot("display-hall")

    recall(live_server, window23, ticket)
    expect(page.locator("#now")).to_have_attribute("data-call-kind", "recalled", timeout=SOON)
    expect(page.locator("#recall-mark")).to_be_visible()
    expect(page.locator("#recall-mark")).to_contain_text("再次呼叫")

    said = wait_for_speeches(page, 2)
    assert [s["text"] for s in said] == [spoken(number, 23)] * 2
    assert {s["lang"] for s in said} == {"zh-CN"}
    log = page.evaluate("window.__log")
    for i, entry in enumerate(log):
        if entry["type"] == "speak":  # each announcement starts with the chime, refused or not
            assert log[i - 1] == {"type": "play", "id": "chime"}
    wait_for_polls(page, 2)  # more polls bring no repeats
    assert len(speeches(page)) == 2
    expect(page.locator("#no-voice")).to_be_hidden()


def test_a_reload_does_not_repeat_old_announcements(page, live_server, window23):
    open_hall(page)
    ticket = call_a_ticket(live_server, window23)
    assert [s["text"] for s in wait_for_speeches(page, 1)] == [spoken(ticket["number"], 23)]

    page.reload()
    page.locator("#start-sound").click()
    expect(page.locator("#now-call")).to_contain_text(ticket["number"])  # shown again…
    wait_for_polls(page, 2)
    assert speeches(page) == []  # …but not spoken again

    recall(live_server, window23, ticket)
    assert [s["text"] for s in wait_for_speeches(page, 1)] == [spoken(ticket["number"], 23)]


def test_the_hall_reconnects_after_a_network_drop_and_catches_up(page, live_server, window23):
    open_hall(page)
    ticket = call_a_ticket(live_server, window23)
    wait_for_speeches(page, 1)

    page.route(FEED, lambda route: route.abort())
    expect(page.locator("#reconnecting")).to_be_visible(timeout=SOON)
    recall(live_server, window23, ticket)  # while the hall is cut off
    wait_for_polls(page, 1)  # a poll tried (and failed) after the recall
    assert len(speeches(page)) == 1

    page.unroute(FEED)
    expect(page.locator("#reconnecting")).to_be_hidden(timeout=SOON)
    expect(page.locator("#now")).to_have_attribute("data-call-kind", "recalled")
    assert [s["text"] for s in wait_for_speeches(page, 2)] == [spoken(ticket["number"], 23)] * 2


def test_english_follows_the_chinese_when_asked(page, live_server, window23):
    open_hall(page, HALL + "?english=1")
    ticket = call_a_ticket(live_server, window23)
    spelled = " ".join(ticket["number"])
    assert [(s["text"], s["lang"]) for s in wait_for_speeches(page, 2)] == [
        (spoken(ticket["number"], 23), "zh-CN"),
        (f"Ticket {spelled}, please go to window 23", "en-US"),
    ]


def test_the_hall_says_when_no_chinese_voice_is_installed(page, live_server):
    page.add_init_script(RECORDER % json.dumps([EN_VOICE]))
    page.goto(HALL)
    expect(page.locator("#no-voice")).to_be_visible(timeout=SOON)
    expect(page.locator("#no-voice")).to_contain_text("本机未安装中文语音")


def test_the_window_screen_follows_its_ticket(page, live_server, window23, screenshot):
    page.set_viewport_size({"width": 800, "height": 300})
    free(live_server, window23)
    page.goto(f"{HALL}/window/23")
    state = page.locator("#counter-state")

    ticket = call_a_ticket(live_server, window23)
    expect(state).to_contain_text(ticket["number"], timeout=SOON)
    expect(state).to_contain_text("请到本窗口办理")
    screenshot("display-window-called")

    api(live_server, f"/api/v1/tickets/{ticket['id']}/start", window23.token)
    expect(state).to_contain_text("办理中", timeout=SOON)
    api(
        live_server,
        f"/api/v1/tickets/{ticket['id']}/complete",
        window23.token,
        # call-next may have taken an earlier test's ticket for an item that needs these
        {"outcome": "completed", "applicant_name": "测试", "applicant_phone": "13800138000"},
    )
    expect(state).to_have_text("空闲Idle", timeout=SOON)
    api(live_server, f"/api/v1/windows/{window23.id}/pause", window23.token)
    expect(state).to_have_text("暂停Paused", timeout=SOON)
    screenshot("display-window-paused")
    api(live_server, f"/api/v1/windows/{window23.id}/open", window23.token)


def window_id(live_server, number: int) -> int:
    with live_server.app.app_context():
        center = db.session.scalar(select(Center).where(Center.code == "zhuangzhai"))
        found = db.session.scalar(
            select(Window.id).where(Window.center_id == center.id, Window.number == number)
        )
        db.session.remove()
    return found


def withdraw(live_server, ticket: dict) -> None:
    """Cancel a ticket left waiting, so that no other test's window calls it."""
    with live_server.app.app_context():
        left = db.session.get(Ticket, ticket["id"])
        if left.state is TicketState.WAITING:
            queue.cancel_ticket(left, now=now_utc())
            db.session.commit()
        db.session.remove()


def no_show(live_server, window23, ticket: dict) -> None:
    recall(live_server, window23, ticket)  # a no-show needs two calls: "再次呼叫" shows first
    api(live_server, f"/api/v1/tickets/{ticket['id']}/no-show", window23.token)


def pause(live_server, window23, ticket: dict) -> None:
    api(live_server, f"/api/v1/windows/{window23.id}/pause", window23.token)


def transfer(live_server, window23, ticket: dict) -> None:
    body = {"window": window_id(live_server, 22)}
    api(live_server, f"/api/v1/tickets/{ticket['id']}/transfer", window23.token, body)


def complete(live_server, window23, ticket: dict) -> None:
    api(live_server, f"/api/v1/tickets/{ticket['id']}/start", window23.token)
    body = {"outcome": "completed", "applicant_name": "测试", "applicant_phone": "13800138000"}
    api(live_server, f"/api/v1/tickets/{ticket['id']}/complete", window23.token, body)


@pytest.mark.parametrize("act", [no_show, pause, transfer, complete], ids=lambda act: act.__name__)
def test_now_calling_drops_a_call_that_no_longer_stands(page, live_server, window23, act):
    """A resident must never be sent to a window that no longer expects them."""
    page.goto(HALL)
    ticket = call_a_ticket(live_server, window23)
    call = f"请 {ticket['number']} 号到 23 号窗口办理"
    now = page.locator("#now-call")
    tile = page.locator('#windows [data-window="23"]')
    expect(now).to_contain_text(call, timeout=SOON)
    expect(tile).to_contain_text(ticket["number"])
    try:
        act(live_server, window23, ticket)
        expect(now).not_to_contain_text(call, timeout=SOON)
        expect(now).not_to_contain_text(ticket["number"])
        expect(tile).not_to_contain_text(ticket["number"])
    finally:
        api(live_server, f"/api/v1/windows/{window23.id}/open", window23.token)
        withdraw(live_server, ticket)


def test_a_paused_window_screen_drops_its_call(page, live_server, window23):
    page.set_viewport_size({"width": 800, "height": 300})
    page.goto(f"{HALL}/window/23")
    state = page.locator("#counter-state")
    ticket = call_a_ticket(live_server, window23)
    expect(state).to_contain_text(ticket["number"], timeout=SOON)
    try:
        pause(live_server, window23, ticket)
        expect(state).to_have_class(re.compile(r"\bstate-paused\b"), timeout=SOON)
        expect(state).to_contain_text("暂停")
        expect(state).not_to_contain_text(ticket["number"])
    finally:
        api(live_server, f"/api/v1/windows/{window23.id}/open", window23.token)


# Holds every running flash at its brightest (the middle of its .6 s cycle); how many it held.
FLASH_PEAK = """() => {
    const flashes = document.getAnimations();
    for (const flash of flashes) { flash.pause(); flash.currentTime = 300; }
    return flashes.length;
}"""


def test_the_hall_and_the_window_screen_pass_axe_during_a_call(page, live_server, window23):
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.goto(HALL)
    ticket = call_a_ticket(live_server, window23)
    expect(page.locator("#now-call")).to_contain_text(ticket["number"], timeout=SOON)
    recall(live_server, window23, ticket)
    expect(page.locator("#recall-mark")).to_be_visible(timeout=SOON)
    check_accessibility(page)
    # The call flashes for a few seconds; its text must stay readable at the flash's peak too.
    assert page.evaluate(FLASH_PEAK) > 0
    check_accessibility(page)

    page.set_viewport_size({"width": 800, "height": 300})
    page.goto(f"{HALL}/window/23")
    expect(page.locator("#counter-state")).to_contain_text(ticket["number"])
    check_accessibility(page)
    page.evaluate(FLASH_PEAK)
    check_accessibility(page)
