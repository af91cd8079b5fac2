"""The rectification page's forms: one per step, each checking only the shape of its input."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from .rectifications import FOLLOW_UP_LABELS, TEXT_MAX


class VerifyForm(FlaskForm):
    finding = TextAreaField(
        _l("What happened (the finding)"),
        validators=[DataRequired(_l("Say what you found happened.")), Length(max=TEXT_MAX)],
    )


class RectifyForm(FlaskForm):
    action = TextAreaField(
        _l("What was done to put it right"),
        validators=[DataRequired(_l("Say what was done to put it right.")), Length(max=TEXT_MAX)],
    )


class FollowUpForm(FlaskForm):
    answer = RadioField(
        _l("The resident's answer on the follow-up call"),
        choices=[SelectChoice(a.value, label) for a, label in FOLLOW_UP_LABELS.items()],
        validators=[DataRequired(_l("Choose whether the resident was satisfied."))],
    )
    note = TextAreaField(_l("Note (optional)"), validators=[Optional(), Length(max=TEXT_MAX)])


class AppealForm(FlaskForm):
    reason = TextAreaField(
        _l("Why the review is unfounded"),
        validators=[DataRequired(_l("Say why the review is unfounded.")), Length(max=TEXT_MAX)],
    )


class AppealDecisionForm(FlaskForm):
    decision = RadioField(
        _l("Decision"),
        choices=[
            SelectChoice("upheld", _l("The review stands: rectify it")),
            SelectChoice("overturned", _l("The review is unfounded: overturn it")),
        ],
        validators=[DataRequired(_l("Choose a decision."))],
    )
    note = TextAreaField(
        _l("Reason for the decision"),
        validators=[DataRequired(_l("Give the reason for the decision.")), Length(max=TEXT_MAX)],
    )


class ReassignForm(FlaskForm):
    supervisor = SelectField(_l("Assign to"), coerce=int, validate_choice=False)


#: each step's form class, by the step's name in ``rectifications.STEP_FROM``
STEP_FORMS: dict[str, type[FlaskForm]] = {
    "verify": VerifyForm,
    "rectify": RectifyForm,
    "follow_up": FollowUpForm,
    "appeal": AppealForm,
    "decide_appeal": AppealDecisionForm,
    "reassign": ReassignForm,
}
