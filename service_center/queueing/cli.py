"""Queue settings staff change at run time: ``flask --app service_center queueing …``."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from ..catalogue.models import CaseType, Center
from ..clock import now_utc
from ..db import db
from .closing import close_day
from .models import WalkInCap


def _center(code: str) -> Center:
    center = db.session.scalar(select(Center).where(Center.code == code))
    if center is None:
        raise click.BadParameter(f"no center has the code {code!r}", param_hint="CENTER")
    return center


@click.command("kiosk-priority")
@click.argument("center_code", metavar="CENTER")
@click.argument("state", type=click.Choice(["on", "off"]))
@with_appcontext
def kiosk_priority_command(center_code: str, state: str) -> None:
    """Offer the priority lane (绿色通道) at CENTER's kiosk, or let only staff grant it."""
    center = _center(center_code)
    center.kiosk_priority_enabled = state == "on"
    db.session.commit()
    click.echo(f"Priority lane at the {center.code} kiosk: {state}.")


@click.command("walk-in-cap")
@click.argument("center_code", metavar="CENTER")
@click.argument("case_type_code", metavar="CASE_TYPE")
@click.argument("cap", metavar="CAP|none")
@with_appcontext
def walk_in_cap_command(center_code: str, case_type_code: str, cap: str) -> None:
    """Cap CENTER's walk-in tickets per day for CASE_TYPE (e.g. business 80), or 'none'."""
    center = _center(center_code)
    case_type = db.session.scalar(select(CaseType).where(CaseType.code == case_type_code))
    if case_type is None:
        raise click.BadParameter(f"no case type {case_type_code!r}", param_hint="CASE_TYPE")
    row = db.session.get(WalkInCap, (center.id, case_type.id))
    if cap == "none":
        if row is not None:
            db.session.delete(row)
        db.session.commit()
        click.echo(f"No cap on {case_type.code} walk-ins at {center.code}.")
        return
    if not cap.isdigit():
        raise click.BadParameter("a whole number of tickets, or 'none'", param_hint="CAP")
    if row is None:
        row = WalkInCap(center_id=center.id, case_type_id=case_type.id, daily_cap=int(cap))
        db.session.add(row)
    row.daily_cap = int(cap)
    db.session.commit()
    click.echo(f"At most {cap} {case_type.code} walk-in tickets a day at {center.code}.")


@click.command("close-day")
@click.option("--center", "center_code", metavar="CENTER", help="Only this center.")
@with_appcontext
def close_day_command(center_code: str | None) -> None:
    """Close every day that has ended: sign windows off, end waiting and called tickets
    unserved, mark bookings never checked in as no-shows.

    Idempotent and harmless before closing time (it then only clears earlier days): run it
    from a scheduler every few minutes (docs/deployment.md).
    """
    if center_code:
        centers = [_center(center_code)]
    else:
        centers = list(db.session.scalars(select(Center).order_by(Center.code)))
    now = now_utc()
    for center in centers:
        done = close_day(center, now=now)
        db.session.commit()
        if not done.changed:
            click.echo(f"{center.code}: closed through {done.through}; nothing was left open.")
            continue
        windows = ", ".join(str(n) for n in done.windows) or "none"
        others = "".join(f"; {name.replace('_', ' ')}: {n}" for name, n in done.others.items())
        click.echo(
            f"{center.code}: closed through {done.through}; windows signed off: {windows}; "
            f"tickets unserved: {len(done.unserved)}{others}."
        )


COMMANDS = (kiosk_priority_command, walk_in_cap_command)
