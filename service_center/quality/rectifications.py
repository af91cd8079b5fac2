"""差评整改: the rectification a bad review opens, its deadline in working days, its steps."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select

from ..auth.models import Role, User
from ..catalogue.calendar import NoWorkingDay, add_working_days
from ..catalogue.models import Center
from ..clock import local_date
from ..db import db
from ..queueing.models import Case, Evaluation
from . import signals
from .models import Rectification, RectificationState

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
