"""Change stamps: how an app process learns, without asking the database, that a row it keeps a
copy of has changed, in this process or in any other process of the host.

A stamp is a counter in a small file shared by every worker (``mmap``): reading one is a memory
read, a few hundred nanoseconds. Each area says which of its models change what (``watch``);
when a transaction that flushed such rows commits, the stamps it touched move on. A process
keeping a copy (the display's board, a ticket's poll, the catalogue) stores the stamps it read
with the copy and builds afresh once they differ.

Stamps are a hint that something changed, never the data: a counter that moved for another key
sharing its slot only costs a rebuild. They reach the processes of one host; processes on
another host learn of a change when their copy's time runs out (each keeper has a TTL and reads
the database then), which is why every keeper has one.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import mmap
import os
import struct
import threading
import zlib
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from flask import Flask, current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

SLOTS = 4096
_SLOT = struct.Struct("<Q")
#: session.info key: the stamp keys of what this transaction flushed
_TOUCHED = "stamps_touched"
logger = logging.getLogger(__name__)

#: the id standing for every center: a change of a table they all share (case types, departments)
EVERY = "all"


def floor(center_id: int | str) -> str:
    """The key of what a center's hall shows: its tickets, windows and settings."""
    return f"floor:{center_id}"


def catalogue(center_id: int | str) -> str:
    """The key of a center's service items, as the search lists them."""
    return f"catalogue:{center_id}"


#: model class → what a changed row of it touches
_WATCHED: dict[type, Callable[[Any], Iterable[str]]] = {}


class StampFile:
    """The host's stamps of one database: ``SLOTS`` counters in a shared, memory-mapped file.

    Without a usable file (a read-only instance folder) the counters live in this process only,
    and other processes fall back on their keepers' TTL.
    """

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._fd: int | None = None
        self._map: mmap.mmap | None = None
        self._threads = threading.Lock()

    def _mapped(self) -> mmap.mmap:
        """The counters, mapped at the first read or bump (building an app touches no disk)."""
        if self._map is not None:
            return self._map
        with self._threads:
            if self._map is None:
                self._map = self._open()
        return self._map

    def _open(self) -> mmap.mmap:
        size = SLOTS * _SLOT.size
        if self.path is not None:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
                if os.fstat(fd).st_size < size:
                    os.ftruncate(fd, size)
                mapped = mmap.mmap(fd, size, mmap.MAP_SHARED)
                self._fd = fd
                return mapped
            except OSError as exc:
                logger.warning("change stamps kept per process only (%s: %s)", self.path, exc)
        return mmap.mmap(-1, size)

    @staticmethod
    def slot(key: str) -> int:
        return (zlib.crc32(key.encode()) % SLOTS) * _SLOT.size

    def read(self, key: str) -> int:
        return _SLOT.unpack_from(self._map or self._mapped(), self.slot(key))[0]

    def bump(self, keys: Iterable[str]) -> None:
        offsets = sorted({self.slot(k) for k in keys})
        if not offsets:
            return
        mapped = self._mapped()
        # a POSIX record lock excludes the other processes (even those forked with this file
        # open, as gunicorn's preloading does; flock would not), the thread lock this one's
        with self._threads:
            if self._fd is not None:
                fcntl.lockf(self._fd, fcntl.LOCK_EX)
            try:
                for offset in offsets:
                    (value,) = _SLOT.unpack_from(mapped, offset)
                    _SLOT.pack_into(mapped, offset, (value + 1) % 2**64)
            finally:
                if self._fd is not None:
                    fcntl.lockf(self._fd, fcntl.LOCK_UN)


def default_path(app: Flask) -> Path | None:
    """Beside a SQLite file; else in the instance folder, one file per database URL."""
    uri = str(app.config.get("SQLALCHEMY_DATABASE_URI") or "")
    if uri.startswith("sqlite:///") and ":memory:" not in uri and "mode=memory" not in uri:
        # a relative path is the instance folder's, as Flask-SQLAlchemy reads it
        database = Path(app.instance_path) / uri.removeprefix("sqlite:///").split("?", 1)[0]
        return database.with_name(database.name + "-stamps")
    if uri.startswith("sqlite"):
        return None  # an in-memory database lives in one process
    digest = hashlib.sha256(uri.encode()).hexdigest()[:16]
    return Path(app.instance_path) / "stamps" / f"{digest}.bin"


def init_app(app: Flask) -> None:
    configured = app.config.get("STAMPS_PATH")
    path = Path(configured) if configured else default_path(app)
    app.extensions["stamps"] = StampFile(path)


def read(key: str) -> int:
    """The stamp of ``key`` as it stands now on this host."""
    return current_app.extensions["stamps"].read(key)


def bump(*keys: str) -> None:
    """Move the stamps of ``keys`` on at once (a change made outside a watched flush)."""
    current_app.extensions["stamps"].bump(keys)


def watch(model: type, keys: Callable[[Any], Iterable[str]]) -> None:
    """Say that a new, changed or deleted row of ``model`` touches the stamps ``keys(row)``."""
    _WATCHED[model] = keys


def _pending(session: Session) -> set[str]:
    keys: set[str] = set()
    for rows in (session.new, session.dirty, session.deleted):
        for row in rows:
            keys_of = _WATCHED.get(type(row))
            if keys_of is not None:
                keys.update(keys_of(row))
    return keys


def touched_in(session: Session) -> set[str]:
    """The stamp keys of what ``session``'s open transaction changed, flushed or not: a keeper
    does not keep what it reads then (it may still roll back)."""
    return session.info.get(_TOUCHED, set()) | _pending(session)


@event.listens_for(Session, "before_flush")
def _note(session: Session, flush_context: Any, instances: Any) -> None:
    keys = _pending(session)
    if keys:
        session.info.setdefault(_TOUCHED, set()).update(keys)


@event.listens_for(Session, "after_commit")
def _bump(session: Session) -> None:
    touched = session.info.pop(_TOUCHED, None)
    if touched and has_app_context():
        current_app.extensions["stamps"].bump(touched)


@event.listens_for(Session, "after_transaction_end")
def _forget(session: Session, transaction: Any) -> None:
    # the outermost transaction ended without a commit (which takes them first): nothing moved;
    # a savepoint rolled back keeps them (the rows its transaction flushed before still count)
    if transaction.parent is None:
        session.info.pop(_TOUCHED, None)
