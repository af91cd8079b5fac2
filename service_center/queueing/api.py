"""Tickets and window-clerk endpoints of /api/v1 (API.md "Public" tickets, "Window clerks")."""

from __future__ import annotations

from typing import Any

from flask import abort, g, jsonify
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm import joinedload

from ..api import bp, json_body, staff_required
from ..catalogue import services as catalogue
from ..catalogue.models import ServiceItem
from ..clock import now_utc, to_local
from ..db import committed_for_response, db, write_transaction
from ..errors import Forbidden, Invalid, NotFound, problem
from ..windows.models import Window, WindowState
from ..windows.permissions import can_act_on_ticket, can_operate_window
from . import services
from .api_spec import document_queue_api
from .models import Outcome, Ticket

document_queue_api()

NOT_YOUR_WINDOW = _l(
    "Only the clerk signed on to this window, or a supervisor of its center, may act here."
)


def _iso(moment, timezone: str) -> str | None:
    return to_local(moment, timezone).isoformat(timespec="seconds") if moment else None


def ticket_json(ticket: Ticket, *, now=None, position: bool = True) -> dict[str, Any]:
    """The API shape of a ticket (public: no personal data)."""
    now = now or now_utc()
    tz = ticket.center.timezone
    data: dict[str, Any] = {
        "id": ticket.id,
        "token": ticket.token,
        "number": ticket.number,
        "center": ticket.center.code,
        "service": ticket.service_item_id,
        "service_name": ticket.service_item.name,
        "case_type": ticket.case_type.code,
        "status": ticket.state.value,
        "priority": ticket.is_priority,
        "booked": ticket.is_booked,
        "issued_at": _iso(ticket.issued_dt, tz),
        "called_at": _iso(ticket.called_dt, tz),
        "call_count": ticket.call_count,
        "window": ticket.window.number if ticket.window is not None and ticket.is_current else None,
    }
    if position:
        where = services.queue_position(ticket, now=now)
        data["position"] = where.ahead
        data["estimated_wait_minutes"] = where.estimated_wait_minutes
    return data


def _window_json(window: Window) -> dict[str, Any]:
    return {
        "id": window.id,
        "number": window.number,
        "name": window.name,
        "status": window.state.value,
    }


def _bool(value: Any, field: str) -> bool:
    if value is None:
        return False
    if not isinstance(value, bool):
        raise Invalid(_("Must be true or false."), field=field)
    return value


