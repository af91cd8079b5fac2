"""The hall TV page and the window screens, and that no personal data reaches any display."""

from __future__ import annotations

import json
import re
from datetime import time, timedelta

import pytest

from service_center.booking.models import Appointment, AppointmentState
from service_center.db import db
from service_center.privacy import mask_id_number, mask_name, mask_phone
from service_center.queueing import services as queue
from service_center.queueing.models import Outcome
from service_center.validators import id_check_character
from service_center.windows.models import WindowState


@pytest.fixture(autouse=True)
def frozen_clock(clock):
    with clock.read_by("service_center.display.api", "service_center.display.views"):
        yield


def board_in(html: str) -> dict:
    found = re.search(
        r'<script type="application/json" id="display-board">(.*?)</script>', html, re.S
    )
    assert found is not None
    return json.loads(found.group(1))


def inside(html: str, element_id: str, closing: str) -> str:
    """The words inside the element with ``element_id`` (up to its ``closing`` tag)."""
    after = html.split(f'id="{element_id}"', 1)[1].split(">", 1)[1]
    return text_of(after.split(closing, 1)[0])


def text_of(html: str) -> str:
    """The page's visible words, spaces collapsed (tags and the scripts' data left out)."""
    html = re.sub(r"<script.*?</script>", " ", html, flags=re.S).replace("<wbr>", "")
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_hall_shows_the_latest_call_large_and_the_recent_ones(
    client, world, open_windows, issue, clock
):
    first, second = issue(world.items.licence), issue(world.items.marriage)
    queue.call_next_ticket(world.windows.business, now=clock.advance(minutes=1))
    queue.call_next_ticket(world.windows.livelihood, now=clock.advance(minutes=1))
    queue.set_window_state(world.windows.mixed, WindowState.PAUSED, now=clock.now)
    db.session.commit()

    response = client.get("/display/testtown")

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    now_panel = inside(html, "now-call", "</section>")
    assert now_panel.startswith("请 M001 号到 3 号窗口办理")
    assert "Ticket M001, please go to window 3" in now_panel
    recent = inside(html, "recent-calls", "</ol>")
    assert "B001" in recent and "M001" not in recent  # the latest is not repeated below
    tiles = inside(html, "windows", "</ol>")
    assert tiles.split() == ["1", "B001", "2", "暂停", "Paused", "3", "M001", "4", "空闲", "Idle"]
    waiting = inside(html, "waiting", "</ul>")
    assert "商事类 Business 0" in waiting
    assert [c["id"] for c in board_in(html)["calls"]] == sorted(
        (c["id"] for c in board_in(html)["calls"]), reverse=True
    )
    assert "开启语音播报" in html and "testtown便民服务中心" in html
    assert first.number == "B001" and second.number == "M001"


def test_hall_before_the_first_call(client, world):
    html = client.get("/display/testtown").get_data(as_text=True)
    assert "今日尚未叫号" in html and "No calls yet today" in html


@pytest.mark.parametrize(
    ("setup", "expected"),
    [
        ("called", ["B001", "请到本窗口办理", "Please come to this window"]),
        ("serving", ["B001", "办理中", "Serving"]),
        ("paused", ["暂停", "Paused"]),
        ("closed", ["未开放", "Not open"]),
        ("idle", ["空闲", "Idle"]),
    ],
)
def test_window_screen_shows_its_ticket_or_state(
    client, world, open_windows, issue, clock, setup, expected
):
    window = world.windows.business
    if setup in ("called", "serving"):
        ticket = issue(world.items.licence)
        queue.call_next_ticket(window, now=clock.now)
        if setup == "serving":
            queue.start_ticket(ticket, now=clock.now)
    if setup in ("paused", "closed"):
        queue.set_window_state(window, WindowState(setup), now=clock.now)
    db.session.commit()

    html = client.get("/display/testtown/window/1").get_data(as_text=True)

    assert inside(html, "counter-state", "</main>") == " ".join(expected)
    assert "1 号窗口" in text_of(html) and "商事窗口" in html


