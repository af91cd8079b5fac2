"""The SQLAlchemy base, the ``db`` handle, UTC datetimes and per-dialect connection set-up."""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import DateTime, Enum, MetaData, event, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import DeclarativeBase, Session
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)


class UTCDateTime(TypeDecorator):
    """An aware UTC datetime on every database (SQLite keeps it naive on disk)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; pass an aware datetime")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


@event.listens_for(Engine, "connect")
def _configure_sqlite(dbapi_connection: Any, connection_record: Any) -> None:
    """Switch on foreign keys, WAL and a busy timeout; let SQLAlchemy emit BEGIN itself."""
    module = type(dbapi_connection).__module__
    if not module.startswith("sqlite3"):
        return
    dbapi_connection.isolation_level = None  # we emit BEGIN ourselves (see _sqlite_begin)
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


_begin_immediate: ContextVar[bool] = ContextVar("begin_immediate", default=False)


@event.listens_for(Engine, "begin")
def _sqlite_begin(conn: Any) -> None:
    """Start SQLite transactions ourselves: IMMEDIATE inside ``write_transaction``."""
    if conn.dialect.name != "sqlite":
        return
    conn.exec_driver_sql("BEGIN IMMEDIATE" if _begin_immediate.get() else "BEGIN")


def write_transaction(*, keep_loaded: bool = False) -> None:
    """Make sure the session's transaction holds SQLite's write lock from its first statement.

    On SQLite a transaction that reads and then writes can fail with "database is locked"
    when another writer got in between; ``BEGIN IMMEDIATE`` makes writers queue instead.
    A read-only transaction already open is ended first, so loaded objects are read again
    under the lock; inside a write transaction already started this does nothing, so domain
    functions can call it and still compose. On PostgreSQL it only starts the transaction:
    callers lock the rows they race for (``FOR UPDATE``, conditional updates) themselves.

    :param keep_loaded: keep the objects loaded before as they are (no reload): for callers
        that read again, locked (``populate_existing``), every row they decide on, and use
        the rest (the caller, catalogue rows) only for ids and settings.
    :raises RuntimeError: when the session holds changes of a transaction not started here.
    """
    session = db.session()
    if session.in_transaction():
        if session.info.get("write_transaction") is session.get_transaction():
            return
        if holds_changes(session):
            raise RuntimeError("write_transaction() must start the unit of work")
        _commit(session, expire=not keep_loaded)
    token = _begin_immediate.set(True)
    try:
        session.connection()
    finally:
        _begin_immediate.reset(token)
    session.info["write_transaction"] = session.get_transaction()


def holds_changes(session: Session) -> bool:
    """Tell whether the session has changes not yet committed (pending or already flushed)."""
    return bool(session.new or session.dirty or session.deleted or session.info.get("flushed"))


@contextmanager
def write_connection() -> Iterator[Connection]:
    """A transaction on a connection of its own, holding SQLite's write lock from the start
    (``BEGIN IMMEDIATE``, as ``write_transaction`` does for the session); committed on leaving."""
    token = _begin_immediate.set(True)
    try:
        with db.engine.begin() as conn:
            yield conn
    finally:
        _begin_immediate.reset(token)


def insert_for(dialect: str) -> Callable[..., Any]:
    """The ``insert`` with ``on_conflict_do_update`` of ``dialect`` (both speak the same SQL)."""
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


def _commit(session: Session, *, expire: bool) -> None:
    kept = session.expire_on_commit
    session.expire_on_commit = expire
    try:
        session.commit()
    finally:
        session.expire_on_commit = kept


@contextmanager
def committed_for_response() -> Iterator[None]:
    """Commit, and build the response inside the block from the objects just written.

    The objects keep what this transaction wrote and read (the committed state) instead of
    being expired and loaded again one by one; on leaving the block they are expired as a
    plain commit would have left them.
    """
    session = db.session()
    _commit(session, expire=False)
    try:
        yield
    finally:
        session.expire_all()


@event.listens_for(Session, "after_flush")
def _note_flush(session: Session, flush_context: Any) -> None:
    session.info["flushed"] = True


@event.listens_for(Session, "after_transaction_end")
def _forget_flush(session: Session, transaction: Any) -> None:
    if transaction.parent is None:
        session.info.pop("flushed", None)
        session.info.pop("write_transaction", None)


def is_postgresql() -> bool:
    """Tell whether the session talks to PostgreSQL."""
    return db.session.get_bind().dialect.name == "postgresql"


def ping() -> None:
    """Run a trivial query (health checks)."""
    db.session.execute(text("SELECT 1"))


def str_enum(enum_class: type[enum.Enum], name: str) -> Enum:
    """A VARCHAR column type holding an enum's values, with a CHECK constraint on both databases."""
    return Enum(
        enum_class,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=max(len(m.value) for m in enum_class),
        validate_strings=True,
        values_callable=lambda e: [m.value for m in e],
    )
