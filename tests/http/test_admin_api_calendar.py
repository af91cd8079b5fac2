"""The admin API for a center's calendar, its ticket letters, the county's notices and
departments, and the catalogue import: each route once with its effect in the database and its
audit record; the refusals (401, 403, 404, 422 naming the field, a dry run writing nothing); and
their place in the OpenAPI document. Every answer is also checked against its declaration
(API_CHECK_RESPONSES)."""

from __future__ import annotations

import base64
import csv
import io
from datetime import date
from typing import Any

import pytest
from openapi_spec_validator import validate
from sqlalchemy import select

from service_center.admin import catalogue_file
from service_center.audit import AuditRecord
from service_center.catalogue import calendar
from service_center.catalogue.models import CenterDay, Department, OpeningHours, ServiceItem
from service_center.db import db
from service_center.queueing.models import TicketPrefix, WalkInCap
from tests.fixtures.booking import NO_LIMITS

EN = {"Accept-Language": "en"}
ZH = {"Accept-Language": "zh-CN"}
API = "/api/v1/admin"
TESTTOWN = f"{API}/centers/testtown"
MONDAY = "2026-11-30"


@pytest.fixture
def app_config() -> dict[str, Any]:
    return dict(NO_LIMITS)


def records(action: str) -> list[AuditRecord]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(AuditRecord).where(AuditRecord.action == action).order_by(AuditRecord.id)
        )
    )


def all_actions() -> list[str]:
    db.session.expire_all()
    return [r.action for r in db.session.scalars(select(AuditRecord).order_by(AuditRecord.id))]


def problem(response, status: int) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    return response.get_json()


def slots(client, world, day: str = MONDAY) -> dict:
    response = client.get(
        "/api/v1/centers/testtown/slots",
        query_string={"service": world.items.licence.id, "date": day},
        headers=EN,
    )
    assert response.status_code == 200
    return response.get_json()


# ---------------------------------------------------------------------------- who gets in

CENTER_ROUTES = [
    ("get", "/calendar/hours"),
    ("put", "/calendar/hours"),
    ("get", "/calendar/days"),
    ("put", f"/calendar/days/{MONDAY}"),
    ("delete", f"/calendar/days/{MONDAY}"),
    ("get", "/calendar/caps"),
    ("put", "/calendar/caps"),
    ("get", "/ticket-letters"),
    ("put", "/ticket-letters"),
    ("post", "/items/import"),
]
COUNTY_ROUTES = [
    ("post", "/departments"),
    ("put", "/departments/1"),
    ("get", "/notices"),
    ("post", "/notices/2031"),
    ("delete", "/notices/2031"),
]
#: bodies good enough in shape to reach the permission check
BODIES = {
    ("put", f"/calendar/days/{MONDAY}"): {"is_open": False},
    ("post", "/items/import"): {"filename": "x.csv", "content_base64": "eA==", "dry_run": True},
    ("post", "/departments"): {"code": "gaj", "name_zh": "公安局", "name_en": "Public Security"},
    ("post", "/notices/2031"): {"csv": "date,kind,name_zh,name_en\n", "dry_run": True},
}


def call(client, method: str, path: str, prefix: str = TESTTOWN, **kw: Any):
    body = BODIES.get((method, path), {})
    return getattr(client, method)(prefix + path, json=body, **kw)


@pytest.mark.parametrize(
    ("method", "path", "prefix"),
    [(m, p, TESTTOWN) for m, p in CENTER_ROUTES] + [(m, p, API) for m, p in COUNTY_ROUTES],
)
def test_nobody_signed_in_gets_a_401(world, client, method, path, prefix):
    response = call(client, method, path, prefix)
    assert problem(response, 401)["status"] == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize(
    ("method", "path", "prefix"),
    [(m, p, TESTTOWN) for m, p in CENTER_ROUTES] + [(m, p, API) for m, p in COUNTY_ROUTES],
)
def test_a_clerk_administers_nothing(world, client, login_as, method, path, prefix):
    login_as(world.users.clerk)
    body = problem(call(client, method, path, prefix, headers=EN), 403)
    assert body["detail"] == "You may not do this."


@pytest.mark.parametrize(("method", "path"), CENTER_ROUTES)
def test_another_centers_supervisor_is_refused_and_nothing_changes(
    world, client, login_as, method, path
):
    login_as(world.users.other_supervisor)
    problem(call(client, method, path), 403)
    assert all_actions() == []


