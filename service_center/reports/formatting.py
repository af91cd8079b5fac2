"""How report figures read: the case-type sentence, durations, shares, outcome names."""

from __future__ import annotations

from collections.abc import Iterable

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..catalogue.models import CaseType
from ..glossary import duration
from ..i18n import current_language
from ..queueing.models import Outcome

OUTCOME_LABELS = {
    Outcome.COMPLETED: _l("Completed (办结)"),
    Outcome.DOCUMENTS_MISSING: _l("Documents missing (补正)"),
    Outcome.NOT_ACCEPTED: _l("Not accepted (不予受理)"),
}

PERCENTILE_NOTE = _l(
    "90th percentile: nearest rank. Sort the times of the cases ascending and take the one at "
    "rank ⌈0.9 × n⌉: at least 90% of the cases took no longer."
)


def case_type_sentence(counts: Iterable[tuple[CaseType, int]]) -> str:
    """Say the cases per case type as the seed does: "商事类 871 件、投资类 3 件、民生类 12 件"."""
    english = current_language() == "en"
    parts = []
    for case_type, n in counts:
        name = case_type.name
        if english:
            name = name[:1].lower() + name[1:]
        parts.append(_("%(case_type)s %(count)s", case_type=name, count=n))
    if not parts:
        return "—"
    sentence = parts[0]
    for part in parts[1:]:
        sentence = _("%(earlier)s, %(next)s", earlier=sentence, next=part)
    return sentence


#: the glossary's one way to say a duration (desk and reports alike)
format_duration = duration


def format_number(value: float | None, suffix: str = "") -> str:
    """A figure with one decimal (as computed), or a dash when there is nothing to average."""
    if value is None:
        return "—"
    return f"{value:.1f}{suffix}"
