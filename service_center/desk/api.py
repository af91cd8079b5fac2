"""Desk endpoints of /api/v1: sign on and off a window, the desk's state, the priority lane,
and the resident's rating of a closed case."""

from __future__ import annotations

from typing import Any

from flask import abort, jsonify
from flask_babel import gettext as _
from flask_login import current_user

from ..api import bp, json_body, staff_required
from ..clock import now_utc, to_local
from ..db import db
from ..errors import Forbidden, Invalid
from ..queueing import ratings
from ..queueing import services as queue
from ..queueing.api import NOT_YOUR_WINDOW, ticket_json
from ..queueing.models import Ticket
from ..windows.models import Window
from ..windows.permissions import can_operate_window, can_sign_on
from . import services
from .api_spec import document_desk_api

document_desk_api()


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


def _operable(window_id: int) -> Window:
    window = db.get_or_404(Window, window_id)
    if not can_operate_window(current_user, window):
        raise Forbidden(NOT_YOUR_WINDOW)
    return window


@bp.post("/windows/<int:window_id>/sign-on")
@staff_required
def sign_on_window(window_id: int) -> Any:
    window = db.get_or_404(Window, window_id)
    if not can_sign_on(current_user, window):
        abort(403)
    window = services.sign_on(window, current_user, now=now_utc())
    db.session.commit()
    return jsonify(window_json(window))


@bp.post("/windows/<int:window_id>/sign-off")
@staff_required
def sign_off_window(window_id: int) -> Any:
    window = services.sign_off(_operable(window_id), current_user, now=now_utc())
    db.session.commit()
    return jsonify(window_json(window))


@bp.get("/windows/<int:window_id>/desk")
@staff_required
def desk_state(window_id: int) -> Any:
    window = _operable(window_id)
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
        "actions": [action for action in queue.ALLOWED if queue.can(ticket, action)],
    }


@bp.post("/windows/<int:window_id>/queue/<int:ticket_id>/priority")
@staff_required
def grant_priority(window_id: int, ticket_id: int) -> Any:
    window = _operable(window_id)
    ticket = db.get_or_404(Ticket, ticket_id)
    if ticket.center_id != window.center_id:
        abort(404)
    now = now_utc()
    ticket = services.grant_priority(ticket, window, now=now, actor=current_user)
    db.session.commit()
    return jsonify(ticket_json(ticket, now=now))


@bp.post("/tickets/<token>/evaluation")
def rate_ticket(token: str) -> Any:
    ticket = queue.get_ticket_by_token(token)
    body = json_body()
    comment = body.get("comment")
    if comment is not None and not isinstance(comment, str):
        raise Invalid(_("The comment must be text."), field="comment")
    evaluation = ratings.rate_case(
        ticket, rating=body.get("rating"), comment=comment, now=now_utc()
    )
    db.session.commit()
    return jsonify(
        {
            "rating": evaluation.rating,
            "comment": evaluation.comment,
            "rated_at": to_local(evaluation.created_dt, ticket.center.timezone).isoformat(
                timespec="seconds"
            ),
        }
    ), 201
