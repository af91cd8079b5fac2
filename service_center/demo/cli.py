"""``flask seed-demo`` \'s companion: ``flask seed-history``, realistic past days in bulk."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import click
from flask.cli import with_appcontext

from ..catalogue import services as catalogue
from ..catalogue.models import Center
from ..clock import local_date, now_utc
from ..db import db
from ..errors import DomainError, NotFound
from . import history

_DAY = click.DateTime(formats=["%Y-%m-%d"])

#: the most calendar days ``seed-history`` fills at once (50 years: a benchmark's 5 million
#: cases at a hall's ~900 a working day span 22)
HISTORY_MAX_DAYS = 18_263


def _center(code: str) -> Center:
    try:
        return catalogue.get_center(code)
    except NotFound as exc:
        raise click.BadParameter(f"no center has the code {code!r}", param_hint="--center") from exc


@click.command("seed-history")
@click.option("--center", "center_code", required=True, help="Center code.")
@click.option(
    "--days",
    type=click.IntRange(1, HISTORY_MAX_DAYS),
    default=365,
    show_default=True,
    help="Calendar days back from --until (up to 50 years); only working days get cases.",
)
@click.option(
    "--per-day",
    type=click.IntRange(1, 100_000),
    default=200,
    show_default=True,
    help="Cases per working day.",
)
@click.option("--until", type=_DAY, default=None, help="Last day (default yesterday).")
@click.option("--seed", type=int, default=2026, show_default=True, help="Random seed.")
@click.option(
    "--live",
    is_flag=True,
    help="The app is serving this database: keep the tables' foreign keys and indexes in "
    "place so it can go on working (slower on PostgreSQL).",
)
@with_appcontext
def seed_history_command(
    center_code: str, days: int, per_day: int, until: datetime | None, seed: int, live: bool
) -> None:
    """Generate realistic past days of cases, tickets and ratings in bulk (benchmarks, demos).

    Refuses (and adds nothing) when any of the days already has cases or tickets. The plain
    indexes of the tables written (and on PostgreSQL their foreign keys) are lifted and put
    back at the end; on PostgreSQL that locks those tables until then: pass --live when the
    app is running.
    """
    center = _center(center_code)
    today = local_date(now_utc(), center.timezone)
    last: date = until.date() if until else today - timedelta(days=1)
    first = last - timedelta(days=days - 1)
    try:
        history.refuse_overlap(center, first, last)
        plan = history.working_days(center, first, last)
        with click.progressbar(length=len(plan), label="Seeding history") as bar:
            result = history.seed_history(
                center,
                first=first,
                last=last,
                per_day=per_day,
                today=today,
                seed=seed,
                live=live,
                progress=bar.update,
            )
    except DomainError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(
        f"{center.code}: {result.cases} cases, {result.tickets} tickets, "
        f"{result.evaluations} ratings on {len(result.days)} working days "
        f"({first.isoformat()} – {last.isoformat()})."
    )
