"""Who sees which quality figures and acts on which rectification: one table.

| who | figures (rankings, one-trip rate) | rectifications |
| --- | --- | --- |
| clerk | their own row only, at their center (no window's, | none |
|   | no other clerk's) |   |
| supervisor | their center | their center's: take any step but deciding an appeal; |
|   |   | the resident's contact only on the ones assigned to them, |
|   |   | while open |
| administrator of a center | that center | that center's: read, and decide appeals |
| county administrator | every center | every center's: read, and decide appeals |

Nobody signed out or disabled sees anything. tests/http/test_quality_permissions.py asks every
page as each of these.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..auth.models import Role

if TYPE_CHECKING:
    from ..auth.models import User
    from .models import Rectification


def _in_center(user: User, center_id: int) -> bool:
    return user.center_id is None or user.center_id == center_id


def can_see_figures(user: User, center_id: int) -> bool:
    """Rankings and one-trip rates of the center: a clerk sees only their own row."""
    if not user.is_authenticated or not user.is_enabled:
        return False
    if user.role is Role.ADMIN:
        return _in_center(user, center_id)
    return user.center_id == center_id


def sees_only_self(user: User) -> bool:
    """A clerk's figures are their own row: no other clerk's, no window's."""
    return user.role is Role.CLERK


def can_see_rectifications(user: User, center_id: int) -> bool:
    if not user.is_authenticated or not user.is_enabled:
        return False
    if user.role is Role.SUPERVISOR:
        return user.center_id == center_id
    return user.role is Role.ADMIN and _in_center(user, center_id)


def can_act_on(user: User, item: Rectification) -> bool:
    """Verify, rectify, follow up, appeal, reassign: the center's supervisors."""
    return (
        user.is_authenticated and user.role is Role.SUPERVISOR and user.center_id == item.center_id
    )


def can_decide_appeal(user: User, item: Rectification) -> bool:
    """An appeal is decided by an administrator of the center or of the county, not by the
    supervisors who raised it."""
    return user.is_authenticated and user.role is Role.ADMIN and _in_center(user, item.center_id)


def can_see_contact(user: User, item: Rectification) -> bool:
    """The resident's phone: the assigned supervisor, while the item is open."""
    return (
        can_act_on(user, item)
        and item.assignee_id == user.id
        and not item.is_final
        and item.contact is not None
    )
