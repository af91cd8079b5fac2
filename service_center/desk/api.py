"""The clerk's endpoints of /api/v1 (API.md "Window clerks"): sign on and off, open, pause and
close a window, its queue and desk state, call-next, and every action on a ticket: recall,
start, no-show (and its undo), requeue, transfer, complete, priority. ``views.py`` has the same
actions as pages; both load and authorise through ``access.py``. The shapes are declared in
``schemas.py``."""

from __future__ import annotations

from typing import Any

from flask import abort, jsonify
from flask_babel import gettext as _
from flask_login import current_user

from ..api import bp
from ..api.schema import operation
from ..catalogue.models import ServiceItem
from ..clock import now_utc, to_local
from ..db import committed_for_response, db
from ..errors import Invalid
from ..queueing import services as queue
from ..queueing.formats import ticket_json
from ..queueing.models import Outcome, Ticket
from ..queueing.schemas import Ticket as TicketAnswer
from ..windows.models import Window, WindowState
from . import access, services
from .permissions import can_sign_on
from .schemas import (
    CompleteTicket,
    DeskCompletion,
    DeskState,
    DeskWindow,
    TransferTicket,
    WindowQueueEntry,
)
from .schemas import WindowState as WindowStateAnswer

#: how the document names the path variables, as the contract has them
WINDOW_ID = {"window_id": "id"}
TICKET_ID = {"ticket_id": "id"}
#: what every clerk action may answer besides its result (401 and 403 come with ``staff``)
CONFLICTS = (404, 409)


def _iso(moment, window: Window) -> str | None:
    return (
        to_local(moment, window.center.timezone).isoformat(timespec="seconds") if moment else None
    )


def window_json(window: Window) -> dict[str, Any]:
    clerk = window.clerk
    return {
        "id": window.id,
        "number": window.number,
        "name": window.name,
        "status": window.state.value,
        "clerk": {"id": clerk.id, "name": clerk.display_name} if clerk else None,
        "clerk_since": _iso(window.clerk_since_dt, window),
    }


@bp.post("/windows/<int:window_id>/sign-on")
@operation(
    "Sign the caller on to a window for the day and open it",
    description="Clerks and supervisors of the window's center. A clerk staffs one window: "
    "signing on elsewhere signs them off (and closes) their previous window. 409 when another "
    "clerk staffs the window today or the previous window still holds a ticket.",
    responses={200: DeskWindow},
    problems=CONFLICTS,
    staff=True,
    path_names=WINDOW_ID,
)
def sign_on_window(window_id: int) -> Any:
    window = db.get_or_404(Window, window_id)
    if not can_sign_on(current_user, window):
        abort(403)
    window = services.sign_on(window, current_user, now=now_utc())
    db.session.commit()
    return jsonify(window_json(window))


@bp.post("/windows/<int:window_id>/sign-off")
@operation(
    "Sign the clerk off a window and close it",
    description="409 while the window holds a called or serving ticket.",
    responses={200: DeskWindow},
    problems=CONFLICTS,
    staff=True,
    path_names=WINDOW_ID,
)
def sign_off_window(window_id: int) -> Any:
    window = services.sign_off(access.operable_window(window_id), current_user, now=now_utc())
    db.session.commit()
    return jsonify(window_json(window))


@bp.get("/windows/<int:window_id>/desk")
@operation(
    "The desk: current ticket (applicant unmasked), queue, no-shows, today's counts",
    responses={200: DeskState},
    problems=CONFLICTS,
    staff=True,
    path_names=WINDOW_ID,
)
def desk_state(window_id: int) -> Any:
    window = access.operable_window(window_id)
    now = now_utc()
    state = services.desk_state(window, current_user, now=now)
    current = state.current
    last = state.last_case
    return jsonify(
        {
            "window": window_json(window),
            "current": _current_json(current, now) if current else None,
            "queue": [
                {
                    **ticket_json(t, now=now, position=False),
                    "position": index,
                    "waiting_seconds": int((now - t.queued_dt).total_seconds()),
                    "transferred_here": t.transfer_window_id == window.id,
                    "requeued": t.is_requeued,
                }
                for index, t in enumerate(state.queue)
            ],
            "no_shows": [
                {
                    "id": t.id,
                    "number": t.number,
                    "service_name": t.service_item.name,
                    "missed_at": _iso(t.finished_dt, window),
                    "requeue": services.can_requeue(t, now=now),
                }
                for t in state.no_shows
            ],
            "counts": {
                "cases": state.counts.cases,
                "completed": state.counts.completed,
                "documents_missing": state.counts.documents_missing,
                "not_accepted": state.counts.not_accepted,
                "no_shows": state.counts.no_shows,
                "transfers": state.counts.transfers,
                "mean_service_minutes": state.counts.mean_service_minutes,
                "waiting": len(state.queue),
            },
            "last_case": (
                {"number": last.number, "outcome": last.outcome.value, "ticket": last.ticket.number}
                if last and last.ticket
                else None
            ),
            "undo": (
                {
                    "id": state.undo.ticket.id,
                    "number": state.undo.ticket.number,
                    "until": _iso(state.undo.until, window),
                    "seconds_left": state.undo.seconds_left(now),
                }
                if state.undo
                else None
            ),
            "versions": services.region_versions(state, now=now),
        }
    )


