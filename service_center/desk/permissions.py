"""Who may operate a window and act on its tickets.

A clerk acts only at the window of their center they are signed on to (``Window.clerk_id``)
and on the tickets held there; a supervisor of the center may act at any of its windows;
nobody else (county administrators do not work at windows).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..auth.models import Role
from ..windows.services import staffable_window_ids

if TYPE_CHECKING:
    from ..auth.models import User
    from ..queueing.models import Ticket
    from ..windows.models import Window


def _works_at(user: User, center_id: int) -> bool:
    return (
        user.is_authenticated
        and user.role in (Role.CLERK, Role.SUPERVISOR)
        and user.center_id == center_id
    )


def can_sign_on(user: User, window: Window) -> bool:
    """Tell whether ``user`` may sign on to ``window``: supervisors of its center, and its
    clerks, to the windows their administrators gave them (every window, when none were
    given). Nobody signs on to a retired window."""
    if not _works_at(user, window.center_id) or window.is_retired:
        return False
    if user.role is Role.SUPERVISOR:
        return True
    given = staffable_window_ids(user)
    return not given or window.id in given


def sign_on_choices(user: User, windows: list[Window]) -> list[Window]:
    """The windows of ``windows`` that ``user`` may sign on to (one query for all)."""
    if user.role is not Role.CLERK:
        return [w for w in windows if _works_at(user, w.center_id) and not w.is_retired]
    given = staffable_window_ids(user)
    return [
        w
        for w in windows
        if _works_at(user, w.center_id) and not w.is_retired and (not given or w.id in given)
    ]


def can_operate_window(user: User, window: Window) -> bool:
    """Tell whether ``user`` may open, pause, close or call at ``window``."""
    if not _works_at(user, window.center_id):
        return False
    return user.role is Role.SUPERVISOR or window.clerk_id == user.id


def can_act_on_ticket(user: User, ticket: Ticket) -> bool:
    """Tell whether ``user`` may recall, start, complete, transfer … ``ticket``.

    A clerk may act on the tickets held by (or missed at) the window they are signed on to.
    """
    if not _works_at(user, ticket.center_id):
        return False
    if user.role is Role.SUPERVISOR:
        return True
    return ticket.window is not None and ticket.window.clerk_id == user.id