@pytest.mark.parametrize(("method", "path"), COUNTY_ROUTES)
def test_a_supervisor_is_refused_the_county_routes(world, client, login_as, method, path):
    login_as(world.users.supervisor)
    problem(call(client, method, path, API), 403)
    assert all_actions() == []
    assert calendar.notice_counts() == {}


def test_who_adds_items_may_list_the_departments_and_a_clerk_may_not(world, client, login_as):
    login_as(world.users.supervisor)
    response = client.get(f"{API}/departments")
    assert response.status_code == 200
    assert [d["code"] for d in response.get_json()] == ["mz", "scjg"]
    login_as(world.users.clerk)
    assert client.get(f"{API}/departments").status_code == 403


@pytest.mark.parametrize(("method", "path"), CENTER_ROUTES)
def test_an_unknown_center_is_a_404_naming_the_code(world, client, login_as, method, path):
    login_as(world.users.admin)
    body = problem(call(client, method, path, f"{API}/centers/atlantis", headers=EN), 404)
    assert body["detail"] == "No service center has the code atlantis."


# ---------------------------------------------------------------------------- opening hours


def test_a_supervisor_reads_and_changes_the_opening_week(
    world, client, login_as, booking_clock, admin_clock
):
    login_as(world.users.supervisor)
    week = client.get(f"{TESTTOWN}/calendar/hours").get_json()
    assert week["monday"] == ["09:00-12:00", "13:30-17:30"]
    assert week["saturday"] == week["sunday"] == []

    response = client.put(
        f"{TESTTOWN}/calendar/hours",
        json={"monday": ["08:30-11:30", "14:00-17:00"], "friday": [], "saturday": ["09:00-12:00"]},
    )
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    week = response.get_json()
    assert week["monday"] == ["08:30-11:30", "14:00-17:00"]
    assert week["tuesday"] == ["09:00-12:00", "13:30-17:30"]  # left out: kept
    assert week["friday"] == [] and week["saturday"] == ["09:00-12:00"]
    db.session.expire_all()
    rows = db.session.scalars(
        select(OpeningHours).where(OpeningHours.center_id == world.center.id)
    ).all()
    assert sorted({r.weekday for r in rows}) == [0, 1, 2, 3, 5]
    # the booking slots follow at once
    assert [s["start"] for s in slots(client, world)["slots"]][:2] == ["08:30", "09:00"]
    (record,) = records("calendar.hours")
    assert record.actor_name == "supervisor" and record.center_id == world.center.id
    assert record.changes["0"] == [
        ["09:00-12:00", "13:30-17:30"],
        ["08:30-11:30", "14:00-17:00"],
    ]


@pytest.mark.parametrize(
    ("week", "errors"),
    [
        (
            {"wednesday": ["12:00-09:00"], "thursday": ["9 to 5"]},
            {
                "wednesday": ["A period must end after it starts."],
                "thursday": ["Write the hours as 09:00-12:00, several separated by commas."],
            },
        ),
        ({"monday": ["09:00-12:00", "11:00-13:00"]}, {"monday": ["The periods overlap."]}),
        ({"monday": "09:00-12:00"}, {"monday": ["Please correct this field."]}),
        ({"monday": None}, {"monday": ["This field is required."]}),
    ],
)
def test_a_wrong_week_is_refused_next_to_its_weekday(world, client, login_as, week, errors):
    login_as(world.users.supervisor)
    answer = problem(client.put(f"{TESTTOWN}/calendar/hours", json=week, headers=EN), 422)
    assert answer["errors"] == errors
    db.session.expire_all()
    rows = db.session.scalars(
        select(OpeningHours).where(OpeningHours.center_id == world.center.id)
    ).all()
    assert len(rows) == 10  # the fixture's two periods on five weekdays, untouched
    assert all_actions() == []


# ---------------------------------------------------------------------------- own days


