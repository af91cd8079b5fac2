"""差评整改: the rectification a bad review opens, its deadline in working days, its steps."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from .. import audit
from ..auth.models import Role, User
from ..catalogue.calendar import NoWorkingDay, add_working_days
from ..catalogue.models import Center
from ..clock import local_date
from ..db import db
from ..errors import Conflict, Forbidden, Invalid
from ..queueing.models import Case, Evaluation
from . import permissions, signals
from .models import (
    FINAL_RECTIFICATION_STATES,
    FollowUpAnswer,
    Rectification,
    RectificationState,
)

#: ratings at or below this (1 非常不满意, 2 不满意) open a rectification
BAD_REVIEW = 2


def resident_contact(case: Case, given: str | None) -> str | None:
    """The phone the follow-up calls: the one given with the rating, else the case's."""
    if given:
        return given
    ticket = case.ticket
    appointment = ticket.appointment if ticket is not None else None
    if case.applicant_phone:
        return case.applicant_phone
    if appointment is not None and appointment.phone:
        return appointment.phone
    if ticket is not None and ticket.notify_address:
        return ticket.notify_address
    return None


def _assignee(center: Center) -> User | None:
    """The center's enabled supervisor with the fewest items still open (then the first)."""
    open_count = (
        select(func.count(Rectification.id))
        .where(
            Rectification.assignee_id == User.id,
            Rectification.state.not_in(
                [RectificationState.FOLLOWED_UP, RectificationState.OVERTURNED]
            ),
        )
        .scalar_subquery()
    )
    return db.session.scalar(
        select(User)
        .where(User.center_id == center.id, User.role == Role.SUPERVISOR, User.is_enabled)
        .order_by(open_count, User.id)
        .limit(1)
    )


def open_rectification(
    evaluation: Evaluation, *, center: Center, case: Case, now: datetime, contact: str | None
) -> Rectification:
    """Open the rectification of a bad review: assigned, due in the center's working days.

    The resident's contact is kept only if they agreed to a follow-up when rating.
    """
    today = local_date(now, center.timezone)
    try:
        due = add_working_days(center, today, center.rectification_days)
    except NoWorkingDay:  # a center that never opens: the calendar days stand in
        due = today + timedelta(days=center.rectification_days)
    assignee = _assignee(center)
    item = Rectification(
        center_id=center.id,
        case_id=case.id,
        evaluation_id=evaluation.id,
        state=RectificationState.OPEN,
        assignee_id=assignee.id if assignee is not None else None,
        opened_dt=now,
        opened_date=today,
        due_date=due,
        contact=resident_contact(case, contact) if evaluation.follow_up_consent else None,
    )
    db.session.add(item)
    db.session.flush()
    signals.rectification_opened.send(item, now=now)
    return item


# -- the steps ------------------------------------------------------------------------------

#: the longest finding, action, note, reason a step takes
TEXT_MAX = 2000

#: the fields an audit record of a step compares (the contact only as kept or not)
_AUDITED = (
    "state",
    "assignee_id",
    "finding",
    "action",
    "follow_up_answer",
    "follow_up_note",
    "appeal_reason",
    "decision_note",
    "closed_date",
)

STATE_LABELS = {
    RectificationState.OPEN: _l("To verify"),
    RectificationState.VERIFIED: _l("Verified"),
    RectificationState.RECTIFIED: _l("Rectified"),
    RectificationState.FOLLOWED_UP: _l("Followed up"),
    RectificationState.APPEALED: _l("Appealed"),
    RectificationState.UPHELD: _l("Appeal rejected: to rectify"),
    RectificationState.OVERTURNED: _l("Overturned"),
}

FOLLOW_UP_LABELS = {
    FollowUpAnswer.SATISFIED: _l("Satisfied with the rectification"),
    FollowUpAnswer.NOT_SATISFIED: _l("Not satisfied with the rectification"),
}

