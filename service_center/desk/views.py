"""The desk pages: sign on to a window, then call, serve, complete and transfer there.

Every action is a CSRF-protected form that works without JavaScript; desk.js sends the same
forms to the window-clerk API instead and refreshes the page's regions in place.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from ..auth.decorators import role_required
from ..auth.models import Role
from ..catalogue.models import ServiceItem
from ..catalogue.services import group_by_case_type
from ..clock import now_utc
from ..db import db
from ..errors import DomainError
from ..queueing import services as queue
from ..queueing.models import Outcome, Ticket
from ..windows.models import Window, WindowState
from . import access, services
from .forms import OUTCOME_LABELS, ActionForm, CaseCompletionForm, TicketTransferForm
from .permissions import can_operate_window, can_sign_on, sign_on_choices

bp = Blueprint("desk", __name__, url_prefix="/desk")

desk_staff = role_required(Role.CLERK, Role.SUPERVISOR)


def _back(window: Window) -> Response:
    return redirect(url_for("desk.window", window_id=window.id))


def _refuse(exc: DomainError) -> None:
    db.session.rollback()
    flash(str(exc), "info" if isinstance(exc, queue.QueueEmpty) else "error")


@bp.get("")
@desk_staff
def index() -> Any:
    """The center's windows: sign on to one (a clerk already signed on goes to their desk)."""
    mine = services.signed_on_window(current_user)
    if mine is not None and current_user.role is Role.CLERK:
        return redirect(url_for("desk.window", window_id=mine.id))
    windows = db.session.scalars(
        select(Window)
        .where(Window.center_id == current_user.center_id, Window.retired_dt.is_(None))
        .order_by(Window.number)
    )
    now = now_utc()
    choices = sign_on_choices(current_user, list(windows))
    windows = [w for w in choices if w != mine] + ([mine] if mine is not None else [])
    windows.sort(key=lambda w: w.number)
    taken = {w.id for w in windows if w != mine and services.staffed_today(w, now=now)}
    return render_template(
        "desk/index.html", windows=windows, mine=mine, taken=taken, form=ActionForm()
    )


@bp.post("/<int:window_id>/sign-on")
@desk_staff
def sign_on(window_id: int) -> Response:
    window = db.get_or_404(Window, window_id)
    if not can_sign_on(current_user, window):
        abort(403)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        services.sign_on(window, current_user, now=now_utc())
    except DomainError as exc:
        _refuse(exc)
        return redirect(url_for("desk.index"))
    db.session.commit()
    flash(
        _("Signed on to window %(number)d; it is open for calls.", number=window.number), "success"
    )
    return _back(window)


