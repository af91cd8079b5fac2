"""Masking of personal data for every screen but the clerk's own case view."""

from __future__ import annotations

import hashlib
import hmac
import re

from flask import current_app


def mask_name(name: str | None) -> str:
    """张三 → 张*, 欧阳娜娜 → 欧***; Latin names keep their first letter."""
    if not name:
        return ""
    return name[0] + "*" * max(len(name) - 1, 1)


def mask_phone(phone: str | None) -> str:
    """13812345678 → 138****5678."""
    if not phone:
        return ""
    if len(phone) < 7:
        return "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


#: a mainland mobile number or an 18-character resident ID number inside free text
_IN_TEXT = re.compile(r"(?<!\d)(1\d{10}|\d{17}[\dXx])(?!\d)")


def mask_in_text(text: str) -> str:
    """Free text (a resident's comment) with any mobile or ID number in it masked: what may
    leave the system in an export."""
    return _IN_TEXT.sub(
        lambda m: mask_phone(m[0]) if len(m[0]) == 11 else mask_id_number(m[0]), text
    )


def mask_contact(address: str | None) -> str:
    """A phone as ``mask_phone``; an e-mail address keeps its first letter and its domain:
    zhang.san@example.cn → z********@example.cn."""
    if not address:
        return ""
    if "@" not in address:
        return mask_phone(address)
    local, _at, domain = address.rpartition("@")
    return local[:1] + "*" * max(len(local) - 1, 1) + "@" + domain


def mask_id_number(id_number: str | None) -> str:
    """Keep the first and last two characters of a resident ID: 11**************2X."""
    if not id_number:
        return ""
    if len(id_number) <= 4:
        return "*" * len(id_number)
    return id_number[:2] + "*" * (len(id_number) - 4) + id_number[-2:]


def keyed_hash(value: str) -> str:
    """``value`` (a phone, an e-mail address, an ID number) as an HMAC under the app's
    secret: comparable, not reversible; what is kept once the value itself is erased."""
    secret = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(secret, value.lower().encode(), hashlib.sha256).hexdigest()[:32]
