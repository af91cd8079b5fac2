"""Load and authorise, once for every clerk action, its page and its JSON route alike.

A window or ticket that does not exist is 404 (``NotFound``); one the caller may not act on is
403 (``Forbidden``): the error handlers answer a page or problem+json. What an action and its
answer read comes with the row in one statement and is held for the request.
"""

from __future__ import annotations

from flask import g
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm import joinedload

from ..catalogue.models import ServiceItem
from ..db import db
from ..errors import Forbidden, NotFound
from ..queueing.models import Ticket
from ..windows.models import Window
from .permissions import can_act_on_ticket, can_operate_window

NOT_YOUR_WINDOW = _l(
    "Only the clerk signed on to this window, or a supervisor of its center, may act here."
)

#: what a clerk's action and its answer read of the ticket, loaded with it in one statement
_TICKET_AND_ITS_ROWS = [
    joinedload(Ticket.window),
    joinedload(Ticket.center),
    joinedload(Ticket.service_item),
    joinedload(Ticket.case_type),
]
ITEM_AND_CASE_TYPE = [joinedload(ServiceItem.case_type)]


def hold(*rows: object) -> None:
    """Keep ``rows`` for the rest of the request.

    The session's identity map holds objects weakly, and a ticket or window read again under
    its lock lets go of its related rows; the answer then finds them in the identity map
    (no statement) instead of loading each again.
    """
    g.setdefault("held_rows", []).extend(rows)


def operable_window(window_id: int) -> Window:
    """Return the window ``window_id`` if the caller may operate it (with its center).

    :raises NotFound: for no such window, or a retired one (nobody operates it again).
    :raises Forbidden: unless the caller is signed on to it or supervises its center.
    """
    window = db.session.get(Window, window_id, options=[joinedload(Window.center)])
    if window is None or window.is_retired:
        raise NotFound()
    if not can_operate_window(current_user, window):
        raise Forbidden(NOT_YOUR_WINDOW)
    hold(window.center)
    return window


def actionable_ticket(ticket_id: int, window: Window | None = None) -> Ticket:
    """Return the ticket ``ticket_id`` if the caller may act on it (at ``window``, if given).

    Read before the unit of work, outside SQLite's write lock: only what the action decides on
    is read again under it (docs/performance.md, 10).

    :raises NotFound: for no such ticket, or one of another center than ``window``'s.
    :raises Forbidden: unless it is held by (or missed at) the caller's window, or the caller
        supervises its center.
    """
    ticket = db.session.get(Ticket, ticket_id, options=_TICKET_AND_ITS_ROWS)
    if ticket is None or (window is not None and ticket.center_id != window.center_id):
        raise NotFound()
    if not can_act_on_ticket(current_user, ticket):
        raise Forbidden(NOT_YOUR_WINDOW)
    hold(ticket.window, ticket.center, ticket.service_item, ticket.case_type)
    return ticket


def waiting_ticket_of(window: Window, ticket_id: int) -> Ticket:
    """Return a ticket of the window's center, for an action on the queue (the priority lane):
    the caller's right to operate ``window`` covers it.

    :raises NotFound: for no such ticket, or one of another center.
    """
    ticket = db.session.get(Ticket, ticket_id)
    if ticket is None or ticket.center_id != window.center_id:
        raise NotFound()
    return ticket
