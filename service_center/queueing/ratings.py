"""The resident's satisfaction rating (好差评) of a closed case: one per case, 5 best … 1 worst."""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..db import db, write_transaction
from ..errors import Conflict, Invalid
from ..validators import PersonalDataError, clean_mobile
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
#: the national scheme's optional sub-ratings of in-person service, each 5 … 1
SUB_RATINGS = {
    "efficiency": _l("Efficiency"),  # 办事效率
    "attitude": _l("Attitude"),  # 服务态度
    "service_level": _l("Service quality"),  # 服务水平
}


class NotRateable(Conflict):
    default_message = _l("You can rate the service once your case is closed at the window.")


class AlreadyRated(Conflict):
    default_message = _l("This case has already been rated. Thank you!")


def rate_case(
    ticket: Ticket,
    *,
    rating: object,
    comment: str | None = "",
    efficiency: object = None,
    attitude: object = None,
    service_level: object = None,
    follow_up_consent: bool = False,
    contact: str | None = None,
    now: datetime,
) -> Evaluation:
    """Record the one rating of the case ``ticket`` closed into.

    A rating of 1 or 2 needs a comment saying why. The sub-ratings are optional. A phone for
    the call-back is taken only with the resident's consent to it, and is needed then unless
    the case has a phone already; it goes to the listeners, never into the evaluation.

    :raises NotRateable: unless the ticket is done and has its case.
    :raises AlreadyRated: when the case has a rating already.
    :raises Invalid: for a rating or sub-rating outside 1–5, a missing reason, a comment too
        long, or a phone that is not a mobile number, missing or given without consent.
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
    scores = {"efficiency": efficiency, "attitude": attitude, "service_level": service_level}
    for name, score in scores.items():
        if score is not None and not _is_score(score):
            raise Invalid(
                _("Choose from 5 (very satisfied) to 1 (very dissatisfied), or leave it empty."),
                field=name,
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
    phone = _call_back_phone(ticket, bool(follow_up_consent), contact)
    evaluation = Evaluation(
        case_id=case_.id,
        center_id=case_.center_id,
        service_date=case_.service_date,
        rating=rating,
        comment=text,
        created_dt=now,
        follow_up_consent=bool(follow_up_consent),
        **scores,
    )
    db.session.add(evaluation)
    signals.case_rated.send(evaluation, center=ticket.center, case=case_, now=now, contact=phone)
    db.session.flush()
    return evaluation


def check_rateable(ticket: Ticket) -> None:
    """Say before the form is shown (the kiosk's scan) whether the ticket can be rated.

    :raises NotRateable: unless the ticket is done and has its case.
    :raises AlreadyRated: when the case has a rating already.
    """
    case_ = ticket.case
    if ticket.state is not TicketState.DONE or case_ is None:
        raise NotRateable()
    if case_.evaluation is not None:
        raise AlreadyRated()


def has_phone(ticket: Ticket) -> bool:
    """Whether the center has a phone of the resident for a call-back (the case's, the
    booking's or the one given for messages)."""
    case_ = ticket.case
    appointment = ticket.appointment
    return bool(
        (case_ is not None and case_.applicant_phone)
        or (appointment is not None and appointment.phone)
        or _is_mobile(ticket.notify_address)
    )


def _is_score(value: object) -> bool:
    return not isinstance(value, bool) and isinstance(value, int) and value in RATING_LABELS


def _is_mobile(value: str | None) -> bool:
    try:
        clean_mobile(value)
    except PersonalDataError:
        return False
    return True


def _call_back_phone(ticket: Ticket, consent: bool, contact: str | None) -> str | None:
    """The normalised phone given for the call-back, or None to use the case's."""
    if not (contact or "").strip():
        if consent and not has_phone(ticket):
            raise Invalid(_("Give a phone number the center can call you on."), field="contact")
        return None
    if not consent:
        raise Invalid(
            _("A phone number is taken only for a call-back: agree to it, or leave it empty."),
            field="contact",
        )
    try:
        return clean_mobile(contact)
    except PersonalDataError as exc:
        raise Invalid(str(exc), field="contact") from None
