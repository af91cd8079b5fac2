"""Personal data checks (name, mainland mobile, resident ID) shared by booking and the desk."""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from flask_babel import gettext as _

NAME_MAX = 60
PHONE_INPUT_MAX = 20
ID_NUMBER_LENGTH = 18

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_MOBILE = re.compile(r"1[3-9]\d{9}")
_PHONE_SEPARATORS = re.compile(r"[\s\-()]")


class PersonalDataError(ValueError):
    """A personal data field that fails its format; the message is for the resident."""


def clean_name(raw: str | None) -> str:
    """Return the name stripped of surrounding space.

    :raises PersonalDataError: when empty, longer than 60 characters or holding control characters.
    """
    name = " ".join((raw or "").split())
    if not name:
        raise PersonalDataError(_("Enter your name."))
    if len(name) > NAME_MAX:
        raise PersonalDataError(_("The name is too long (at most %(n)d characters).", n=NAME_MAX))
    if any(unicodedata.category(ch).startswith("C") for ch in name):
        raise PersonalDataError(_("The name holds characters that are not allowed."))
    return name


def clean_mobile(raw: str | None) -> str:
    """Return a mainland mobile number as 11 digits; ``+86``/``0086`` and separators go.

    No list of carrier prefixes: ``1[3-9]`` and nine more digits (lists go stale).

    :raises PersonalDataError: for anything else.
    """
    text = (raw or "").strip()
    if not text:
        raise PersonalDataError(_("Enter your mobile phone number."))
    if len(text) > PHONE_INPUT_MAX:
        raise PersonalDataError(_("Enter an 11-digit mainland mobile number, e.g. 13812345678."))
    number = _PHONE_SEPARATORS.sub("", text)
    for prefix in ("+86", "0086"):
        if number.startswith(prefix):
            number = number[len(prefix) :]
            break
    if not _MOBILE.fullmatch(number) or not number.isascii():
        raise PersonalDataError(_("Enter an 11-digit mainland mobile number, e.g. 13812345678."))
    return number


def id_check_character(first17: str) -> str:
    """Return the ISO 7064 MOD 11-2 check character of 17 digits (GB 11643)."""
    total = sum(int(digit) * weight for digit, weight in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def clean_id_number(raw: str | None, *, today: date | None = None) -> str | None:
    """Return an 18-character resident ID number (a lower-case x made upper), or None if empty.

    Checks the check character and that digits 7–14 are a real birth date (not after
    ``today`` when given); the region code is not policed.

    :raises PersonalDataError: when the number is malformed.
    """
    text = (raw or "").strip().replace(" ", "").upper()
    if not text:
        return None
    if (
        len(text) != ID_NUMBER_LENGTH
        or not text.isascii()
        or not text[:17].isdigit()
        or text[17] not in "0123456789X"
    ):
        raise PersonalDataError(_("A resident ID number has 17 digits and a digit or X."))
    try:
        born = date(int(text[6:10]), int(text[10:12]), int(text[12:14]))
    except ValueError:
        born = None
    if born is None or born.year < 1900 or (today is not None and born > today):
        raise PersonalDataError(_("The birth date in this ID number is not a real date."))
    if id_check_character(text[:17]) != text[17]:
        raise PersonalDataError(_("This ID number's check digit does not match; please check it."))
    return text