def test_a_closure_names_the_bookings_it_strands_and_is_removed(
    world, client, login_as, booking_clock, admin_clock, create_appointment
):
    booked = create_appointment(day=date(2026, 11, 30))
    login_as(world.users.supervisor)
    response = client.put(
        f"{TESTTOWN}/calendar/days/{MONDAY}",
        json={"is_open": False, "reason_zh": " 停电检修 ", "reason_en": "Power works"},
    )
    assert response.status_code == 200
    assert response.get_json() == {
        "day": MONDAY,
        "is_open": False,
        "reason_zh": "停电检修",
        "reason_en": "Power works",
        "stranded_bookings": [booked.code],
    }
    assert "张三" not in response.get_data(as_text=True)  # codes only
    day = slots(client, world)
    assert day["open"] is False and day["reason"] == "Power works"
    assert client.get(f"{TESTTOWN}/calendar/days").get_json() == [
        {"day": MONDAY, "is_open": False, "reason_zh": "停电检修", "reason_en": "Power works"}
    ]
    (record,) = records("calendar.day")
    assert record.object_label == MONDAY and record.changes["is_open"] == [None, False]

    response = client.delete(f"{TESTTOWN}/calendar/days/{MONDAY}")
    assert response.status_code == 204
    assert slots(client, world)["open"] is True
    assert db.session.scalars(select(CenterDay)).all() == []
    assert [r.object_label for r in records("calendar.day_removed")] == [MONDAY]
    # nothing entered for that day any more
    body = problem(client.delete(f"{TESTTOWN}/calendar/days/{MONDAY}", headers=EN), 404)
    assert body["detail"] == "This center entered nothing for that day."


def test_a_special_opening_strands_nothing(world, client, login_as, admin_clock):
    login_as(world.users.supervisor)
    saturday = "2026-12-05"
    response = client.put(f"{TESTTOWN}/calendar/days/{saturday}", json={"is_open": True})
    assert response.status_code == 200
    assert response.get_json()["stranded_bookings"] == []
    entry = db.session.scalar(select(CenterDay))
    assert entry.day == date(2026, 12, 5) and entry.is_open


@pytest.mark.parametrize(
    ("day", "body", "errors"),
    [
        ("2026-11-20", {"is_open": False}, {"day": ["Choose today or a later day."]}),
        ("2026-02-30", {"is_open": False}, {"day": ["Give a real date as YYYY-MM-DD."]}),
        (MONDAY, {"reason_en": "Works"}, {"is_open": ["This field is required."]}),
        (MONDAY, {"is_open": "no"}, {"is_open": ["Must be true or false."]}),
        (
            MONDAY,
            {"is_open": False, "reason_zh": "停" * 121},
            {"reason_zh": ["This field is too long (at most 120 characters)."]},
        ),
    ],
)
def test_a_wrong_day_is_refused_next_to_its_field(
    world, client, login_as, admin_clock, day, body, errors
):
    login_as(world.users.supervisor)
    answer = problem(client.put(f"{TESTTOWN}/calendar/days/{day}", json=body, headers=EN), 422)
    assert answer["errors"] == errors
    assert db.session.scalars(select(CenterDay)).all() == []
    assert all_actions() == []


# ---------------------------------------------------------------------------- walk-in caps


def test_a_walk_in_cap_stops_the_kiosk_at_once_and_is_lifted(
    world, client, login_as, admin_clock, desk_clock
):
    login_as(world.users.supervisor)
    assert client.get(f"{TESTTOWN}/calendar/caps").get_json() == {
        "business": None,
        "investment": None,
        "livelihood": None,
    }
    response = client.put(f"{TESTTOWN}/calendar/caps", json={"livelihood": 0, "business": 40})
    assert response.status_code == 200
    assert response.get_json() == {"business": 40, "investment": None, "livelihood": 0}
    kiosk = {"center": "testtown", "service": world.items.marriage.id}
    answer = problem(client.post("/api/v1/tickets", json=kiosk, headers=EN), 409)
    assert answer["detail"] == "Today's walk-in tickets for this case type have all been issued."
    (record,) = records("calendar.caps")
    assert record.changes == {"business": [None, 40], "livelihood": [None, 0]}

    response = client.put(f"{TESTTOWN}/calendar/caps", json={"livelihood": None})
    assert response.get_json() == {"business": 40, "investment": None, "livelihood": None}
    db.session.expire_all()
    caps = db.session.scalars(select(WalkInCap).where(WalkInCap.center_id == world.center.id))
    assert [(c.case_type_id, c.daily_cap) for c in caps] == [(world.case_types["business"].id, 40)]
    assert client.post("/api/v1/tickets", json=kiosk).status_code == 201


