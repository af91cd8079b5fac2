"""A web worker imports only what serving needs: Flask-Migrate (alembic, mako, pygments) and the
seeding's tables cost each gunicorn worker ~16 MB, so they wait until a command uses them."""

from __future__ import annotations

import os
import subprocess
import sys

from service_center import create_app
from tests.conftest import base_config

PROBE = """
import sys
from service_center import create_app
from service_center.demo import bulk
from service_center.health import migration_head

create_app()
assert migration_head()  # what /readyz answers a load balancer with, in every worker
tooling = {"alembic", "flask_migrate", "mako", "pygments"}
print(sorted({m.split(".")[0] for m in sys.modules} & tooling))
print(bulk._times_of_day.cache_info().currsize)
"""


def test_building_the_app_and_its_readiness_import_no_migration_tooling(tmp_path):
    env = {**os.environ, "SERVICE_CENTER_INSTANCE_PATH": str(tmp_path)}
    out = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=True
    ).stdout.split("\n")
    assert out[:2] == ["[]", "0"]


def test_the_db_command_hands_over_to_flask_migrate(tmp_path):
    app = create_app(base_config(f"sqlite:///{tmp_path / 'fresh.sqlite'}"))
    runner = app.test_cli_runner()
    assert "-x, --x-arg" in runner.invoke(args=["db", "--help"]).output
    # alembic prints to the sys.stdout of its first import, so only the exit code is read here
    result = runner.invoke(args=["db", "heads"])
    assert result.exit_code == 0, result.output
    assert type(app.extensions["migrate"]).__module__ == "flask_migrate"
    assert app.extensions["migrate"].directory.endswith("migrations")