#: the states each step starts from
STEP_FROM = {
    "verify": frozenset({RectificationState.OPEN}),
    "rectify": frozenset({RectificationState.VERIFIED, RectificationState.UPHELD}),
    "follow_up": frozenset({RectificationState.RECTIFIED}),
    "appeal": frozenset({RectificationState.OPEN, RectificationState.VERIFIED}),
    "decide_appeal": frozenset({RectificationState.APPEALED}),
    "reassign": frozenset(RectificationState) - FINAL_RECTIFICATION_STATES,
}


def allowed_steps(item: Rectification, user: User) -> list[str]:
    """The steps ``user`` may take on ``item`` now (one form each on its page)."""
    steps = []
    for step, states in STEP_FROM.items():
        if item.state not in states:
            continue
        may = permissions.can_decide_appeal if step == "decide_appeal" else permissions.can_act_on
        if may(user, item):
            steps.append(step)
    return steps


def _snapshot(item: Rectification) -> dict[str, Any]:
    values = audit.snapshot(item, _AUDITED)
    values["contact_kept"] = item.contact is not None
    return values


def _center(item: Rectification) -> Center:
    return db.session.get_one(Center, item.center_id)


def check_step(item: Rectification, step: str, user: User) -> dict[str, Any]:
    """Refuse a step the user may not take or the item's state does not allow; return the
    item's fields before it."""
    may = permissions.can_decide_appeal if step == "decide_appeal" else permissions.can_act_on
    if not may(user, item):
        if step == "decide_appeal":
            raise Forbidden(_("Only an administrator decides an appeal."))
        raise Forbidden(_("Only a supervisor of this center acts on its rectifications."))
    if item.state not in STEP_FROM[step]:
        raise Conflict(
            _(
                "This rectification is %(state)s: it cannot be %(step)s now.",
                state=STATE_LABELS[item.state],
                step=_STEP_VERBS[step],
            )
        )
    return _snapshot(item)


_STEP_VERBS = {
    "verify": _l("verified"),
    "rectify": _l("marked rectified"),
    "follow_up": _l("followed up"),
    "appeal": _l("appealed"),
    "decide_appeal": _l("decided on appeal"),
    "reassign": _l("reassigned"),
}


def _text(value: str | None, field: str, missing: str) -> str:
    text = (value or "").strip()
    if not text:
        raise Invalid(missing, field=field)
    if len(text) > TEXT_MAX:
        raise Invalid(_("At most %(n)d characters.", n=TEXT_MAX), field=field)
    return text


def _record(step: str, item: Rectification, before: dict[str, Any], *, user: User, now: datetime):
    audit.record(
        f"rectification.{step}",
        actor=user,
        now=now,
        obj=item,
        object_label=item.case.number,
        before=before,
        after=_snapshot(item),
    )


def _close(item: Rectification, state: RectificationState, now: datetime) -> None:
    """End the item: no deadline runs any more, and the resident's contact is erased."""
    item.state = state
    item.closed_dt = now
    item.closed_date = local_date(now, _center(item).timezone)
    item.contact = None


def verify(item: Rectification, finding: str, *, user: User, now: datetime) -> Rectification:
    """Record what the supervisor found happened (open → verified).

    :raises Forbidden: unless a supervisor of the item's center.
    :raises Conflict: unless the item is open.
    :raises Invalid: without a finding (field ``finding``).
    """
    before = check_step(item, "verify", user)
    item.finding = _text(finding, "finding", _("Say what you found happened."))
    item.state = RectificationState.VERIFIED
    _record("verify", item, before, user=user, now=now)
    return item


def rectify(item: Rectification, action: str, *, user: User, now: datetime) -> Rectification:
    """Record what was done about it (verified or upheld → rectified).

    :raises Forbidden: unless a supervisor of the item's center.
    :raises Conflict: unless the item is verified, or its appeal was rejected.
    :raises Invalid: without an action (field ``action``).
    """
    before = check_step(item, "rectify", user)
    item.action = _text(action, "action", _("Say what was done to put it right."))
    item.state = RectificationState.RECTIFIED
    _record("rectify", item, before, user=user, now=now)
    return item


