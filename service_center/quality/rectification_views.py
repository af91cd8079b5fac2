"""The rectification pages: a center's list (overdue first), one item with its evidence,
history and the forms of the steps allowed now, and the CSV export."""

from __future__ import annotations

from typing import Any

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm

from ..api.schema import MAX_ID
from ..auth.decorators import role_required
from ..auth.models import Role, User
from ..catalogue.models import Center
from ..catalogue.services import get_center
from ..clock import local_date, now_utc
from ..db import db, write_transaction
from ..errors import DomainError, Forbidden
from ..queueing.ratings import RATING_LABELS
from . import permissions
from . import rectifications as steps
from .evidence import evidence
from .models import BreachKind, Rectification, RectificationState
from .rectification_forms import STEP_FORMS, ReassignForm
from .rectification_lists import ACTIVE, ALL, list_rectifications, rectifications_csv
from .views import bp

STAFF = (Role.SUPERVISOR, Role.ADMIN)

DONE_MESSAGES = {
    "verify": _l("The finding is recorded."),
    "rectify": _l("The rectification is recorded."),
    "follow_up": _l("The follow-up is recorded; the item is closed and the contact erased."),
    "appeal": _l("The appeal is sent to the administrators."),
    "decide_appeal": _l("The appeal is decided."),
    "reassign": _l("The item is reassigned."),
}

STEP_TITLES = {
    "verify": _l("Record the finding"),
    "rectify": _l("Record the rectification"),
    "follow_up": _l("Record the follow-up call and close"),
    "appeal": _l("Appeal against the review"),
    "decide_appeal": _l("Decide the appeal"),
    "reassign": _l("Reassign"),
}

BREACH_LABELS = {
    BreachKind.WAIT: _l("Wait over the limit"),
    BreachKind.QUEUE: _l("Queue over the limit"),
    BreachKind.SERVICE: _l("Service over the standard"),
}

HISTORY_LABELS = {
    "rectification.verify": _l("Verified"),
    "rectification.rectify": _l("Rectified"),
    "rectification.follow_up": _l("Followed up"),
    "rectification.appeal": _l("Appealed"),
    "rectification.decide_appeal": _l("Appeal decided"),
    "rectification.reassign": _l("Reassigned"),
}


def _center(code: str) -> Center:
    center = get_center(code)
    if not permissions.can_see_rectifications(current_user, center.id):
        abort(403)
    return center


def _item(item_id: int, **lock: Any) -> Rectification:
    item = db.get_or_404(Rectification, item_id, **lock)
    if not permissions.can_see_rectifications(current_user, item.center_id):
        abort(403)
    return item


def _state_choices() -> list[tuple[str, str]]:
    return [(ALL, _("All")), (ACTIVE, _("Not yet closed"))] + [
        (s.value, str(steps.STATE_LABELS[s])) for s in RectificationState
    ]


@bp.get("/<center_code>/rectifications")
@role_required(*STAFF)
def rectifications(center_code: str) -> Any:
    center = _center(center_code)
    today = local_date(now_utc(), center.timezone)
    state = request.args.get("state") or ALL
    error = None
    if state not in dict(_state_choices()):
        error, state = _("Choose a state from the list."), ALL
    overdue_only = request.args.get("overdue") == "1"
    items = list_rectifications(center, state=state, overdue_only=overdue_only, today=today)
    return render_template(
        "quality/rectifications.html",
        center=center,
        items=items,
        today=today,
        state=state,
        state_error=error,
        state_choices=_state_choices(),
        overdue_only=overdue_only,
        state_labels=steps.STATE_LABELS,
    ), 400 if error else 200


