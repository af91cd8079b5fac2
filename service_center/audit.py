"""The audit trail: who changed what, when, from where, with the fields before and after.

``record(...)`` adds the record to the session of the change it describes, so both commit or
neither does. Records are append-only: the session refuses to update or delete one, and no
page or route changes them. Personal data is masked before it is stored; passwords and tokens
are never stored, only that they changed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, time
from enum import Enum
from typing import Any

from flask import has_request_context, request
from sqlalchemy import JSON, Index, String, event
from sqlalchemy.orm import Mapped, ORMExecuteState, Session, mapped_column

from .db import UTCDateTime, db
from .privacy import mask_contact, mask_id_number, mask_name, mask_phone

#: fields whose value is never kept, only that it changed
SECRET = frozenset({"password", "password_hash", "token", "token_hash"})
#: personal data: kept masked
MASKS = {
    "phone": mask_phone,
    "applicant_phone": mask_phone,
    "name": mask_name,
    "applicant_name": mask_name,
    "id_number": mask_id_number,
    "duty_contact": mask_contact,  #: the supervisor on duty's phone or e-mail
}
CHANGED = "(changed)"


class AuditRecord(db.Model):
    """One administrative change, sign-in or token use. Never changed, never deleted."""

    __tablename__ = "audit_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    #: the person acting (None: a failed sign-in, or the command line without --as)
    actor_id: Mapped[int | None]
    #: their username when it happened (kept as it was, even if renamed later)
    actor_name: Mapped[str] = mapped_column(String(64), default="")
    #: the center the object belongs to (None: county-wide objects and sign-ins of admins)
    center_id: Mapped[int | None]
    action: Mapped[str] = mapped_column(String(40))  #: "window.create", "auth.sign_in_failed"
    object_type: Mapped[str] = mapped_column(String(40), default="")  #: "window"
    object_id: Mapped[str] = mapped_column(String(64), default="")
    object_label: Mapped[str] = mapped_column(String(200), default="")  #: "3 号窗口"
    address: Mapped[str] = mapped_column(String(64), default="")  #: the caller's IP address
    #: {field: [before, after]}; before is None for a creation, after for a removal
    changes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    __table_args__ = (
        Index("ix_audit_records_center_created", "center_id", "created_dt"),
        Index("ix_audit_records_object", "object_type", "object_id"),
    )


class AuditImmutable(RuntimeError):
    """Raised when code tries to change or delete an audit record."""


@event.listens_for(Session, "before_flush")
def _refuse_changes(session: Session, flush_context: Any, instances: Any) -> None:
    for obj in (*session.dirty, *session.deleted):
        if isinstance(obj, AuditRecord):
            raise AuditImmutable("audit records are never changed or deleted")


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk(state: ORMExecuteState) -> None:
    if not (state.is_update or state.is_delete):
        return
    table = getattr(state.statement, "table", None)
    if getattr(table, "name", None) == AuditRecord.__tablename__:
        raise AuditImmutable("audit records are never changed or deleted")


def plain(value: Any) -> Any:
    """A value as JSON keeps it (dates as ISO text, enums by value, collections as lists)."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, set | frozenset | tuple | list):
        return sorted((plain(v) for v in value), key=str)
    return value


def _kept(name: str, value: Any, public: Iterable[str] = ()) -> Any:
    if name in SECRET:
        return CHANGED if value is not None else None
    mask = None if name in public else MASKS.get(name)
    if mask is not None and value:
        return mask(str(value))
    return plain(value)


def snapshot(obj: Any, fields: Iterable[str]) -> dict[str, Any]:
    """The named fields of ``obj`` as they are now (before a change)."""
    return {name: plain(getattr(obj, name)) for name in fields}


def diff(
    before: Mapping[str, Any], after: Mapping[str, Any], public: Iterable[str] = ()
) -> dict[str, list[Any]]:
    """The fields that differ, as ``{field: [before, after]}``, personal data masked (but the
    ``public`` fields: a center's phone is on its door)."""
    changes = {}
    for name in sorted({*before, *after}):
        old, new = plain(before.get(name)), plain(after.get(name))
        if old != new or (name in SECRET and new is not None):
            changes[name] = [_kept(name, old, public), _kept(name, new, public)]
    return changes


def caller_address() -> str:
    return (request.remote_addr or "") if has_request_context() else "cli"


def record(
    action: str,
    *,
    actor: Any,
    now: datetime,
    obj: Any = None,
    object_type: str = "",
    object_label: str = "",
    center_id: int | None = None,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    actor_name: str | None = None,
    public: Iterable[str] = (),
) -> AuditRecord:
    """Add the audit record of a change to the current session (committed with the change).

    ``before``/``after`` are the object's fields (``snapshot``) around the change: only those
    that differ are kept. ``obj`` (flushed, so it has an id) names the object.
    """
    if obj is not None:
        db.session.flush()
        object_type = object_type or obj.__tablename__.removesuffix("s")
        if center_id is None:
            center_id = getattr(obj, "center_id", None)
    entry = AuditRecord(
        **values(
            action,
            actor=actor,
            now=now,
            object_type=object_type,
            object_id=str(obj.id) if obj is not None else "",
            object_label=object_label,
            center_id=center_id,
            changes=diff(before or {}, after or {}, public),
            actor_name=actor_name,
        )
    )
    db.session.add(entry)
    return entry


def values(
    action: str,
    *,
    actor: Any,
    now: datetime,
    object_type: str = "",
    object_id: str = "",
    object_label: str = "",
    center_id: int | None = None,
    changes: dict[str, Any] | None = None,
    actor_name: str | None = None,
) -> dict[str, Any]:
    """The columns of an audit record (for an insert on a connection of its own)."""
    known = actor is not None and getattr(actor, "id", None) is not None
    return {
        "created_dt": now,
        "actor_id": actor.id if known else None,
        "actor_name": (actor_name if actor_name is not None else actor.username if known else "")[
            :64
        ],
        "center_id": center_id,
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "object_label": object_label[:200],
        "address": caller_address()[:64],
        "changes": changes or {},
    }
