"""Unbound Flask extensions; create_app binds them."""

from __future__ import annotations

from typing import Any

import click
from flask import Flask
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect


class Migrations:
    """Flask-Migrate, imported on first use. It brings alembic, mako and pygments (~10 MB in
    each process), which only ``flask db …``, ``init-db`` and the migration tests need: a web
    worker serving requests should not carry them (``/readyz`` reads the head from the files).

    ``init_app`` puts a stand-in at ``app.extensions["migrate"]`` and a ``db`` command that
    hands over to Flask-Migrate's own; the first look at either binds Flask-Migrate for real.
    """

    def init_app(self, app: Flask, db: Any, **options: Any) -> None:
        app.extensions["migrate"] = _UnboundMigrate(app, db, options)
        app.cli.add_command(_MigrateCommands("db", help="Perform database migrations."))


class _UnboundMigrate:
    def __init__(self, app: Flask, db: Any, options: dict[str, Any]) -> None:
        self._app, self._db, self._options = app, db, options

    def __getattr__(self, name: str) -> Any:
        from flask_migrate import Migrate

        Migrate(self._app, self._db, **self._options)  # replaces this stand-in and the command
        return getattr(self._app.extensions["migrate"], name)


class _MigrateCommands(click.Group):
    def make_context(self, *args: Any, **kwargs: Any) -> click.Context:
        from flask_migrate.cli import db

        return db.make_context(*args, **kwargs)


csrf = CSRFProtect()
login_manager = LoginManager()
migrate = Migrations()
babel = Babel()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
