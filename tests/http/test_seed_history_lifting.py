"""``flask seed-history``: plain indexes (and on PostgreSQL foreign keys) lifted while writing,
put back as they were; a failure leaves schema and data as they were."""

from __future__ import annotations

from datetime import date
from unittest.mock import patch

import pytest
from sqlalchemy import func, select, text

from service_center.db import db
from service_center.demo import bulk
from service_center.demo.history import TABLES, seed_history
from service_center.queueing.models import Case, Evaluation, Ticket
from tests.fixtures.queueing import OPENING_MORNING

#: PostgreSQL only: waiting for the tables to lift (SQLite's seeding holds the write lock)
postgresql_only = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


@pytest.fixture(autouse=True)
def friday_morning():
    with patch("service_center.demo.cli.now_utc", return_value=OPENING_MORNING):
        yield


def schema() -> set[tuple]:
    """Every constraint and index of the seeded tables, with its definition."""
    if db.session.get_bind().dialect.name == "sqlite":  # constraints are part of the table
        rows = db.session.execute(
            text(
                "SELECT type, name, tbl_name, sql FROM sqlite_master "
                "WHERE tbl_name IN ('tickets', 'cases', 'evaluations')"
            )
        ).all()
        return {tuple(row) for row in rows}
    constraints = db.session.execute(
        text(
            "SELECT conrelid::regclass::text, conname, contype, convalidated, "
            "pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = ANY(CAST(:tables AS regclass[]))"
        ),
        {"tables": list(TABLES)},
    ).all()
    indexes = db.session.execute(
        text("SELECT tablename, indexname, indexdef FROM pg_indexes WHERE tablename = ANY(:t)"),
        {"t": list(TABLES)},
    ).all()
    return {tuple(row) for row in constraints} | {tuple(row) for row in indexes}


def foreign_keys(rows: set[tuple]) -> int:
    return sum(1 for row in rows if len(row) == 5 and row[2] == "f")


def plain_indexes(rows: set[tuple]) -> int:
    """The indexes made by CREATE INDEX (not unique) of either database's ``schema()``."""
    return sum(1 for row in rows if "CREATE INDEX" in (row[-1] or ""))


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def seed(runner, *args: str):
    return runner.invoke(
        args=["seed-history", "--center", "testtown", "--per-day", "20", "--days", "7"]
        + ["--until", "2026-11-22", *args]
    )


def test_seeding_puts_back_every_foreign_key_and_index(runner, world):
    before = schema()
    lifted: list[str] = []
    name = "_lift" if db.session.get_bind().dialect.name == "postgresql" else "_lift_sqlite"
    lift = getattr(bulk, name)
    with patch.object(bulk, name, lambda tables: lifted.extend(lift(tables)) or lifted):
        result = seed(runner)
    assert result.exit_code == 0, result.output
    assert "testtown: 100 cases, 105 tickets" in result.output
    # every plain index was lifted, and on PostgreSQL every foreign key too
    assert len(lifted) == plain_indexes(before) + foreign_keys(before)
    assert plain_indexes(before) >= 10
    db.session.rollback()
    assert schema() == before
    orphans = db.session.scalar(
        select(func.count())
        .select_from(Case)
        .outerjoin(Ticket, Ticket.id == Case.ticket_id)
        .where(Ticket.id.is_(None))
    )
    assert count(Case) == 100 and orphans == 0


def test_a_failure_mid_seed_leaves_schema_and_data_as_they_were(app_ctx, world):
    before = schema()
    write = bulk.BulkWriter.write

    def fail_at_cases(self, table, columns, packed):
        if table == "cases":  # the tickets are written, the checks lifted
            raise RuntimeError("disk full")
        write(self, table, columns, packed)

    with patch.object(bulk.BulkWriter, "write", fail_at_cases), pytest.raises(RuntimeError):
        seed_history(
            world.center,
            first=date(2026, 11, 16),
            last=date(2026, 11, 20),
            per_day=20,
            today=date(2026, 11, 27),
        )
    db.session.commit()  # even a caller that commits after the failure keeps nothing of it
    assert schema() == before
    assert count(Ticket) == count(Case) == count(Evaluation) == 0


@postgresql_only
def test_tables_in_use_refuse_lifting_but_not_a_live_seed(runner, world, app):
    db.session.commit()
    reader = db.engine.connect()
    try:
        reader.execute(text("LOCK TABLE tickets IN ACCESS SHARE MODE"))  # a reader
        with patch.object(bulk, "LIFT_LOCK_TIMEOUT", "200ms"):
            refused = seed(runner)
        assert refused.exit_code != 0 and count(Case) == 0
        assert "--live" in refused.output
        db.session.rollback()
        live = seed(runner, "--live")
        assert live.exit_code == 0, live.output
    finally:
        reader.rollback()
        reader.close()
    assert count(Case) == 100