@bp.post("/<int:window_id>/sign-off")
@desk_staff
def sign_off(window_id: int) -> Response:
    window = access.operable_window(window_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        services.sign_off(window, current_user, now=now_utc())
    except DomainError as exc:
        _refuse(exc)
        return _back(window)
    db.session.commit()
    flash(_("Signed off window %(number)d; it is closed.", number=window.number), "success")
    return redirect(url_for("desk.index"))


@bp.get("/<int:window_id>")
@desk_staff
def window(window_id: int) -> Any:
    """The desk: the current ticket large, the queue beside it, today's counts, shortcuts."""
    window = db.get_or_404(Window, window_id)
    if current_user.role is Role.CLERK and window.clerk_id != current_user.id:
        if can_sign_on(current_user, window):
            flash(_("Sign on to window %(number)d to work there.", number=window.number), "info")
            return redirect(url_for("desk.index"))
        abort(403)
    if not can_operate_window(current_user, window):
        abort(403)
    return _render(window)


def _render(
    window: Window,
    *,
    complete_form: CaseCompletionForm | None = None,
    transfer_form: TicketTransferForm | None = None,
    status: int = 200,
) -> tuple[str, int]:
    now = now_utc()
    state = services.desk_state(window, current_user, now=now)
    current = state.current
    items = db.session.scalars(
        select(ServiceItem)
        .where(ServiceItem.center_id == window.center_id, ServiceItem.is_active)
        .order_by(ServiceItem.code)
    )
    body = render_template(
        "desk/window.html",
        state=state,
        window=window,
        current=current,
        applicant=services.applicant_of(current) if current else None,
        needs_applicant=services.needs_applicant(current) if current else False,
        materials=queue.material_choices(current.service_item) if current else [],
        can={a: current is not None and queue.can(current, a) for a in queue.STAFF_ACTIONS},
        can_requeue={t.id: services.can_requeue(t, now=now) for t in state.no_shows},
        versions=services.region_versions(state, now=now),
        now=now,
        form=ActionForm(),
        complete_form=complete_form or CaseCompletionForm(formdata=None),
        transfer_form=transfer_form or TicketTransferForm(formdata=None),
        outcome_labels=OUTCOME_LABELS,
        windows=[w for w in window.center.windows if w.id != window.id],
        item_groups=group_by_case_type(list(items)),
    )
    return body, status


@bp.post("/<int:window_id>/call-next")
@desk_staff
def call_next(window_id: int) -> Response:
    window = access.operable_window(window_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        ticket = queue.call_next_ticket(window, now=now_utc(), actor=current_user)
    except DomainError as exc:
        _refuse(exc)
    else:
        db.session.commit()
        flash(_("Now calling %(number)s.", number=ticket.number), "success")
    return _back(window)


def _set_state(window_id: int, state: WindowState, message: str) -> Response:
    window = access.operable_window(window_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        queue.set_window_state(window, state, now=now_utc(), actor=current_user)
    except DomainError as exc:
        _refuse(exc)
    else:
        db.session.commit()
        flash(message, "success")
    return _back(window)


@bp.post("/<int:window_id>/pause")
@desk_staff
def pause(window_id: int) -> Response:
    return _set_state(window_id, WindowState.PAUSED, _("Paused: this window takes no calls."))


@bp.post("/<int:window_id>/resume")
@desk_staff
def resume(window_id: int) -> Response:
    return _set_state(window_id, WindowState.OPEN, _("Open: this window takes calls again."))


TICKET_ACTIONS: dict[str, tuple[Callable[..., Ticket], Any]] = {
    "recall": (queue.recall_ticket, lambda t: _("Calling %(number)s again.", number=t.number)),
    "start": (queue.start_ticket, lambda t: _("Serving %(number)s.", number=t.number)),
    "no-show": (queue.mark_no_show, lambda t: _("%(number)s marked no-show.", number=t.number)),
    "requeue": (
        queue.requeue_ticket,
        lambda t: _("%(number)s is back in the queue.", number=t.number),
    ),
    "undo-no-show": (
        queue.undo_no_show,
        lambda t: _("No-show undone: %(number)s is called at this window again.", number=t.number),
    ),
}


@bp.post(
    "/<int:window_id>/tickets/<int:ticket_id>"
    "/<any(recall, start, 'no-show', requeue, 'undo-no-show'):action>"
)
@desk_staff
def ticket_action(window_id: int, ticket_id: int, action: str) -> Response:
    window = access.operable_window(window_id)
    ticket = access.actionable_ticket(ticket_id, window)
    if not ActionForm().validate_on_submit():
        abort(400)
    perform, message = TICKET_ACTIONS[action]
    try:
        ticket = perform(ticket, now=now_utc(), actor=current_user)
    except DomainError as exc:
        _refuse(exc)
    else:
        db.session.commit()
        flash(message(ticket), "success")
    return _back(window)


@bp.post("/<int:window_id>/tickets/<int:ticket_id>/complete")
@desk_staff
def complete(window_id: int, ticket_id: int) -> Any:
    window = access.operable_window(window_id)
    ticket = access.actionable_ticket(ticket_id, window)
    form = CaseCompletionForm()
    if not form.validate_on_submit():
        return _render(window, complete_form=form, status=422)
    try:
        case_ = services.complete_at_desk(
            ticket,
            now=now_utc(),
            outcome=Outcome(form.outcome.data),
            notes=form.notes.data or "",
            applicant_name=form.applicant_name.data,
            applicant_phone=form.applicant_phone.data,
            missing_materials=form.missing_materials.data or [],
            actor=current_user,
        )
    except DomainError as exc:
        db.session.rollback()
        if exc.field and exc.field in form:
            form[exc.field].errors.append(str(exc))
            return _render(window, complete_form=form, status=422)
        flash(str(exc), "error")
        return _back(window)
    db.session.commit()
    flash(
        _("%(number)s completed: case %(case)s recorded.", number=ticket.number, case=case_.number),
        "success",
    )
    return _back(window)


@bp.post("/<int:window_id>/tickets/<int:ticket_id>/transfer")
@desk_staff
def transfer(window_id: int, ticket_id: int) -> Any:
    window = access.operable_window(window_id)
    ticket = access.actionable_ticket(ticket_id, window)
    form = TicketTransferForm()
    if not form.validate_on_submit():
        abort(400)
    target = db.session.get(Window, form.window.data) if form.window.data else None
    item = db.session.get(ServiceItem, form.service.data) if form.service.data else None
    if (target and target.center_id != window.center_id) or (
        item and item.center_id != window.center_id
    ):
        abort(404)
    try:
        queue.transfer_ticket(ticket, now=now_utc(), window=target, item=item, actor=current_user)
    except DomainError as exc:
        db.session.rollback()
        if exc.field and exc.field in form:
            form[exc.field].errors.append(str(exc))
            return _render(window, transfer_form=form, status=422)
        flash(str(exc), "error")
        return _back(window)
    db.session.commit()
    flash(_("%(number)s transferred; it waits again.", number=ticket.number), "success")
    return _back(window)


@bp.post("/<int:window_id>/tickets/<int:ticket_id>/priority")
@desk_staff
def priority(window_id: int, ticket_id: int) -> Response:
    window = access.operable_window(window_id)
    ticket = access.waiting_ticket_of(window, ticket_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        services.grant_priority(ticket, window, now=now_utc(), actor=current_user)
    except DomainError as exc:
        _refuse(exc)
    else:
        db.session.commit()
        flash(_("%(number)s moved to the priority lane.", number=ticket.number), "success")
    return _back(window)
