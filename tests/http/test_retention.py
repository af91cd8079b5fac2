"""Personal data past its retention is erased or masked; every report total and case number
stays the same (issue 15, PIPL)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from unittest.mock import patch

from sqlalchemy import select, update

from service_center.booking.models import Appointment, AppointmentState
from service_center.db import db
from service_center.queueing.models import Case, Ticket

LATER = datetime(2027, 6, 1, 2, 0, tzinfo=UTC)  # 186 days after the scripted Friday


def booking(world, code: str, day: date, state: AppointmentState, phone: str) -> Appointment:
    appointment = Appointment(
        code=code,
        center_id=world.center.id,
        service_item_id=world.items.licence.id,
        service_date=day,
        start_time=time(9),
        end_time=time(9, 30),
        state=state,
        name="欧阳娜娜",
        phone=phone,
        id_number="11010519491231002X",
        created_dt=datetime(2026, 9, 1, tzinfo=UTC),
    )
    db.session.add(appointment)
    return appointment


def reports(client) -> list:
    return [
        client.get(f"/api/v1/reports/daily?center=testtown&date={day}").get_json()
        for day in ("2026-11-26", "2026-11-27")
    ]


def test_a_purge_erases_what_is_past_retention_and_no_total_moves(
    client, login_as, at_the_end, runner
):
    world = at_the_end.world
    db.session.execute(update(Case).values(applicant_name="王小明", applicant_phone="13812345678"))
    db.session.execute(
        update(Ticket)
        .where(Ticket.case.has())
        .values(applicant_name="王小明", applicant_phone="13812345678")
    )
    booking(world, "OLDCANCEL2", date(2026, 10, 1), AppointmentState.CANCELLED, "13900000001")
    booking(world, "NOSHOWOLD2", date(2026, 10, 2), AppointmentState.BOOKED, "13900000002")
    booking(world, "STILLCOME2", date(2027, 5, 20), AppointmentState.BOOKED, "13900000003")
    db.session.commit()
    login_as(world.users.supervisor)
    before = reports(client)
    numbers = sorted(db.session.scalars(select(Case.number)))

    with patch("service_center.booking.cli.now_utc", return_value=LATER):
        dry = runner.invoke(args=["purge-personal-data", "--dry-run"])
        assert dry.exit_code == 0, dry.output
        assert "Would erase: the applicant of 12 case(s) and 12 ticket(s)" in dry.output
        assert "2 cancelled or no-show booking(s)" in dry.output
        db.session.expire_all()
        assert db.session.scalar(select(Case.applicant_name).limit(1)) == "王小明"
        done = runner.invoke(args=["purge-personal-data"])
        assert done.exit_code == 0 and done.output.startswith("Erased:")
        again = runner.invoke(args=["purge-personal-data"])
        assert "of 0 case(s) and 0 ticket(s)" in again.output  # idempotent

    db.session.expire_all()
    assert set(db.session.scalars(select(Case.applicant_phone))) == {None}
    assert set(db.session.scalars(select(Ticket.applicant_name))) == {None}
    rows = {a.code: a for a in db.session.scalars(select(Appointment))}
    for code in ("OLDCANCEL2", "NOSHOWOLD2"):
        assert rows[code].name == "欧***" and rows[code].id_number is None
        assert "*" in rows[code].phone
    assert rows["STILLCOME2"].phone == "13900000003"  # its day is still ahead
    assert rows["STILLCOME2"].id_number == "11010519491231002X"
    assert reports(client) == before
    assert sorted(db.session.scalars(select(Case.number))) == numbers