def _int(value: Any, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise Invalid(_("Must be a whole number."), field=field)
    return value


@bp.post("/tickets")
def issue_ticket() -> Any:
    body = json_body()
    errors: dict[str, list[str]] = {}
    if not isinstance(body.get("center"), str) or not body.get("center"):
        errors["center"] = [_("Give the center's code.")]
    if body.get("service") is None:
        errors["service"] = [_("Choose a service item.")]
    elif isinstance(body["service"], bool) or not isinstance(body["service"], int):
        errors["service"] = [_("Must be a whole number.")]
    if errors:
        return problem(422, _("Please correct the input."), errors=errors)
    priority = _bool(body.get("priority"), "priority")
    # the center (its calendar version) is read under the lock the ticket is issued under
    write_transaction()
    center, item = catalogue.find_center_and_item(body["center"], body["service"])
    if center is None:
        raise NotFound(_("No service center has the code %(code)s.", code=body["center"]))
    if item is None or not item.is_active:
        raise NotFound(_("This center offers no such service item."))
    if (
        priority
        and not center.kiosk_priority_enabled
        and not (current_user.is_authenticated and current_user.is_staff_of(center.id))
    ):
        raise Forbidden(
            _("The priority lane is granted by staff at this center."), field="priority"
        )
    now = now_utc()
    ticket = services.issue_ticket(center, item, now=now, priority=priority)
    with committed_for_response():
        return jsonify(ticket_json(ticket, now=now)), 201


@bp.get("/tickets/<token>")
def get_ticket(token: str) -> Any:
    ticket = services.get_ticket_by_token(token)
    return jsonify(ticket_json(ticket))


def _hold(*rows: object) -> None:
    """Keep ``rows`` for the rest of the request.

    The session's identity map holds objects weakly, and a ticket or window read again under
    its lock lets go of its related rows; the answer then finds them in the identity map
    (no statement) instead of loading each again.
    """
    g.setdefault("held_rows", []).extend(rows)


def _window_for_staff(window_id: int) -> Window:
    window = db.session.get(Window, window_id, options=[joinedload(Window.center)])
    if window is None:
        abort(404)
    if not can_operate_window(current_user, window):
        raise Forbidden(NOT_YOUR_WINDOW)
    _hold(window.center)
    return window


#: what a clerk's action and its answer read of the ticket, loaded with it in one statement
_TICKET_AND_ITS_ROWS = [
    joinedload(Ticket.window),
    joinedload(Ticket.center),
    joinedload(Ticket.service_item),
    joinedload(Ticket.case_type),
]


_ITEM_AND_CASE_TYPE = [joinedload(ServiceItem.case_type)]


def _ticket_for_staff(ticket_id: int) -> Ticket:
    # read before the unit of work, outside SQLite's write lock: only what the action decides
    # on is read again under it (docs/performance.md, 10)
    ticket = db.session.get(Ticket, ticket_id, options=_TICKET_AND_ITS_ROWS)
    if ticket is None:
        abort(404)
    if not can_act_on_ticket(current_user, ticket):
        raise Forbidden(NOT_YOUR_WINDOW)
    _hold(ticket.window, ticket.center, ticket.service_item, ticket.case_type)
    return ticket


def _set_state(window_id: int, state: WindowState) -> Any:
    window = _window_for_staff(window_id)
    window = services.set_window_state(window, state, now=now_utc(), actor=current_user)
    with committed_for_response():
        return jsonify(_window_json(window))


@bp.post("/windows/<int:window_id>/open")
@staff_required
def open_window(window_id: int) -> Any:
    return _set_state(window_id, WindowState.OPEN)


@bp.post("/windows/<int:window_id>/pause")
@staff_required
def pause_window(window_id: int) -> Any:
    return _set_state(window_id, WindowState.PAUSED)


@bp.post("/windows/<int:window_id>/close")
@staff_required
def close_window(window_id: int) -> Any:
    return _set_state(window_id, WindowState.CLOSED)


@bp.post("/windows/<int:window_id>/call-next")
@staff_required
def call_next(window_id: int) -> Any:
    window = _window_for_staff(window_id)
    now = now_utc()
    try:
        ticket = services.call_next_ticket(window, now=now, actor=current_user)
    except services.QueueEmpty:
        db.session.rollback()
        return "", 204
    with committed_for_response():
        # the item and its case type in one statement after the commit, outside the lock (the
        # center came with the window)
        _hold(db.session.get(ServiceItem, ticket.service_item_id, options=_ITEM_AND_CASE_TYPE))
        return jsonify(ticket_json(ticket, now=now))


@bp.get("/windows/<int:window_id>/queue")
@staff_required
def window_queue(window_id: int) -> Any:
    window = _window_for_staff(window_id)
    now = now_utc()
    queue = services.window_queue(window, now=now)
    return jsonify(
        [
            {
                **ticket_json(t, now=now, position=False),
                "position": index,
                "waiting_seconds": int((now - t.queued_dt).total_seconds()),
            }
            for index, t in enumerate(queue)
        ]
    )


def _ticket_action(ticket_id: int, action) -> Any:
    ticket = _ticket_for_staff(ticket_id)
    now = now_utc()
    ticket = action(ticket, now=now, actor=current_user)
    with committed_for_response():
        return jsonify(ticket_json(ticket, now=now))


@bp.post("/tickets/<int:ticket_id>/recall")
@staff_required
def recall(ticket_id: int) -> Any:
    return _ticket_action(ticket_id, services.recall_ticket)


@bp.post("/tickets/<int:ticket_id>/start")
@staff_required
def start(ticket_id: int) -> Any:
    return _ticket_action(ticket_id, services.start_ticket)


@bp.post("/tickets/<int:ticket_id>/no-show")
@staff_required
def no_show(ticket_id: int) -> Any:
    return _ticket_action(ticket_id, services.mark_no_show)


@bp.post("/tickets/<int:ticket_id>/requeue")
@staff_required
def requeue(ticket_id: int) -> Any:
    return _ticket_action(ticket_id, services.requeue_ticket)


@bp.post("/tickets/<int:ticket_id>/transfer")
@staff_required
def transfer(ticket_id: int) -> Any:
    ticket = _ticket_for_staff(ticket_id)
    body = json_body()
    window = item = None
    if body.get("window") is not None:
        window = db.session.get(Window, _int(body["window"], "window"))
        if window is None or window.center_id != ticket.center_id:
            raise Invalid(_("No such window at this center."), field="window")
    if body.get("service") is not None:
        item = db.session.get(ServiceItem, _int(body["service"], "service"))
        if item is None or item.center_id != ticket.center_id:
            raise Invalid(_("This center offers no such service item."), field="service")
    now = now_utc()
    ticket = services.transfer_ticket(ticket, now=now, window=window, item=item, actor=current_user)
    with committed_for_response():
        return jsonify(ticket_json(ticket, now=now))


@bp.post("/tickets/<int:ticket_id>/complete")
@staff_required
def complete(ticket_id: int) -> Any:
    ticket = _ticket_for_staff(ticket_id)
    body = json_body()
    try:
        outcome = Outcome(body.get("outcome"))
    except ValueError:
        raise Invalid(
            _("Choose the outcome: completed, documents_missing or not_accepted."), field="outcome"
        ) from None
    notes = body.get("notes") or ""
    if not isinstance(notes, str) or len(notes) > 2000:
        raise Invalid(_("Notes must be text of at most 2000 characters."), field="notes")
    applicant = {key: body.get(key) or None for key in ("applicant_name", "applicant_phone")}
    for key, value in applicant.items():
        if value is not None and not isinstance(value, str):
            raise Invalid(_("Must be text."), field=key)
    from ..desk.services import complete_at_desk  # the applicant rules of the desk

    now = now_utc()
    case_ = complete_at_desk(
        ticket, now=now, outcome=outcome, notes=notes, actor=current_user, **applicant
    )
    with committed_for_response():
        return jsonify(
            {
                "ticket": ticket_json(case_.ticket, now=now, position=False),
                "case": {
                    "number": case_.number,
                    "case_type": case_.case_type.code,
                    "outcome": case_.outcome.value,
                },
            }
        )
