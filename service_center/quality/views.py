"""The supervisors' quality pages under ``/quality``: one blueprint, its routes in the modules
imported at the end (rectifications, service levels, the one-trip rate and the rankings)."""

from __future__ import annotations

from flask import Blueprint

from . import cli

bp = Blueprint("quality", __name__, url_prefix="/quality")
# ``flask quality check`` (cron, every minute)
bp.cli.add_command(cli.check_command)

from . import figure_views, rectification_views  # noqa: E402,F401  (their routes)
