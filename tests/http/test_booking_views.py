"""Booking pages: book without JavaScript, confirmation, QR, .ics, look up, cancel, move."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import pytest
from sqlalchemy import func, select

from service_center.booking.models import Appointment, AppointmentState
from service_center.db import db
from tests.fixtures.booking import NO_LIMITS

ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}
EN = {"Accept-Language": "en-US,en;q=0.9"}
PERSON = {"name": "张三丰", "phone": "139 1234 5678", "id_number": ""}


@pytest.fixture
def app_config() -> dict[str, Any]:
    return dict(NO_LIMITS)


@pytest.fixture
def licence_url(world) -> str:
    return f"/book/testtown/{world.items.licence.id}"


def text(response) -> str:
    return response.get_data(as_text=True)


def appointments() -> list[Appointment]:
    db.session.expire_all()
    return list(db.session.scalars(select(Appointment)))


def book(client, licence_url: str, start: str = "09:00", day: str = "2026-11-27", **person):
    return client.post(f"{licence_url}/{day}/{start}", data={**PERSON, **person}, headers=EN)


# -- the way in ---------------------------------------------------------------------------


def test_the_item_page_links_to_booking(client, world, licence_url):
    page = text(client.get(f"/centers/testtown/services/{world.items.licence.id}", headers=EN))
    assert f'href="{licence_url}"' in page and "Book an appointment" in page


def test_an_item_that_cannot_be_booked_has_no_link_and_no_pages(client, world):
    world.items.food.is_bookable = False
    db.session.commit()
    page = text(client.get(f"/centers/testtown/services/{world.items.food.id}", headers=EN))
    assert "Book an appointment" not in page
    assert client.get(f"/book/testtown/{world.items.food.id}").status_code == 404
    assert world.items.food.name_zh not in text(client.get("/book/testtown"))


def test_centers_and_items_to_book(client, world, booking_clock):
    assert "testtown便民服务中心" in text(client.get("/book/", headers=ZH))
    page = text(client.get("/book/testtown?q=yyzz", headers=ZH))
    assert "个体工商户营业执照设立登记" in page and "最低生活保障申请" not in page
    assert client.get("/book/atlantis").status_code == 404
    assert client.get("/book/testtown/99999999999999999999").status_code == 404
    assert client.get("/book/testtown/99999999999999999999/2026-11-27").status_code == 404
    assert client.get(f"/book/otherville/{world.items.licence.id}").status_code == 404


def test_the_day_picker_offers_only_bookable_days(client, licence_url, booking_clock):
    page = text(client.get(licence_url, headers=EN))
    offered = re.findall(r'class="day-button" data-date="([\d-]+)"', page)
    assert offered[0] == "2026-11-27"
    assert "2026-11-28" not in offered and "2026-11-29" not in offered  # the weekend
    assert offered[-1] == "2026-12-10" and len(offered) == 10
    assert 'data-date="2026-11-28"' in page and "Weekend" in page  # shown, not offered
    assert "56 places left" in page


def test_a_full_day_is_not_offered(client, world, licence_url, booking_clock):
    world.center.slot_capacity = 0
    db.session.commit()
    page = text(client.get(licence_url, headers=EN))
    assert 'class="day-button"' not in page and "Every bookable day is full" in page


def test_the_slot_picker_shows_places_and_the_lunch_break(client, licence_url, booking_clock):
    book(client, licence_url, "09:30")
    page = text(client.get(f"{licence_url}/2026-11-27", headers=EN))
    starts = re.findall(r'<a class="slot-button" data-start="([\d:]+)"', page)
    assert starts[:2] == ["09:00", "09:30"] and len(starts) == 14
    assert "12:00–13:30 lunch break" in page
    assert "3 places left" in page and "4 places left" in page


def test_a_full_slot_is_shown_but_not_offered(client, world, licence_url, booking_clock):
    world.center.slot_capacity = 1
    db.session.commit()
    book(client, licence_url, "09:00")
    page = text(client.get(f"{licence_url}/2026-11-27", headers=EN))
    assert '<span class="slot-button is-full" data-start="09:00">' in page
    assert f'href="{licence_url}/2026-11-27/09:00"' not in page


@pytest.mark.parametrize(
    ("day", "status", "message"),
    [
        ("2026-11-25", 422, "This date has passed"),
        ("2026-12-11", 422, "Bookings are open up to"),
        ("2026-11-31", 404, ""),
        ("tomorrow", 404, ""),
    ],
)
def test_a_day_out_of_range_is_a_clear_4xx(
    client, licence_url, booking_clock, day, status, message
):
    response = client.get(f"{licence_url}/{day}", headers=EN)
    assert response.status_code == status
    assert message in text(response)


def test_a_closed_day_says_so(client, licence_url, booking_clock):
    response = client.get(f"{licence_url}/2026-11-28", headers=EN)
    assert response.status_code == 200
    assert "The center is closed on this day (Weekend)" in text(response)
    assert 'class="slot-button"' not in text(response)


# -- the details form and the confirmation ------------------------------------------------


def test_booking_without_javascript_end_to_end(client, world, licence_url, booking_clock):
    form = client.get(f"{licence_url}/2026-11-27/09:00", headers=EN)
    assert form.status_code == 200
    page = text(form)
    assert 'name="phone"' in page and 'name="id_number"' in page and "<script" not in page
    response = book(client, licence_url, id_number="11010519491231002x")
    assert response.status_code == 302
    appointment = appointments()[0]
    assert response.headers["Location"] == f"/book/confirmation/{appointment.code}"
    assert appointment.phone == "13912345678" and appointment.id_number == "11010519491231002X"

    page = text(client.get(response.headers["Location"], headers=EN))
    shown = f"{appointment.code[:5]}-{appointment.code[5:]}"
    assert shown in page
    assert f'src="/book/qr/{appointment.code}.svg"' in page
    assert f'href="/book/confirmation/{appointment.code}/booking.ics"' in page
    assert "张**" in page and "139****5678" in page and "11**************2X" in page
    assert "张三丰" not in page and "13912345678" not in page
    assert "Resident ID card (original)" in page  # the materials
    assert "between 08:45 and 09:15" in page


@pytest.mark.parametrize(
    ("person", "field", "message"),
    [
        ({"name": ""}, "name", "Enter your name."),
        ({"name": "张" * 61}, "name", "too long"),
        ({"phone": "12345"}, "phone", "11-digit mainland mobile"),
        ({"phone": ""}, "phone", "Enter your mobile phone number."),
        ({"id_number": "110105194912310021"}, "id_number", "check digit"),
        ({"id_number": "11010519490230002X"}, "id_number", "birth date"),
    ],
)
def test_each_bad_field_gets_a_message_beside_it(
    client, licence_url, booking_clock, person, field, message
):
    response = book(client, licence_url, **person)
    assert response.status_code == 422
    page = text(response)
    assert f'id="{field}-error">' in page
    error = re.search(rf'id="{field}-error">([^<]*)<', page).group(1)
    assert message in error
    described = re.search(
        rf'id="{field}"[^>]*aria-describedby="([^"]*)"|aria-describedby="([^"]*)"[^>]*id="{field}"',
        page,
    )
    assert f"{field}-error" in "".join(filter(None, described.groups())).split()
    assert f'href="#{field}"' in page  # the error summary links to the field
    assert appointments() == []


def test_messages_come_in_chinese_for_a_chinese_browser(client, licence_url, booking_clock):
    response = client.post(
        f"{licence_url}/2026-11-27/09:00", data={**PERSON, "phone": "1"}, headers=ZH
    )
    assert response.status_code == 422
    assert "请输入 11 位大陆手机号码" in text(response)


def test_a_full_slot_at_submit_time_says_so_and_writes_nothing(
    client, world, licence_url, booking_clock
):
    world.center.slot_capacity = 1
    db.session.commit()
    book(client, licence_url, phone="13700000000")
    response = book(client, licence_url)
    assert response.status_code == 409
    assert "fully booked" in text(response) and "Pick another time" in text(response)
    assert len(appointments()) == 1


def test_a_phone_over_its_limit_is_told_beside_the_phone(client, world, licence_url, booking_clock):
    book(client, licence_url, "09:00")
    book(client, licence_url, "09:00", day="2026-11-30")
    response = book(client, licence_url, "10:00", day="2026-12-01")
    assert response.status_code == 409
    assert re.search(r'id="phone-error">[^<]*2 open bookings', text(response))
    assert len(appointments()) == 2


@pytest.mark.parametrize("target", ["2026-11-28/09:00", "2026-11-27/12:30", "2026-11-25/09:00"])
def test_a_slot_not_on_offer_sends_the_resident_back(client, licence_url, booking_clock, target):
    response = client.get(f"{licence_url}/{target}", headers=EN)
    assert response.status_code == 302 and response.headers["Location"] == licence_url
    response = client.post(f"{licence_url}/{target}", data=PERSON, headers=EN)
    assert response.status_code == 422 and 'id="page-error"' in text(response)
    assert appointments() == []


@pytest.mark.parametrize("target", ["2026-11-27/9", "2026-11-27/25:00", "2026-11-27/09-00"])
def test_a_malformed_time_is_404(client, licence_url, booking_clock, target):
    assert client.get(f"{licence_url}/{target}").status_code == 404


def test_the_confirmation_needs_this_browser_or_the_phone(app, client, licence_url, booking_clock):
    book(client, licence_url)
    code = appointments()[0].code
    stranger = app.test_client()
    for url in (
        f"/book/confirmation/{code}",
        f"/book/confirmation/{code}/booking.ics",
        f"/book/manage/{code}",
        f"/book/manage/{code}/move",
    ):
        response = stranger.get(url)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/book/manage?code=")


def test_the_qr_code_is_an_svg_of_the_code(client, licence_url, booking_clock):
    book(client, licence_url)
    code = appointments()[0].code
    response = client.get(f"/book/qr/{code}.svg")
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    assert text(response).lstrip().startswith("<svg") and "<path" in text(response)
    assert client.get("/book/qr/not-a-code.svg").status_code == 404


def test_the_calendar_file_has_the_center_zone_item_and_materials(
    client, world, licence_url, booking_clock
):
    book(client, licence_url, "13:30")
    code = appointments()[0].code
    response = client.get(f"/book/confirmation/{code}/booking.ics", headers=EN)
    assert response.mimetype == "text/calendar"
    assert "attachment" in response.headers["Content-Disposition"]
    calendar = icalendar.Calendar.from_ical(response.data)
    event = next(iter(calendar.walk("VEVENT")))
    start = event.decoded("dtstart")
    assert start == datetime(2026, 11, 27, 13, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert start.astimezone(UTC).hour == 5
    assert event.decoded("dtend") - start == (
        datetime(2026, 1, 1, 14) - datetime(2026, 1, 1, 13, 30)
    )
    assert str(event["dtstart"].params["TZID"]) == "Asia/Shanghai"
    assert [tz["tzid"] for tz in calendar.walk("VTIMEZONE")] == ["Asia/Shanghai"]
    assert "Sole proprietorship business licence" in str(event["summary"])
    assert "1 Test Road" in str(event["location"]) and "Testtown" in str(event["location"])
    description = str(event["description"])
    assert "Resident ID card (original)" in description and "Application form" in description
    assert f"{code[:5]}-{code[5:]}" in description
    assert "13912345678" not in response.get_data(as_text=True)


# -- manage -------------------------------------------------------------------------------


def lookup(client, code: str, phone: str = "13912345678", headers=EN):
    return client.post("/book/manage", data={"code": code, "phone": phone}, headers=headers)


@pytest.fixture
def booked_code(app, licence_url, booking_clock) -> str:
    """A booking made from another browser: this client knows only code and phone."""
    book(app.test_client(), licence_url)
    return appointments()[0].code


def test_look_up_opens_the_booking_page(client, booked_code):
    response = lookup(client, f"{booked_code[:5].lower()}-{booked_code[5:]}", "+86 13912345678")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/book/manage/{booked_code}"
    page = text(client.get(response.headers["Location"], headers=EN))
    assert "Booked" in page and "张**" in page and "139****5678" in page
    assert "Move to another time" in page and "Cancel the booking" in page


def test_a_wrong_pair_gets_the_same_answer_as_an_unknown_code(client, booked_code):
    wrong = lookup(client, booked_code, "13912345679")
    unknown = lookup(client, "ABCDE23456")
    assert wrong.status_code == unknown.status_code == 404
    message = re.search(r'id="code-error">([^<]*)<', text(wrong)).group(1)
    assert message == re.search(r'id="code-error">([^<]*)<', text(unknown)).group(1)
    assert "No booking matches" in message
    assert client.get(f"/book/manage/{booked_code}").status_code == 302  # still not opened


def test_look_up_fields_are_checked(client, booked_code):
    response = lookup(client, "", "123")
    assert response.status_code == 422
    assert 'id="code-error"' in text(response) and 'id="phone-error"' in text(response)
    assert lookup(client, "x" * 41).status_code == 422


def test_cancel_asks_first_then_frees_the_place(client, licence_url, booked_code):
    lookup(client, booked_code)
    confirm = client.get(f"/book/manage/{booked_code}/cancel", headers=EN)
    assert confirm.status_code == 200 and "Cancel this booking?" in text(confirm)
    assert appointments()[0].state is AppointmentState.BOOKED
    response = client.post(f"/book/manage/{booked_code}/cancel", headers=EN)
    assert response.status_code == 302
    page = text(client.get(response.headers["Location"], headers=EN))
    assert "cancelled" in page and "Book again" in page
    assert appointments()[0].state is AppointmentState.CANCELLED
    slots = text(client.get(f"{licence_url}/2026-11-27", headers=EN))
    assert "4 places left" in slots and "3 places left" not in slots
    again = client.post(f"/book/manage/{booked_code}/cancel", headers=EN, follow_redirects=True)
    assert "This booking has been cancelled." in text(again)
    confirmation = client.get(f"/book/confirmation/{booked_code}")
    assert confirmation.headers["Location"] == f"/book/manage/{booked_code}"


def test_move_to_another_slot(client, licence_url, booked_code):
    lookup(client, booked_code)
    days = text(client.get(f"/book/manage/{booked_code}/move", headers=EN))
    assert f'href="/book/manage/{booked_code}/move/2026-11-30"' in days
    slots = text(client.get(f"/book/manage/{booked_code}/move/2026-11-30", headers=EN))
    assert slots.count(f'action="/book/manage/{booked_code}/move"') == 14
    response = client.post(
        f"/book/manage/{booked_code}/move",
        data={"date": "2026-11-30", "start": "14:00"},
        headers=EN,
    )
    assert response.status_code == 302
    assert "Your booking has moved to" in text(client.get(response.headers["Location"], headers=EN))
    appointment = appointments()[0]
    assert (appointment.service_date.isoformat(), appointment.start_time) == (
        "2026-11-30",
        time(14),
    )
    assert "4 places left" in text(client.get(f"{licence_url}/2026-11-27", headers=EN))


def test_move_to_a_full_or_missing_slot_keeps_the_booking(client, world, licence_url, booked_code):
    world.center.slot_capacity = 1
    db.session.commit()
    book(client, licence_url, "10:00", phone="13700000000")
    lookup(client, booked_code)
    response = client.post(
        f"/book/manage/{booked_code}/move",
        data={"date": "2026-11-27", "start": "10:00"},
        headers=EN,
        follow_redirects=True,
    )
    assert "fully booked" in text(response)
    response = client.post(
        f"/book/manage/{booked_code}/move",
        data={"date": "2026-11-28", "start": "10:00"},
        headers=EN,
        follow_redirects=True,
    )
    assert "closed on this day" in text(response)
    response = client.post(f"/book/manage/{booked_code}/move", data={}, headers=EN)
    assert response.status_code == 302
    assert appointments()[0].start_time == time(9)


def test_a_past_booking_can_no_longer_be_changed(client, booked_code, booking_clock):
    lookup(client, booked_code)
    booking_clock.set(datetime(2026, 11, 27, 1, 5, tzinfo=UTC))  # 09:05 on the day
    page = text(client.get(f"/book/manage/{booked_code}", headers=EN))
    assert "Move to another time" not in page and "can no longer be changed" in page
    response = client.post(f"/book/manage/{booked_code}/cancel", headers=EN, follow_redirects=True)
    assert "can no longer be changed" in text(response)


# -- CSRF, rate limits, staff warning -----------------------------------------------------


@pytest.mark.parametrize("app_config", [{**NO_LIMITS, "WTF_CSRF_ENABLED": True}])
def test_the_forms_are_csrf_protected(client, licence_url, booking_clock):
    url = f"{licence_url}/2026-11-27/09:00"
    assert client.post(url, data=PERSON).status_code == 400
    assert appointments() == []
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', text(client.get(url)))
    response = client.post(url, data={**PERSON, "csrf_token": token.group(1)})
    assert response.status_code == 302 and len(appointments()) == 1


@pytest.mark.parametrize("app_config", [{**NO_LIMITS, "BOOKING_LOOKUP_RATE_LIMIT": "2 per minute"}])
def test_look_up_is_rate_limited(client, booked_code):
    assert client.get("/book/manage").status_code == 200  # showing the form costs nothing
    for _ in range(2):
        assert lookup(client, "ABCDE23456").status_code == 404
    assert lookup(client, booked_code).status_code == 429


@pytest.mark.parametrize("app_config", [{**NO_LIMITS, "BOOKING_RATE_LIMIT": "1 per minute"}])
def test_booking_is_rate_limited(client, licence_url, booking_clock):
    assert book(client, licence_url).status_code == 302
    assert book(client, licence_url, "10:00", phone="13700000000").status_code == 429
    assert len(appointments()) == 1


def test_nothing_booked_holds_a_count_of_zero(world):
    assert db.session.scalar(select(func.count(Appointment.id))) == 0
