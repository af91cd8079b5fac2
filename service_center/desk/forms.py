"""Desk forms: a bare action button, completing a case, transferring a ticket."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

OUTCOME_LABELS = {
    "completed": _l("Completed (办结)"),
    "documents_missing": _l("Documents missing (补正)"),
    "not_accepted": _l("Not accepted (不予受理)"),
}


class ActionForm(FlaskForm):
    """A CSRF-protected button with no fields (call next, start, recall …)."""


class CaseCompletionForm(FlaskForm):
    outcome = RadioField(
        _l("Outcome"),
        choices=[SelectChoice(value, label) for value, label in OUTCOME_LABELS.items()],
        validators=[DataRequired(_l("Choose the outcome."))],
    )
    notes = StringField(_l("Notes (optional)"), validators=[Optional(), Length(max=2000)])
    applicant_name = StringField(_l("Applicant's name"), validators=[Optional(), Length(max=60)])
    applicant_phone = StringField(
        _l("Applicant's mobile number"), validators=[Optional(), Length(max=20)]
    )
    #: documents missing: the item's materials the resident lacked (the service checks them)
    missing_materials = SelectMultipleField(
        _l("Missing materials (documents missing)"), validate_choice=False
    )


def _optional_int(value: object) -> int | None:
    try:
        return int(value) if value not in (None, "") else None  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


class TicketTransferForm(FlaskForm):
    window = SelectField(_l("To window"), coerce=_optional_int, validate_choice=False)
    service = SelectField(_l("As item"), coerce=_optional_int, validate_choice=False)
