"""Calendar commands: a center's own days (``flask booking closure …``) and the nation's
(``flask calendar load|status``). They live beside the bookings a closure strands."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import force_locale

from ..catalogue import calendar, holidays
from ..catalogue import services as catalogue
from ..clock import now_utc, to_local
from ..db import db
from ..errors import NotFound
from . import availability, retention, waitlist
from .models import Appointment


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
    stranded = availability.open_bookings(_day(day), _day(day), center)
    db.session.commit()
    note = f"; {len(stranded)} open booking(s) that day, tell those residents" if stranded else ""
    click.echo(f"{center.code} closed on {_day(day).isoformat()}{note}.")
    _echo_bookings(stranded)


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


@click.command("purge-personal-data")
@click.option("--dry-run", is_flag=True, help="Say what would be erased; change nothing.")
@with_appcontext
def purge_command(dry_run: bool) -> None:
    """Erase or mask personal data past its retention (docs/deployment.md).

    Applicants of cases closed PERSONAL_DATA_RETENTION_DAYS ago; cancelled and no-show
    bookings and waiting-list places BOOKING_RETENTION_DAYS after their day. Report totals
    and case numbers stay.
    """
    done = retention.purge_personal_data(now=now_utc(), dry_run=dry_run)
    if not dry_run:
        db.session.commit()
    verb = "Would erase" if dry_run else "Erased"
    click.echo(
        f"{verb}: the applicant of {done.cases} case(s) and {done.tickets} ticket(s), "
        f"{done.bookings_of_cases} booking(s) of those cases, "
        f"{done.bookings_unused} cancelled or no-show booking(s), "
        f"{done.waitlist_entries} waiting-list place(s)."
    )


@click.command("waitlist")
@with_appcontext
def waitlist_command() -> None:
    """End the waiting lists' lapsed offers, offering each place to the next in line, and
    the places in line of days that have passed (cron: every minute)."""
    done = waitlist.expire_offers(now=now_utc())
    db.session.commit()
    click.echo(
        f"Waiting lists: {done.expired} lapsed offer(s) ended, {done.offered} place(s) "
        f"offered to the next in line, {done.ended} place(s) of past days ended."
    )


COMMANDS = (closure_command, special_opening_command, clear_day_command, waitlist_command)


def _echo_bookings(appointments: list[Appointment]) -> None:
    """List bookings for the operator: code, center, day, time and item; no personal data."""
    for a in appointments:
        click.echo(
            f"  {a.code}  {a.center.code}  {a.service_date.isoformat()} "
            f"{a.start_time:%H:%M}  {a.service_item.code} {a.service_item.name_zh}"
        )
    if appointments:
        click.echo("  Their booking pages show the closure; the residents can move or cancel.")


@click.group("calendar")
def calendar_group() -> None:
    """The national holidays: which source each year has, and loading a year's notice."""


@calendar_group.command("load")
@click.argument("year", type=click.IntRange(1900, 2099))
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def load_command(year: int, path: Path) -> None:
    """Load YEAR's official arrangement (the State Council's 放假通知) from a CSV file.

    Columns: date (YYYY-MM-DD), kind ("holiday" for a weekday off, "working day" for a
    调休 weekend worked), name_zh, name_en. It replaces the library's or the rule's days of
    YEAR (and any notice loaded before); a file with any wrong row changes nothing. The
    bookings on days it closes are listed.
    """
    try:
        rows = holidays.parse_notice(year, path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise click.ClickException(
            f"{path} is not UTF-8 text (Excel: save as 'CSV UTF-8'); nothing was loaded."
        ) from exc
    except holidays.NoticeFileInvalid as exc:
        with force_locale("en"):
            problems = "\n".join(f"  {p}" for p in exc.problems)
        raise click.ClickException(
            f"{path} has {len(exc.problems)} wrong row(s); nothing was loaded:\n{problems}"
        ) from exc
    stranded = _replace_notice(year, rows)
    off = sum(r.is_holiday for r in rows)
    click.echo(f"Loaded the {year} notice: {off} day(s) off, {len(rows) - off} weekend(s) worked.")
    for day, name in holidays.missing_statutory_days(year, rows):
        click.echo(f"  note: {day} ({name}) is a statutory holiday, yet not a day off in the file")
    for day, off_by_notice in holidays.library_differences(year, rows):
        now = "off" if off_by_notice else "a working day"
        click.echo(f"  note: {day} is {now} now; chinese-calendar says otherwise")
    _echo_stranded(stranded)


@calendar_group.command("unload")
@click.argument("year", type=click.IntRange(1900, 2099))
@with_appcontext
def unload_command(year: int) -> None:
    """Remove YEAR's loaded notice: the library's or the rule's days count again."""
    stranded = _replace_notice(year, [])
    click.echo(f"Removed the {year} notice; {year} now comes from: {_source_label(year)}.")
    _echo_stranded(stranded)


def _replace_notice(year: int, rows: list[holidays.NoticeRow]) -> list[Appointment]:
    """Store ``rows`` as ``year``'s notice, commit; return the bookings it leaves on closed days."""
    today = to_local(now_utc(), current_app.config["TIMEZONE"]).date()
    change = availability.replace_notice(year, rows, today=today)
    db.session.commit()
    return change.stranded()


def _echo_stranded(stranded: list[Appointment]) -> None:
    if stranded:
        click.echo(f"{len(stranded)} open booking(s) fall on days now closed:")
    _echo_bookings(stranded)


def _source_label(year: int) -> str:
    return SOURCE_LABELS[dict(calendar.year_sources(date(year, 1, 1), date(year, 1, 1)))[year]]


SOURCE_LABELS = {
    holidays.CalendarSource.NOTICE: "loaded notice",
    holidays.CalendarSource.LIBRARY: "chinese-calendar (the official arrangement)",
    holidays.CalendarSource.RULE: "computed by rule: statutory days only, no 调休",
    holidays.CalendarSource.WEEKENDS: "unknown: weekends only",
}


@calendar_group.command("status")
@with_appcontext
def status_command() -> None:
    """List each year in the booking horizon and where its holidays come from."""
    today, last = calendar.look_ahead(now_utc())
    counts = calendar.notice_counts()
    for year, source in calendar.year_sources(today, last):
        line = f"{year}  {SOURCE_LABELS[source]}"
        if source is holidays.CalendarSource.NOTICE:
            off, worked = counts[year]
            line += f" ({off} day(s) off, {worked} weekend(s) worked)"
        elif source is holidays.CalendarSource.RULE:
            line += f"; load the notice when published: flask calendar load {year} FILE.csv"
        click.echo(line)