@pytest.mark.parametrize(
    "url", ["/display/atlantis", "/display/testtown/window/9", "/display/atlantis/window/1"]
)
def test_unknown_center_or_window_is_404(client, world, url):
    assert client.get(url).status_code == 404


# --- personal data ---------------------------------------------------------------------------

NAMES = ["鞠骞骅", "Zebediah Quenby", "欧阳翾翾"]
PHONES = ["15938472916", "18629475031", "17745290863"]
ID_NUMBERS = [
    "37172119830916452" + id_check_character("37172119830916452"),
    "37292219571104863" + id_check_character("37292219571104863"),
]


def fragments() -> set[str]:
    """Every piece of the residents' data a careless screen could show, masked or not."""
    parts: set[str] = {"*"}  # every mask uses it
    for name in NAMES:
        parts |= {name, mask_name(name), *name.split()}
        if not name.isascii():
            parts |= set(name)  # a masked Chinese name still shows the surname: 鞠*
    for value in PHONES + ID_NUMBERS:
        parts |= {value, mask_phone(value), mask_id_number(value)}
        parts |= {value[i : i + 4] for i in range(len(value) - 3)}  # 138****5678 shows 5678
    return parts


@pytest.fixture
def residents(world, open_windows, issue, clock):
    """Tickets, a booking and a case that carry distinctive names, phones and ID numbers."""
    tickets = [
        issue(world.items.licence, applicant_name=NAMES[0], applicant_phone=PHONES[0]),
        issue(world.items.marriage, applicant_name=NAMES[1], applicant_phone=PHONES[1]),
        issue(world.items.project, applicant_name=NAMES[2], applicant_phone=PHONES[2]),
        issue(world.items.food, booked=True),
        issue(world.items.allowance, applicant_name=NAMES[0], applicant_phone=PHONES[0]),
    ]
    for i, ticket in enumerate(tickets[3:]):
        db.session.add(
            Appointment(
                code=f"QZ7K{i}XW",
                center_id=world.center.id,
                service_item_id=ticket.service_item_id,
                service_date=ticket.service_date,
                start_time=time(10, 0),
                end_time=time(10, 30),
                state=AppointmentState.CHECKED_IN,
                name=NAMES[1 + i],
                phone=PHONES[1 + i],
                id_number=ID_NUMBERS[i],
                created_dt=clock.now - timedelta(days=2),
                checked_in_dt=clock.now,
                ticket_id=ticket.id,
            )
        )
    db.session.commit()
    w = world.windows
    served = queue.call_next_ticket(w.livelihood, now=clock.advance(minutes=1))
    queue.start_ticket(served, now=clock.now)
    queue.complete_ticket(
        served,
        now=clock.advance(minutes=5),
        outcome=Outcome.COMPLETED,
        applicant_name=NAMES[2],
        applicant_phone=PHONES[2],
    )
    queue.call_next_ticket(w.livelihood, now=clock.advance(minutes=1))
    queue.call_next_ticket(w.business, now=clock.advance(minutes=1))
    queue.call_next_ticket(w.mixed, now=clock.advance(minutes=1))
    db.session.commit()
    queue.recall_ticket(tickets[0], now=clock.advance(minutes=1))
    db.session.commit()
    return tickets


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/centers/testtown/display",
        "/display/testtown",
        "/display/testtown/window/1",
        "/display/testtown/window/3",
    ],
)
def test_no_personal_data_reaches_any_display(client, residents, url):
    for language in ("zh-CN", "en"):
        response = client.get(url, headers={"Accept-Language": language})
        assert response.status_code == 200
        body = response.get_data(as_text=True)
        assert "B001" in body and "M002" in body  # the residents' tickets are on the screen
        leaked = sorted(part for part in fragments() if part in body)
        assert leaked == [], f"{url} shows {leaked}"
