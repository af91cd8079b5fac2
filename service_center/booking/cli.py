"""Commands for a center's own calendar: ``flask --app service_center booking closure …``."""

from __future__ import annotations

from datetime import date, datetime

import click
from flask.cli import with_appcontext

from ..catalogue import services as catalogue
from ..db import db
from ..errors import NotFound
from . import availability


def _center(code: str):
    try:
        return catalogue.get_center(code)
    except NotFound as exc:
        raise click.BadParameter(f"no center has the code {code!r}", param_hint="CENTER") from exc


def _day(value: datetime) -> date:
    return value.date()


_DAY = click.DateTime(formats=["%Y-%m-%d"])


@click.command("closure")
@click.argument("center_code", metavar="CENTER")
@click.argument("day", type=_DAY, metavar="YYYY-MM-DD")
@click.option("--reason-zh", default="", help="Reason shown to residents in Chinese.")
@click.option("--reason-en", default="", help="Reason shown to residents in English.")
@with_appcontext
def closure_command(center_code: str, day: datetime, reason_zh: str, reason_en: str) -> None:
    """Close CENTER on a day it would open (e.g. a holiday the calendar does not know)."""
    center = _center(center_code)
    availability.set_center_day(
        center, _day(day), is_open=False, reason_zh=reason_zh, reason_en=reason_en
    )
    waiting = availability.count_open_bookings(center, _day(day))
    db.session.commit()
    note = f"; {waiting} open booking(s) that day, tell those residents" if waiting else ""
    click.echo(f"{center.code} closed on {_day(day).isoformat()}{note}.")


@click.command("special-opening")
@click.argument("center_code", metavar="CENTER")
@click.argument("day", type=_DAY, metavar="YYYY-MM-DD")
@click.option("--reason-zh", default="", help="Reason shown to residents in Chinese.")
@click.option("--reason-en", default="", help="Reason shown to residents in English.")
@with_appcontext
def special_opening_command(
    center_code: str, day: datetime, reason_zh: str, reason_en: str
) -> None:
    """Open CENTER on a day it would be closed (a make-up working day, a Saturday service)."""
    center = _center(center_code)
    availability.set_center_day(
        center, _day(day), is_open=True, reason_zh=reason_zh, reason_en=reason_en
    )
    db.session.commit()
    click.echo(f"{center.code} opens on {_day(day).isoformat()}.")


@click.command("clear-day")
@click.argument("center_code", metavar="CENTER")
@click.argument("day", type=_DAY, metavar="YYYY-MM-DD")
@with_appcontext
def clear_day_command(center_code: str, day: datetime) -> None:
    """Remove CENTER's own closure or special opening on a day (the calendar decides again)."""
    center = _center(center_code)
    removed = availability.remove_center_day(center, _day(day))
    db.session.commit()
    state = "removed" if removed else "none entered"
    click.echo(f"{center.code} {_day(day).isoformat()}: exception {state}.")


COMMANDS = (closure_command, special_opening_command, clear_day_command)
