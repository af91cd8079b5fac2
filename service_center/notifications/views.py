"""The notifications area's blueprint: its commands (``flask notifications …``) and what
other pages show of it (``message_health`` on the live floor)."""

from __future__ import annotations

from flask import Blueprint

from . import cli
from .health import message_health

bp = Blueprint("notifications", __name__)
bp.record_once(lambda state: state.app.cli.add_command(cli.notifications_group))
# the live floor (reports) shows how the messages are doing: a template global, so the lower
# area's page never imports this one
bp.add_app_template_global(message_health, "message_health")