def follow_up(
    item: Rectification, answer: FollowUpAnswer | str, note: str, *, user: User, now: datetime
) -> Rectification:
    """Record the follow-up call (回访) and close the item: its contact is erased.

    :raises Forbidden: unless a supervisor of the item's center.
    :raises Conflict: unless the item is rectified.
    :raises Invalid: for an answer other than satisfied / not satisfied (field ``answer``).
    """
    before = check_step(item, "follow_up", user)
    try:
        item.follow_up_answer = FollowUpAnswer(answer)
    except ValueError:
        raise Invalid(_("Choose whether the resident was satisfied."), field="answer") from None
    text = (note or "").strip()
    if len(text) > TEXT_MAX:
        raise Invalid(_("At most %(n)d characters.", n=TEXT_MAX), field="note")
    item.follow_up_note = text
    _close(item, RectificationState.FOLLOWED_UP, now)
    _record("follow_up", item, before, user=user, now=now)
    return item


def appeal(item: Rectification, reason: str, *, user: User, now: datetime) -> Rectification:
    """Contest the review (open or verified → appealed); an administrator decides.

    :raises Forbidden: unless a supervisor of the item's center.
    :raises Conflict: unless the item is open or verified.
    :raises Invalid: without a reason (field ``reason``).
    """
    before = check_step(item, "appeal", user)
    item.appeal_reason = _text(reason, "reason", _("Say why the review is unfounded."))
    item.state = RectificationState.APPEALED
    _record("appeal", item, before, user=user, now=now)
    return item


def decide_appeal(
    item: Rectification, upheld: bool, note: str, *, user: User, now: datetime
) -> Rectification:
    """Decide an appeal: ``upheld`` (the review stands: rectify it, then follow up) or
    overturned (the review was unfounded: closed, the contact erased; it still counts in
    the raw satisfaction figures).

    :raises Forbidden: unless an administrator of the center or of the county.
    :raises Conflict: unless the item is appealed.
    :raises Invalid: without a note giving the reason (field ``note``).
    """
    before = check_step(item, "decide_appeal", user)
    item.decision_note = _text(note, "note", _("Give the reason for the decision."))
    if upheld:
        item.state = RectificationState.UPHELD
    else:
        _close(item, RectificationState.OVERTURNED, now)
    _record("decide_appeal", item, before, user=user, now=now)
    return item


def reassign(
    item: Rectification, supervisor: User | None, *, user: User, now: datetime
) -> Rectification:
    """Hand the item to another supervisor of its center.

    :raises Forbidden: unless a supervisor of the item's center.
    :raises Conflict: once the item is closed.
    :raises Invalid: for anyone but an enabled supervisor of the center, or the same one
        (field ``supervisor``).
    """
    before = check_step(item, "reassign", user)
    if (
        supervisor is None
        or supervisor.role is not Role.SUPERVISOR
        or supervisor.center_id != item.center_id
        or not supervisor.is_enabled
    ):
        raise Invalid(_("Choose a supervisor of this center."), field="supervisor")
    if supervisor.id == item.assignee_id:
        raise Invalid(_("The item is already assigned to them."), field="supervisor")
    item.assignee_id = supervisor.id
    item.assignee = supervisor
    _record("reassign", item, before, user=user, now=now)
    return item


def supervisors(center_id: int) -> list[User]:
    """The enabled supervisors of a center (whom an item can go to)."""
    return list(
        db.session.scalars(
            select(User)
            .where(User.center_id == center_id, User.role == Role.SUPERVISOR, User.is_enabled)
            .order_by(User.display_name, User.id)
        )
    )


def history(item: Rectification) -> list[audit.AuditRecord]:
    """The audit records of the item's steps, oldest first."""
    return list(
        db.session.scalars(
            select(audit.AuditRecord)
            .where(
                audit.AuditRecord.object_type == "rectification",
                audit.AuditRecord.object_id == str(item.id),
            )
            .order_by(audit.AuditRecord.created_dt, audit.AuditRecord.id)
        )
    )
