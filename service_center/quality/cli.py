"""The quality loop's commands: ``flask quality check`` (cron, every minute)."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from ..catalogue.models import Center
from ..clock import now_utc
from ..db import db
from .service_levels import check_service_levels


@click.command("check")
@click.option("--center", "center_code", metavar="CODE", help="Only this center (default: all).")
@with_appcontext
def check_command(center_code: str | None) -> None:
    """Open, extend or end the service-level breaches (服务时限预警) of every center, or of
    CODE; run it every minute from cron."""
    query = select(Center.code).order_by(Center.code)
    if center_code:
        query = query.where(Center.code == center_code)
    codes = list(db.session.scalars(query))
    if center_code and not codes:
        raise click.BadParameter(f"no center has the code {center_code!r}", param_hint="--center")
    now = now_utc()
    open_total = 0
    for code in codes:
        center = db.session.scalar(select(Center).where(Center.code == code))
        open_total += len(check_service_levels(center, now))
        db.session.commit()  # one transaction per center: one slow center holds no other
    click.echo(f"Checked {len(codes)} center(s): {open_total} breach(es) open.")


COMMANDS = (check_command,)
