"""The public booking API: slots, book, look up, cancel, move; every bad input a clear 4xx."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from service_center.booking.models import Appointment, AppointmentState, BookingSlot
from service_center.db import db
from tests.fixtures.booking import NO_LIMITS

EN = {"Accept-Language": "en"}


@pytest.fixture
def app_config() -> dict[str, Any]:
    return dict(NO_LIMITS)


@pytest.fixture
def body(world) -> dict[str, Any]:
    return {
        "center": "testtown",
        "service": world.items.licence.id,
        "date": "2026-11-27",
        "start": "09:00",
        "name": "张三",
        "phone": "13912345678",
    }


def appointments() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count(Appointment.id))) or 0


def slots(client, item_id: int, day: str = "2026-11-27", **params: Any):
    return client.get(
        "/api/v1/centers/testtown/slots",
        query_string={"service": item_id, "date": day, **params},
        headers=EN,
    )


# -- slots --------------------------------------------------------------------------------


def test_slots_of_an_open_day(client, world, booking_clock):
    response = slots(client, world.items.licence.id)
    assert response.status_code == 200
    data = response.get_json()
    assert data["date"] == "2026-11-27" and data["open"] is True and "reason" not in data
    assert len(data["slots"]) == 14
    assert data["slots"][0] == {"start": "09:00", "end": "09:30", "capacity": 4, "remaining": 4}
    assert [s["start"] for s in data["slots"]][5:7] == ["11:30", "13:30"]  # lunch break


def test_remaining_drops_as_bookings_come_in(client, world, booking_clock, body):
    assert client.post("/api/v1/appointments", json=body).status_code == 201
    first = slots(client, world.items.licence.id).get_json()["slots"][0]
    assert first["remaining"] == 3


@pytest.mark.parametrize(("day", "reason"), [("2026-11-28", "Weekend")])
def test_a_closed_day_says_why(client, world, booking_clock, day, reason):
    data = slots(client, world.items.licence.id, day).get_json()
    assert data == {"date": day, "open": False, "reason": reason, "slots": []}


def test_a_holiday_is_closed_with_its_name(client, world, booking_clock):
    booking_clock.set(booking_clock.now.replace(month=9, day=28))
    data = slots(client, world.items.licence.id, "2026-10-01").get_json()
    assert data["open"] is False and data["reason"] == "National Day"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"service": ""}, "service"),
        ({"service": "abc"}, "service"),
        ({"service": "999999"}, "service"),
        ({"date": ""}, "date"),
        ({"date": "2026-13-01"}, "date"),
        ({"date": "27.11.2026"}, "date"),
        ({"date": "2026-11-25"}, "date"),  # past
        ({"date": "2026-11-26"}, "date"),  # today
        ({"date": "2026-12-11"}, "date"),  # beyond the horizon
        ({"date": "x" * 5000}, "date"),
    ],
)
def test_bad_slot_queries_are_422_by_field(client, world, booking_clock, params, field):
    query = {"service": world.items.licence.id, "date": "2026-11-27", **params}
    response = client.get("/api/v1/centers/testtown/slots", query_string=query, headers=EN)
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert list(response.get_json()["errors"]) == [field]


def test_slots_of_another_centers_item_or_an_unknown_center(client, world, booking_clock):
    response = slots(client, world.items.other_licence.id)
    assert response.status_code == 422 and "service" in response.get_json()["errors"]
    response = client.get("/api/v1/centers/atlantis/slots?service=1&date=2026-11-27")
    assert response.status_code == 404


# -- book ---------------------------------------------------------------------------------


def test_booking_answers_201_with_the_booking(client, world, booking_clock, body):
    response = client.post("/api/v1/appointments", json={**body, "phone": "+86 139 1234 5678"})
    assert response.status_code == 201
    data = response.get_json()
    assert {k: data[k] for k in ("center", "service", "date", "start", "end", "status")} == {
        "center": "testtown",
        "service": world.items.licence.id,
        "date": "2026-11-27",
        "start": "09:00",
        "end": "09:30",
        "status": "booked",
    }
    assert data["name"] == "张*" and data["phone"] == "139****5678"
    assert response.headers["Location"].endswith(f"/api/v1/appointments/{data['code']}")
    stored = db.session.scalar(select(Appointment).where(Appointment.code == data["code"]))
    assert stored.phone == "13912345678" and stored.name == "张三"


def test_booking_with_an_id_number_masks_it(client, world, booking_clock, body):
    data = client.post(
        "/api/v1/appointments", json={**body, "id_number": "11010519491231002x"}
    ).get_json()
    assert data["id_number"] == "11**************2X"


def test_a_full_slot_is_409(client, world, booking_clock, body):
    for n in range(4):
        assert (
            client.post(
                "/api/v1/appointments", json={**body, "phone": f"1391234000{n}"}
            ).status_code
            == 201
        )
    response = client.post("/api/v1/appointments", json=body, headers=EN)
    assert response.status_code == 409
    assert "fully booked" in response.get_json()["detail"]
    assert appointments() == 4


def test_a_phone_over_its_limit_is_409(client, world, booking_clock, body):
    for item in (world.items.licence, world.items.marriage):
        assert (
            client.post("/api/v1/appointments", json={**body, "service": item.id}).status_code
            == 201
        )
    response = client.post(
        "/api/v1/appointments", json={**body, "service": world.items.food.id}, headers=EN
    )
    assert response.status_code == 409
    assert "phone" in response.get_json()["errors"]
    assert appointments() == 2


def test_the_same_item_twice_a_day_is_409(client, world, booking_clock, body):
    assert client.post("/api/v1/appointments", json=body).status_code == 201
    response = client.post("/api/v1/appointments", json={**body, "start": "15:00"})
    assert response.status_code == 409


@pytest.mark.parametrize(
    ("change", "fields"),
    [
        (
            {
                "center": None,
                "service": None,
                "date": None,
                "start": None,
                "name": None,
                "phone": None,
            },
            {"center", "service", "date", "start", "name", "phone"},
        ),
        ({"center": "atlantis"}, {"center"}),
        ({"center": 7}, {"center"}),
        ({"center": "x" * 10_000}, {"center"}),
        ({"service": "licence"}, {"service"}),
        ({"service": True}, {"service"}),
        ({"service": 10**12}, {"service"}),
        ({"service": 999_999}, {"service"}),
        ({"date": "2026-02-30"}, {"date"}),
        ({"date": 20261127}, {"date"}),
        ({"start": "9:00"}, {"start"}),
        ({"start": "25:00"}, {"start"}),
        ({"name": ""}, {"name"}),
        ({"name": "张" * 61}, {"name"}),
        ({"name": ["张三"]}, {"name"}),
        ({"phone": "12345"}, {"phone"}),
        ({"phone": 13912345678}, {"phone"}),
        ({"id_number": "110105194912310021"}, {"id_number"}),
        ({"id_number": "1" * 500}, {"id_number"}),
    ],
)
def test_bad_fields_are_422_with_errors_by_field(
    client, world, booking_clock, body, change, fields
):
    data = {k: v for k, v in {**body, **change}.items() if v is not None}
    response = client.post("/api/v1/appointments", json=data, headers=EN)
    assert response.status_code == 422
    problem = response.get_json()
    assert set(problem["errors"]) == fields
    assert all(isinstance(m, str) and m for ms in problem["errors"].values() for m in ms)
    assert appointments() == 0


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"date": "2026-11-25"}, "date"),  # past
        ({"date": "2026-11-26"}, "date"),  # today
        ({"date": "2026-12-11"}, "date"),  # beyond the horizon
        ({"date": "2026-11-28"}, "date"),  # Saturday
        ({"start": "12:30"}, "start"),  # lunch break
        ({"start": "09:10"}, "start"),
        ({"service": "OTHER"}, "service"),  # the other center's item
    ],
)
def test_slots_not_on_offer_are_422(client, world, booking_clock, body, change, field):
    if change.get("service") == "OTHER":
        change = {"service": world.items.other_licence.id}
    response = client.post("/api/v1/appointments", json={**body, **change}, headers=EN)
    assert response.status_code == 422
    assert list(response.get_json()["errors"]) == [field]
    assert appointments() == 0
    assert db.session.scalar(select(func.count(BookingSlot.id))) == 0


@pytest.mark.parametrize(
    ("data", "content_type", "status"),
    [
        ("{not json", "application/json", 400),
        ('["a list"]', "application/json", 400),
        ("center=testtown", "application/x-www-form-urlencoded", 415),
        ("", "application/json", 422),
    ],
)
def test_malformed_bodies_are_4xx_problems(
    client, world, booking_clock, data, content_type, status
):
    response = client.post("/api/v1/appointments", data=data, content_type=content_type)
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"
    assert appointments() == 0


def test_personal_data_never_reaches_the_log(client, world, booking_clock, body, caplog):
    caplog.set_level(logging.DEBUG)
    client.post("/api/v1/appointments", json={**body, "id_number": "11010519491231002X"})
    client.post("/api/v1/appointments", json={**body, "id_number": "11010519491231002X"})
    client.post("/api/v1/appointments", json={**body, "phone": "1391234567x"})
    text = caplog.text
    assert "13912345678" not in text and "张三" not in text and "11010519491231002X" not in text


# -- look up, cancel, move ----------------------------------------------------------------


@pytest.fixture
def booked(client, world, booking_clock, body) -> dict[str, Any]:
    return client.post("/api/v1/appointments", json=body).get_json()


def test_look_up_with_code_and_phone(client, booked):
    response = client.get(
        f"/api/v1/appointments/{booked['code']}", headers={"X-Booking-Phone": "+8613912345678"}
    )
    assert response.status_code == 200
    data = response.get_json()
    assert data["code"] == booked["code"] and data["status"] == "booked"
    assert data["name"] == "张*" and data["phone"] == "139****5678"
    assert data["materials"] and data["check_in"]["opens"].startswith("2026-11-27T08:45")


def test_a_wrong_pair_looks_exactly_like_an_unknown_code(client, booked):
    wrong_phone = client.get(
        f"/api/v1/appointments/{booked['code']}", headers={"X-Booking-Phone": "13912345679"}
    )
    unknown = client.get(
        "/api/v1/appointments/ABCDE23456", headers={"X-Booking-Phone": "13912345678"}
    )
    malformed = client.get("/api/v1/appointments/zz", headers={"X-Booking-Phone": "13912345678"})
    assert wrong_phone.status_code == unknown.status_code == malformed.status_code == 404
    bodies = [
        {k: v for k, v in r.get_json().items() if k != "request_id"}
        for r in (wrong_phone, unknown, malformed)
    ]
    assert bodies[0] == bodies[1] == bodies[2]


def test_the_phone_in_the_address_is_gone_with_a_pointer_to_the_header(client, booked):
    response = client.get(f"/api/v1/appointments/{booked['code']}?phone=13912345678", headers=EN)
    assert response.status_code == 410
    assert "X-Booking-Phone" in response.get_json()["detail"]


def test_look_up_without_a_phone_is_422(client, booked):
    response = client.get(f"/api/v1/appointments/{booked['code']}")
    assert response.status_code == 422 and "phone" in response.get_json()["errors"]
    response = client.get(
        f"/api/v1/appointments/{booked['code']}", headers={"X-Booking-Phone": "123"}
    )
    assert response.status_code == 422


def test_cancel_frees_the_place(client, world, booked):
    url = f"/api/v1/appointments/{booked['code']}/cancel"
    assert client.post(url, json={"phone": "13912345679"}).status_code == 404
    response = client.post(url, json={"phone": "13912345678"})
    assert response.status_code == 200 and response.get_json()["status"] == "cancelled"
    assert slots(client, world.items.licence.id).get_json()["slots"][0]["remaining"] == 4
    assert client.post(url, json={"phone": "13912345678"}).status_code == 409
    assert client.post(url, json={}).status_code == 422
    db.session.expire_all()
    stored = db.session.scalar(select(Appointment))
    assert stored.state is AppointmentState.CANCELLED


def test_reschedule_moves_the_booking(client, world, booked):
    url = f"/api/v1/appointments/{booked['code']}/reschedule"
    response = client.post(
        url, json={"phone": "13912345678", "date": "2026-11-30", "start": "14:00"}
    )
    assert response.status_code == 200
    data = response.get_json()
    assert (data["code"], data["date"], data["start"], data["end"]) == (
        booked["code"],
        "2026-11-30",
        "14:00",
        "14:30",
    )
    assert slots(client, world.items.licence.id).get_json()["slots"][0]["remaining"] == 4
    moved = slots(client, world.items.licence.id, "2026-11-30").get_json()["slots"]
    assert next(s for s in moved if s["start"] == "14:00")["remaining"] == 3


def test_reschedule_to_a_full_slot_is_409_and_keeps_the_booking(client, world, booked, body):
    for n in range(4):
        client.post(
            "/api/v1/appointments", json={**body, "start": "15:00", "phone": f"1371234000{n}"}
        )
    url = f"/api/v1/appointments/{booked['code']}/reschedule"
    response = client.post(
        url, json={"phone": "13912345678", "date": "2026-11-27", "start": "15:00"}
    )
    assert response.status_code == 409
    again = client.get(
        f"/api/v1/appointments/{booked['code']}", headers={"X-Booking-Phone": "13912345678"}
    ).get_json()
    assert again["start"] == "09:00"


@pytest.mark.parametrize(
    ("data", "status"),
    [
        ({"phone": "13912345678", "date": "2026-11-28", "start": "09:00"}, 422),
        ({"phone": "13912345678", "date": "bad", "start": "09:00"}, 422),
        ({"phone": "13912345678", "date": "2026-11-30"}, 422),
        ({"phone": "13912345678", "date": "2026-11-30", "start": "12:00"}, 422),
        ({"phone": "13900000000", "date": "2026-11-30", "start": "10:00"}, 404),
    ],
)
def test_bad_reschedules_are_4xx(client, booked, data, status):
    response = client.post(f"/api/v1/appointments/{booked['code']}/reschedule", json=data)
    assert response.status_code == status


# -- limits and the document --------------------------------------------------------------


@pytest.mark.parametrize(
    "app_config",
    [{"BOOKING_RATE_LIMIT": "2 per minute", "BOOKING_LOOKUP_RATE_LIMIT": "3 per minute"}],
)
def test_booking_and_look_up_are_rate_limited(client, world, booking_clock, body):
    for n in range(2):
        client.post("/api/v1/appointments", json={**body, "phone": f"1391234000{n}"})
    response = client.post("/api/v1/appointments", json=body)
    assert response.status_code == 429 and response.mimetype == "application/problem+json"
    for _ in range(3):
        assert (
            client.get(
                "/api/v1/appointments/ABCDE23456", headers={"X-Booking-Phone": "13912345678"}
            ).status_code
            == 404
        )
    assert (
        client.get(
            "/api/v1/appointments/ABCDE23456", headers={"X-Booking-Phone": "13912345678"}
        ).status_code
        == 429
    )
    # the booking pages share the bucket
    page = client.post(f"/book/testtown/{world.items.licence.id}/2026-11-27/09:00", data={})
    assert page.status_code == 429


def test_every_booking_route_is_documented(client, world):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert set(paths["/appointments"]) == {"post"}
    for path in ("/centers/{code}/slots", "/appointments/{code}"):
        assert "get" in paths[path]
    for action in ("cancel", "reschedule", "check-in"):
        assert "post" in paths[f"/appointments/{{code}}/{action}"]


# -- check-in -----------------------------------------------------------------------------


def on_the_day(hour: int, minute: int = 0, day: int = 27) -> datetime:
    return datetime(2026, 11, day, hour - 8, minute, tzinfo=UTC)


def test_check_in_on_time_answers_201_with_a_booked_ticket(client, booked, booking_clock):
    booking_clock.set(on_the_day(8, 50))
    response = client.post(f"/api/v1/appointments/{booked['code']}/check-in")
    assert response.status_code == 201
    ticket = response.get_json()
    assert ticket["booked"] is True and ticket["status"] == "waiting"
    assert ticket["number"] == "B001" and ticket["token"] and ticket["center"] == "testtown"
    assert "position" in ticket and "estimated_wait_minutes" in ticket
    assert "13912345678" not in response.get_data(as_text=True)
    looked_up = client.get(
        f"/api/v1/appointments/{booked['code']}", headers={"X-Booking-Phone": "13912345678"}
    ).get_json()
    assert looked_up["status"] == "checked_in"
    again = client.post(f"/api/v1/appointments/{booked['code']}/check-in")
    assert again.status_code == 409


def test_check_in_on_the_wrong_day_is_409(client, booked, booking_clock):
    response = client.post(f"/api/v1/appointments/{booked['code']}/check-in", headers=EN)
    assert response.status_code == 409
    assert "Please check in on that day" in response.get_json()["detail"]


def test_check_in_too_late_is_409_offering_a_walk_in(client, world, booked, booking_clock):
    booking_clock.set(on_the_day(9, 16))
    response = client.post(f"/api/v1/appointments/{booked['code']}/check-in", headers=EN)
    assert response.status_code == 409 and response.mimetype == "application/problem+json"
    problem = response.get_json()
    assert "walk-in ticket" in problem["detail"]
    assert problem["walk_in"] == {"center": "testtown", "service": world.items.licence.id}


def test_check_in_of_a_cancelled_booking_is_409(client, booked, booking_clock):
    client.post(f"/api/v1/appointments/{booked['code']}/cancel", json={"phone": "13912345678"})
    booking_clock.set(on_the_day(9))
    response = client.post(f"/api/v1/appointments/{booked['code']}/check-in", headers=EN)
    assert response.status_code == 409 and "cancelled" in response.get_json()["detail"]


def test_check_in_of_an_unknown_code_or_with_a_broken_body(client, booked, booking_clock):
    booking_clock.set(on_the_day(9))
    assert client.post("/api/v1/appointments/ABCDE23456/check-in").status_code == 404
    response = client.post(
        f"/api/v1/appointments/{booked['code']}/check-in",
        data="{oops",
        content_type="application/json",
    )
    assert response.status_code == 400
    ok = client.post(f"/api/v1/appointments/{booked['code']}/check-in", json={"phone": "x"})
    assert ok.status_code == 201  # the code alone suffices; extra fields are ignored


@pytest.mark.parametrize("app_config", [{**NO_LIMITS, "BOOKING_LOOKUP_RATE_LIMIT": "2 per minute"}])
def test_check_in_limits_only_unknown_codes(client, world, booking_clock, body):
    codes = [
        client.post("/api/v1/appointments", json={**body, "phone": f"1391234000{n}"}).get_json()[
            "code"
        ]
        for n in range(3)
    ]
    booking_clock.set(on_the_day(9))
    assert [client.post(f"/api/v1/appointments/{code}/check-in").status_code for code in codes] == [
        201,
        201,
        201,
    ]
    for _ in range(2):
        assert client.post("/api/v1/appointments/ABCDE23456/check-in").status_code == 404
    assert client.post("/api/v1/appointments/ABCDE23457/check-in").status_code == 429
