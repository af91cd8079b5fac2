"""Set-up and operations commands: ``flask --app service_center <command>``."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import click
from flask import Flask
from flask.cli import with_appcontext
from flask_babel import force_locale
from sqlalchemy import select

from . import audit
from .auth.models import Role, User
from .auth.services import create_user, issue_api_token
from .catalogue.models import Center
from .clock import now_utc
from .db import db
from .demo.cli import seed_history_command
from .demo.seed import seed_demo
from .errors import DomainError


@click.command("init-db")
@with_appcontext
def init_db_command() -> None:
    """Build or update the schema to the latest migration (same as ``db upgrade``)."""
    from flask_migrate import upgrade  # here, not on import: see extensions.Migrations

    upgrade()
    click.echo("Database schema is up to date.")


@click.command("seed-demo")
@click.option("--password", default=None, help="Password for every demo account.")
@with_appcontext
def seed_demo_command(password: str | None) -> None:
    """Load the demo county (two centers, their windows and items, staff) into an empty database.

    Does nothing when a center already exists, so running it twice keeps the data as it is.
    """
    accounts = seed_demo(password) if password else seed_demo()
    db.session.commit()
    if not accounts:
        click.echo("Demo data already present; nothing added.")
        return
    click.echo("Demo data loaded. Staff accounts:")
    for account in accounts:
        click.echo(
            f"  {account.username:<14} {account.role.value:<10} "
            f"{account.center_code or 'county-wide':<11} password: {password or 'demo-pass-2026'}"
        )


@click.command("create-user")
@click.argument("username")
@click.option(
    "--role", type=click.Choice([r.value for r in Role]), required=True, help="The staff role."
)
@click.option(
    "--center",
    "center_code",
    default=None,
    help="Center code (required for clerks and supervisors).",
)
@click.option("--name", "display_name", default="", help="Name shown on screens.")
@click.password_option(help="Password (asked for when not given).")
@with_appcontext
def create_user_command(
    username: str, role: str, center_code: str | None, display_name: str, password: str
) -> None:
    """Create a staff account: a clerk or supervisor of a center, or an admin."""
    center = None
    if center_code:
        center = db.session.scalar(select(Center).where(Center.code == center_code))
        if center is None:
            raise click.BadParameter(
                f"no center has the code {center_code!r}", param_hint="--center"
            )
    try:
        with force_locale("en"):  # the command line speaks English
            user = create_user(username, password, Role(role), center, display_name)
    except DomainError as exc:
        raise click.ClickException(str(exc)) from exc
    user.must_change_password = True  # an initial password: its owner chooses their own
    audit.record(
        "user.create",
        actor=None,
        actor_name="(command line)",
        now=now_utc(),
        obj=user,
        object_label=user.username,
        after={"username": user.username, "role": user.role, "center_id": user.center_id},
    )
    db.session.commit()
    click.echo(f"Created {user.role.value} {user.username}.")


@click.command("issue-token")
@click.argument("username")
@click.option("--name", default="device", help="What the token is for, e.g. 'kiosk-1'.")
@with_appcontext
def issue_token_command(username: str, name: str) -> None:
    """Issue a bearer token for a device that acts as USERNAME; it is shown only once."""
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        raise click.BadParameter(f"no user {username!r}", param_hint="USERNAME")
    now = now_utc()
    token = issue_api_token(user, name, now=now)
    audit.record(
        "token.issue",
        actor=None,
        actor_name="(command line)",
        now=now,
        object_type="api_token",
        object_label=name,
        center_id=user.center_id,
        after={"name": name, "user": user.username, "token": "x"},
    )
    db.session.commit()
    click.echo(token)


@click.command("backup")
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup_command(target: Path) -> None:
    """Write a consistent copy of the SQLite database to TARGET (while the app runs).

    SQLite's online backup API copies page by page under its own read lock, so bookings and
    tickets written meanwhile are either wholly in the copy or not at all. For PostgreSQL use
    pg_dump (docs/deployment.md); this command then only says so.
    """
    url = db.engine.url
    if url.get_backend_name() != "sqlite":
        found = shutil.which("pg_dump")
        where = f"pg_dump is at {found}" if found else "pg_dump is not installed on this host"
        raise click.ClickException(
            f"The database is PostgreSQL: back it up with pg_dump -Fc (docs/deployment.md); "
            f"{where}."
        )
    if target.exists():
        raise click.ClickException(f"{target} exists: choose a new file (nothing was written).")
    target.parent.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(url.database)
    try:
        copy = sqlite3.connect(target)
        try:
            source.backup(copy)
        finally:
            copy.close()
    finally:
        source.close()
    click.echo(f"Copied {url.database} to {target} ({target.stat().st_size:,} bytes).")


def init_app(app: Flask) -> None:
    """Add the set-up commands; each area adds its own (``flask report``, ``flask booking`` …)."""
    for command in (
        init_db_command,
        backup_command,
        seed_demo_command,
        seed_history_command,
        create_user_command,
        issue_token_command,
    ):
        app.cli.add_command(command)