@pytest.mark.parametrize(
    ("caps", "errors"),
    [
        ({"livelihood": -1}, {"livelihood": ["Must be at least 0."]}),
        ({"business": "5"}, {"business": ["Must be a whole number."]}),
        ({"business": 5, "passports": 3}, {"passports": ["Choose a case type from the list."]}),
    ],
)
def test_a_wrong_cap_is_refused_by_its_case_type(world, client, login_as, caps, errors):
    login_as(world.users.supervisor)
    answer = problem(client.put(f"{TESTTOWN}/calendar/caps", json=caps, headers=EN), 422)
    assert answer["errors"] == errors
    assert db.session.scalars(select(WalkInCap)).all() == []
    assert all_actions() == []


# ---------------------------------------------------------------------------- ticket letters


def test_a_supervisor_gives_a_case_type_its_own_ticket_letter(
    world, client, login_as, admin_clock, desk_clock
):
    login_as(world.users.supervisor)
    assert client.get(f"{TESTTOWN}/ticket-letters").get_json() == {
        "business": "B",
        "investment": "T",
        "livelihood": "M",
    }
    response = client.put(f"{TESTTOWN}/ticket-letters", json={"livelihood": " x "})
    assert response.status_code == 200
    assert response.get_json() == {"business": "B", "investment": "T", "livelihood": "X"}
    db.session.expire_all()
    (row,) = db.session.scalars(select(TicketPrefix)).all()
    assert (row.center_id, row.prefix) == (world.center.id, "X")
    (record,) = records("center.ticket_letters")
    assert record.changes == {"livelihood": ["M", "X"]}
    kiosk = {"center": "testtown", "service": world.items.marriage.id}
    response = client.post("/api/v1/tickets", json=kiosk)
    assert response.status_code == 201 and response.get_json()["number"] == "X001"
    # another center keeps the case type's own letter
    login_as(world.users.other_supervisor)
    assert client.get(f"{API}/centers/otherville/ticket-letters").get_json()["livelihood"] == "M"


@pytest.mark.parametrize(
    ("letters", "errors"),
    [
        ({"livelihood": "B"}, {"livelihood": ["Two case types cannot share the letter B."]}),
        ({"investment": "7"}, {"investment": ["A ticket letter is one letter, A to Z."]}),
        ({"livelihood": " "}, {"livelihood": ["A ticket letter is one letter, A to Z."]}),
        ({"livelihood": 7}, {"livelihood": ["Send this field as text."]}),
        ({"passports": "P"}, {"passports": ["Choose a case type from the list."]}),
    ],
)
def test_a_wrong_ticket_letter_is_refused_by_its_case_type(
    world, client, login_as, letters, errors
):
    login_as(world.users.supervisor)
    answer = problem(client.put(f"{TESTTOWN}/ticket-letters", json=letters, headers=EN), 422)
    assert answer["errors"] == errors
    assert db.session.scalars(select(TicketPrefix)).all() == []
    assert all_actions() == []


# ---------------------------------------------------------------------------- departments


def test_an_administrator_adds_and_renames_a_department(world, client, login_as, admin_clock):
    login_as(world.users.admin)
    listed = client.get(f"{API}/departments").get_json()
    assert [d["code"] for d in listed] == ["mz", "scjg"]
    response = client.post(
        f"{API}/departments",
        json={"code": "gaj", "name_zh": "公安局", "name_en": " Public Security "},
    )
    assert response.status_code == 201
    created = response.get_json()
    assert created["name_en"] == "Public Security"
    department = db.session.get(Department, created["id"])
    assert department.code == "gaj"
    (record,) = records("department.create")
    assert record.actor_name == "admin" and record.object_id == str(department.id)

    response = client.put(f"{API}/departments/{department.id}", json={"name_en": "Police"})
    assert response.status_code == 200
    assert response.get_json() == {**created, "name_en": "Police"}
    (record,) = records("department.update")
    assert record.changes == {"name_en": ["Public Security", "Police"]}


@pytest.mark.parametrize(
    ("body", "status", "errors"),
    [
        (
            {"code": "scjg", "name_zh": "重复", "name_en": "Twice"},
            409,
            {"code": ["Another department has the code scjg."]},
        ),
        (
            {"code": "Gong An", "name_zh": "公安局", "name_en": "Police"},
            422,
            {
                "code": [
                    "A department's code is 1 to 32 lower-case letters, digits, dashes or "
                    "underscores."
                ]
            },
        ),
        ({"code": "gaj", "name_en": "Police"}, 422, {"name_zh": ["This field is required."]}),
    ],
)
def test_a_wrong_department_is_refused_next_to_its_field(
    world, client, login_as, body, status, errors
):
    login_as(world.users.admin)
    answer = problem(client.post(f"{API}/departments", json=body, headers=EN), status)
    assert answer["errors"] == errors
    assert len(db.session.scalars(select(Department)).all()) == 2
    assert all_actions() == []


