"""Staff accounts from the admin area: create, give windows, disable, reset a password; and the
device tokens of kiosks and displays. Never deleted: a disabled account keeps its history."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select

from .. import audit
from ..auth import services as auth
from ..auth.models import ApiToken, Role, User
from ..catalogue.models import Center
from ..db import db, write_transaction
from ..errors import Conflict, Invalid
from ..windows.models import Window

USERNAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{2,63}")
#: letters and digits a person can read aloud and type: no 0/O, 1/l/I
_READABLE = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
ONE_TIME_LENGTH = 12


def one_time_password() -> str:
    """A password to hand over once; the account must replace it at its next sign-in."""
    return "".join(secrets.choice(_READABLE) for _ in range(ONE_TIME_LENGTH))


def _snapshot(user: User) -> dict[str, object]:
    data = audit.snapshot(user, ("username", "display_name", "role", "center_id", "is_enabled"))
    data["windows"] = sorted(w.number for w in _windows_of(user))
    return data


def _windows_of(user: User) -> list[Window]:
    return list(db.session.scalars(select(Window).where(Window.staff.any(User.id == user.id))))


def create_staff(
    *,
    username: str,
    display_name: str,
    role: Role,
    center: Center | None,
    window_ids: Iterable[int] = (),
    actor: User,
    now: datetime,
) -> tuple[User, str]:
    """Create an account; return it and its one-time password (shown once, never stored).

    :raises Invalid: for a username that is not 3–64 letters, digits, ".", "_" or "-", a
        clerk or supervisor without a center, or windows of another center.
    :raises Conflict: when the username is taken.
    """
    write_transaction()
    username = username.strip()
    if not USERNAME.fullmatch(username):
        raise Invalid(
            _("A username is 3 to 64 letters, digits, dots, dashes or underscores."),
            field="username",
        )
    if db.session.scalar(select(User.id).where(User.username == username)) is not None:
        raise Conflict(_("The username %(name)s is taken.", name=username), field="username")
    password = one_time_password()
    user = auth.create_user(username, password, role, center, display_name.strip() or username)
    user.must_change_password = True
    _give_windows(user, window_ids)
    audit.record(
        "user.create",
        actor=actor,
        now=now,
        obj=user,
        object_label=user.username,
        before={},
        after={**_snapshot(user), "password": "x"},
    )
    return user, password


def update_staff(
    user: User,
    *,
    display_name: str,
    window_ids: Iterable[int],
    actor: User,
    now: datetime,
) -> User:
    """Change an account's shown name and the windows a clerk may staff."""
    write_transaction()
    before = _snapshot(user)
    user.display_name = display_name.strip() or user.username
    _give_windows(user, window_ids)
    after = _snapshot(user)
    if after != before:
        audit.record(
            "user.update",
            actor=actor,
            now=now,
            obj=user,
            object_label=user.username,
            before=before,
            after=after,
        )
    return user


def _give_windows(user: User, window_ids: Iterable[int]) -> None:
    ids = set(window_ids)
    if ids and user.role is not Role.CLERK:
        raise Invalid(_("Only clerks are given windows."), field="window_ids")
    windows = (
        list(
            db.session.scalars(
                select(Window).where(Window.id.in_(ids), Window.center_id == user.center_id)
            )
        )
        if ids
        else []
    )
    if len(windows) != len(ids):
        raise Invalid(_("Choose windows of this center only."), field="window_ids")
    for window in _windows_of(user):
        if window not in windows:
            window.staff.remove(user)
    for window in windows:
        if user not in window.staff:
            window.staff.append(user)
    db.session.flush()


def set_enabled(user: User, enabled: bool, *, actor: User, now: datetime) -> User:
    """Disable an account (it can no longer sign in; its device tokens stop working) or enable
    it again.

    :raises Conflict: for disabling one's own account, or a clerk still signed on to a window.
    """
    write_transaction()
    if user.is_enabled == enabled:
        return user
    if not enabled and user.id == actor.id:
        raise Conflict(_("You cannot disable your own account."))
    if not enabled:
        window = db.session.scalar(select(Window).where(Window.clerk_id == user.id))
        if window is not None and window.state.value != "closed":
            raise Conflict(
                _(
                    "%(name)s is signed on to window %(n)d: they sign off (or a supervisor "
                    "closes the window) first.",
                    name=user.display_name,
                    n=window.number,
                )
            )
    before = _snapshot(user)
    user.is_enabled = enabled
    audit.record(
        "user.enable" if enabled else "user.disable",
        actor=actor,
        now=now,
        obj=user,
        object_label=user.username,
        before=before,
        after=_snapshot(user),
    )
    return user


def reset_password(user: User, *, actor: User, now: datetime) -> str:
    """Give ``user`` a one-time password (returned, shown once) to replace at the next sign-in."""
    write_transaction()
    password = one_time_password()
    user.set_password(password)
    user.must_change_password = True
    audit.record(
        "user.reset_password",
        actor=actor,
        now=now,
        obj=user,
        object_label=user.username,
        before={"password": None},
        after={"password": "x"},
    )
    return password


# ---------------------------------------------------------------------------- device tokens


def issue_device_token(
    user: User, name: str, *, actor: User, now: datetime
) -> tuple[ApiToken, str]:
    """Issue a bearer token for a device acting as ``user``; the token is returned once."""
    write_transaction()
    name = name.strip()
    if not name or len(name) > 80:
        raise Invalid(_("Name the device (at most 80 characters)."), field="name")
    if not user.is_enabled:
        raise Conflict(_("The account is disabled."), field="user_id")
    token = auth.issue_api_token(user, name, now=now)
    row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == ApiToken.hash(token)))
    assert row is not None
    audit.record(
        "token.issue",
        actor=actor,
        now=now,
        obj=row,
        object_type="api_token",
        object_label=name,
        center_id=user.center_id,
        after={"name": name, "user": user.username, "token": "x"},
    )
    return row, token


def revoke_device_token(token: ApiToken, *, actor: User, now: datetime) -> ApiToken:
    write_transaction()
    if token.revoked_dt is None:
        token.revoked_dt = now
        audit.record(
            "token.revoke",
            actor=actor,
            now=now,
            obj=token,
            object_type="api_token",
            object_label=token.name,
            center_id=token.user.center_id,
            before={"revoked_dt": None},
            after={"revoked_dt": now},
        )
    return token
