"""The notifications area's blueprint: its commands (``flask notifications …``)."""

from __future__ import annotations

from flask import Blueprint

from . import cli

bp = Blueprint("notifications", __name__)
bp.record_once(lambda state: state.app.cli.add_command(cli.notifications_group))
