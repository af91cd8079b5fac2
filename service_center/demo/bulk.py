"""Writing many rows fast, without the ORM: ids taken ahead, values formatted once, COPY.

On PostgreSQL each batch is one ``COPY … FROM STDIN`` (psycopg); on SQLite one
``executemany`` of a plain INSERT, inside the caller's write transaction. Values are formatted
the way SQLAlchemy stores them (``UTCDateTime`` keeps naive UTC text with microseconds on
SQLite), so rows written here compare and read back exactly like rows the app writes.

The writer can also lift the plain (non-unique) indexes of the tables it fills, and on
PostgreSQL their foreign keys, and put them back when done: a row-by-row foreign-key check
costs more than the insert itself, and an index kept up to date row by row more than one built
afterwards, while ``ADD CONSTRAINT`` checks every row in one join and ``CREATE INDEX`` builds
in one sort. The statements that put them back are read from the catalogue
(``pg_get_constraintdef``, ``pg_get_indexdef``; SQLite's ``sqlite_master``), so the schema
comes back exactly as it was, and all of it happens under a savepoint: a failure rolls back
the rows and the lifting together. Primary keys, unique constraints and checks stay in place
throughout, and so do SQLite's foreign keys (they are part of its tables; checked against
primary keys, they cost little).
"""

from __future__ import annotations

import base64
import functools
import json
import os
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import SessionTransaction

from ..db import db, is_postgresql
from ..errors import Conflict

_EPOCH = date(1970, 1, 1)
#: SQLite's page cache while seeding (KiB, negative = size): random-order unique indexes fit
SQLITE_CACHE_KIB = 262_144
SQLITE_DEFAULT_CACHE_KIB = 2_000
#: how long lifting the checks waits for the tables (a running app's requests) before giving up
LIFT_LOCK_TIMEOUT = "10s"
#: memory for each index build when the lifted indexes are put back
RESTORE_MAINTENANCE_MEM = "256MB"

#: what ``_lift`` takes away, each with the statement that puts it back: plain indexes (not
#: unique, not behind a constraint) and foreign keys (they refer to primary keys, which stay)
_LIFTED = text(
    """
    SELECT format('DROP INDEX %s', i.indexrelid::regclass), pg_get_indexdef(i.indexrelid)
    FROM pg_index i
    WHERE i.indrelid = ANY(CAST(:tables AS regclass[])) AND NOT i.indisunique
      AND NOT EXISTS (SELECT FROM pg_constraint c WHERE c.conindid = i.indexrelid
                      AND c.conrelid = i.indrelid)
    UNION ALL
    SELECT format('ALTER TABLE %s DROP CONSTRAINT %I', c.conrelid::regclass, c.conname),
           format('ALTER TABLE %s ADD CONSTRAINT %I %s', c.conrelid::regclass, c.conname,
                  pg_get_constraintdef(c.oid))
    FROM pg_constraint c
    WHERE c.contype = 'f' AND c.conrelid = ANY(CAST(:tables AS regclass[]))
    """
)
#: the same on SQLite: the indexes made by CREATE INDEX (origin 'c') that are not unique
_SQLITE_LIFTED = text(
    """
    SELECT 'DROP INDEX "' || m.name || '"', m.sql
    FROM sqlite_master m JOIN pragma_index_list(m.tbl_name) i ON i.name = m.name
    WHERE m.type = 'index' AND m.tbl_name IN (SELECT value FROM json_each(:tables))
      AND NOT i."unique" AND i.origin = 'c'
    """
)


@functools.cache
def _times_of_day() -> list[str]:
    """Every second of a day as "HH:MM:SS", formatted once. Built on first use, not on import:
    its 86,400 strings (~6 MB) would sit in every web worker, which imports this for the CLI."""
    return [f"{h:02d}:{m:02d}:{s:02d}" for h in range(24) for m in range(60) for s in range(60)]


class TablesBusy(Conflict):
    default_message = _l(
        "The tables are in use (is the app running on this database?); nothing was added. "
        "Stop it, or seed with --live."
    )


