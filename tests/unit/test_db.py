"""Database set-up: SQLite pragmas and locking, foreign keys, transactions, UTC datetimes."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError, StatementError

from service_center import create_app
from service_center.catalogue.models import Department
from service_center.db import db, write_transaction
from service_center.windows.models import Window
from tests.conftest import base_config


@pytest.fixture
def sqlite_app(tmp_path):
    """An app on a SQLite file, whatever backends the run tests."""
    path = tmp_path / "center.sqlite"
    app = create_app(base_config(f"sqlite:///{path}"))
    with app.app_context():
        db.create_all()
        yield app, path
        db.session.remove()
        db.engine.dispose()


def test_sqlite_connections_use_foreign_keys_wal_and_a_busy_timeout(sqlite_app):
    with db.engine.connect() as conn:
        pragma = {
            name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()
            for name in ("foreign_keys", "journal_mode", "busy_timeout", "synchronous")
        }
    assert pragma == {
        "foreign_keys": 1,
        "journal_mode": "wal",
        "busy_timeout": 30000,
        "synchronous": 1,
    }


def test_write_transaction_holds_the_sqlite_write_lock_from_the_start(sqlite_app):
    _, path = sqlite_app
    write_transaction()
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        other.execute("BEGIN IMMEDIATE")
    db.session.rollback()
    other.execute("BEGIN IMMEDIATE")  # free again once the transaction ends
    other.close()


def test_write_transaction_refuses_to_start_after_changes(app_ctx):
    db.session.add(Department(code="early", name_zh="提前", name_en="Early"))
    with pytest.raises(RuntimeError):
        write_transaction()


def test_foreign_keys_are_enforced(app_ctx):
    db.session.add(Window(center_id=9999, number=1, name_zh="幽灵窗口", name_en="Ghost"))
    with pytest.raises(IntegrityError):
        db.session.flush()


def test_rollback_undoes_flushed_rows_and_savepoints_roll_back_alone(app_ctx):
    db.session.add(Department(code="kept", name_zh="保留", name_en="Kept"))
    with db.session.begin_nested() as savepoint:
        db.session.add(Department(code="dropped", name_zh="撤销", name_en="Dropped"))
        db.session.flush()
        savepoint.rollback()
    db.session.commit()
    assert db.session.scalars(select(Department.code)).all() == ["kept"]

    db.session.add(Department(code="undone", name_zh="撤回", name_en="Undone"))
    db.session.flush()
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Department)) == 1


def test_datetimes_come_back_as_aware_utc(app_ctx, create_center):
    center = create_center()
    shanghai_nine = datetime(2026, 11, 27, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    window = Window(
        center=center, number=1, name_zh="窗", name_en="W", state_changed_dt=shanghai_nine
    )
    db.session.add(window)
    db.session.commit()
    db.session.expire_all()
    assert window.state_changed_dt == datetime(2026, 11, 27, 1, 0, tzinfo=UTC)
    assert window.state_changed_dt.tzinfo is UTC
    stored = db.session.execute(text("SELECT state_changed_dt FROM windows")).scalar()
    if isinstance(stored, str):  # SQLite keeps text: it must be the UTC time, not local 09:00
        assert stored.startswith("2026-11-27 01:00:00")
    else:
        assert stored == datetime(2026, 11, 27, 1, 0, tzinfo=UTC)


def test_naive_datetimes_are_refused(app_ctx, create_center):
    center = create_center()
    db.session.add(
        Window(
            center=center,
            number=1,
            name_zh="窗",
            name_en="W",
            state_changed_dt=datetime(2026, 11, 27, 9),
        )
    )
    with pytest.raises(StatementError, match="naive datetime"):
        db.session.flush()
