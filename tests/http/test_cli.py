"""Set-up commands: seed-demo, create-user, issue-token, and their --help."""

from __future__ import annotations

import click
import pytest
from sqlalchemy import func, select

from service_center.auth.models import Role, User
from service_center.auth.services import user_for_token
from service_center.catalogue.models import Center, ServiceItem
from service_center.clock import now_utc
from service_center.db import db
from service_center.windows.models import Window

DEMO_ACCOUNTS = ("zz-clerk", "zz-supervisor", "qh-clerk", "qh-supervisor", "county-admin")


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_seed_demo_loads_the_demo_county_once(runner, app_ctx):
    result = runner.invoke(args=["seed-demo", "--password", "another-pass-1"])
    assert result.exit_code == 0, result.output
    for username in DEMO_ACCOUNTS:
        assert f"{username} " in result.output
    assert "password: another-pass-1" in result.output
    clerk = db.session.scalar(select(User).where(User.username == "zz-clerk"))
    assert clerk.check_password("another-pass-1")

    centers = {c.code: c for c in db.session.scalars(select(Center))}
    assert set(centers) == {"zhuangzhai", "qinghe"}
    items = [i for i in centers["zhuangzhai"].services if i.is_active]
    assert len(centers["zhuangzhai"].windows) == 23
    assert len(items) >= 200
    assert {i.case_type.code for i in items} == {"business", "investment", "livelihood"}
    assert len({i.department_id for i in items}) >= 12
    comprehensive = [w for w in centers["zhuangzhai"].windows if w.is_comprehensive]
    assert len(comprehensive) == 2
    assert all(w.handles(i) for w in comprehensive for i in items)
    assert centers["qinghe"].windows and centers["qinghe"].services

    before = (count(Center), count(Window), count(ServiceItem), count(User))
    again = runner.invoke(args=["seed-demo"])
    assert again.exit_code == 0
    assert "already present" in again.output
    assert (count(Center), count(Window), count(ServiceItem), count(User)) == before


def test_create_user_with_a_password_option(runner, create_center):
    create_center("testtown")
    db.session.commit()
    result = runner.invoke(
        args=["create-user", "wang", "--role", "clerk", "--center", "testtown"]
        + ["--name", "王芳", "--password", "long-enough-1"]
    )
    assert result.exit_code == 0, result.output
    assert "Created clerk wang." in result.output
    user = db.session.scalar(select(User).where(User.username == "wang"))
    assert user.center.code == "testtown" and user.display_name == "王芳"
    assert user.check_password("long-enough-1")


def test_create_user_asks_for_the_password_twice(runner, app_ctx):
    result = runner.invoke(
        args=["create-user", "boss", "--role", "admin"], input="long-enough-1\nlong-enough-1\n"
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.username == "boss"))
    assert user.role is Role.ADMIN and user.center is None
    assert user.check_password("long-enough-1")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--role", "clerk"], "Clerks and supervisors belong to a center: give --center."),
        (["--role", "supervisor", "--center", "atlantis"], "no center has the code 'atlantis'"),
        (["--role", "clerk", "--center", "testtown", "--password", "short"], "at least 10"),
        (["--role", "clerk", "--center", "testtown", "--password", "password123"], "most common"),
        (["--role", "clerk", "--center", "testtown", "--password", "wang-wang-2026"], "username"),
        (["--role", "wizard"], "'wizard' is not one of 'clerk', 'supervisor', 'admin'"),
    ],
)
def test_create_user_refuses_bad_input_clearly(runner, create_center, args, message):
    create_center("testtown")
    db.session.commit()
    result = runner.invoke(args=["create-user", "wang", "--password", "long-enough-1", *args])
    assert result.exit_code != 0
    assert message in result.output
    assert db.session.scalar(select(User).where(User.username == "wang")) is None


def test_create_user_refuses_a_taken_username(runner, world):
    result = runner.invoke(
        args=["create-user", "clerk", "--role", "admin", "--password", "long-enough-1"]
    )
    assert result.exit_code == 1
    assert "The username 'clerk' is taken." in result.output


def test_issue_token_prints_a_token_that_authenticates_as_the_user(runner, world):
    result = runner.invoke(args=["issue-token", "clerk", "--name", "kiosk-1"])
    assert result.exit_code == 0, result.output
    token = result.output.strip()
    assert len(token) >= 40
    assert user_for_token(token, now=now_utc()) == world.users.clerk
    assert user_for_token(token[:-1] + "?", now=now_utc()) is None


def test_issue_token_for_an_unknown_user_fails(runner, app_ctx):
    result = runner.invoke(args=["issue-token", "nobody"])
    assert result.exit_code == 2
    assert "no user 'nobody'" in result.output


@pytest.mark.parametrize(
    ("command", "summary"),
    [
        ("init-db", "Build or update the schema"),
        ("seed-demo", "Load the demo county"),
        ("create-user", "Create a staff account"),
        ("issue-token", "Issue a bearer token for a device"),
    ],
)
def test_set_up_commands_explain_themselves(runner, command, summary):
    result = runner.invoke(args=[command, "--help"])
    assert result.exit_code == 0
    assert summary in result.output


def _commands(group: click.Group, path: tuple[str, ...] = ()):
    for name, command in group.commands.items():
        yield (*path, name), command
        if isinstance(command, click.Group):
            yield from _commands(command, (*path, name))


def test_every_command_has_a_help_text(app, runner):
    """Also the commands areas add (``bp.cli`` groups, reports, booking)."""
    for path, command in _commands(app.cli):
        result = runner.invoke(args=[*path, "--help"])
        assert result.exit_code == 0, path
        if isinstance(command, click.Group):
            continue  # a blueprint's group lists its commands
        summary = " ".join((command.help or "").split("\n\n")[0].split())
        assert summary, f"flask {' '.join(path)} needs a docstring"
        assert summary in " ".join(result.output.split())
