"""``flask report daily|range|summarise``: the figures in the terminal, the nightly summaries."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import gettext as _
from flask_babel import refresh

from ..catalogue import services as catalogue
from ..catalogue.models import Center
from ..clock import now_utc
from ..errors import NotFound
from . import series, services, summaries
from .formatting import OUTCOME_LABELS, PERCENTILE_NOTE, case_type_sentence, format_duration
from .formatting import format_number as one_decimal
from .services import TOTALS_MAX_DAYS, Durations, Figures, Scope

_DAY = click.DateTime(formats=["%Y-%m-%d"])


def _center(code: str) -> Center:
    try:
        return catalogue.get_center(code)
    except NotFound as exc:
        raise click.BadParameter(f"no center has the code {code!r}", param_hint="--center") from exc


def _scope(code: str) -> Scope:
    if code == services.ALL_CENTERS:
        return Scope(tuple(catalogue.list_centers()), is_county=True)
    return Scope((_center(code),))


def _times(label: str, d: Durations) -> str:
    return _(
        "%(label)s: mean %(mean)s (%(mean_s)s s), 90th percentile %(p90)s (%(p90_s)s s), "
        "%(n)d cases measured",
        label=label,
        mean=format_duration(d.mean),
        mean_s=one_decimal(d.mean),
        p90=format_duration(d.p90),
        p90_s="—" if d.p90 is None else d.p90,
        n=d.count,
    )


def figures_lines(f: Figures, title: str) -> list[str]:
    """The figures as lines of text, labelled as on the pages."""
    name = f.scope.center.name if f.scope.center else _("All centers of the county")
    lines = [f"{name} ({f.scope.code}) · {title}", ""]
    lines.append(
        _("Cases handled (办件)")
        + f": {case_type_sentence(f.counts)} · "
        + _("All case types")
        + f" {f.cases_total}"
    )
    for t in f.case_types:
        outcomes = ", ".join(f"{OUTCOME_LABELS[o]} {n}" for o, n in t.outcomes.items())
        lines.append(f"  {t.case_type.name}: {t.cases} ({outcomes})")
    lines.append(
        _("Tickets issued")
        + f" {f.tickets_issued} ("
        + _("of which walk-in")
        + f" {f.tickets_walk_in}, "
        + _("of which booked")
        + f" {f.tickets_booked}, "
        + _("of which from the phone")
        + f" {f.tickets_remote}) · "
        + _("Assisted (帮办代办)")
        + f" {f.tickets_assisted} · "
        + _("No-shows (过号)")
        + f" {f.no_shows} · "
        + _("Unserved at closing")
        + f" {f.unserved}"
    )
    lines.append(_times(_("Waiting time (issue or check-in → first call)"), f.wait))
    lines.append(_times(_("Service time (start → completion)"), f.service))
    s = f.satisfaction
    lines.append(
        _("Satisfaction (好差评)")
        + f": {_('Ratings')} {s.count} · {_('Mean rating (5 = very satisfied)')} "
        + f"{one_decimal(s.mean)} · {_('Dissatisfied or very dissatisfied (ratings 1–2)')} "
        + f"{s.low} ({one_decimal(s.low_share, '%')})"
    )
    lines += ["", _("Per window")]
    for w in f.windows:
        label = (
            _("Window %(number)d", number=w.window.number) if w.window else _("No window recorded")
        )
        if f.scope.is_county and w.window:
            label = f"{w.window.center.code} {label}"
        lines.append(
            f"  {label}: {w.cases} · {_('No-shows')} {w.no_shows} · "
            f"{_('Mean service time')} {format_duration(w.service.mean)}"
        )
    lines += ["", _("Per clerk")]
    for c in f.clerks:
        who = f"{c.clerk.display_name} ({c.clerk.username})" if c.clerk else _("No clerk recorded")
        lines.append(
            f"  {who}: {c.cases} · {_('Mean service time')} {format_duration(c.service.mean)}"
        )
    lines += ["", _("Top %(n)d items", n=services.TOP_ITEMS)]
    for rank, i in enumerate(f.top_items, 1):
        lines.append(f"  {rank}. {i.item.code} {i.item.name}: {i.cases}")
    lines += ["", str(PERCENTILE_NOTE)]
    return lines


@contextmanager
def _in_language(lang: str) -> Iterator[None]:
    """A request context in ``lang``, so labels and names both follow it (CLI text is Chinese)."""
    with current_app.test_request_context("/", query_string={"lang": lang}):
        refresh()  # the app context may have chosen a language already
        try:
            yield
        finally:
            refresh()


@click.group("report")
def report_group() -> None:
    """Print a center's figures in the terminal (the same as the report pages)."""


@report_group.command("daily")
@click.option("--center", "center_code", required=True, help="Center code, or 'all'.")
@click.option("--date", "day", type=_DAY, default=None, help="YYYY-MM-DD (default today).")
@click.option("--lang", type=click.Choice(["zh_CN", "en"]), default="zh_CN", show_default=True)
@with_appcontext
def daily_command(center_code: str, day: datetime | None, lang: str) -> None:
    """Print one day's totals: cases per case type, tickets, times, windows, clerks, ratings."""
    with _in_language(lang):
        scope = _scope(center_code)
        the_day = day.date() if day else scope.today(now_utc())
        figures = services.compute_figures(scope, the_day, the_day)
        click.echo("\n".join(figures_lines(figures, the_day.isoformat())))


@report_group.command("range")
@click.option("--center", "center_code", required=True, help="Center code, or 'all'.")
@click.option("--from", "first", type=_DAY, required=True, help="First day, YYYY-MM-DD.")
@click.option("--to", "last", type=_DAY, default=None, help="Last day (default today).")
@click.option("--lang", type=click.Choice(["zh_CN", "en"]), default="zh_CN", show_default=True)
@with_appcontext
def range_command(center_code: str, first: datetime, last: datetime | None, lang: str) -> None:
    """Print the totals of a range of days (up to 10 years; "since" a day: give only --from)."""
    with _in_language(lang):
        scope = _scope(center_code)
        end = last.date() if last else scope.today(now_utc())
        start = first.date()
        if start > end:
            raise click.BadParameter("the first day is after the last day", param_hint="--from")
        if (end - start).days + 1 > TOTALS_MAX_DAYS:
            raise click.BadParameter(f"at most {TOTALS_MAX_DAYS} days", param_hint="--to")
        figures = services.compute_figures(scope, start, end)
        click.echo("\n".join(figures_lines(figures, f"{start.isoformat()} – {end.isoformat()}")))


@report_group.command("summarise")
@click.option("--center", "center_code", required=True, help="Center code, or 'all'.")
@click.option(
    "--since", type=_DAY, default=None, help="First day, YYYY-MM-DD (default the first case)."
)
@with_appcontext
def summarise_command(center_code: str, since: datetime | None) -> None:
    """Store the summaries of closed days that range reports read.

    Run it nightly and after seeding history: otherwise the first range report over years
    of cases computes them while the supervisor waits.
    """
    scope = _scope(center_code)
    first = since.date() if since else series.first_case_date(scope)
    if first is None:
        click.echo(f"{scope.code}: no cases yet, nothing to summarise.")
        return
    now = now_utc()
    last = max(summaries.last_closed_day(c, now) for c in scope.centers)
    with click.progressbar(length=max(0, (last - first).days + 1), label="Summarising") as bar:
        stored = summaries.summarise(scope, first, now=now, progress=bar.update)
    click.echo(f"{scope.code}: {stored} day and month summaries from {first.isoformat()}.")
