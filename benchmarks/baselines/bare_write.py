"""The least a write can cost on this stack: a bare Flask-SQLAlchemy app on the same database.

``POST /rows`` inserts one row; ``POST /call-next`` takes the oldest waiting row in one
transaction, the way call-next must: ``BEGIN IMMEDIATE`` on SQLite, ``FOR UPDATE SKIP LOCKED``
on PostgreSQL; ``GET /rows/<id>`` reads one row (for reference: what one ORM query costs).
SQLite connections get the app's own settings (WAL, synchronous=NORMAL, a busy timeout), so
the baseline differs from the app only by what the app does on top.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import Any

from flask import Flask, jsonify
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import DateTime, Index, String, create_engine, event, func, insert, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)


class Row(db.Model):
    __tablename__ = "bench_rows"

    id: Mapped[int] = mapped_column(primary_key=True)
    state: Mapped[str] = mapped_column(String(10), default="waiting")
    created_dt: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    called_dt: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("ix_bench_rows_state_id", "state", "id"),)


def _sqlite_connect(dbapi_connection: Any, connection_record: Any) -> None:
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_begin(conn: Any) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def _configure(engine: Engine) -> None:
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)


def database_uri(url: str) -> str:
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def create_app() -> Flask:
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = database_uri(os.environ["DATABASE_URL"])
    db.init_app(app)
    with app.app_context():
        _configure(db.engine)

    @app.get("/")
    def index() -> str:
        return "bare write"

    @app.get("/rows/<int:row_id>")
    def get_row(row_id: int) -> Any:
        row = db.get_or_404(Row, row_id)
        return jsonify(id=row.id, state=row.state)

    @app.post("/rows")
    def add_row() -> Any:
        row = Row(state="waiting", created_dt=datetime.now(UTC))
        db.session.add(row)
        db.session.commit()
        return jsonify(id=row.id), 201

    @app.post("/call-next")
    def call_next() -> Any:
        stmt = select(Row).where(Row.state == "waiting").order_by(Row.id).limit(1)
        if db.engine.dialect.name == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True)
        row = db.session.scalar(stmt)
        if row is None:
            db.session.rollback()
            return "", 204
        row.state = "called"
        row.called_dt = datetime.now(UTC)
        row_id = row.id
        db.session.commit()
        return jsonify(id=row_id)

    return app


def prepare(url: str, waiting: int) -> None:
    """Create the table if needed and top it up to ``waiting`` waiting rows."""
    engine = create_engine(database_uri(url))  # the caller's process sets SQLite up (or not)
    try:
        Base.metadata.create_all(engine)
        with engine.connect() as conn:
            have = conn.scalar(select(func.count()).where(Row.state == "waiting")) or 0
        missing = waiting - have
        if missing > 0:
            # a transaction of its own that writes first: it waits for SQLite's lock
            with engine.begin() as conn:
                now = datetime.now(UTC)
                conn.execute(insert(Row), [{"state": "waiting", "created_dt": now}] * missing)
    finally:
        engine.dispose()
