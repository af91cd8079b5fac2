"""Configuration sources (defaults < instance/config.py < environment) and the secret key."""

from __future__ import annotations

import stat

import pytest

from service_center import create_app
from service_center.db import db


@pytest.fixture
def instance(tmp_path, monkeypatch):
    """An empty instance folder and an environment without deployment variables."""
    monkeypatch.setenv("SERVICE_CENTER_INSTANCE_PATH", str(tmp_path))
    for name in ("DATABASE_URL", "SECRET_KEY", "FLASK_SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def test_environment_overrides_instance_config(instance, monkeypatch):
    (instance / "config.py").write_text('TIMEZONE = "Asia/Urumqi"\nBOOKING_SAME_DAY = True\n')
    monkeypatch.setenv("SERVICE_CENTER_TIMEZONE", "Asia/Harbin")
    monkeypatch.setenv("SERVICE_CENTER_BOOKING_MAX_OPEN_PER_PHONE", "3")
    app = create_app()
    assert app.config["TIMEZONE"] == "Asia/Harbin"
    assert app.config["BOOKING_SAME_DAY"] is True
    assert app.config["BOOKING_MAX_OPEN_PER_PHONE"] == 3  # JSON values arrive typed
    assert app.config["QUEUE_NO_SHOW_MIN_CALLS"] == 2  # the default


@pytest.mark.parametrize(
    ("url", "uri"),
    [
        ("postgresql://sc@db.example/county", "postgresql+psycopg://sc@db.example/county"),
        ("postgres://sc@db.example/county", "postgresql+psycopg://sc@db.example/county"),
        ("sqlite:////srv/sc/center.sqlite", "sqlite:////srv/sc/center.sqlite"),
    ],
)
def test_database_url_from_the_environment_uses_psycopg_3(instance, monkeypatch, url, uri):
    monkeypatch.setenv("DATABASE_URL", url)
    assert create_app().config["SQLALCHEMY_DATABASE_URI"] == uri


def test_without_database_url_sqlite_lives_in_the_instance_folder(instance):
    app = create_app()
    with app.app_context():
        assert db.engine.url.database == str(instance / "service_center.sqlite")


def test_secret_key_is_generated_once_and_kept_private(instance):
    first = create_app().config["SECRET_KEY"]
    second = create_app().config["SECRET_KEY"]
    assert first == second
    assert len(first) >= 64
    key_file = instance / "secret_key"
    assert key_file.read_text().strip() == first
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert [p.name for p in instance.iterdir()] == ["secret_key"]  # no temporary files left


def test_secret_key_from_the_environment_wins(instance, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "from-the-vault")
    assert create_app().config["SECRET_KEY"] == "from-the-vault"
    assert not (instance / "secret_key").exists()


def test_test_config_ignores_the_environment(instance, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://sc@db.example/county")
    app = create_app({"SECRET_KEY": "t", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "sqlite://"
