"""Staff users and the bearer tokens issued to devices."""

from __future__ import annotations

import enum
import hashlib
from datetime import datetime
from typing import TYPE_CHECKING

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from ..db import UTCDateTime, db, str_enum

if TYPE_CHECKING:
    from ..catalogue.models import Center


class Role(enum.StrEnum):
    CLERK = "clerk"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


class User(UserMixin, db.Model):
    """A clerk or supervisor of one center, or an admin (county-wide without a center)."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    display_name: Mapped[str] = mapped_column(String(80), default="")
    role: Mapped[Role] = mapped_column(str_enum(Role, "role"))
    center_id: Mapped[int | None] = mapped_column(ForeignKey("centers.id", ondelete="CASCADE"))
    is_enabled: Mapped[bool] = mapped_column(default=True)
    #: set by a password reset: the next sign-in must choose a new password first
    must_change_password: Mapped[bool] = mapped_column(default=False, server_default=false())
    #: failed sign-ins in a row (reset by a success); at AUTH_LOCK_AFTER the account locks
    failed_sign_ins: Mapped[int] = mapped_column(default=0, server_default="0")
    #: no sign-in, even with the right password, until then (an administrator may unlock)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)

    center: Mapped[Center | None] = relationship()

    __table_args__ = (
        CheckConstraint("role = 'admin' OR center_id IS NOT NULL", name="staff_has_center"),
    )

    @property
    def is_active(self) -> bool:  # Flask-Login: disabled accounts cannot sign in
        return self.is_enabled

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def is_staff_of(self, center_id: int) -> bool:
        """Tell whether this user works for ``center_id`` (a county admin works for all)."""
        if self.role is Role.ADMIN and self.center_id is None:
            return True
        return self.center_id == center_id

    def can_supervise(self, center_id: int) -> bool:
        """Supervisors of the center and admins (of it, or county-wide) see its figures."""
        return self.role in (Role.SUPERVISOR, Role.ADMIN) and self.is_staff_of(center_id)

    def __repr__(self) -> str:
        return f"<User {self.username} {self.role}>"


class ApiToken(db.Model):
    """A bearer token for a device (kiosk, display controller) acting as a staff user."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(80))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  #: sha256 of the token
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: the last use, kept to the hour (written at most once an hour: auth/services.py)
    last_used_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()

    @staticmethod
    def hash(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()
