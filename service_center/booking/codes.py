"""Booking codes: random, readable over the phone, never derived from an id."""

from __future__ import annotations

import secrets

#: no 0/O, 1/I/L: a code read out over the phone cannot be misheard as another
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
#: 31 ** 10 ≈ 2 ** 49.5 codes; shown as two groups of five
CODE_LENGTH = 10


def new_booking_code() -> str:
    """Return a fresh random booking code (never derived from an id)."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalize_code(raw: str | None) -> str | None:
    """Return the code as stored (upper case, no spaces or dashes), or None if malformed."""
    code = "".join((raw or "")[:40].split()).replace("-", "").upper()
    if len(code) != CODE_LENGTH or any(ch not in CODE_ALPHABET for ch in code):
        return None
    return code


def format_code(code: str) -> str:
    """Return the code as shown to people: ``7KQ4M-9XH2P``."""
    return f"{code[:5]}-{code[5:]}" if len(code) == CODE_LENGTH else code