class BulkWriter:
    """Format values for the session's database and write rows in batches.

    :param lift: tables whose plain indexes (and, on PostgreSQL, foreign keys) are lifted
        while writing and put back on leaving. On PostgreSQL lifting locks those tables and the
        ones they refer to until the transaction ends, so the app cannot use them meanwhile (on
        SQLite the caller's write lock already keeps its writers waiting; readers see the
        tables as they were until the commit).
    :raises TablesBusy: on entering, when the tables to lift stay locked by others (PostgreSQL).
    """

    def __init__(self, *, lift: Sequence[str] = ()) -> None:
        self.postgres = is_postgresql()
        if self.postgres:
            self.true, self.false, self.null, self._suffix = "t", "f", "\\N", "+00"
        else:
            self.true, self.false, self.null, self._suffix = 1, 0, None, ".000000"
        self._days: dict[int, str] = {}
        self._times = _times_of_day()
        self._next_id: dict[str, int] = {}
        self._lift = list(lift)
        self._restore: list[str] = []
        self._savepoint: SessionTransaction | None = None

    def __enter__(self) -> BulkWriter:
        if not self.postgres:
            db.session.execute(text(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}"))
        if self._lift:
            self._savepoint = db.session.begin_nested()
            try:
                self._restore = _lift(self._lift) if self.postgres else _lift_sqlite(self._lift)
            except BaseException:
                self._savepoint.rollback()
                raise
        return self

    def __exit__(self, exc_type: Any, *exc: Any) -> None:
        try:
            if self._savepoint is not None:
                self._put_back(failed=exc_type is not None)
        finally:
            if not self.postgres:
                db.session.execute(text(f"PRAGMA cache_size=-{SQLITE_DEFAULT_CACHE_KIB}"))

    def _put_back(self, *, failed: bool) -> None:
        """Build what was lifted again, or, ``failed``, roll back the rows and the lifting."""
        assert self._savepoint is not None
        if failed:
            self._savepoint.rollback()  # the rows and the lifting, whatever failed
            return
        if self.postgres:
            db.session.execute(
                text("SELECT set_config('maintenance_work_mem', :mem, true)"),
                {"mem": RESTORE_MAINTENANCE_MEM},
            )
        connection = db.session.connection()
        try:
            for statement in self._restore:
                connection.exec_driver_sql(statement)
        except BaseException:
            self._savepoint.rollback()
            raise
        self._savepoint.commit()

    def stamp(self, epoch: int) -> str:
        """A UTC moment given in whole seconds since 1970, as the database stores it."""
        day_number, second = divmod(epoch, 86400)
        day = self._days.get(day_number)
        if day is None:
            day = self._days[day_number] = (_EPOCH + timedelta(days=day_number)).isoformat()
        return f"{day} {self._times[second]}{self._suffix}"

    def flag(self, value: bool) -> Any:
        return self.true if value else self.false

    def text(self, value: str) -> str:
        if not self.postgres:
            return value
        return (
            value.replace("\\", "\\\\")
            .replace("\t", "\\t")
            .replace("\n", "\\n")
            .replace("\r", "\\r")
        )

    @staticmethod
    def tokens(n: int) -> list[str]:
        """``n`` unguessable ticket tokens (96 bits each, like ``secrets.token_urlsafe(12)``)."""
        encoded = base64.urlsafe_b64encode(os.urandom(12 * n)).decode()
        return [encoded[i * 16 : (i + 1) * 16] for i in range(n)]

    def take_ids(self, table: str, n: int) -> list[int]:
        """Reserve ``n`` ids of ``table``: from its sequence (PostgreSQL), else above its highest.

        On SQLite the caller holds the write lock, so nobody else takes ids meanwhile.
        """
        if n == 0:
            return []
        if self.postgres:  # one row (an array), not n rows through the result machinery
            return list(
                db.session.execute(
                    text(
                        "SELECT array_agg(nextval(pg_get_serial_sequence(:table, 'id'))) "
                        "FROM generate_series(1, :n)"
                    ),
                    {"table": table, "n": n},
                ).scalar_one()
            )
        if table not in self._next_id:
            highest = db.session.execute(text(f"SELECT coalesce(max(id), 0) FROM {table}"))
            self._next_id[table] = int(highest.scalar_one()) + 1
        first = self._next_id[table]
        self._next_id[table] = first + n
        return list(range(first, first + n))

    def pack(self, rows: list[tuple[Any, ...]]) -> Any:
        """``rows`` (values formatted by this writer) ready for ``write``: COPY text on
        PostgreSQL, the rows as they are on SQLite. Touches no session, so another thread can
        pack the next batch while the database writes this one."""
        if not self.postgres:
            return rows
        return "".join("\t".join(map(str, row)) + "\n" for row in rows).encode()

    def write(self, table: str, columns: Sequence[str], packed: Any) -> None:
        """Insert rows ``pack`` made ready into ``table``."""
        if not packed:
            return
        names = ", ".join(columns)
        connection = db.session.connection()
        if not self.postgres:
            marks = ", ".join("?" * len(columns))
            connection.exec_driver_sql(f"INSERT INTO {table} ({names}) VALUES ({marks})", packed)
            return
        with connection.connection.driver_connection.cursor() as cursor:
            with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                copy.write(packed)


def _lift_sqlite(tables: Sequence[str]) -> list[str]:
    """Drop the plain indexes of ``tables`` (SQLite); return the statements that put them back.
    The caller holds the write lock, so nothing waits here."""
    lifted = db.session.execute(_SQLITE_LIFTED, {"tables": json.dumps(list(tables))}).all()
    connection = db.session.connection()
    for drop, _restore in lifted:
        connection.exec_driver_sql(drop)
    return [restore for _drop, restore in lifted]


def _lift(tables: Sequence[str]) -> list[str]:
    """Drop the foreign keys and plain indexes of ``tables``; return the statements that put
    them back.

    :raises TablesBusy: when a table stays locked longer than ``LIFT_LOCK_TIMEOUT``.
    """
    lifted = db.session.execute(_LIFTED, {"tables": list(tables)}).all()
    previous = db.session.execute(
        text("SELECT current_setting('lock_timeout'), set_config('lock_timeout', :wait, true)"),
        {"wait": LIFT_LOCK_TIMEOUT},
    ).first()
    connection = db.session.connection()
    try:
        for drop, _restore in lifted:
            connection.exec_driver_sql(drop)
    except OperationalError as exc:
        if getattr(exc.orig, "sqlstate", None) == "55P03":  # lock_not_available
            raise TablesBusy() from exc
        raise
    db.session.execute(
        text("SELECT set_config('lock_timeout', :wait, true)"), {"wait": previous[0]}
    )
    return [restore for _drop, restore in lifted]
