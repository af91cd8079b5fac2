"""Where a ``next`` parameter may send the browser: pages of this site only."""

from __future__ import annotations

from urllib.parse import urlsplit


def local_target(target: str | None) -> str | None:
    """Return ``target`` if it is a path on this site, else None.

    Browsers read a backslash as a slash, so ``/\\evil.example`` is as foreign as
    ``//evil.example``; control characters could hide either.
    """
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return None
    if "\\" in target or any(ord(c) < 32 or ord(c) == 127 for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target
