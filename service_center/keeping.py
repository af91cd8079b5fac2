"""Answers an app process keeps between requests, each under the version it was built for.

A kept answer is given again while the version its keeper reads now is the one it was built
under (the change stamps of ``stamps.py`` and what the database said), for at most a TTL, and
never to a signed-in user or a request with a message waiting to be shown. A kept page holds a
placeholder where the form's CSRF token goes; each answer gets the caller's own token.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app, g, session
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

#: what a kept page holds instead of a CSRF token (never a valid token)
CSRF_PLACEHOLDER = "__kept-page-csrf-token__"


@dataclass(frozen=True)
class Kept:
    version: Hashable
    built_at: float
    body: Any


class Keeper:
    """At most ``size`` answers of one kind, the least recently given dropped first."""

    def __init__(self, name: str, size: int, ttl_setting: str) -> None:
        self.name = name
        self.size = size
        self.ttl_setting = ttl_setting

    def _kept(self, app: Flask | None = None) -> OrderedDict[Hashable, Kept]:
        return (app or current_app).extensions.setdefault(f"kept_{self.name}", OrderedDict())

    def peek(self, key: Hashable, app: Flask | None = None) -> Kept | None:
        return self._kept(app).get(key)

    def get(self, key: Hashable, version: Hashable, app: Flask | None = None) -> Any | None:
        """The answer kept for ``key`` if built under ``version`` within the TTL (``app``:
        the app whose process keeps it, when asked outside its context)."""
        kept = self._kept(app)
        found = kept.get(key)
        if found is None or found.version != version:
            return None
        ttl = float((app or current_app).config[self.ttl_setting])
        if time.monotonic() - found.built_at >= ttl:
            return None
        try:
            kept.move_to_end(key)
        except KeyError:  # dropped meanwhile by another thread's put: still the answer
            pass
        return found.body

    def put(self, key: Hashable, version: Hashable, body: Any, built_at: float) -> None:
        kept = self._kept()
        kept[key] = Kept(version, built_at, body)
        kept.move_to_end(key)
        while len(kept) > self.size:
            kept.popitem(last=False)


def page_keepable() -> bool:
    """Whether this request's page may be kept or given from what is kept: nobody signed in,
    no message waiting to be shown."""
    return not current_user.is_authenticated and "_flashes" not in session


def render_keepable(render: Any) -> bytes:
    """Render a page to keep, as UTF-8 (half a Chinese page's size as a ``str``): its CSRF
    tokens as the placeholder (``with_csrf`` fills them)."""
    field = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    setattr(g, field, CSRF_PLACEHOLDER)
    try:
        return render().encode()
    finally:
        g.pop(field, None)


_PLACEHOLDER_BYTES = CSRF_PLACEHOLDER.encode()


def with_csrf(page: bytes | str) -> bytes | str:
    """A page (kept, or just built) with this caller's own CSRF token."""
    if isinstance(page, str):
        return page
    if _PLACEHOLDER_BYTES not in page:
        return page
    return page.replace(_PLACEHOLDER_BYTES, generate_csrf().encode())