@bp.get("/<center_code>/rectifications.csv")
@role_required(*STAFF)
def rectifications_export(center_code: str) -> Response:
    center = _center(center_code)
    today = local_date(now_utc(), center.timezone)
    items = list_rectifications(center, today=today)
    name = f"rectifications-{center.code}-{today.isoformat()}.csv"
    return Response(
        rectifications_csv(items, today),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _forms(item: Rectification, posted: dict[str, FlaskForm] | None = None) -> dict[str, Any]:
    """One form per step the user may take now (the posted one keeps its input and errors)."""
    forms: dict[str, Any] = {}
    for step in steps.allowed_steps(item, current_user):
        form = (posted or {}).get(step) or STEP_FORMS[step](prefix=_prefix(step), formdata=None)
        if isinstance(form, ReassignForm):
            form.supervisor.choices = [
                (u.id, u.display_name or u.username)
                for u in steps.supervisors(item.center_id)
                if u.id != item.assignee_id
            ]
        forms[step] = form
    return forms


def _prefix(step: str) -> str:
    return step.replace("_", "-") + "-"


def _contact_note(item: Rectification) -> str | None:
    """Why the resident's contact is not on the page (None: it is)."""
    if permissions.can_see_contact(current_user, item):
        return None
    if item.is_final:
        return _("The resident's contact was erased when the item closed.")
    if item.contact is None:
        return _("The resident did not agree to a follow-up call, or left no number.")
    return _("Only the supervisor the item is assigned to sees the resident's contact.")


def _detail(item: Rectification, posted: dict[str, FlaskForm] | None = None) -> str:
    center = db.session.get_one(Center, item.center_id)
    today = local_date(now_utc(), center.timezone)
    end = item.closed_date or today
    return render_template(
        "quality/rectification.html",
        item=item,
        center_code=center.code,
        case=item.case,
        evaluation=item.evaluation,
        evidence=evidence(item),
        today=today,
        overdue_days=(end - item.due_date).days if item.is_overdue(today) else 0,
        history=steps.history(item),
        history_labels=HISTORY_LABELS,
        contact_note=_contact_note(item),
        forms=_forms(item, posted),
        state_labels=steps.STATE_LABELS,
        state_labels_by_value={s.value: label for s, label in steps.STATE_LABELS.items()},
        step_titles=STEP_TITLES,
        breach_labels=BREACH_LABELS,
        follow_up_labels=steps.FOLLOW_UP_LABELS,
        rating_labels=RATING_LABELS,
    )


@bp.get("/rectifications/<int:item_id>")
@role_required(*STAFF)
def rectification(item_id: int) -> Any:
    return _detail(_item(item_id))


def _take(step: str, item: Rectification, form: Any) -> None:
    user, now = current_user, now_utc()
    if step == "verify":
        steps.verify(item, form.finding.data, user=user, now=now)
    elif step == "rectify":
        steps.rectify(item, form.action.data, user=user, now=now)
    elif step == "follow_up":
        steps.follow_up(item, form.answer.data, form.note.data, user=user, now=now)
    elif step == "appeal":
        steps.appeal(item, form.reason.data, user=user, now=now)
    elif step == "decide_appeal":
        upheld = form.decision.data == "upheld"
        steps.decide_appeal(item, upheld, form.note.data, user=user, now=now)
    else:
        wanted = form.supervisor.data
        chosen = db.session.get(User, wanted) if wanted and 0 < wanted <= MAX_ID else None
        steps.reassign(item, chosen, user=user, now=now)


@bp.post("/rectifications/<int:item_id>/<step>")
@role_required(*STAFF)
def act(item_id: int, step: str) -> Any:
    step = step.replace("-", "_")
    if step not in STEP_FORMS:
        abort(404)
    write_transaction(keep_loaded=True)  # two supervisors at once: the second sees the first's
    item = _item(item_id, with_for_update=True, populate_existing=True)
    try:
        steps.check_step(item, step, current_user)
    except Forbidden:
        abort(403)
    except DomainError as exc:  # the state moved on (another tab, another supervisor)
        flash(str(exc), "error")
        return redirect(url_for(".rectification", item_id=item.id))
    form = STEP_FORMS[step](prefix=_prefix(step))
    if isinstance(form, ReassignForm):
        form.supervisor.choices = [(u.id, u.username) for u in steps.supervisors(item.center_id)]
    if form.validate_on_submit():
        try:
            _take(step, item, form)
        except DomainError as exc:
            db.session.rollback()
            item = _item(item_id)
            target = getattr(form, exc.field, None) if exc.field else None
            (target.errors if target is not None else form.form_errors).append(str(exc))
            return _detail(item, {step: form}), exc.status if exc.status != 422 else 400
        db.session.commit()
        flash(str(DONE_MESSAGES[step]), "success")
        return redirect(url_for(".rectification", item_id=item.id))
    return _detail(item, {step: form}), 400
