"""The audit trail: written with each change in its transaction, never changed or deleted,
personal data masked; the page's filters and CSV, and who sees which records."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
from sqlalchemy import delete, func, select, update

from service_center import audit
from service_center.audit import AuditImmutable, AuditRecord
from service_center.db import db

NOW = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)


def add(action: str, *, actor=None, center=None, label: str = "", **changes):
    record = audit.record(
        action,
        actor=actor,
        now=NOW,
        object_type=action.split(".")[0],
        object_label=label,
        center_id=center.id if center else None,
        before={k: v[0] for k, v in changes.items()},
        after={k: v[1] for k, v in changes.items()},
    )
    db.session.commit()
    return record


def test_a_record_cannot_be_changed_or_deleted_through_the_application(world):
    record = add("window.update", actor=world.users.supervisor, center=world.center, number=(1, 2))
    record.action = "window.create"
    with pytest.raises(AuditImmutable):
        db.session.flush()
    db.session.rollback()
    db.session.delete(db.session.get(AuditRecord, record.id))
    with pytest.raises(AuditImmutable):
        db.session.flush()
    db.session.rollback()
    assert db.session.get(AuditRecord, record.id).action == "window.update"


def test_a_bulk_statement_on_the_trail_is_refused_too(world):
    add("window.update", actor=world.users.supervisor, center=world.center, number=(1, 2))
    with pytest.raises(AuditImmutable):
        db.session.execute(update(AuditRecord).values(action="x"))
    with pytest.raises(AuditImmutable):
        db.session.execute(delete(AuditRecord))
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(AuditRecord)) == 1


def test_personal_data_and_secrets_are_masked(world):
    record = add(
        "user.update",
        actor=world.users.admin,
        phone=("13812345678", "13987654321"),
        name=("张三丰", "李四"),
        password=(None, "hunter2"),
    )
    assert record.changes == {
        "name": ["张**", "李*"],
        "password": [None, "(changed)"],
        "phone": ["138****5678", "139****4321"],
    }


def test_a_change_rolled_back_leaves_no_record(world, client, login_as):
    login_as(world.users.supervisor)
    response = client.post(
        "/admin/centers/testtown/windows/new", data={"number": 1, "name_zh": "x", "name_en": "x"}
    )
    assert response.status_code == 422
    assert db.session.scalar(select(func.count()).select_from(AuditRecord)) == 0


def trail_rows(client, **query) -> list[dict[str, str]]:
    response = client.get("/admin/audit.csv", query_string=query)
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


def test_the_trail_filters_by_center_person_object_and_dates(world, client, login_as):
    add("window.update", actor=world.users.supervisor, center=world.center, label="1 商事窗口")
    add("window.update", actor=world.users.other_supervisor, center=world.other, label="1 综合")
    add("center.create", actor=world.users.admin, center=world.other, label="=HYPERLINK()")
    login_as(world.users.admin)
    assert len(trail_rows(client)) == 3
    assert [r["object"] for r in trail_rows(client, center="testtown")] == ["1 商事窗口"]
    assert [r["person"] for r in trail_rows(client, person="other-supervisor")] == [
        "other-supervisor"
    ]
    assert len(trail_rows(client, object_type="window")) == 2
    assert trail_rows(client, since="2026-11-28") == []
    assert len(trail_rows(client, since="2026-11-27", until="2026-11-27")) == 3
    # a formula is shown as text in a spreadsheet
    assert "'=HYPERLINK()" in [r["object"] for r in trail_rows(client)]
    page = client.get("/admin/audit", query_string={"center": "testtown"}).get_data(as_text=True)
    assert "1 商事窗口" in page and "1 综合" not in page


def test_a_supervisor_sees_only_their_centers_records(world, client, login_as):
    add("window.update", actor=world.users.supervisor, center=world.center, label="ours")
    add("window.update", actor=world.users.other_supervisor, center=world.other, label="theirs")
    add("center.create", actor=world.users.admin, label="county")
    login_as(world.users.supervisor)
    assert [r["object"] for r in trail_rows(client)] == ["ours"]
    assert [r["object"] for r in trail_rows(client, center="otherville")] == ["ours"]
    page = client.get("/admin/audit").get_data(as_text=True)
    assert "ours" in page and "theirs" not in page and "county" not in page
