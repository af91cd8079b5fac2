"""The resident's satisfaction rating (好差评) of a closed case: one per case, 5 best … 1 worst."""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..db import db, write_transaction
from ..errors import Conflict, Invalid
from . import signals
from .models import Case, Evaluation, Ticket, TicketState

#: the national 好差评 scale, best first
RATING_LABELS = {
    5: _l("Very satisfied"),
    4: _l("Satisfied"),
    3: _l("Neutral"),
    2: _l("Dissatisfied"),
    1: _l("Very dissatisfied"),
}
#: ratings this low ask the resident for the reason
REASON_REQUIRED_BELOW = 3
COMMENT_MAX = 500


class NotRateable(Conflict):
    default_message = _l("You can rate the service once your case is closed at the window.")


class AlreadyRated(Conflict):
    default_message = _l("This case has already been rated. Thank you!")


def rate_case(
    ticket: Ticket, *, rating: object, comment: str | None = "", now: datetime
) -> Evaluation:
    """Record the one rating of the case ``ticket`` closed into.

    A rating of 1 or 2 needs a comment saying why.

    :raises NotRateable: unless the ticket is done and has its case.
    :raises AlreadyRated: when the case has a rating already.
    :raises Invalid: for a rating outside 1–5, a missing reason or a comment too long.
    """
    write_transaction()
    case_ = db.session.scalar(select(Case).where(Case.ticket_id == ticket.id).with_for_update())
    if ticket.state is not TicketState.DONE or case_ is None:
        raise NotRateable()
    if db.session.scalar(select(Evaluation.id).where(Evaluation.case_id == case_.id)) is not None:
        raise AlreadyRated()
    if isinstance(rating, bool) or not isinstance(rating, int) or rating not in RATING_LABELS:
        raise Invalid(
            _("Choose a rating from 5 (very satisfied) to 1 (very dissatisfied)."), field="rating"
        )
    text = (comment or "").strip()
    if len(text) > COMMENT_MAX:
        raise Invalid(
            _("The comment is too long (at most %(n)d characters).", n=COMMENT_MAX),
            field="comment",
        )
    if rating < REASON_REQUIRED_BELOW and not text:
        raise Invalid(
            _("Please tell us what went wrong, so the center can improve."), field="comment"
        )
    evaluation = Evaluation(
        case_id=case_.id,
        center_id=case_.center_id,
        service_date=case_.service_date,
        rating=rating,
        comment=text,
        created_dt=now,
    )
    db.session.add(evaluation)
    signals.case_rated.send(evaluation, center=ticket.center, case=case_, now=now, contact=None)
    db.session.flush()
    return evaluation
