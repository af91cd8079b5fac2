"""The waiting list's pages and API (zh and en): join a full day's line, the place in line by
its link, take or decline a held place, leave; bad input answers beside the field or as
problem+json; ``flask booking waitlist``."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from service_center.booking import availability
from service_center.booking import services as booking
from service_center.booking.models import Appointment, WaitlistEntry, WaitlistState
from service_center.db import db
from tests.fixtures.booking import BOOKING_NOW, NO_LIMITS, TOMORROW
from tests.waitlist_support import fill, join, reload, short_friday

ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}
EN = {"Accept-Language": "en-US,en;q=0.9"}
PERSON = {"name": "王小明", "phone": "139 1234 5678", "id_number": ""}
DAY = TOMORROW.isoformat()


@pytest.fixture
def app_config() -> dict[str, Any]:
    return dict(NO_LIMITS)


@pytest.fixture
def clock(booking_clock, monkeypatch):
    """The booking clock, seen by the waiting list's pages and API too."""
    monkeypatch.setattr("service_center.booking.waitlist_views.now_utc", booking_clock)
    monkeypatch.setattr("service_center.booking.waitlist_api.now_utc", booking_clock)
    return booking_clock


@pytest.fixture
def full_day(world, clock):
    short_friday(world)
    return fill(world)


@pytest.fixture
def join_url(world) -> str:
    return f"/book/testtown/{world.items.licence.id}/{DAY}/waitlist"


def text(response) -> str:
    return response.get_data(as_text=True)


def entries() -> list[WaitlistEntry]:
    db.session.expire_all()
    return list(db.session.scalars(select(WaitlistEntry).order_by(WaitlistEntry.id)))


def offer_to_first(full_day) -> None:
    booking.cancel_appointment(full_day[0], now=BOOKING_NOW)
    db.session.commit()


# -- the way in ---------------------------------------------------------------------------


@pytest.mark.parametrize(("headers", "label"), [(EN, "Join the waiting list"), (ZH, "加入候补")])
def test_a_full_day_offers_its_waiting_list(client, world, full_day, join_url, headers, label):
    slots = text(client.get(f"/book/testtown/{world.items.licence.id}/{DAY}", headers=headers))
    assert f'href="{join_url}"' in slots and label in slots
    days = text(client.get(f"/book/testtown/{world.items.licence.id}", headers=headers))
    assert f'href="{join_url}"' in days


def test_a_day_with_free_times_sends_the_resident_to_book(client, world, clock, join_url):
    short_friday(world)
    response = client.get(join_url, headers=EN)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/book/testtown/{world.items.licence.id}/{DAY}")
    page = text(client.get(response.headers["Location"], headers=EN))
    assert "still has free times" in page
    assert 'id="join-waitlist"' not in page


def test_a_day_out_of_range_sends_the_resident_to_the_days(client, world, clock):
    url = f"/book/testtown/{world.items.licence.id}/2027-06-01/waitlist"
    response = client.get(url, headers=EN)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/book/testtown/{world.items.licence.id}")


def test_a_closed_day_sends_the_resident_to_the_days(client, world, full_day, join_url):
    availability.set_center_day(world.center, TOMORROW, is_open=False, reason_en="Stocktaking")
    db.session.commit()
    response = client.get(join_url, headers=EN)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/book/testtown/{world.items.licence.id}")
    assert client.post(join_url, data=PERSON, headers=EN).status_code == 422
    assert entries() == []


# -- joining ------------------------------------------------------------------------------


def test_joining_leads_to_the_place_in_line_with_personal_data_masked(client, full_day, join_url):
    response = client.post(join_url, data=PERSON, headers=ZH)
    assert response.status_code == 302
    [entry] = entries()
    assert response.headers["Location"].endswith(f"/book/waitlist/{entry.token}")
    assert entry.phone == "13912345678" and entry.locale == "zh_CN"
    page = text(client.get(response.headers["Location"], headers=ZH))
    assert "王**" in page and "139****5678" in page and "王小明" not in page
    assert "13912345678" not in page
    assert f"/book/waitlist/{entry.token}" in page  # the link to keep


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("phone", "12345", "mainland mobile"),
        ("name", "", "name"),
        ("id_number", "110105194912310021", "check"),
    ],
)
def test_bad_details_are_refused_beside_their_field(
    client, full_day, join_url, field, value, message
):
    response = client.post(join_url, data={**PERSON, field: value}, headers=EN)
    assert response.status_code == 422
    error = re.search(rf'<p class="error" id="{field}-error">([^<]+)</p>', text(response))
    assert error and message in error.group(1).lower()
    assert entries() == []


