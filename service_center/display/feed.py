"""The display feed: the public JSON of a center's board, its ETag, and the spoken texts."""

from __future__ import annotations

import functools
import hashlib
from datetime import datetime
from typing import Any

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from ..catalogue.models import Center
from ..clock import to_local
from ..db import db
from ..errors import NotFound
from ..i18n import current_language, localized
from ..queueing.kept import KnownFloor, forget_floors, known_floor
from ..queueing.services import ticket_prefixes
from . import services

#: bump when the JSON's shape changes, so that no display keeps a body of the old shape
FORMAT = "2"

ZH_DIGITS = "零一二三四五六七八九"


def call_sentence(number: str, window: int | str) -> str:
    """The call in the current language: 请 B017 号到 5 号窗口办理."""
    return _("Ticket %(number)s, please go to window %(window)s", number=number, window=window)


def spell_zh(number: str) -> str:
    """Spell a ticket number for a Chinese voice, one character at a time: B017 → B 零 一 七.

    Chinese voices read "B017" as a quantity (B 十七) or run the letter into the digits;
    digits written as characters and set apart are read one by one, as halls announce them.
    """
    return " ".join(ZH_DIGITS[int(c)] if c.isdecimal() else c for c in number)


def spell_en(number: str) -> str:
    """Spell a ticket number for an English voice: B017 → B 0 1 7."""
    return " ".join(number)


def call_texts(number: str, window: int) -> dict[str, str]:
    """Return the call as shown (Chinese and English) and as spoken (each in its voice)."""
    with force_locale("zh_CN"):
        text_zh = call_sentence(number, window)
        speech_zh = call_sentence(spell_zh(number), window)
    with force_locale("en"):
        text_en = call_sentence(number, window)
        speech_en = call_sentence(spell_en(number), window)
    return {"text_zh": text_zh, "text_en": text_en, "speech_zh": speech_zh, "speech_en": speech_en}


def etag(version: str) -> str:
    """Return the (weak) ETag of a board version in the request's language."""
    return etag_in(version, current_language())


@functools.lru_cache(maxsize=256)
def etag_in(version: str, language: str) -> str:
    """The (weak) ETag of a board version in ``language`` ("zh" or "en")."""
    return hashlib.sha256(f"{FORMAT}|{language}|{version}".encode()).hexdigest()[:32]


def board_json(center: Center, board: services.Board) -> dict[str, Any]:
    """Shape a board as the public JSON (API.md): ticket numbers and windows, nobody's data."""
    tz = center.timezone
    types = {ct.id: ct for ct in board.case_types}
    prefixes = ticket_prefixes(center)
    return {
        "center": {
            "code": center.code,
            "name": center.name,
            "name_zh": center.name_zh,
            "name_en": center.name_en or center.name_zh,
            "timezone": tz,
        },
        "date": board.day.isoformat(),
        "calls": [
            {
                "id": call.event_id,
                "kind": call.kind.value,
                "number": call.number,
                "window": call.window_number,
                "called_at": _iso(call.at, tz),
                "case_type": types[call.case_type_id].code if call.case_type_id in types else None,
                "is_current": call.is_current,
                **call_texts(call.number, call.window_number),
            }
            for call in board.calls
        ],
        "windows": [
            {
                "number": w.number,
                "name": w.name_en if current_language() == "en" and w.name_en else w.name_zh,
                "name_zh": w.name_zh,
                "name_en": w.name_en or w.name_zh,
                "status": w.state.value,
                "ticket": w.ticket_number,
                "ticket_status": w.ticket_state.value if w.ticket_state else None,
            }
            for w in board.windows
        ],
        "waiting": {ct.code: board.waiting.get(ct.id, 0) for ct in board.case_types},
        "waiting_remote": board.waiting_remote,
        "case_types": [
            {
                "code": ct.code,
                "prefix": prefixes.get(ct.id) or ct.prefix,
                "name": localized(ct, "name"),
                "name_zh": ct.name_zh,
                "name_en": ct.name_en or ct.name_zh,
                "waiting": board.waiting.get(ct.id, 0),
            }
            for ct in board.case_types
        ],
    }


def known_board(code: str, *, now: datetime) -> KnownFloor:
    """Return the floor version of center ``code`` as this process keeps it (queueing/kept.py).

    :raises NotFound: for an unknown center code (never kept).
    """
    return known_floor(now=now, code=code)


def current_board_json(known: KnownFloor, *, now: datetime) -> dict[str, Any]:
    """Return the board's JSON for ``known``'s version, built once per app process and version.

    When a call changes the version, every display polling this process asks for the new body
    within a second; they share one build. Bodies carry no time of their own (the caller adds
    ``server_time``), so a kept body stays true for as long as its ETag does.
    """
    cache: dict[tuple[int, str], tuple[str, dict[str, Any]]] = current_app.extensions.setdefault(
        "display_boards", {}
    )
    key = (known.center_id, current_language())
    tag = etag(known.version)
    kept = cache.get(key)
    if kept is not None and kept[0] == tag:
        return kept[1]
    center = db.session.get(Center, known.center_id)
    if center is None:  # removed since the version was read: read it afresh next time
        forget_floors()
        raise NotFound(_("No service center has the code %(code)s.", code=known.code))
    body = board_json(center, services.get_board(center, now=now))
    cache[key] = (tag, body)
    return body


def now_calling(calls: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The call shown large ("now calling"): the newest that still stands, if any."""
    return next((call for call in calls if call["is_current"]), None)


def recent_tickets(calls: list[dict[str, Any]], limit: int = 8) -> list[dict[str, Any]]:
    """The board's "recent calls": the latest call of each ticket but the one shown large."""
    large = now_calling(calls)
    shown = {large["number"]} if large else set()
    recent = []
    for call in calls:
        if call["number"] not in shown and len(recent) < limit:
            shown.add(call["number"])
            recent.append(call)
    return recent


def server_time(timezone: str, now: datetime) -> str:
    return _iso(now, timezone)


def _iso(moment: datetime, tz: str) -> str:
    return to_local(moment, tz).isoformat(timespec="seconds")
