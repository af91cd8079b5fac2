"""Staff accounts and device tokens."""

from __future__ import annotations

import functools
import secrets
from datetime import datetime

from sqlalchemy import bindparam, select

from ..catalogue.models import Center
from ..db import db
from ..errors import Conflict, Invalid
from .models import ApiToken, Role, User


def authenticate(username: str, password: str) -> User | None:
    """Return the enabled user with these credentials, or None."""
    user = db.session.scalar(select(User).where(User.username == username.strip()))
    if user is None or not user.is_enabled or not user.check_password(password):
        return None
    return user


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
    if len(password) < 8:
        raise Invalid("The password needs at least 8 characters.", field="password")
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


def user_for_token(token: str) -> User | None:
    """Return the enabled user a live bearer token belongs to."""
    return db.session.scalar(_user_by_token_hash(), {"token_hash": ApiToken.hash(token)})


@functools.cache
def _user_by_token_hash():
    # built once: every bearer request (the clerks' devices) looks its caller up
    return (
        select(User)
        .join(ApiToken, ApiToken.user_id == User.id)
        .where(
            ApiToken.token_hash == bindparam("token_hash"),
            ApiToken.revoked_dt.is_(None),
            User.is_enabled,
        )
    )
