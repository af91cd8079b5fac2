"""A database connection the server closed (a restart, a failover, an idle timeout on a
firewall) is replaced before use: the worker's next request answers, never a 500 (issue 15).

PostgreSQL only: SQLite has no server to close a connection.
"""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy import text

from service_center import create_app
from service_center.db import db
from tests.conftest import PG_SERVER, base_config


@pytest.fixture
def pg_app(pg_database):
    app = create_app(base_config(pg_database))
    with app.app_context():
        db.create_all()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_a_request_after_the_server_closed_the_connection_answers(pg_app):
    client = pg_app.test_client()
    assert client.get("/api/v1/centers").status_code == 200  # the pool now holds a connection
    with pg_app.app_context():
        name = db.engine.url.database
    with psycopg.connect(PG_SERVER, autocommit=True) as admin:
        killed = admin.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            (name,),
        ).fetchone()[0]
    assert killed >= 1
    response = client.get("/api/v1/centers")
    assert response.status_code == 200
    with pg_app.app_context():
        assert db.session.execute(text("SELECT 1")).scalar() == 1
