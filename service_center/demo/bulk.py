"""Writing many rows fast, without the ORM: ids taken ahead, values formatted once, COPY.

On PostgreSQL each batch is one ``COPY … FROM STDIN`` (psycopg); on SQLite one
``executemany`` of a plain INSERT, inside the caller's write transaction. Values are formatted
the way SQLAlchemy stores them (``UTCDateTime`` keeps naive UTC text with microseconds on
SQLite), so rows written here compare and read back exactly like rows the app writes.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from sqlalchemy import text

from ..db import db, is_postgresql

_TIMES = [f"{h:02d}:{m:02d}:{s:02d}" for h in range(24) for m in range(60) for s in range(60)]
_EPOCH = date(1970, 1, 1)
#: SQLite's page cache while seeding (KiB, negative = size): random-order unique indexes fit
SQLITE_CACHE_KIB = 262_144
SQLITE_DEFAULT_CACHE_KIB = 2_000


class BulkWriter:
    """Format values for the session's database and write rows in batches."""

    def __init__(self) -> None:
        self.postgres = is_postgresql()
        if self.postgres:
            self.true, self.false, self.null, self._suffix = "t", "f", "\\N", "+00"
        else:
            self.true, self.false, self.null, self._suffix = 1, 0, None, ".000000"
        self._days: dict[int, str] = {}
        self._next_id: dict[str, int] = {}

    def __enter__(self) -> BulkWriter:
        if not self.postgres:
            db.session.execute(text(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}"))
        return self

    def __exit__(self, *exc: Any) -> None:
        if not self.postgres:
            db.session.execute(text(f"PRAGMA cache_size=-{SQLITE_DEFAULT_CACHE_KIB}"))

    def stamp(self, epoch: int) -> str:
        """A UTC moment given in whole seconds since 1970, as the database stores it."""
        day_number, second = divmod(epoch, 86400)
        day = self._days.get(day_number)
        if day is None:
            day = self._days[day_number] = (_EPOCH + timedelta(days=day_number)).isoformat()
        return f"{day} {_TIMES[second]}{self._suffix}"

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

    def write(self, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        """Insert ``rows`` (values formatted by this writer) into ``table``."""
        if not rows:
            return
        names = ", ".join(columns)
        connection = db.session.connection()
        if not self.postgres:
            marks = ", ".join("?" * len(columns))
            connection.exec_driver_sql(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)
            return
        data = "".join("\t".join(map(str, row)) + "\n" for row in rows)
        with connection.connection.driver_connection.cursor() as cursor:
            with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                copy.write(data)