def test_an_unknown_department_is_a_404(world, client, login_as):
    login_as(world.users.admin)
    body = problem(client.put(f"{API}/departments/99999", json={}, headers=EN), 404)
    assert body["detail"] == "No such department."


# ---------------------------------------------------------------------------- notices

NOTICE_2031 = (
    "date,kind,name_zh,name_en\n"
    "2031-01-01,holiday,元旦,New Year's Day\n"
    "2031-01-02,holiday,元旦,New Year's Day\n"
    "2031-01-05,working day,元旦调休,\n"
)


def test_a_notice_is_checked_beside_the_rule_then_loaded_and_removed(
    world, client, login_as, admin_clock
):
    login_as(world.users.admin)
    assert client.get(f"{API}/notices").get_json() == [
        {"year": 2026, "source": "library", "days_off": None, "weekends_worked": None},
        {"year": 2027, "source": "rule", "days_off": None, "weekends_worked": None},
    ]
    response = client.post(
        f"{API}/notices/2031", json={"csv": NOTICE_2031, "dry_run": True}, headers=EN
    )
    assert response.status_code == 200
    check = response.get_json()
    assert check["loaded"] is False and check["stranded_bookings"] == []
    assert check["days"][2] == {
        "day": "2031-01-05",
        "is_holiday": False,
        "name_zh": "元旦调休",
        "name_en": "",
    }
    assert {"day": "2031-01-01", "name": "New Year's Day"} in check["rule_days"]
    assert len(check["rule_days"]) == 12  # Mid-Autumn falls on National Day in 2031
    assert [d["day"] for d in check["missing"]][:1] == ["2031-01-22"]  # lunar New Year's Eve
    assert len(check["missing"]) == 11 and check["library_differences"] == []
    assert calendar.notice_counts() == {} and all_actions() == []  # a dry run

    response = client.post(f"{API}/notices/2031", json={"csv": NOTICE_2031, "dry_run": False})
    assert response.status_code == 200 and response.get_json()["loaded"] is True
    assert calendar.notice_counts() == {2031: (2, 1)}
    (record,) = records("notice.load")
    assert record.object_label == "2031"
    assert record.changes["weekends_worked"] == [None, ["2031-01-05"]]
    listed = client.get(f"{API}/notices").get_json()
    assert listed[-1] == {"year": 2031, "source": "notice", "days_off": 2, "weekends_worked": 1}

    response = client.delete(f"{API}/notices/2031")
    assert response.status_code == 200
    assert response.get_json() == {"year": 2031, "stranded_bookings": []}
    assert calendar.notice_counts() == {}
    assert [r.object_label for r in records("notice.unload")] == ["2031"]
    body = problem(client.delete(f"{API}/notices/2031", headers=EN), 404)
    assert body["detail"] == "No notice is loaded for 2031."


def test_a_notice_names_the_bookings_it_leaves_on_a_closed_day(
    world, client, login_as, booking_clock, admin_clock, create_appointment
):
    booked = create_appointment(day=date(2026, 11, 30))
    login_as(world.users.admin)
    text = "date,kind,name_zh,name_en\n2026-11-30,holiday,调整假日,Day off\n"
    response = client.post(f"{API}/notices/2026", json={"csv": text, "dry_run": False})
    assert response.status_code == 200
    assert response.get_json()["stranded_bookings"] == [booked.code]
    assert slots(client, world)["open"] is False
    assert records("notice.load")


@pytest.mark.parametrize(
    ("headers", "message"),
    [(EN, "line 3: 2031-01-06 is a Monday"), (ZH, "第 3 行")],
)
def test_a_wrong_notice_row_is_a_422_in_the_callers_language_and_nothing_is_loaded(
    world, client, login_as, admin_clock, headers, message
):
    login_as(world.users.admin)
    text = "date,kind,name_zh,name_en\n2031-01-01,holiday,元旦,\n2031-01-06,working day,调休,\n"
    for dry_run in (True, False):
        answer = problem(
            client.post(
                f"{API}/notices/2031", json={"csv": text, "dry_run": dry_run}, headers=headers
            ),
            422,
        )
        (row,) = answer["errors"]["csv"]
        assert row.startswith(message)
    assert calendar.notice_counts() == {} and all_actions() == []


