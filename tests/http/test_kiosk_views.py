"""The kiosk: pick a case type and an item, take a ticket, see it printed; the ticket page."""

from __future__ import annotations

import re
from unittest.mock import patch

import pytest

from service_center.db import db
from service_center.queueing import services
from service_center.queueing.models import Ticket
from service_center.windows.models import WindowState
from tests.fixtures.queueing import OPENING_MORNING

ZH = {"Accept-Language": "zh-CN"}


@pytest.fixture(autouse=True)
def frozen_morning():
    with (
        patch("service_center.queueing.views.now_utc", return_value=OPENING_MORNING),
        patch("service_center.catalogue.views.now_utc", return_value=OPENING_MORNING),
    ):
        yield


def test_kiosk_shows_case_types_then_departments_then_items(client, world):
    home = client.get("/kiosk/testtown", headers=ZH).get_data(as_text=True)
    assert all(name in home for name in ("商事类", "投资类", "民生类"))
    departments = client.get("/kiosk/testtown?case_type=business").get_data(as_text=True)
    assert "市场监督管理局" in departments and "民政局" not in departments
    assert "个体工商户营业执照设立登记" not in departments
    items = client.get("/kiosk/testtown?case_type=business&department=scjg").get_data(as_text=True)
    assert "个体工商户营业执照设立登记" in items and "最低生活保障申请" not in items


def test_kiosk_speaks_chinese_whatever_the_browser_asks(client, world):
    english = {"Accept-Language": "en-US,en;q=0.9"}
    page = client.get("/kiosk/testtown", headers=english).get_data(as_text=True)
    assert 'lang="zh-CN"' in page and "商事类" in page and ">English</a>" in page
    assert "Livelihood" in client.get("/kiosk/testtown?lang=en").get_data(as_text=True)
    client.set_cookie("lang", "en")  # the resident's own choice of the switch
    assert "Livelihood" in client.get("/kiosk/testtown").get_data(as_text=True)
    assert "Take a ticket" not in client.get("/t/nothing", headers=english).get_data(as_text=True)


def test_a_closed_kiosk_shows_when_it_opens_and_only_check_in(client, world):
    friday_evening = OPENING_MORNING.replace(hour=10)  # 18:00 in Shanghai
    with patch("service_center.queueing.views.now_utc", return_value=friday_evening):
        page = client.get("/kiosk/testtown", headers=ZH).get_data(as_text=True)
        search = client.get("/kiosk/testtown?q=yyzz", headers=ZH).get_data(as_text=True)
    assert page.count('id="closed-notice"') == 1 and "flash-warning" not in page
    assert "本中心将于2026年11月30日星期一 09:00恢复办公" in page
    assert 'action="/kiosk/testtown/check-in"' in page
    assert "kiosk-item" not in page and "kiosk-type" not in page and "requeue" not in page
    assert "营业执照" not in search and 'id="closed-notice"' in search


def test_kiosk_screens_are_not_stored(client, world):
    response = client.post("/kiosk/testtown/tickets", data={"service_id": world.items.food.id})
    printed = client.get(response.headers["Location"])
    assert printed.headers["Cache-Control"] == "no-store"
    assert 'http-equiv="refresh"' not in printed.get_data(as_text=True)
    assert 'id="countdown-seconds">10<' in printed.get_data(as_text=True)
    assert client.get("/kiosk/testtown").headers["Cache-Control"] == "no-store"


def test_kiosk_search_by_pinyin(client, world):
    page = client.get("/kiosk/testtown?q=zdsh", headers=ZH).get_data(as_text=True)
    assert "最低生活保障申请" in page


def test_taking_a_ticket_prints_number_item_wait_and_qr(client, world):
    issue_earlier = client.post(
        "/kiosk/testtown/tickets", data={"service_id": world.items.licence.id}
    )
    response = client.post(
        "/kiosk/testtown/tickets", data={"service_id": world.items.licence_change.id}
    )
    assert issue_earlier.status_code == response.status_code == 302
    page = client.get(response.headers["Location"], headers=ZH).get_data(as_text=True)
    assert 'id="ticket-number">B002<' in page
    assert "营业执照变更登记" in page
    assert re.search(r'id="ahead">1<', page)
    assert "<svg" in page and "size: 80mm" not in page  # the print rules live in kiosk.css


