"""Staff accounts and device tokens."""

from __future__ import annotations

import functools
import secrets
from datetime import datetime, timedelta
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import bindparam, insert, select, update

from .. import audit
from ..catalogue.models import Center
from ..db import db, write_connection
from ..errors import Conflict, Invalid
from .models import ApiToken, Role, User

#: a device token's use is written down (``last_used_dt`` and the audit trail) at most this often
TOKEN_USE_PRECISION = timedelta(hours=1)


def authenticate(username: str, password: str) -> User | None:
    """Return the enabled user with these credentials, or None."""
    user = db.session.scalar(select(User).where(User.username == username.strip()))
    if user is None or not user.is_enabled or not user.check_password(password):
        return None
    return user


def sign_in(username: str, password: str, *, now: datetime) -> User | None:
    """``authenticate``, with each attempt audited and an account locked after
    ``AUTH_LOCK_AFTER`` failures in a row for ``AUTH_LOCK_MINUTES``.

    While locked, even the right password is refused, with the same answer as a wrong one (the
    answer never tells whether an account exists or is locked). A failure names the account
    only when the username is one (a password typed into the username field is never stored).
    """
    known = db.session.scalar(select(User).where(User.username == username.strip()))
    if known is not None and known.locked_until is not None and known.locked_until > now:
        audit.record(
            "auth.sign_in_locked",
            actor=known,
            now=now,
            center_id=known.center_id,
        )
        return None
    if known is not None and known.is_enabled and known.check_password(password):
        known.failed_sign_ins = 0
        known.locked_until = None
        audit.record("auth.sign_in", actor=known, now=now, center_id=known.center_id)
        return known
    audit.record(
        "auth.sign_in_failed",
        actor=known,
        actor_name=known.username if known is not None else "",
        now=now,
        center_id=known.center_id if known is not None else None,
        object_label="" if known is not None else _("unknown username"),
    )
    if known is not None:
        known.failed_sign_ins += 1
        if known.failed_sign_ins >= current_app.config["AUTH_LOCK_AFTER"]:
            minutes = current_app.config["AUTH_LOCK_MINUTES"]
            known.locked_until = now + timedelta(minutes=minutes)
            known.failed_sign_ins = 0
            audit.record(
                "auth.lock",
                actor=None,
                actor_name=known.username,
                now=now,
                obj=known,
                object_label=known.username,
                after={"locked_until": known.locked_until},
            )
    return None


def unlock(user: User, *, actor: User, now: datetime) -> User:
    """Lift an account's lock before it runs out (audited)."""
    if user.locked_until is not None and user.locked_until > now:
        before = {"locked_until": user.locked_until}
        user.locked_until = None
        user.failed_sign_ins = 0
        audit.record(
            "auth.unlock",
            actor=actor,
            now=now,
            obj=user,
            object_label=user.username,
            before=before,
            after={"locked_until": None},
        )
    return user


def change_password(user: User, current: str, new: str, *, now: datetime) -> None:
    """Set a new password the user chose, knowing the current one.

    :raises Invalid: for a wrong current password, or a new one too short or unchanged.
    """
    if not user.check_password(current):
        raise Invalid(_("The current password is wrong."), field="current")
    check_new_password(new, user.username)
    if current == new:
        raise Invalid(_("Choose a password different from the current one."), field="new")
    user.set_password(new)
    user.must_change_password = False
    audit.record(
        "auth.password_change",
        actor=user,
        obj=user,
        object_label=user.username,
        now=now,
        before={"password": None},
        after={"password": "x"},
    )


def check_new_password(password: str, username: str = "", *, field: str = "new") -> None:
    """The rules of a staff password: long enough, not the username, not a common one.

    :raises Invalid: naming the broken rule (field ``new``).
    """
    minimum = current_app.config["PASSWORD_MIN_LENGTH"]
    if len(password) < minimum:
        raise Invalid(_("The password needs at least %(n)d characters.", n=minimum), field=field)
    folded = password.strip().lower()
    if username and username.strip().lower() in folded:
        raise Invalid(_("The password must not contain the username."), field=field)
    if folded in common_passwords():
        raise Invalid(
            _("This password is among the most common ones: choose another."), field=field
        )


@functools.cache
def common_passwords() -> frozenset[str]:
    """Passwords every guesser tries first (common_passwords.txt, one a line, lower case)."""
    text = (Path(__file__).parent / "common_passwords.txt").read_text(encoding="utf-8")
    return frozenset(line.strip().lower() for line in text.splitlines() if line.strip())


def create_user(
    username: str,
    password: str,
    role: Role,
    center: Center | None,
    display_name: str = "",
) -> User:
    """Add a staff account.

    :raises Invalid: when a clerk or supervisor has no center, or the password is short.
    :raises Conflict: when the username is taken.
    """
    if role is not Role.ADMIN and center is None:
        raise Invalid("Clerks and supervisors belong to a center: give --center.", field="center")
    check_new_password(password, username, field="password")
    if db.session.scalar(select(User.id).where(User.username == username)) is not None:
        raise Conflict(f"The username {username!r} is taken.", field="username")
    user = User(
        username=username,
        role=role,
        center=center,
        display_name=display_name or username,
    )
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


def issue_api_token(user: User, name: str, *, now: datetime) -> str:
    """Create a bearer token for a device acting as ``user``; return it (shown once)."""
    token = secrets.token_urlsafe(32)
    db.session.add(ApiToken(user=user, name=name, token_hash=ApiToken.hash(token), created_dt=now))
    db.session.flush()
    return token


def user_for_token(token: str, *, now: datetime) -> User | None:
    """Return the enabled user a live bearer token belongs to.

    The token's use is written down at most once per ``TOKEN_USE_PRECISION`` (its
    ``last_used_dt`` and an ``auth.token_used`` audit record), on a connection of its own, so a
    device's every call costs one statement, as before.
    """
    row = db.session.execute(_user_by_token_hash(), {"token_hash": ApiToken.hash(token)}).first()
    if row is None:
        return None
    user, token_id, token_name, last_used = row
    if last_used is None or now - last_used >= TOKEN_USE_PRECISION:
        _note_token_use(user, token_id, token_name, now=now)
    return user


def _note_token_use(user: User, token_id: int, name: str, *, now: datetime) -> None:
    with write_connection() as conn:
        conn.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_dt=now))
        conn.execute(
            insert(audit.AuditRecord),
            [
                audit.values(
                    "auth.token_used",
                    actor=user,
                    now=now,
                    object_type="api_token",
                    object_id=str(token_id),
                    object_label=name,
                    center_id=user.center_id,
                )
            ],
        )


@functools.cache
def _user_by_token_hash():
    # built once: every bearer request (the clerks' devices) looks its caller up
    return (
        select(User, ApiToken.id, ApiToken.name, ApiToken.last_used_dt)
        .join(ApiToken, ApiToken.user_id == User.id)
        .where(
            ApiToken.token_hash == bindparam("token_hash"),
            ApiToken.revoked_dt.is_(None),
            User.is_enabled,
        )
    )
