"""The quality figure pages (one-trip rate, rankings) and their CSV files: who sees which rows;
the desk's missing-materials checkboxes and the item page's "most often missing"."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from itertools import count

import pytest
from sqlalchemy import select

from service_center.db import db
from service_center.privacy import keyed_hash
from service_center.queueing.models import Case, Outcome, Ticket

EN = {"Accept-Language": "en"}
_numbers = count(1)


def add_case(item, day, outcome=Outcome.COMPLETED, *, phone="13800000001", **kw):
    done = datetime.combine(day, time(4), tzinfo=UTC) + timedelta(minutes=next(_numbers))
    case_ = Case(
        number=f"Q-{next(_numbers):06d}",
        center_id=item.center_id,
        service_date=day,
        service_item_id=item.id,
        case_type_id=item.case_type_id,
        outcome=outcome,
        issued_dt=done - timedelta(minutes=15),
        completed_dt=done,
        service_seconds=600,
        phone_key=keyed_hash(phone),
        **kw,
    )
    db.session.add(case_)
    return case_


@pytest.fixture
def month(world):
    """November: clerk at window 1 sends a resident back once; clerk2 at window 2 does not."""
    items, users, windows = world.items, world.users, world.windows
    mine = {"clerk_id": users.clerk.id, "window_id": windows.business.id}
    add_case(items.licence, date(2026, 11, 2), Outcome.DOCUMENTS_MISSING, **mine)
    add_case(items.licence, date(2026, 11, 9), **mine)
    add_case(
        items.food,
        date(2026, 11, 3),
        phone="13900000002",
        clerk_id=users.clerk2.id,
        window_id=windows.mixed.id,
    )
    add_case(items.other_licence, date(2026, 11, 3), clerk_id=users.other_clerk.id)
    db.session.commit()
    return world


PAGES = [
    "/quality/testtown/one-trip?from=2026-11-01&to=2026-11-30",
    "/quality/testtown/rankings?month=2026-11",
]


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize(
    ("user", "status", "sees_clerk2", "sees_windows"),
    [
        ("clerk", 200, False, False),
        ("supervisor", 200, True, True),
        ("admin", 200, True, True),
        ("other_supervisor", 403, None, None),
        ("other_clerk", 403, None, None),
    ],
)
def test_who_sees_which_rows(
    month, client, login_as, page, user, status, sees_clerk2, sees_windows
):
    login_as(getattr(month.users, user))
    response = client.get(page, headers=EN)
    assert response.status_code == status
    if status != 200:
        return
    html = response.get_data(as_text=True)
    clerk_table = html.split('id="by-clerk"')[1].split("</table>")[0]
    assert ">clerk<" in clerk_table
    assert (">clerk2<" in clerk_table) is sees_clerk2
    assert ('id="by-window"' in html) is sees_windows


def test_strangers_are_sent_to_sign_in(month, client):
    response = client.get(PAGES[0])
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_county_admin_sees_any_center(month, client, login_as):
    login_as(month.users.admin)
    response = client.get("/quality/otherville/rankings?month=2026-11", headers=EN)
    assert response.status_code == 200 and ">other-clerk<" in response.get_data(as_text=True)


def test_the_one_trip_page_shows_the_rate(month, client, login_as):
    login_as(month.users.supervisor)
    html = client.get(PAGES[0], headers=EN).get_data(as_text=True)
    # 3 cases, 1 repeat cause: 66.7%
    assert 'id="total-cases">3<' in html and 'id="total-repeats">1<' in html
    assert 'id="total-rate">66.7%<' in html
    zh = client.get(PAGES[0], headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "一次办成率" in zh and "按工作人员" in zh
    assert 'id="one-trip-tab"' not in html  # the reports' tab, not on this page
    nav = client.get("/reports/daily?date=2026-11-02", headers=EN).get_data(as_text=True)
    assert 'href="/quality/testtown/one-trip"' in nav and 'href="/quality/testtown/rankings"' in nav


def test_the_csv_files(month, client, login_as):
    login_as(month.users.supervisor)
    response = client.get("/quality/testtown/rankings.csv?month=2026-11", headers=EN)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    lines = response.get_data(as_text=True).lstrip("\ufeff").splitlines()
    assert lines[0] == (
        "Breakdown,Row,Cases,Mean rating,Bad reviews,Rectifications overdue,"
        '"One-trip rate, percent","Median service time, percent of the standard"'
    )
    assert "clerk,clerk,2,,0,0,50.0,100.0" in lines
    trips = client.get(
        "/quality/testtown/one-trip.csv?from=2026-11-01&to=2026-11-30", headers=EN
    ).get_data(as_text=True)
    assert "clerk,clerk,2,1,50.0" in trips.splitlines()
    login_as(month.users.clerk)
    own = client.get("/quality/testtown/one-trip.csv?from=2026-11-01&to=2026-11-30")
    rows = own.get_data(as_text=True).splitlines()[1:]
    assert rows == ["clerk,clerk,2,1,50.0"]


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("rankings?month=2026-13", "month", "Give a month as YYYY-MM, e.g. 2026-11."),
        ("rankings.csv?month=nov", "month", "Give a month as YYYY-MM, e.g. 2026-11."),
        ("one-trip?from=2026-11-30&to=2026-11-01", "from", "must not be after the last day"),
        ("one-trip?from=2025-01-01&to=2026-11-30", "to", "Choose at most 366 days"),
        ("one-trip.csv?from=2026-02-30", "from", "Give a real date as YYYY-MM-DD."),
    ],
)
def test_bad_parameters_show_the_form_with_the_message(
    month, client, login_as, query, field, message
):
    login_as(month.users.supervisor)
    response = client.get(f"/quality/testtown/{query}", headers=EN)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert f'id="{field}-error"' in html and message in html.split(f'id="{field}-error"')[1]


def test_the_desk_offers_the_materials_and_saves_the_ticked_ones(
    world, client, login_as, desk_clock, sign_on, issue
):
    sign_on(world.users.clerk, world.windows.business)
    login_as(world.users.clerk)
    issue(world.items.licence_change, notify_address="13800000001")
    desk = f"/desk/{world.windows.business.id}"
    client.post(f"{desk}/call-next")
    ticket_id = db.session.scalar(select(Ticket.id))
    client.post(f"{desk}/tickets/{ticket_id}/start")
    html = client.get(desk, headers=EN).get_data(as_text=True)
    assert 'type="checkbox" name="missing_materials" value="申请表"' in html
    assert "Application form" in html
    response = client.post(
        f"{desk}/tickets/{ticket_id}/complete",
        data={"outcome": "documents_missing", "missing_materials": ["申请表", "身份证原件"]},
    )
    assert response.status_code == 302
    case_ = db.session.scalar(select(Case))
    assert case_.missing_materials == "身份证原件\n申请表"  # in the item's order
    assert case_.phone_key == keyed_hash("13800000001")


def test_the_api_refuses_a_material_the_item_does_not_list(
    world, client, login_as, desk_clock, sign_on, issue
):
    sign_on(world.users.clerk, world.windows.business)
    login_as(world.users.clerk)
    issue(world.items.licence_change)
    tid = client.post(f"/api/v1/windows/{world.windows.business.id}/call-next").get_json()["id"]
    client.post(f"/api/v1/tickets/{tid}/start")
    bad = client.post(
        f"/api/v1/tickets/{tid}/complete",
        json={"outcome": "documents_missing", "missing_materials": ["户口本"]},
        headers=EN,
    )
    assert bad.status_code == 422
    assert bad.mimetype == "application/problem+json"
    assert "missing_materials" in bad.get_json()["errors"]
    assert db.session.scalar(select(Case)) is None
    done = client.post(
        f"/api/v1/tickets/{tid}/complete",
        json={"outcome": "documents_missing", "missing_materials": ["Application form"]},
    )
    assert done.status_code == 200
    assert db.session.scalar(select(Case.missing_materials)) == "申请表"


@pytest.mark.parametrize(("cases", "shown"), [(4, False), (5, True)])
def test_the_item_page_shows_the_most_often_missing(world, client, cases, shown):
    item = world.items.licence
    today = date.today()
    for n in range(cases):
        add_case(
            item,
            today - timedelta(days=3),
            Outcome.DOCUMENTS_MISSING,
            phone=f"1380000{n:04d}",
            missing_materials="申请表",
        )
    db.session.commit()
    html = client.get(f"/centers/testtown/services/{item.id}", headers=EN).get_data(as_text=True)
    assert ("Most often missing" in html) is shown
    if shown:
        assert "<li>Application form</li>" in html.split('id="often-missing"')[1]