def _current_json(ticket: Ticket, now) -> dict[str, Any]:
    item = ticket.service_item
    return {
        **ticket_json(ticket, now=now, position=False),
        "item": {
            "name": item.name,
            "materials": item.materials,
            "on_the_spot": item.is_on_the_spot,
            "time_limit_days": item.time_limit_days,
        },
        "applicant": services.applicant_of(ticket),  # the clerk's own view: unmasked
        "needs_applicant": services.needs_applicant(ticket),
        "waited_seconds": int(((ticket.first_called_dt or now) - ticket.issued_dt).total_seconds()),
        "actions": [action for action in queue.STAFF_ACTIONS if queue.can(ticket, action)],
    }


@bp.post("/windows/<int:window_id>/queue/<int:ticket_id>/priority")
@operation(
    "Move a ticket waiting for this window into the priority lane",
    responses={200: TicketAnswer},
    problems=(*CONFLICTS, 422),
    staff=True,
    path_names=WINDOW_ID,
)
def grant_priority(window_id: int, ticket_id: int) -> Any:
    window = access.operable_window(window_id)
    ticket = access.waiting_ticket_of(window, ticket_id)
    now = now_utc()
    ticket = services.grant_priority(ticket, window, now=now, actor=current_user)
    db.session.commit()
    return jsonify(ticket_json(ticket, now=now))


def window_state_json(window: Window) -> dict[str, Any]:
    return {
        "id": window.id,
        "number": window.number,
        "name": window.name,
        "status": window.state.value,
    }


def _set_state(window_id: int, state: WindowState) -> Any:
    window = access.operable_window(window_id)
    window = queue.set_window_state(window, state, now=now_utc(), actor=current_user)
    with committed_for_response():
        return jsonify(window_state_json(window))


def _window_state_action(summary: str) -> Any:
    return operation(
        summary,
        responses={200: WindowStateAnswer},
        problems=CONFLICTS,
        staff=True,
        path_names=WINDOW_ID,
    )


@bp.post("/windows/<int:window_id>/open")
@_window_state_action("Open a window for calls")
def open_window(window_id: int) -> Any:
    return _set_state(window_id, WindowState.OPEN)


@bp.post("/windows/<int:window_id>/pause")
@_window_state_action("Pause a window (no calls)")
def pause_window(window_id: int) -> Any:
    return _set_state(window_id, WindowState.PAUSED)


@bp.post("/windows/<int:window_id>/close")
@_window_state_action("Close a window")
def close_window(window_id: int) -> Any:
    return _set_state(window_id, WindowState.CLOSED)


@bp.post("/windows/<int:window_id>/call-next")
@operation(
    "Call the next ticket to this window (exactly once)",
    responses={200: TicketAnswer, 204: ("Nobody is waiting for this window", None)},
    problems=CONFLICTS,
    staff=True,
    path_names=WINDOW_ID,
)
def call_next(window_id: int) -> Any:
    window = access.operable_window(window_id)
    now = now_utc()
    try:
        ticket = queue.call_next_ticket(window, now=now, actor=current_user)
    except queue.QueueEmpty:
        db.session.rollback()
        return "", 204
    with committed_for_response():
        # the item and its case type in one statement after the commit, outside the lock (the
        # center came with the window)
        access.hold(
            db.session.get(ServiceItem, ticket.service_item_id, options=access.ITEM_AND_CASE_TYPE)
        )
        return jsonify(ticket_json(ticket, now=now))


