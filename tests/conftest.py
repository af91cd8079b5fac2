"""Test set-up: every database test runs on SQLite and on PostgreSQL.

``SC_TEST_DATABASES`` (default ``sqlite,postgresql``) picks the backends; ``SC_TEST_PG_URL``
points at the PostgreSQL server (default the machine's, user postgres). Each run creates its
own PostgreSQL database and drops it at the end. Under ``CI=true`` an unreachable
PostgreSQL fails the run instead of skipping.
"""

from __future__ import annotations

import importlib.metadata
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from jinja2.bccache import Bucket, BytecodeCache
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from werkzeug.routing.rules import Rule

from service_center import create_app
from service_center.db import db
from service_center.extensions import limiter

pytest_plugins = [
    "tests.fixtures.catalogue",
    "tests.fixtures.queueing",
    "tests.fixtures.booking",
    "tests.fixtures.desk",
    "tests.fixtures.reports",
    "tests.fixtures.statements",
    "tests.fixtures.admin",
    "tests.fixtures.notifications",
    "tests.fixtures.rectifications",
]

IN_CI = os.environ.get("CI", "").lower() == "true"
BACKENDS = [
    b.strip()
    for b in os.environ.get("SC_TEST_DATABASES", "sqlite,postgresql").split(",")
    if b.strip()
]
PG_SERVER = os.environ.get("SC_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def _pg_url(dbname: str) -> str:
    base, _, _ = PG_SERVER.rpartition("/")
    return f"{base}/{dbname}"


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """Create a PostgreSQL database for this run and drop it afterwards; yield its URL."""
    name = f"sc_test_{uuid.uuid4().hex[:10]}"
    try:
        admin = psycopg.connect(PG_SERVER, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        if IN_CI:
            pytest.fail(f"PostgreSQL is unreachable at {PG_SERVER} under CI=true: {exc}")
        pytest.skip(f"PostgreSQL is unreachable at {PG_SERVER}: {exc}")
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = _pg_url(name).replace("postgresql://", "postgresql+psycopg://", 1)
    yield url
    with psycopg.connect(PG_SERVER, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


_pg_schema_ready: set[str] = set()


# -- fixed costs of a fresh app per test ------------------------------------------------------
# Every test builds its own app (create_app) on its own data. Two things in that are the same
# for every app of the run and cost more than the test itself: werkzeug turning each of the
# ~200 URL rules into Python code, and Jinja compiling each template a test renders. Both are
# pure functions of their input, so the run computes each once and hands the result to every app.


def _share_url_builders() -> None:
    """Compile each URL rule's builder once per run instead of once per app.

    werkzeug 3.1's ``Rule._compile_builder`` generates and compiles a function from the rule's
    parsed parts (``_trace``), the names of its defaults and ``append_unknown``; everything else
    (converters, query encoding) the function reads from the rule it is bound to when called.
    The same inputs give the same code, so the function is shared. Another werkzeug version is
    left alone (slower, never wrong).
    """
    if not importlib.metadata.version("werkzeug").startswith("3.1."):
        return
    compile_builder = Rule._compile_builder
    if getattr(compile_builder, "shared_by_tests", False):
        return
    built: dict[tuple[Any, ...], Callable[..., tuple[str, str]]] = {}

    def shared(self: Rule, append_unknown: bool = True) -> Callable[..., tuple[str, str]]:
        defaults = self.defaults or {}
        if any(dynamic and name in defaults for dynamic, name in self._trace):
            # a default folded into the code through its converter: compile as werkzeug does
            return compile_builder(self, append_unknown)
        key = (self.rule, tuple(self._trace), tuple(defaults), append_unknown)
        if key not in built:
            built[key] = compile_builder(self, append_unknown)
        return built[key]

    shared.shared_by_tests = True  # type: ignore[attr-defined]
    Rule._compile_builder = shared  # type: ignore[method-assign]


_share_url_builders()


class _RunBytecodeCache(BytecodeCache):
    """Jinja's compiled templates kept in memory for the run (checked against the source)."""

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        code = self._code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: Bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()

    def clear(self) -> None:
        self._code.clear()


_TEMPLATES = _RunBytecodeCache()


def make_app(url: str, **extra: Any) -> Flask:
    """``create_app`` for a test: the run's compiled templates, a fresh app otherwise."""
    app = create_app(base_config(url, **extra))
    # every app of the run has the same Jinja environment options, extensions and loader
    app.jinja_env.bytecode_cache = _TEMPLATES
    return app


def base_config(url: str, **extra: Any) -> dict[str, Any]:
    config = {
        "TESTING": True,
        "SECRET_KEY": "test",
        "SQLALCHEMY_DATABASE_URI": url,
        "SQLALCHEMY_ENGINE_OPTIONS": {"hide_parameters": True},
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_STORAGE_URI": "memory://",
        # a test reads the board right after changing it (tests/http/test_display_api.py
        # covers the version kept between polls)
        "DISPLAY_VERSION_TTL": 0,
        # likewise a ticket's poll (tests/http/test_ticket_poll.py covers the answer kept)
        "TICKET_POLL_TTL": 0,
        "TICKET_POSITION_SLACK": 0,
        # the test client and the live server speak plain HTTP
        "SESSION_COOKIE_SECURE": False,
        # every JSON answer of the suite is checked against its OpenAPI declaration
        "API_CHECK_RESPONSES": True,
    }
    config.update(extra)
    return config


@pytest.fixture(scope="session")
def sqlite_schema(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file holding the empty schema (``db.create_all``), built once per run."""
    path = tmp_path_factory.mktemp("schema") / "schema.sqlite"
    app = create_app(base_config(f"sqlite:///{path}"))
    with app.app_context():
        db.create_all()
        db.engine.dispose()
    # the last connection closed checkpoints the WAL into the file: the file is all of it
    assert not path.with_name(path.name + "-wal").exists()
    return path


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Any) -> str:
    if request.param == "sqlite":
        # a copy of the empty schema: what create_all would build, without building it again
        path = tmp_path / "test.sqlite"
        shutil.copyfile(request.getfixturevalue("sqlite_schema"), path)
        return f"sqlite:///{path}"
    if request.param == "postgresql":
        return request.getfixturevalue("pg_database")
    raise ValueError(f"unknown backend {request.param}")


@pytest.fixture
def app_config() -> dict[str, Any]:
    """Extra config for one test: override this fixture or update it before ``app`` is used."""
    return {}


def _empty_postgresql() -> None:
    """Leave every table empty and every id sequence at its start, as TRUNCATE ... RESTART
    IDENTITY would; but delete only from the tables holding rows (TRUNCATE of all ~30 tables
    costs most of a second each test, DELETE of a few rows a few milliseconds).

    VACUUM then gives those tables back their pages and counts, as TRUNCATE would: the next
    test's rows start on an empty table again, and what reads the planner's row count
    (``pg_class.reltuples``, e.g. seed-history deciding whether lifting pays) reads 0, not
    what an earlier test left.
    """
    tables = db.metadata.sorted_tables
    with db.engine.begin() as conn:
        used = set(
            conn.execute(
                text(
                    " UNION ALL ".join(
                        f"SELECT '{t.name}' WHERE EXISTS (SELECT FROM \"{t.name}\")" for t in tables
                    )
                )
            ).scalars()
        )
        # children before parents (a cycle of foreign keys, should one come: TRUNCATE them all)
        try:
            with conn.begin_nested():
                for table in reversed(tables):
                    if table.name in used:
                        conn.execute(text(f'DELETE FROM "{table.name}"'))
        except IntegrityError:
            names = ", ".join(f'"{t.name}"' for t in tables)
            conn.execute(text(f"TRUNCATE {names} CASCADE"))
        # the id sequences owned by the tables' columns that handed out a value
        sequences = conn.execute(
            text(
                "SELECT quote_ident(s.schemaname) || '.' || quote_ident(s.sequencename) "
                "FROM pg_sequences s "
                "JOIN pg_class c ON c.relname = s.sequencename "
                "JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = s.schemaname "
                "JOIN pg_depend d ON d.objid = c.oid AND d.deptype IN ('a', 'i') "
                "JOIN pg_class t ON t.oid = d.refobjid "
                "WHERE s.last_value IS NOT NULL AND t.relname = ANY(:tables) "
                "AND t.relnamespace = n.oid"
            ),
            {"tables": [t.name for t in tables]},
        ).scalars()
        for sequence in sequences:
            conn.execute(text(f"ALTER SEQUENCE {sequence} RESTART"))
    if used:
        with db.engine.connect() as conn:
            names = ", ".join(f'"{t.name}"' for t in tables if t.name in used)
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(text(f"VACUUM {names}"))


@pytest.fixture
def app(database_url: str, app_config: dict[str, Any]) -> Iterator[Flask]:
    app = make_app(database_url, **app_config)
    limiter.reset()
    if not database_url.startswith("sqlite") and database_url not in _pg_schema_ready:
        with app.app_context():
            db.create_all()
        _pg_schema_ready.add(database_url)
    yield app
    with app.app_context():
        db.session.remove()
        if not database_url.startswith("sqlite"):
            _empty_postgresql()
        db.engine.dispose()


@pytest.fixture
def app_ctx(app: Flask) -> Iterator[Flask]:
    with app.app_context():
        yield app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture
def backend(database_url: str) -> str:
    return "sqlite" if database_url.startswith("sqlite") else "postgresql"


@pytest.fixture
def other_worker(database_url: str, app_config: dict[str, Any]) -> Iterator[Flask]:
    """A second app on the same database: another worker, with per-process copies of its own."""
    other = make_app(database_url, **app_config)
    yield other
    with other.app_context():
        db.session.remove()
        db.engine.dispose()
