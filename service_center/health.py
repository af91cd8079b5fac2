"""``/healthz`` and ``/readyz`` for load balancers and orchestrators.

- ``/healthz``: the process answers (no database): restart it when this fails.
- ``/readyz``: the database answers and its schema is at the migration head: send it traffic
  only then (a new release whose migration has not run yet answers 503).
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path
from typing import Any

from flask import Blueprint, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from .db import db

bp = Blueprint("health", __name__)
MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


@functools.cache
def migration_head() -> str | None:
    """The newest migration of this release (read once per process): the one revision no other
    names as its ``down_revision``.

    Read from the migration files' own assignments (``ast``, nothing is run), not through
    alembic: importing alembic and mako for this one answer cost every worker that a load
    balancer asks 11 MB. ``tests/unit/test_migrations.py`` holds it to alembic's answer.
    """
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if not (isinstance(node, ast.Assign) and len(node.targets) == 1):
                continue
            name = getattr(node.targets[0], "id", None)
            if name not in ("revision", "down_revision"):
                continue
            value = ast.literal_eval(node.value)
            named = [value] if isinstance(value, str) else list(value or ())
            (revisions if name == "revision" else parents).update(named)
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def _answer(code: int, **body: Any) -> Any:
    response = jsonify(body)
    response.status_code = code
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/healthz")
def healthz() -> Any:
    return _answer(200, status="ok")


@bp.get("/readyz")
def readyz() -> Any:
    head = migration_head()
    try:
        with db.engine.connect() as conn:
            current = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except SQLAlchemyError:
        return _answer(
            503,
            status="unavailable",
            reason="the database does not answer, or "
            "its schema was never migrated (flask db upgrade)",
        )
    if current != head:
        return _answer(
            503,
            status="unavailable",
            reason="the schema is not at this release's migration",
            schema=current,
            head=head,
        )
    return _answer(200, status="ready", schema=current)