@bp.get("/windows/<int:window_id>/queue")
@operation(
    "The window's queue in the order call-next takes it",
    responses={200: list[WindowQueueEntry]},
    problems=CONFLICTS,
    staff=True,
    path_names=WINDOW_ID,
)
def window_queue(window_id: int) -> Any:
    window = access.operable_window(window_id)
    now = now_utc()
    waiting = queue.window_queue(window, now=now)
    return jsonify(
        [
            {
                **ticket_json(t, now=now, position=False),
                "position": index,
                "waiting_seconds": int((now - t.queued_dt).total_seconds()),
            }
            for index, t in enumerate(waiting)
        ]
    )


def _ticket_action(summary: str) -> Any:
    return operation(
        summary,
        responses={200: TicketAnswer},
        problems=CONFLICTS,
        staff=True,
        path_names=TICKET_ID,
    )


def _act(ticket_id: int, action) -> Any:
    ticket = access.actionable_ticket(ticket_id)
    now = now_utc()
    ticket = action(ticket, now=now, actor=current_user)
    with committed_for_response():
        return jsonify(ticket_json(ticket, now=now))


@bp.post("/tickets/<int:ticket_id>/recall")
@_ticket_action("Announce a called ticket again")
def recall(ticket_id: int) -> Any:
    return _act(ticket_id, queue.recall_ticket)


@bp.post("/tickets/<int:ticket_id>/start")
@_ticket_action("Start serving a called ticket")
def start(ticket_id: int) -> Any:
    return _act(ticket_id, queue.start_ticket)


@bp.post("/tickets/<int:ticket_id>/no-show")
@_ticket_action("Mark a called ticket no-show (过号)")
def no_show(ticket_id: int) -> Any:
    return _act(ticket_id, queue.mark_no_show)


@bp.post("/tickets/<int:ticket_id>/undo-no-show")
@operation(
    "Undo the no-show the caller just marked: called at its window again",
    description="Only the clerk who marked the no-show, within QUEUE_NO_SHOW_UNDO_SECONDS "
    "(10 s by default) and before anything else happened to the ticket (a requeue at the "
    'kiosk); the ticket is called at the same window again, as before, and its "missed" '
    "message is withdrawn unsent. 409 when the no-show is final or the window holds another "
    "ticket now.",
    responses={200: TicketAnswer},
    problems=CONFLICTS,
    staff=True,
    path_names=TICKET_ID,
)
def undo_no_show(ticket_id: int) -> Any:
    return _act(ticket_id, queue.undo_no_show)


@bp.post("/tickets/<int:ticket_id>/requeue")
@_ticket_action("Put a no-show back in the queue once")
def requeue(ticket_id: int) -> Any:
    return _act(ticket_id, queue.requeue_ticket)


@bp.post("/tickets/<int:ticket_id>/transfer")
@operation(
    "Transfer to another window or item; waits again, keeps its time",
    body=TransferTicket,
    responses={200: TicketAnswer},
    problems=CONFLICTS,
    staff=True,
    path_names=TICKET_ID,
)
def transfer(ticket_id: int, body: TransferTicket) -> Any:
    ticket = access.actionable_ticket(ticket_id)
    window = item = None
    if body.window is not None:
        window = db.session.get(Window, body.window)
        if window is None or window.center_id != ticket.center_id:
            raise Invalid(_("No such window at this center."), field="window")
    if body.service is not None:
        item = db.session.get(ServiceItem, body.service)
        if item is None or item.center_id != ticket.center_id:
            raise Invalid(_("This center offers no such service item."), field="service")
    now = now_utc()
    ticket = queue.transfer_ticket(ticket, now=now, window=window, item=item, actor=current_user)
    with committed_for_response():
        return jsonify(ticket_json(ticket, now=now))


@bp.post("/tickets/<int:ticket_id>/complete")
@operation(
    "Complete a served ticket and record its case",
    body=CompleteTicket,
    responses={200: DeskCompletion},
    problems=CONFLICTS,
    staff=True,
    path_names=TICKET_ID,
)
def complete(ticket_id: int, body: CompleteTicket) -> Any:
    ticket = access.actionable_ticket(ticket_id)
    now = now_utc()
    case_ = services.complete_at_desk(
        ticket,
        now=now,
        outcome=Outcome(body.outcome),
        notes=body.notes or "",
        applicant_name=body.applicant_name or None,
        applicant_phone=body.applicant_phone or None,
        missing_materials=body.missing_materials,
        actor=current_user,
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
