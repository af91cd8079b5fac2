"""A worker keeps a center's calendar (hours, own days, walk-in caps) by its version: every way
of changing it shows at that worker's next issue, and a copy never outlives its version."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, time

import pytest
from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm.attributes import set_committed_value

from service_center.booking import availability
from service_center.catalogue import calendar_rows
from service_center.catalogue.calendar import day_status
from service_center.catalogue.models import CenterDay, OpeningHours
from service_center.db import db, write_connection
from service_center.queueing.models import Ticket, WalkInCap

FRIDAY = date(2026, 11, 27)  #: the test clock's day; its morning is open
CLOSED = "The center is closed today"
HOURS_ONLY = "during opening hours only"
CAPPED = "walk-in tickets for this case type have all been issued"


@pytest.fixture
def issue(client, world, open_windows, app_clock) -> Callable[[], tuple[int, str]]:
    """Take a walk-in ticket through the API: (status, detail of a refusal)."""
    body = {"center": "testtown", "service": world.items.licence.id}

    def take() -> tuple[int, str]:
        response = client.post("/api/v1/tickets", json=body, headers={"Accept-Language": "en"})
        return response.status_code, (response.get_json() or {}).get("detail", "")

    return take


def test_each_command_shows_at_a_warm_workers_next_issue(issue, other_worker):
    assert issue()[0] == 201  # this worker now holds testtown's calendar and caps
    cli = other_worker.test_cli_runner()

    def run(*args: str) -> None:
        result = cli.invoke(args=list(args))
        assert result.exit_code == 0, result.output

    run("booking", "closure", "testtown", FRIDAY.isoformat())  # a new row
    status, detail = issue()
    assert (status, CLOSED in detail) == (409, True)
    run("booking", "special-opening", "testtown", FRIDAY.isoformat())  # the same row changed
    assert issue()[0] == 201
    run("booking", "closure", "testtown", FRIDAY.isoformat())
    assert issue()[0] == 409
    run("booking", "clear-day", "testtown", FRIDAY.isoformat())  # the row deleted
    assert issue()[0] == 201

    run("queueing", "walk-in-cap", "testtown", "business", "0")  # a new cap
    status, detail = issue()
    assert (status, CAPPED in detail) == (409, True)
    run("queueing", "walk-in-cap", "testtown", "business", "1")  # changed
    assert issue()[0] == 201
    assert issue()[0] == 409
    run("queueing", "walk-in-cap", "testtown", "business", "none")  # deleted
    assert issue()[0] == 201


def test_orm_bulk_and_own_connection_writes_show_at_the_next_issue(issue, world, other_worker):
    assert issue()[0] == 201
    center_id = world.center.id
    friday_hours = (OpeningHours.center_id == center_id) & (OpeningHours.weekday == 4)

    with other_worker.app_context():  # through the ORM: hours from 11:00 on Fridays
        for hours in db.session.scalars(select(OpeningHours).where(friday_hours)):
            hours.open_time = max(hours.open_time, time(11))
        db.session.commit()
    status, detail = issue()
    assert (status, HOURS_ONLY in detail) == (409, True)

    with other_worker.app_context():  # a bulk statement through the session
        db.session.execute(
            update(OpeningHours)
            .where(friday_hours, OpeningHours.open_time == time(11))
            .values(open_time=time(9))
        )
        db.session.commit()
    assert issue()[0] == 201

    with other_worker.app_context():  # a connection of its own, which bumps by hand
        with write_connection() as conn:
            conn.execute(insert(CenterDay).values(center_id=center_id, day=FRIDAY, is_open=False))
            calendar_rows.bump_calendar_versions(conn, [center_id])
    assert issue()[0] == 409

    with other_worker.app_context():
        db.session.execute(delete(CenterDay))
        db.session.execute(
            insert(WalkInCap).values(
                center_id=center_id, case_type_id=world.items.licence.case_type_id, daily_cap=0
            )
        )
        db.session.commit()
    status, detail = issue()
    assert (status, CAPPED in detail) == (409, True)


def test_a_change_rolled_back_leaves_no_copy_behind(world):
    center = world.center
    db.session.commit()
    assert day_status(center, FRIDAY).is_open  # the copy of the committed version
    availability.set_center_day(center, FRIDAY, is_open=False)
    assert not day_status(center, FRIDAY).is_open  # read afresh: this transaction changed it
    db.session.rollback()
    assert day_status(center, FRIDAY).is_open
    availability.set_center_day(center, FRIDAY, is_open=False, reason_zh="停电")
    db.session.commit()  # the same version number as the change rolled back, now for real
    status = day_status(center, FRIDAY)
    assert (status.is_open, status.reason) == (False, "停电")


def test_a_copy_is_taken_for_its_version_only_and_never_replaced_by_an_older_one(world):
    center = world.center
    db.session.commit()
    loads: list[int] = []

    def load(center_id: int) -> int:
        loads.append(center.calendar_version)
        return center.calendar_version

    version = center.calendar_version
    assert calendar_rows.cached(center, "probe", load) == version
    assert calendar_rows.cached(center, "probe", load) == version and len(loads) == 1
    set_committed_value(center, "calendar_version", version - 1)  # read before a change
    assert calendar_rows.cached(center, "probe", load) == version - 1 and len(loads) == 2
    set_committed_value(center, "calendar_version", version)
    assert calendar_rows.cached(center, "probe", load) == version and len(loads) == 2


def test_a_national_notice_loaded_by_another_worker_shows_at_the_next_issue(
    issue, other_worker, tmp_path
):
    assert issue()[0] == 201
    cli = other_worker.test_cli_runner()
    notice = tmp_path / "2026.csv"
    notice.write_text(f"date,kind,name_zh,name_en\n{FRIDAY},holiday,停电,Power cut\n", "utf-8")
    result = cli.invoke(args=["calendar", "load", "2026", str(notice)])
    assert result.exit_code == 0, result.output
    status, detail = issue()  # a national row (no center of its own) bumps every center
    assert (status, CLOSED in detail) == (409, True)
    notice.write_text("date,kind,name_zh,name_en\n2026-12-31,holiday,跨年,\n", "utf-8")
    assert cli.invoke(args=["calendar", "load", "2026", str(notice)]).exit_code == 0
    assert issue()[0] == 201  # the replaced notice no longer closes the day


def test_admin_pages_of_another_worker_show_at_the_next_issue(
    issue, world, other_worker, app_clock
):
    """The administrator works through another worker's pages; this worker, warm, follows."""
    assert issue()[0] == 201
    first = issue()
    admin = other_worker.test_client()
    with admin.session_transaction() as session:
        session["_user_id"] = str(world.users.supervisor.id)
    business = world.case_types["business"]

    def post(path: str, data: dict) -> None:
        response = admin.post(path, data=data)
        assert response.status_code == 302, response.get_data(as_text=True)

    post("/admin/centers/testtown/ticket-letters", {f"prefix_{business.id}": "Q"})
    assert issue()[0] == 201
    numbers = [t.number for t in db.session.scalars(select(Ticket).order_by(Ticket.id))]
    assert numbers[-1] == "Q001" and first == (201, "")
    post("/admin/centers/testtown/calendar/caps", {f"cap_{business.id}": "0"})
    status, detail = issue()
    assert (status, CAPPED in detail) == (409, True)
    post("/admin/centers/testtown/calendar/caps", {f"cap_{business.id}": ""})
    post(
        "/admin/centers/testtown/calendar/hours", {f"weekday_{d}": "13:00-17:00" for d in range(5)}
    )
    status, detail = issue()  # 10:00 on a Friday: no longer open
    assert (status, HOURS_ONLY in detail) == (409, True)
