"""The migrations build exactly the schema the models describe, on both databases."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator

import psycopg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from service_center import create_app
from service_center.db import db
from service_center.health import migration_head
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


def test_ready_only_once_the_schema_is_at_the_migration_head(empty_database, keep_logging):
    """/readyz: 503 before the release's migration ran, 200 after; /healthz answers anyway."""
    app = create_app(base_config(empty_database))
    client = app.test_client()
    assert client.get("/healthz").status_code == 200
    before = client.get("/readyz")
    assert before.status_code == 503 and before.get_json()["status"] == "unavailable"
    with app.app_context():
        try:
            upgrade()
            db.session.remove()
        finally:
            db.engine.dispose()
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.get_json()["schema"] == migration_head()
    with app.app_context():
        try:
            downgrade(revision="-1")  # the schema one migration behind this release
            db.session.remove()
        finally:
            db.engine.dispose()
    behind = client.get("/readyz")
    assert behind.status_code == 503 and behind.get_json()["head"] == migration_head()
    with app.app_context():
        db.engine.dispose()


def test_not_ready_when_the_database_does_not_answer():
    app = create_app(base_config("postgresql://nobody@127.0.0.1:1/none"))
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert app.test_client().get("/healthz").status_code == 200


def test_the_head_readyz_reads_is_alembics():
    """``/readyz`` reads the head from the migration files without alembic (11 MB a worker):
    the same revision alembic names, and every revision file is one of its history."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from service_center.health import MIGRATIONS

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    script = ScriptDirectory.from_config(config)
    assert migration_head() == script.get_current_head() is not None
    history = {revision.revision for revision in script.walk_revisions()}
    assert len(history) == len(list((MIGRATIONS / "versions").glob("*.py")))
