"""长辈版 (elderly mode): the switch remembers the choice, and every page carries it."""

from __future__ import annotations

import re
from typing import Any
from unittest.mock import patch

import pytest

from service_center.db import db
from service_center.queueing import services
from tests.fixtures.booking import NO_LIMITS
from tests.fixtures.queueing import OPENING_MORNING

ZH = {"Accept-Language": "zh-CN"}
EN = {"Accept-Language": "en"}


@pytest.fixture
def app_config() -> dict[str, Any]:
    return dict(NO_LIMITS)


@pytest.fixture(autouse=True)
def frozen_morning():
    with (
        patch("service_center.queueing.views.now_utc", return_value=OPENING_MORNING),
        patch("service_center.catalogue.views.now_utc", return_value=OPENING_MORNING),
    ):
        yield


def html_mode(page: str) -> str:
    found = re.search(r'<html lang="[^"]+" data-mode="(\w+)"', page)
    assert found, "no data-mode on <html>"
    return found.group(1)


def text(response) -> str:
    return response.get_data(as_text=True)


def test_the_switch_remembers_elder_mode_and_goes_back_to_the_page(client):
    response = client.get("/mode/elder?next=/kiosk/testtown%3Fcase_type%3Dbusiness")
    assert response.status_code == 302
    assert response.headers["Location"] == "/kiosk/testtown?case_type=business"
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("sc_mode=elder;") and "Max-Age=31536000" in cookie
    assert "SameSite=Lax" in cookie


def test_the_switch_goes_home_for_a_page_of_another_site(client):
    response = client.get("/mode/elder?next=//evil.example/")
    assert response.headers["Location"] == "/"


def test_an_unknown_mode_is_not_found(client):
    response = client.get("/mode/tiny")
    assert response.status_code == 404
    assert "Set-Cookie" not in response.headers


@pytest.mark.parametrize(
    ("lang", "to_elder", "to_standard"),
    [("zh_CN", "长辈版", "标准版"), ("en", "Elderly mode", "Standard mode")],
)
def test_pages_carry_the_mode_and_offer_the_other_one(client, world, lang, to_elder, to_standard):
    client.set_cookie("lang", lang)
    headers = EN if lang == "en" else ZH
    for url in ("/kiosk/testtown", "/centers/testtown/services"):
        page = text(client.get(url, headers=headers))
        assert html_mode(page) == "standard"
        assert f'id="mode-elder" href="/mode/elder?next={url}">{to_elder}</a>' in page
        assert "elder.js" not in page

    client.get("/mode/elder")
    for url in ("/kiosk/testtown", "/centers/testtown/services"):
        page = text(client.get(url, headers=headers))
        assert html_mode(page) == "elder"
        assert f'id="mode-standard" href="/mode/standard?next={url}">{to_standard}</a>' in page
        assert "/static/js/elder.js" in page


def test_switching_back_forgets_the_choice(client, world):
    client.get("/mode/elder")
    response = client.get("/mode/standard?next=/kiosk/testtown")
    assert response.headers["Location"] == "/kiosk/testtown"
    assert re.match(r"sc_mode=; Expires=Thu, 01 Jan 1970", response.headers["Set-Cookie"])
    assert html_mode(text(client.get("/kiosk/testtown", headers=ZH))) == "standard"


def test_a_cookie_naming_no_mode_is_the_standard_mode(client, world):
    client.set_cookie("sc_mode", "huge")
    assert html_mode(text(client.get("/kiosk/testtown", headers=ZH))) == "standard"


def test_elder_mode_hides_the_staff_link_as_secondary(client, world):
    client.get("/mode/elder")
    page = text(client.get("/centers/testtown/services", headers=ZH))
    assert re.search(r'href="/auth/login[^"]*" data-secondary>', page)


def test_the_ticket_page_reads_its_number_aloud_in_elder_mode_only(client, world):
    ticket = services.issue_ticket(world.center, world.items.licence, now=OPENING_MORNING)
    db.session.commit()
    standard = text(client.get(f"/t/{ticket.token}", headers=ZH))
    assert "data-speak=" not in standard and 'content="15"' in standard

    client.get("/mode/elder")
    page = text(client.get(f"/t/{ticket.token}", headers=ZH))
    button = re.search(r'<button[^>]*data-speak="([^"]+)"[^>]*hidden>朗读</button>', page)
    assert button, "no 朗读 button"
    assert button.group(1).split() == ["ticket-number", "status-text", "called", "ahead", "wait"]
    assert 'id="ticket-number" data-speak-label="您的号码" data-speak-spell>B001<' in page
    assert 'content="60"' in page  # the page without JavaScript reloads less often


def test_the_printed_ticket_carries_the_mode_for_its_countdown(client, world):
    taken = client.post("/kiosk/testtown/tickets", data={"service_id": world.items.licence.id})
    assert html_mode(text(client.get(taken.headers["Location"]))) == "standard"
    client.get("/mode/elder")
    assert html_mode(text(client.get(taken.headers["Location"]))) == "elder"


def test_the_booking_page_reads_code_and_time_but_never_the_person(client, create_appointment):
    appointment = create_appointment(phone="13912345678")
    client.get("/mode/elder")
    found = client.post("/book/manage", data={"code": appointment.code, "phone": "13912345678"})
    page = text(client.get(found.headers["Location"], headers=ZH))
    ids = re.search(r'data-speak="([^"]+)"', page).group(1).split()
    assert ids == ["booking-code", "booking-day", "booking-time", "booking-item"]
    for element in ids:
        assert re.search(rf'id="{element}" data-speak-label="[^"]+"', page), element
    assert not {"booking-name", "booking-phone"} & set(ids)
    assert re.search(r'<a class="button" data-secondary href="[^"]+\.ics"', page)
