"""Test set-up: every database test runs on SQLite and on PostgreSQL.

``SC_TEST_DATABASES`` (default ``sqlite,postgresql``) picks the backends; ``SC_TEST_PG_URL``
points at the PostgreSQL server (default the machine's, user postgres). Each run creates its
own PostgreSQL database and drops it at the end. Under ``CI=true`` an unreachable
PostgreSQL fails the run instead of skipping.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import text

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
        # the test client and the live server speak plain HTTP
        "SESSION_COOKIE_SECURE": False,
        # every JSON answer of the suite is checked against its OpenAPI declaration
        "API_CHECK_RESPONSES": True,
    }
    config.update(extra)
    return config


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Any) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'test.sqlite'}"
    if request.param == "postgresql":
        return request.getfixturevalue("pg_database")
    raise ValueError(f"unknown backend {request.param}")


@pytest.fixture
def app_config() -> dict[str, Any]:
    """Extra config for one test: override this fixture or update it before ``app`` is used."""
    return {}


@pytest.fixture
def app(database_url: str, app_config: dict[str, Any]) -> Iterator[Flask]:
    app = create_app(base_config(database_url, **app_config))
    limiter.reset()
    with app.app_context():
        if database_url.startswith("sqlite") or database_url not in _pg_schema_ready:
            db.create_all()
            _pg_schema_ready.add(database_url)
    yield app
    with app.app_context():
        db.session.remove()
        if not database_url.startswith("sqlite"):
            tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
            with db.engine.begin() as conn:
                conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
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
    other = create_app(base_config(database_url, **app_config))
    yield other
    with other.app_context():
        db.session.remove()
        db.engine.dispose()