def test_a_second_place_in_the_same_line_is_refused_beside_the_phone(client, full_day, join_url):
    assert client.post(join_url, data=PERSON, headers=EN).status_code == 302
    response = client.post(join_url, data=PERSON, headers=EN)
    assert response.status_code == 409
    assert 'id="phone-error">This phone number is already on the waiting list' in text(response)


def test_joining_a_day_that_freed_up_meanwhile_says_book_instead(client, full_day, join_url):
    booking.cancel_appointment(full_day[0], now=BOOKING_NOW)  # nobody waits: the place is free
    db.session.commit()
    response = client.post(join_url, data=PERSON, headers=EN)
    assert response.status_code == 409
    assert "still has free times" in text(response)


# -- the offer ----------------------------------------------------------------------------


def test_the_offer_is_taken_and_the_booking_confirmed(client, world, full_day, join_url):
    client.post(join_url, data=PERSON, headers=EN)
    [entry] = entries()
    offer_to_first(full_day)
    page = text(client.get(f"/book/waitlist/{entry.token}", headers=EN))
    assert "A place is held for you" in page and "09:00–09:30" in page
    assert "Held for you until 09:30" in page
    response = client.post(f"/book/waitlist/{entry.token}/accept", headers=EN)
    assert response.status_code == 302
    [appointment] = [a for a in db.session.scalars(select(Appointment)) if a.phone == entry.phone]
    assert response.headers["Location"].endswith(f"/book/confirmation/{appointment.code}")
    confirmation = text(client.get(response.headers["Location"], headers=EN))
    assert "You are booked" in confirmation and "139****5678" in confirmation
    assert reload(entry).state is WaitlistState.BOOKED
    page = text(client.get(f"/book/waitlist/{entry.token}", headers=EN))
    assert "You took the offered place" in page


def test_the_offer_page_speaks_chinese(client, full_day, join_url):
    client.post(join_url, data=PERSON, headers=ZH)
    [entry] = entries()
    offer_to_first(full_day)
    page = text(client.get(f"/book/waitlist/{entry.token}", headers=ZH))
    assert "为您保留" in page


def test_declining_passes_the_place_on(client, world, full_day, join_url):
    client.post(join_url, data=PERSON, headers=EN)
    second = join(world, now=BOOKING_NOW + timedelta(seconds=1))
    [entry, _] = entries()
    offer_to_first(full_day)
    response = client.post(
        f"/book/waitlist/{entry.token}/decline", headers=EN, follow_redirects=True
    )
    assert "offered to the next in line" in text(response)
    assert reload(entry).state is WaitlistState.EXPIRED
    assert reload(second).state is WaitlistState.OFFERED


def test_a_lapsed_offer_says_so_and_books_nothing(client, clock, full_day, join_url):
    client.post(join_url, data=PERSON, headers=EN)
    [entry] = entries()
    offer_to_first(full_day)
    clock.set(BOOKING_NOW + timedelta(minutes=31))
    page = text(client.get(f"/book/waitlist/{entry.token}", headers=EN))
    assert "This offer has ended" in page and 'id="accept-offer"' not in page
    response = client.post(
        f"/book/waitlist/{entry.token}/accept", headers=EN, follow_redirects=True
    )
    assert response.status_code == 200 and "This offer has ended" in text(response)
    assert reload(entry).state is WaitlistState.OFFERED  # until the sweep


def test_leaving_the_line(client, full_day, join_url):
    client.post(join_url, data=PERSON, headers=EN)
    [entry] = entries()
    response = client.post(f"/book/waitlist/{entry.token}/leave", headers=EN, follow_redirects=True)
    assert "You have left the waiting list" in text(response)
    assert reload(entry).state is WaitlistState.LEFT
    again = client.post(f"/book/waitlist/{entry.token}/leave", headers=EN, follow_redirects=True)
    assert "already ended" in text(again)


def test_an_unknown_link_is_not_found(client, full_day):
    assert client.get("/book/waitlist/nosuchtoken00000").status_code == 404
    assert client.post("/book/waitlist/nosuchtoken00000/accept").status_code == 404


@pytest.mark.parametrize("app_config", [{**NO_LIMITS, "WTF_CSRF_ENABLED": True}])
def test_the_waiting_list_forms_are_csrf_protected(client, world, full_day, join_url):
    assert client.post(join_url, data=PERSON).status_code == 400
    token = re.search(
        r'name="csrf_token" type="hidden" value="([^"]+)"', text(client.get(join_url))
    )
    response = client.post(join_url, data={**PERSON, "csrf_token": token.group(1)})
    assert response.status_code == 302
    [entry] = entries()
    assert client.post(f"/book/waitlist/{entry.token}/leave").status_code == 400
    assert reload(entry).state is WaitlistState.WAITING  # no token: nothing done


