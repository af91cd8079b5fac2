"""``flask notifications work``: deliver the outbox (docs/deployment.md)."""

from __future__ import annotations

import signal

import click
from flask.cli import AppGroup

from ..clock import now_utc
from ..db import db
from . import reminders, worker

notifications_group = AppGroup("notifications", help="Deliver messages to residents.")


@notifications_group.command("work")
@click.option("--once", is_flag=True, help="Deliver what is due, then stop (for cron).")
@click.option("--idle", default=2.0, show_default=True, help="Seconds to wait when idle.")
def work_command(once: bool, idle: float) -> None:
    """Deliver due messages; several workers may run at once, on several hosts."""
    stopping = {"now": False}

    def stop(signum: int, frame: object) -> None:  # finish the message in hand, then stop
        stopping["now"] = True

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        ended = worker.work(once=once, idle_seconds=idle, should_stop=lambda: stopping["now"])
    finally:
        signal.signal(signal.SIGTERM, previous)
    summary = ", ".join(f"{state}: {n}" for state, n in sorted(ended.items())) or "nothing due"
    click.echo(f"Messages: {summary}.")


@notifications_group.command("remind")
def remind_command() -> None:
    """Write tomorrow's booking reminders where it is reminder time (run every 15 minutes)."""
    written = reminders.send_reminders(now=now_utc())
    db.session.commit()
    click.echo(f"Reminders written: {written}.")
