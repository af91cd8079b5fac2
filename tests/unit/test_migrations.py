"""The migrations build exactly the schema the models describe, on both databases."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator

import psycopg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade

from service_center import create_app
from service_center.db import db
from tests.conftest import BACKENDS, IN_CI, PG_SERVER, _pg_url, base_config


@pytest.fixture
def keep_logging() -> Iterator[None]:
    """migrations/env.py runs logging.fileConfig, which disables every other logger."""
    manager = logging.Logger.manager
    disabled = {
        name: lg.disabled for name, lg in manager.loggerDict.items() if hasattr(lg, "disabled")
    }
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for name, logger in manager.loggerDict.items():
        if hasattr(logger, "disabled"):
            logger.disabled = disabled.get(name, False)
    root.handlers[:], root.level = handlers, level


@pytest.fixture(params=BACKENDS)
def empty_database(request, tmp_path) -> Iterator[str]:
    """A database with no tables at all (a fresh PostgreSQL database, dropped afterwards)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.sqlite'}"
        return
    name = f"sc_migrate_{uuid.uuid4().hex[:10]}"
    try:
        admin = psycopg.connect(PG_SERVER, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        if IN_CI:
            pytest.fail(f"PostgreSQL is unreachable at {PG_SERVER} under CI=true: {exc}")
        pytest.skip(f"PostgreSQL is unreachable at {PG_SERVER}: {exc}")
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    yield _pg_url(name)
    with psycopg.connect(PG_SERVER, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_upgrade_builds_the_schema_of_the_models(empty_database, keep_logging):
    app = create_app(base_config(empty_database))
    with app.app_context():
        try:
            upgrade()
            with db.engine.connect() as conn:
                context = MigrationContext.configure(conn, opts={"compare_type": True})
                differences = compare_metadata(context, db.metadata)
        finally:
            db.engine.dispose()
    assert not differences, "migrations/ is behind the models:\n" + "\n".join(map(str, differences))
