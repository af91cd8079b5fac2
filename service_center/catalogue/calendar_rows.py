"""A center's calendar rows kept per process, keyed by the center's ``calendar_version``.

Opening hours, a center's own days, its walk-in caps and the loaded national notices change a
few times a year, yet every issue and booking reads them. Each worker keeps a copy per center,
valid for exactly one ``Center.calendar_version``; the version comes with the center row the
request reads anyway, in the transaction that uses the copy. Every write to a ``CalendarRow``
bumps the version in its own transaction:

- through the ORM, ``_bump_on_flush`` (``before_flush``) bumps the owner of every such row
  new, changed or deleted in the flush (every center for a national row);
- an ``insert``/``update``/``delete`` of a calendar table run through the session
  (``session.execute``) bumps every center (``_bump_on_bulk``): such statements do not say
  whose rows they touch, and they are rare;
- a statement on a connection of its own (``db.engine``) must call ``bump_calendar_versions``
  on that connection; none does today.

A copy is only ever stored for the version read, never replaces a copy of a newer version,
and is neither taken nor stored by a transaction that changed the center's calendar itself
(it may still roll back).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from flask import current_app
from sqlalchemy import event, inspect, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import ORMExecuteState, Session

from ..db import db
from .models import CalendarRow, Center

T = TypeVar("T")

#: session.info key: ids of the centers whose calendar this transaction changed (or ALL)
_CHANGED = "calendar_changed"
ALL = "all"


def cached(center: Center, name: str, load: Callable[[int], T]) -> T:
    """Return ``load(center.id)``, from this process's copy when it is of the center's version.

    :param name: what ``load`` reads (one copy per center and name).
    """
    session = db.session()
    if session.autoflush and (session.new or session.deleted or session.dirty):
        session.flush()  # as the query this replaces would have: pending rows bump the version
    changed = session.info.get(_CHANGED, ())
    if changed == ALL or center.id in changed:
        return load(center.id)
    version = center.calendar_version
    copies: dict[tuple[int, str], tuple[int, Any]] = current_app.extensions.setdefault(
        "center_calendars", {}
    )
    key = (center.id, name)
    kept = copies.get(key)
    if kept is not None and kept[0] == version:
        return kept[1]
    value = load(center.id)  # read after the version: as new as it, or newer
    if kept is None or kept[0] < version:
        copies[key] = (version, value)
    return value


def bump_calendar_versions(conn: Connection | Session, center_ids: Iterable[int] | str) -> None:
    """Bump the ``calendar_version`` of the centers ``center_ids`` (or ``ALL``) on ``conn``.

    Call it in the transaction of any write to a ``CalendarRow`` table the session does not
    see (a statement on a connection of its own).
    """
    stmt = update(Center).values(calendar_version=Center.calendar_version + 1)
    if center_ids != ALL:
        stmt = stmt.where(Center.id.in_(sorted(center_ids)))
    conn.execute(stmt.execution_options(synchronize_session=False))


def _note_changed(session: Session, center_ids: set[int] | str) -> None:
    """Remember the change for this transaction and drop the loaded versions it made stale."""
    known = session.info.get(_CHANGED, set())
    session.info[_CHANGED] = ALL if ALL in (known, center_ids) else {*known, *center_ids}
    for obj in list(session.identity_map.values()):
        if isinstance(obj, Center) and (center_ids == ALL or obj.id in center_ids):
            session.expire(obj, ["calendar_version"])


def _owners(row: CalendarRow) -> set[int] | str:
    """The ids of the saved centers ``row`` belongs (or belonged) to; ``ALL`` for a national row."""
    if not hasattr(type(row), "center_id"):
        return ALL
    history = inspect(row).attrs.center_id.load_history()
    ids = {*history.added, *history.unchanged, *history.deleted} - {None}
    owner = row.__dict__.get("center")  # set through a relationship, not flushed yet
    if isinstance(owner, Center) and owner.id is not None:
        ids.add(owner.id)
    return ids


@event.listens_for(Session, "before_flush")
def _bump_on_flush(session: Session, flush_context: Any, instances: Any) -> None:
    rows = [
        obj
        for obj in (*session.new, *session.deleted, *session.dirty)
        if isinstance(obj, CalendarRow)
        and (obj in session.new or obj in session.deleted or session.is_modified(obj))
    ]
    owners: set[int] | str = set()
    for row in rows:
        mine = _owners(row)
        owners = ALL if ALL in (mine, owners) else {*owners, *mine}
    if owners:
        bump_calendar_versions(session, owners)
        _note_changed(session, owners)


@event.listens_for(Session, "do_orm_execute")
def _bump_on_bulk(state: ORMExecuteState) -> None:
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    table = getattr(state.statement, "table", None)  # the ORM's statements hold a copy
    if getattr(table, "name", None) not in _calendar_tables():
        return
    bump_calendar_versions(state.session, ALL)
    _note_changed(state.session, ALL)


def _calendar_tables() -> set[str]:
    return {
        model.__table__.name for model in _subclasses(CalendarRow) if hasattr(model, "__table__")
    }


def _subclasses(base: type) -> list[type]:
    return [sub for model in base.__subclasses__() for sub in (model, *_subclasses(model))]


@event.listens_for(Session, "after_transaction_end")
def _forget_changes(session: Session, transaction: Any) -> None:
    if transaction.parent is None:
        session.info.pop(_CHANGED, None)


def settings_changed(center_ids: Iterable[int]) -> None:
    """Bump the version of centers whose settings an administrator changed outside their
    calendar rows (the center itself, its windows, its items), in the session's transaction.

    The same version keys every worker's copies and the hall screens' board, so the change
    shows from the very next request in every process.
    """
    session = db.session()
    ids = set(center_ids)
    bump_calendar_versions(session, ids)
    _note_changed(session, ids)
