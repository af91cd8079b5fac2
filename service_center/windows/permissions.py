"""Who may operate a window and act on its tickets."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..auth.models import User
    from ..queueing.models import Ticket
    from .models import Window


def can_operate_window(user: User, window: Window) -> bool:
    """Tell whether ``user`` may open, pause, close or call at ``window``."""
    return user.is_authenticated and user.is_staff_of(window.center_id)


def can_act_on_ticket(user: User, ticket: Ticket) -> bool:
    """Tell whether ``user`` may recall, start, complete, transfer … ``ticket``."""
    return user.is_authenticated and user.is_staff_of(ticket.center_id)
