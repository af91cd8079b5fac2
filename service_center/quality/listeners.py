"""The quality loop's ears on the queue: a rating of 1 or 2 opens its rectification.

Connected when ``quality/__init__.py`` imports this module; each receiver runs inside the
writing transaction of the rating (``queueing/signals.py``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..catalogue.models import Center
from ..queueing import signals
from ..queueing.models import Case, Evaluation
from . import rectifications


@signals.case_rated.connect
def _case_rated(
    evaluation: Evaluation,
    *,
    center: Center,
    case: Case,
    now: datetime,
    contact: str | None = None,
    **_: Any,
) -> None:
    if evaluation.rating <= rectifications.BAD_REVIEW:
        rectifications.open_rectification(
            evaluation, center=center, case=case, now=now, contact=contact
        )
