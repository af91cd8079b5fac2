"""Who may administer what: one table, read by every admin page and API route.

A county administrator (``admin`` without a center) manages every center; a supervisor manages
their own center's windows, items, calendar, clerks and devices, and sees its audit trail, but
never another center, never a supervisor or administrator account. Clerks and residents manage
nothing. ``tests/http/test_admin_permissions.py`` checks the table as a truth table.
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING

from ..auth.models import Role

if TYPE_CHECKING:
    from ..auth.models import User


class Do(enum.StrEnum):
    CREATE_CENTER = "create_center"
    EDIT_CENTER = "edit_center"  #: names, address, phone, time zone, prefixes, booking
    MANAGE_WINDOWS = "manage_windows"
    MANAGE_ITEMS = "manage_items"
    MANAGE_CALENDAR = "manage_calendar"  #: hours, special days, walk-in caps
    LOAD_NOTICE = "load_notice"  #: the statutory calendar of a year (county-wide)
    MANAGE_DEPARTMENTS = "manage_departments"  #: the county's bureaus (county-wide)
    MANAGE_CLERKS = "manage_clerks"
    MANAGE_SUPERVISORS = "manage_supervisors"
    MANAGE_ADMINS = "manage_admins"
    MANAGE_DEVICES = "manage_devices"  #: kiosk and display tokens
    VIEW_AUDIT = "view_audit"
    LIFT_BOOKING_BARS = "lift_booking_bars"  #: see and lift bars from booking (missed bookings)


class Reach(enum.Enum):
    NONE = "none"
    OWN = "own center"
    ALL = "every center"


#: what each role may do, and where
TABLE: dict[Role, dict[Do, Reach]] = {
    Role.ADMIN: dict.fromkeys(Do, Reach.ALL),
    Role.SUPERVISOR: {
        Do.EDIT_CENTER: Reach.OWN,
        Do.MANAGE_WINDOWS: Reach.OWN,
        Do.MANAGE_ITEMS: Reach.OWN,
        Do.MANAGE_CALENDAR: Reach.OWN,
        Do.MANAGE_CLERKS: Reach.OWN,
        Do.MANAGE_DEVICES: Reach.OWN,
        Do.VIEW_AUDIT: Reach.OWN,
        Do.LIFT_BOOKING_BARS: Reach.OWN,
    },
    Role.CLERK: {},
}

#: actions on the county as a whole: only who reaches every center may do them
COUNTY_WIDE = frozenset({Do.CREATE_CENTER, Do.LOAD_NOTICE, Do.MANAGE_DEPARTMENTS, Do.MANAGE_ADMINS})

#: the action that manages accounts of each role
MANAGES = {
    Role.CLERK: Do.MANAGE_CLERKS,
    Role.SUPERVISOR: Do.MANAGE_SUPERVISORS,
    Role.ADMIN: Do.MANAGE_ADMINS,
}


def reach(user: User | None, action: Do) -> Reach:
    """How far ``user`` may do ``action``; an administrator of one center reaches only it."""
    if user is None or not user.is_authenticated or not user.is_enabled:
        return Reach.NONE
    found = TABLE.get(user.role, {}).get(action, Reach.NONE)
    if found is Reach.ALL and user.center_id is not None:
        return Reach.OWN
    return found


def may(user: User | None, action: Do, center_id: int | None = None) -> bool:
    """Tell whether ``user`` may do ``action`` at ``center_id`` (None: county-wide, or anywhere
    the user reaches when only asking whether to show the page at all)."""
    found = reach(user, action)
    if found is Reach.NONE:
        return False
    if found is Reach.ALL:
        return True
    if action in COUNTY_WIDE:
        return False
    return center_id is None or (user is not None and user.center_id == center_id)


def may_manage_account(user: User | None, account_role: Role, center_id: int | None) -> bool:
    """Tell whether ``user`` may create or change an account of ``account_role`` there."""
    if account_role is not Role.ADMIN and center_id is None:
        return False
    return may(user, MANAGES[account_role], center_id)


def is_administrator(user: User | None) -> bool:
    """Tell whether the admin area is for ``user`` at all."""
    return any(reach(user, action) is not Reach.NONE for action in Do)
