"""``flask backup``: a consistent copy of the SQLite database, taken while the app runs; a copy
restored gives the same report totals (issue 15)."""

from __future__ import annotations

from unittest.mock import patch

import pytest

from service_center import create_app
from service_center.db import db
from tests.conftest import base_config
from tests.fixtures.queueing import OPENING_MORNING


@pytest.fixture(autouse=True)
def friday_morning():
    with (
        patch("service_center.reports.cli.now_utc", return_value=OPENING_MORNING),
        patch("service_center.demo.cli.now_utc", return_value=OPENING_MORNING),
    ):
        yield


def report(runner) -> str:
    result = runner.invoke(
        args=[
            "report",
            "range",
            "--center",
            "testtown",
            "--from",
            "2026-11-16",
            "--to",
            "2026-11-22",
        ]
    )
    assert result.exit_code == 0, result.output
    return result.output


def test_a_restored_copy_gives_the_same_totals(runner, world, backend, tmp_path):
    if backend != "sqlite":
        result = runner.invoke(args=["backup", str(tmp_path / "copy.sqlite")])
        assert result.exit_code == 1 and "pg_dump" in result.output
        return
    seeded = runner.invoke(
        args=[
            "seed-history",
            "--center",
            "testtown",
            "--per-day",
            "20",
            "--days",
            "7",
            "--until",
            "2026-11-22",
        ]
    )
    assert seeded.exit_code == 0, seeded.output
    before = report(runner)
    assert "20" in before
    target = tmp_path / "backups" / "copy.sqlite"
    result = runner.invoke(args=["backup", str(target)])
    assert result.exit_code == 0, result.output
    assert runner.invoke(args=["backup", str(target)]).exit_code == 1  # never overwrites

    restored = create_app(base_config(f"sqlite:///{target}"))
    try:
        assert report(restored.test_cli_runner()) == before
    finally:
        with restored.app_context():
            db.engine.dispose()