# -- the API ------------------------------------------------------------------------------


def api_join(client, world, headers=EN, **body):
    payload = {
        "center": "testtown",
        "service": world.items.licence.id,
        "date": DAY,
        "name": "王小明",
        "phone": "13912345678",
        **body,
    }
    return client.post("/api/v1/waitlist", json=payload, headers=headers)


def test_the_api_joins_reads_and_takes_an_offer(client, world, full_day):
    response = api_join(client, world)
    assert response.status_code == 201
    body = response.get_json()
    assert body["status"] == "waiting" and body["ahead"] == 0 and body["offer"] is None
    assert body["phone"] == "139****5678" and body["name"] == "王**"
    assert response.headers["Location"].endswith(f"/api/v1/waitlist/{body['token']}")
    offer_to_first(full_day)
    entry = client.get(f"/api/v1/waitlist/{body['token']}").get_json()
    assert entry["status"] == "offered"
    assert entry["offer"] == {
        "start": "09:00",
        "end": "09:30",
        "held_until": (BOOKING_NOW + timedelta(minutes=30)).isoformat(),
        "open": True,
    }
    taken = client.post(f"/api/v1/waitlist/{body['token']}/accept")
    assert taken.status_code == 201 and taken.get_json()["start"] == "09:00"
    assert taken.get_json()["status"] == "booked"
    after = client.get(f"/api/v1/waitlist/{body['token']}").get_json()
    assert after["status"] == "booked" and after["booking_code"] == taken.get_json()["code"]


def test_the_api_declines_and_leaves(client, world, full_day):
    first = api_join(client, world).get_json()["token"]
    second = api_join(client, world, phone="13912345679").get_json()["token"]
    offer_to_first(full_day)
    declined = client.post(f"/api/v1/waitlist/{first}/decline")
    assert declined.status_code == 200 and declined.get_json()["status"] == "expired"
    assert client.get(f"/api/v1/waitlist/{second}").get_json()["status"] == "offered"
    left = client.post(f"/api/v1/waitlist/{second}/leave")
    assert left.status_code == 200 and left.get_json()["status"] == "left"


@pytest.mark.parametrize(("headers", "detail"), [(EN, "still has free times"), (ZH, "空闲")])
def test_the_api_refuses_a_day_with_free_times(client, world, clock, headers, detail):
    short_friday(world)
    response = api_join(client, world, headers=headers)
    assert response.status_code == 409
    assert response.mimetype == "application/problem+json"
    assert detail in response.get_json()["detail"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"phone": "12345"}, "phone"),
        ({"name": None}, "name"),
        ({"date": "2026-02-30"}, "date"),
        ({"service": "x"}, "service"),
        ({"center": "nowhere"}, "center"),
        ({"id_number": "110105194912310021"}, "id_number"),
    ],
)
def test_the_api_answers_bad_input_with_a_problem_per_field(client, world, full_day, body, field):
    response = api_join(client, world, **body)
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert list(response.get_json()["errors"]) == [field]


def test_the_api_refuses_what_the_entry_cannot_do_now(client, world, full_day):
    token = api_join(client, world).get_json()["token"]
    response = client.post(f"/api/v1/waitlist/{token}/accept", headers=EN)
    assert (
        response.status_code == 409 and "No place has been offered" in response.get_json()["detail"]
    )
    assert client.post(f"/api/v1/waitlist/{token}/decline").status_code == 409
    assert client.get("/api/v1/waitlist/nosuchtoken00000").status_code == 404
    bad = client.post(
        f"/api/v1/waitlist/{token}/leave", data="[1]", content_type="application/json"
    )
    assert bad.status_code == 400


def test_the_waiting_list_is_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert {"post"} <= set(paths["/waitlist"])
    for action in ("accept", "decline", "leave"):
        assert "post" in paths[f"/waitlist/{{token}}/{action}"]
    assert "get" in paths["/waitlist/{token}"]


# -- the sweep ----------------------------------------------------------------------------


def test_flask_booking_waitlist_ends_lapsed_offers(runner, world, full_day, monkeypatch):
    first = join(world)
    second = join(world, now=BOOKING_NOW + timedelta(seconds=1))
    offer_to_first(full_day)
    monkeypatch.setattr(
        "service_center.booking.cli.now_utc", lambda: BOOKING_NOW + timedelta(minutes=30)
    )
    result = runner.invoke(args=["booking", "waitlist"])
    assert result.exit_code == 0, result.output
    assert result.output == (
        "Waiting lists: 1 lapsed offer(s) ended, 1 place(s) offered to the next in line, "
        "0 place(s) of past days ended.\n"
    )
    assert reload(first).state is WaitlistState.EXPIRED
    assert reload(second).state is WaitlistState.OFFERED