def test_kiosk_refuses_outside_hours_with_a_clear_message(client, world):
    evening = OPENING_MORNING.replace(hour=10)  # 18:00 in Shanghai
    with patch("service_center.queueing.views.now_utc", return_value=evening):
        response = client.post(
            "/kiosk/testtown/tickets",
            data={"service_id": world.items.licence.id},
            headers=ZH,
            follow_redirects=True,
        )
    assert "现场取号仅在办公时间内提供：09:00–12:00, 13:30–17:30" in response.get_data(as_text=True)
    assert db.session.query(Ticket).count() == 0


def test_priority_box_only_when_the_center_offers_it(client, world):
    items = "/kiosk/testtown?case_type=business&department=scjg"
    assert 'name="priority"' not in client.get(items).get_data(as_text=True)
    client.post(
        "/kiosk/testtown/tickets", data={"service_id": world.items.licence.id, "priority": "y"}
    )
    assert db.session.query(Ticket).one().is_priority is False
    world.center.kiosk_priority_enabled = True
    db.session.commit()
    assert 'name="priority"' in client.get(items).get_data(as_text=True)
    client.post(
        "/kiosk/testtown/tickets", data={"service_id": world.items.food.id, "priority": "y"}
    )
    assert db.session.query(Ticket).filter_by(number="B002").one().is_priority is True


def test_unknown_kiosk_or_item(client, world):
    assert client.get("/kiosk/atlantis").status_code == 404
    response = client.post(
        "/kiosk/testtown/tickets",
        data={"service_id": world.items.other_licence.id},
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert db.session.query(Ticket).count() == 0


def test_ticket_page_shows_waiting_then_the_window(client, world, clock):
    ticket = services.issue_ticket(world.center, world.items.licence, now=OPENING_MORNING)
    db.session.commit()
    page = client.get(f"/t/{ticket.token}", headers=ZH).get_data(as_text=True)
    assert "B001" in page and "前面还有" in page and "请到" not in page.split("hidden>")[0]
    world.windows.mixed.state = WindowState.OPEN
    db.session.commit()
    services.call_next_ticket(world.windows.mixed, now=OPENING_MORNING)
    db.session.commit()
    page = client.get(f"/t/{ticket.token}", headers={"Accept-Language": "en"}).get_data(
        as_text=True
    )
    assert "Window 2" in page
    assert client.get("/t/not-a-token").status_code == 404


def test_ticket_qr_is_served_as_svg(client, world):
    ticket = services.issue_ticket(world.center, world.items.licence, now=OPENING_MORNING)
    db.session.commit()
    response = client.get(f"/t/{ticket.token}/qr.svg")
    assert response.mimetype == "image/svg+xml" and b"<svg" in response.data


def test_a_late_booking_is_offered_a_walk_in_ticket_for_its_item(client, world):
    from datetime import date, time, timedelta

    from service_center.booking.models import Appointment

    appointment = Appointment(
        code="ABCDE23456",
        center=world.center,
        service_item=world.items.food,
        service_date=date(2026, 11, 27),
        start_time=time(9, 0),
        end_time=time(9, 30),
        name="王五",
        phone="13900001111",
        created_dt=OPENING_MORNING - timedelta(days=2),
    )
    db.session.add(appointment)
    db.session.commit()
    response = client.post("/kiosk/testtown/check-in", data={"code": "abcde-23456"}, headers=ZH)
    assert (
        response.status_code == 302
        and f"walk_in={world.items.food.id}" in response.headers["Location"]
    )
    page = client.get(response.headers["Location"], headers=ZH).get_data(as_text=True)
    assert 'id="walk-in-offer"' in page and "食品经营许可证核发" in page
    assert db.session.query(Ticket).count() == 0