@pytest.mark.parametrize(
    ("year", "body", "errors"),
    [
        (
            1999,
            {"csv": NOTICE_2031, "dry_run": True},
            {"year": ["Choose a year from 2000 to 2099."]},
        ),
        (2031, {"csv": NOTICE_2031}, {"dry_run": ["This field is required."]}),
        (2031, {"csv": "", "dry_run": True}, {"csv": ["This field is required."]}),
    ],
)
def test_a_wrong_notice_request_is_refused_next_to_its_field(
    world, client, login_as, year, body, errors
):
    login_as(world.users.admin)
    answer = problem(client.post(f"{API}/notices/{year}", json=body, headers=EN), 422)
    assert answer["errors"] == errors
    assert calendar.notice_counts() == {}


# ---------------------------------------------------------------------------- catalogue import


def exported(center) -> list[list[str]]:
    return [list(row) for row in catalogue_file.export_rows(center)]


def encoded(rows: list[list[str]]) -> str:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return base64.b64encode(out.getvalue().encode()).decode()


def row_of(rows: list[list[str]], code: str) -> list[str]:
    return next(r for r in rows if r[0] == code)


def new_row(code: str, **values: str) -> list[str]:
    row = dict.fromkeys(catalogue_file.COLUMNS, "")
    row.update(
        code=code,
        name_zh="新事项",
        name_en="New item",
        department="mz",
        case_type="livelihood",
        windows="3",
    )
    row.update(values)
    return list(row.values())


def test_an_import_is_checked_dry_then_written_each_change_audited(
    world, client, login_as, admin_clock
):
    items = world.items
    rows = exported(world.center)
    rows.remove(row_of(rows, items.allowance.code))
    row_of(rows, items.marriage.code)[3] = "Marriage record"
    rows.append(new_row("IT-900"))
    body = {"filename": "Items.CSV", "content_base64": encoded(rows), "dry_run": True}
    expected = {
        "added": ["IT-900"],
        "changed": [items.marriage.code],
        "changed_fields": {items.marriage.code: ["name_en"]},
        "retired": [items.allowance.code],
        "unchanged": sorted(
            i.code for i in (items.licence, items.licence_change, items.food, items.project)
        ),
    }
    login_as(world.users.supervisor)
    response = client.post(f"{TESTTOWN}/items/import", json=body)
    assert response.status_code == 200
    assert response.get_json() == {"dry_run": True, **expected}
    db.session.expire_all()
    assert db.session.scalar(select(ServiceItem).where(ServiceItem.code == "IT-900")) is None
    assert db.session.get(ServiceItem, items.allowance.id).is_active
    assert all_actions() == []  # a dry run writes nothing

    response = client.post(f"{TESTTOWN}/items/import", json={**body, "dry_run": False})
    assert response.status_code == 200
    assert response.get_json() == {"dry_run": False, **expected}
    db.session.expire_all()
    added = db.session.scalar(select(ServiceItem).where(ServiceItem.code == "IT-900"))
    assert added.center_id == world.center.id and added.is_active
    assert not db.session.get(ServiceItem, items.allowance.id).is_active
    assert db.session.get(ServiceItem, items.marriage.id).name_en == "Marriage record"
    assert [r.object_id for r in records("item.create")] == [str(added.id)]
    assert [r.object_id for r in records("item.update")] == [str(items.marriage.id)]
    assert [r.object_id for r in records("item.retire")] == [str(items.allowance.id)]


def test_an_xlsx_file_is_read_too(world, client, login_as):
    login_as(world.users.supervisor)
    content = base64.b64encode(catalogue_file.export_xlsx(world.center)).decode()
    body = {"filename": "testtown.xlsx", "content_base64": content, "dry_run": True}
    answer = client.post(f"{TESTTOWN}/items/import", json=body).get_json()
    assert answer["added"] == answer["changed"] == answer["retired"] == []
    assert len(answer["unchanged"]) == 6


def test_a_file_larger_than_other_bodies_is_taken(world, client, login_as):
    rows = exported(world.center)
    rows += [new_row(f"IT-{n}", materials_zh="身份证原件" * 200) for n in range(500, 530)]
    body = {"filename": "big.csv", "content_base64": encoded(rows), "dry_run": True}
    assert len(body["content_base64"]) > 64 * 1024
    login_as(world.users.supervisor)
    response = client.post(f"{TESTTOWN}/items/import", json=body)
    assert response.status_code == 200 and len(response.get_json()["added"]) == 30


