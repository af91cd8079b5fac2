"""Creating a center and changing its settings (the county administrator creates; a center's own
supervisors may change all but its code)."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from flask_babel import gettext as _
from sqlalchemy import select

from .. import audit
from ..catalogue.calendar_rows import settings_changed
from ..catalogue.models import CENTER_CODE, RESERVED_CENTER_CODES, CaseType, Center
from ..catalogue.services import ensure_case_types
from ..db import db, write_transaction
from ..errors import Conflict, Invalid
from ..quality.models import WaitLimit
from ..quality.service_levels import wait_limits
from ..queueing.issuing import clean_notify_address
from ..queueing.models import TicketPrefix

CASE_PREFIX = re.compile(r"[A-Z]{1,8}")


@dataclass(frozen=True)
class CenterData:
    """What an administrator sets on a center."""

    code: str
    case_prefix: str
    name_zh: str
    name_en: str
    address_zh: str = ""
    address_en: str = ""
    phone: str = ""
    timezone: str = "Asia/Shanghai"
    slot_minutes: int = 30
    slot_capacity: int = 4
    booking_horizon_days: int = 14
    kiosk_priority_enabled: bool = False
    notify_ahead: int = 3
    remote_tickets: bool = False
    remote_daily_cap: int | None = None
    remote_per_phone: int = 1
    noshow_limit: int = 2
    noshow_bar_days: int = 30
    waitlist_hold_minutes: int = 30
    rectification_days: int = 5
    queue_limit: int | None = None
    service_limit_percent: int | None = None
    duty_contact: str | None = None


FIELDS = tuple(CenterData.__dataclass_fields__)
#: a center's phone is on its door: not masked in the audit trail
PUBLIC = ("phone",)


def _record(center: Center, action: str, **fields: Any) -> None:
    """Audit a change to ``center`` (its settings, letters, limits) under its own name."""
    audit.record(action, obj=center, object_label=center.name_zh, center_id=center.id, **fields)


def time_zones() -> list[str]:
    """The time zones a center may be in (China's first)."""
    zones = sorted(available_timezones())
    return [
        "Asia/Shanghai",
        "Asia/Urumqi",
        *(z for z in zones if z not in ("Asia/Shanghai", "Asia/Urumqi")),
    ]


def check(data: CenterData, center: Center | None = None) -> None:
    """The rules of a center's settings, each named by its field.

    :raises Invalid: for the first broken rule.
    :raises Conflict: for a code or case prefix another center has.
    """
    if not CENTER_CODE.fullmatch(data.code):
        raise Invalid(
            _(
                "A center's code is 1 to 32 lower-case letters, digits and dashes, starting "
                "with a letter or digit."
            ),
            field="code",
        )
    if data.code in RESERVED_CENTER_CODES:
        raise Invalid(_("This code is a page of its own; choose another."), field="code")
    if not CASE_PREFIX.fullmatch(data.case_prefix):
        raise Invalid(_("The case prefix is 1 to 8 capital letters."), field="case_prefix")
    if not data.name_zh.strip():
        raise Invalid(_("Give the Chinese name."), field="name_zh")
    if not data.name_en.strip():
        raise Invalid(_("Give the English name."), field="name_en")
    try:
        ZoneInfo(data.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise Invalid(_("Choose a time zone from the list."), field="timezone") from None
    if not 5 <= data.slot_minutes <= 240:
        raise Invalid(_("A slot is 5 to 240 minutes long."), field="slot_minutes")
    if not 0 <= data.slot_capacity <= 1000:
        raise Invalid(_("Places per slot: 0 to 1000."), field="slot_capacity")
    if not 0 <= data.booking_horizon_days <= 365:
        raise Invalid(_("Bookings open 0 to 365 days ahead."), field="booking_horizon_days")
    if not 0 <= data.notify_ahead <= 20:
        raise Invalid(_("Tell residents at 0 to 20 people ahead."), field="notify_ahead")
    if data.remote_daily_cap is not None and not 0 <= data.remote_daily_cap <= 10000:
        raise Invalid(
            _("Tickets from the phone a day: 0 to 10000, or empty for no cap."),
            field="remote_daily_cap",
        )
    if not 1 <= data.remote_per_phone <= 10:
        raise Invalid(_("Tickets per phone a day: 1 to 10."), field="remote_per_phone")
    if not 0 <= data.noshow_limit <= 10:
        raise Invalid(_("Missed bookings before a bar: 0 (never) to 10."), field="noshow_limit")
    if not 1 <= data.noshow_bar_days <= 365:
        raise Invalid(_("A bar lasts 1 to 365 days."), field="noshow_bar_days")
    if not 5 <= data.waitlist_hold_minutes <= 1440:
        raise Invalid(_("A freed place is held 5 to 1440 minutes."), field="waitlist_hold_minutes")
    if not 1 <= data.rectification_days <= 60:
        raise Invalid(
            _("A rectification is due within 1 to 60 working days."), field="rectification_days"
        )
    if data.queue_limit is not None and not 1 <= data.queue_limit <= 10000:
        raise Invalid(
            _("Tickets waiting at most: 1 to 10000, or empty for no limit."), field="queue_limit"
        )
    if data.service_limit_percent is not None and not 100 <= data.service_limit_percent <= 1000:
        raise Invalid(
            _("The service limit is 100 to 1000 percent of an item's standard time, or empty."),
            field="service_limit_percent",
        )
    clean_duty_contact(data.duty_contact)
    others = select(Center).where(Center.id != (center.id if center else -1))
    if db.session.scalar(others.where(Center.code == data.code)) is not None:
        raise Conflict(_("Another center has the code %(code)s.", code=data.code), field="code")
    if db.session.scalar(others.where(Center.case_prefix == data.case_prefix)) is not None:
        raise Conflict(
            _("Another center's case numbers start with %(p)s.", p=data.case_prefix),
            field="case_prefix",
        )


def clean_duty_contact(value: str | None) -> str | None:
    """The supervisor on duty's mobile number (normalised) or e-mail address; None if blank.

    :raises Invalid: for anything else (on the field ``duty_contact``).
    """
    if value is None or not value.strip():
        return None
    try:
        return clean_notify_address(value)
    except Invalid:
        raise Invalid(
            _("Enter a mobile number or an e-mail address."), field="duty_contact"
        ) from None


def _cleaned(data: CenterData) -> CenterData:
    return replace(data, duty_contact=clean_duty_contact(data.duty_contact))


def create_center(data: CenterData, *, actor: object, now: datetime) -> Center:
    """Add a center: no windows, items or hours yet (closed until they are set)."""
    write_transaction()
    check(data)
    data = _cleaned(data)
    ensure_case_types()  # a new deployment's first center brings the three case types
    center = Center(**asdict(data))
    db.session.add(center)
    db.session.flush()
    _record(center, "center.create", actor=actor, now=now, after=asdict(data), public=PUBLIC)
    return center


def update_center(center: Center, data: CenterData, *, actor: object, now: datetime) -> Center:
    """Change a center's settings; its code changes its addresses (old links stop working)."""
    write_transaction()
    check(data, center)
    data = _cleaned(data)
    before = audit.snapshot(center, FIELDS)
    for name, value in asdict(data).items():
        setattr(center, name, value)
    after = audit.snapshot(center, FIELDS)
    if after != before:
        settings_changed({center.id})
        _record(
            center, "center.update", actor=actor, now=now, before=before, after=after, public=PUBLIC
        )
    return center


def ticket_letters(center: Center) -> dict[int, str]:
    """The letter each case type's tickets start with at ``center`` (its own, else the type's)."""
    own = {
        row.case_type_id: row.prefix
        for row in db.session.scalars(
            select(TicketPrefix).where(TicketPrefix.center_id == center.id)
        )
    }
    return {ct.id: own.get(ct.id, ct.prefix) for ct in db.session.scalars(select(CaseType))}


def set_ticket_letters(
    center: Center, wanted: dict[int, str], *, actor: object, now: datetime
) -> None:
    """Give the center's tickets of each case type their letter (A–Z, one a case type).

    A letter equal to the case type's own is stored as none. Today's numbers go on counting in
    the letter they started with; a new letter starts at 001.

    :raises Invalid: for a letter that is not A–Z, or one letter for two case types (named by
        the field ``prefix_<case type id>``).
    """
    write_transaction()
    case_types = {ct.id: ct for ct in db.session.scalars(select(CaseType))}
    letters = {**ticket_letters(center)}
    for case_type_id, letter in wanted.items():
        letter = letter.strip().upper()
        if case_type_id not in case_types or not re.fullmatch(r"[A-Z]", letter):
            raise Invalid(
                _("A ticket letter is one letter, A to Z."), field=f"prefix_{case_type_id}"
            )
        letters[case_type_id] = letter
    seen: dict[str, int] = {}
    for case_type_id, letter in sorted(letters.items()):
        if letter in seen:
            raise Invalid(
                _("Two case types cannot share the letter %(letter)s.", letter=letter),
                field=f"prefix_{case_type_id}",
            )
        seen[letter] = case_type_id
    before = {case_types[k].code: v for k, v in ticket_letters(center).items()}
    for row in db.session.scalars(select(TicketPrefix).where(TicketPrefix.center_id == center.id)):
        db.session.delete(row)
    db.session.flush()
    for case_type_id, letter in letters.items():
        if letter != case_types[case_type_id].prefix:
            db.session.add(
                TicketPrefix(center_id=center.id, case_type_id=case_type_id, prefix=letter)
            )
    db.session.flush()
    after = {case_types[k].code: v for k, v in ticket_letters(center).items()}
    if after != before:
        _record(center, "center.ticket_letters", actor=actor, now=now, before=before, after=after)


def set_wait_limits(
    center: Center, wanted: dict[int, int | None], *, actor: object, now: datetime
) -> None:
    """Set the longest acceptable wait (服务时限) of the center's case types in minutes;
    None removes a case type's limit. Case types left out keep theirs.

    :raises Invalid: for minutes outside 1 to 600 (on the field ``wait_<case type id>``).
    """
    write_transaction()
    case_types = {ct.id: ct for ct in db.session.scalars(select(CaseType))}
    for case_type_id, minutes in wanted.items():
        if case_type_id not in case_types or (minutes is not None and not 1 <= minutes <= 600):
            raise Invalid(
                _("The longest wait is 1 to 600 minutes, or empty for no limit."),
                field=f"wait_{case_type_id}",
            )
    rows = {
        row.case_type_id: row
        for row in db.session.scalars(select(WaitLimit).where(WaitLimit.center_id == center.id))
    }
    before = {case_types[k].code: row.minutes for k, row in rows.items()}
    for case_type_id, minutes in wanted.items():
        row = rows.get(case_type_id)
        if minutes is None:
            if row is not None:
                db.session.delete(row)
        elif row is None:
            db.session.add(
                WaitLimit(center_id=center.id, case_type_id=case_type_id, minutes=minutes)
            )
        else:
            row.minutes = minutes
    db.session.flush()
    after = {case_types[k].code: v for k, v in wait_limits(center).items()}
    if after != before:
        _record(center, "center.wait_limits", actor=actor, now=now, before=before, after=after)