def test_bad_rows_are_named_by_row_and_column_and_nothing_is_written(world, client, login_as):
    rows = exported(world.center)
    rows.append(new_row("IT-900", department="nosuch"))
    rows.append(new_row("IT-901", bookable="maybe"))
    body = {"filename": "items.csv", "content_base64": encoded(rows), "dry_run": False}
    login_as(world.users.supervisor)
    answer = problem(client.post(f"{TESTTOWN}/items/import", json=body, headers=EN), 422)
    assert answer["detail"] == (
        "2 problems: nothing was imported. Correct the file and check it again."
    )
    assert answer["rows"] == [
        {"row": 8, "column": "department", "message": "No department has the code nosuch."},
        {"row": 9, "column": "bookable", "message": "Write yes or no."},
    ]
    assert db.session.scalar(select(ServiceItem).where(ServiceItem.code == "IT-901")) is None
    assert all_actions() == []


def test_a_file_without_the_columns_is_refused_as_a_whole(world, client, login_as):
    content = base64.b64encode(b"name,phone\nx,y\n").decode()
    body = {"filename": "items.csv", "content_base64": content, "dry_run": True}
    login_as(world.users.supervisor)
    answer = problem(client.post(f"{TESTTOWN}/items/import", json=body, headers=EN), 422)
    (row,) = answer["rows"]
    assert (row["row"], row["column"]) == (1, "file")
    assert row["message"].startswith("The first row must name the columns")


@pytest.mark.parametrize(
    ("change", "errors"),
    [
        ({"filename": "items.txt"}, {"filename": ["Send a .csv or .xlsx file."]}),
        (
            {"content_base64": "not base64!"},
            {"content_base64": ["Send the file's content as base64."]},
        ),
        ({"dry_run": "yes"}, {"dry_run": ["Must be true or false."]}),
    ],
)
def test_a_wrong_import_request_is_refused_next_to_its_field(
    world, client, login_as, change, errors
):
    body = {"filename": "items.csv", "content_base64": encoded(exported(world.center))}
    login_as(world.users.supervisor)
    answer = problem(
        client.post(
            f"{TESTTOWN}/items/import", json={**body, "dry_run": True, **change}, headers=EN
        ),
        422,
    )
    assert answer["errors"] == errors


def test_an_import_that_is_not_json_is_refused(world, client, login_as):
    login_as(world.users.supervisor)
    problem(client.post(f"{TESTTOWN}/items/import", data="x", content_type="text/csv"), 415)
    problem(
        client.post(f"{TESTTOWN}/items/import", data="[1]", content_type="application/json"), 400
    )


# ---------------------------------------------------------------------------- the document


def test_the_document_describes_these_routes(client, app_ctx):
    spec = client.get("/api/v1/openapi.json").get_json()
    validate(spec)
    paths = spec["paths"]
    expected = {
        "/admin/centers/{code}/calendar/hours": {"get", "put"},
        "/admin/centers/{code}/calendar/days": {"get"},
        "/admin/centers/{code}/calendar/days/{day}": {"put", "delete"},
        "/admin/centers/{code}/calendar/caps": {"get", "put"},
        "/admin/centers/{code}/ticket-letters": {"get", "put"},
        "/admin/centers/{code}/items/import": {"post"},
        "/admin/departments": {"get", "post"},
        "/admin/departments/{id}": {"put"},
        "/admin/notices": {"get"},
        "/admin/notices/{year}": {"post", "delete"},
    }
    for path, methods in expected.items():
        assert set(paths[path]) == methods, path
        for method in methods:
            operation = paths[path][method]
            assert operation["security"], (method, path)
            assert {"401", "403"} <= set(operation["responses"])
    imported = paths["/admin/centers/{code}/items/import"]["post"]
    assert imported["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/AdminItemsImport"
    }
    assert {"400", "404", "409", "415", "422"} <= set(imported["responses"])
    caps = spec["components"]["schemas"]["AdminCapsChanges"]
    assert caps["additionalProperties"]["anyOf"][1] == {"type": "null"}
    assert "stranded_bookings" in spec["components"]["schemas"]["AdminDaySet"]["required"]
