"""The reports' ears on the queue: a change to a closed day drops that day's stored summary.

Connected when this module is imported (``reports/__init__.py`` does, so any use of the
reports connects them); each receiver runs inside the writing transaction
(``queueing/signals.py``). Which changes touch which day: ``summaries.py``.
"""

from __future__ import annotations

from typing import Any

from ..catalogue.models import Center
from ..queueing import signals
from ..queueing.models import Case, Evaluation, Ticket
from . import summaries


@signals.ticket_issued.connect
@signals.ticket_no_show.connect
@signals.ticket_requeued.connect
@signals.ticket_reinstated.connect
@signals.ticket_unserved.connect
def _tickets_of_its_day(ticket: Ticket, **_: Any) -> None:
    """Tickets issued, no-shows and unserved count on the ticket's day (closed late, the day
    is in the past)."""
    summaries.touch(ticket.center, ticket.service_date)


@signals.ticket_transferred.connect
def _transferred(ticket: Ticket, *, item_changed: bool = False, **_: Any) -> None:
    """Another item may mean another case type among the day's tickets."""
    if item_changed:
        summaries.touch(ticket.center, ticket.service_date)


@signals.case_recorded.connect
def _case_recorded(case: Case, *, center: Center, **_: Any) -> None:
    summaries.touch(center, case.service_date)


@signals.case_rated.connect
def _case_rated(evaluation: Evaluation, *, center: Center, case: Case, **_: Any) -> None:
    """A rating given after its case's day changes that day's satisfaction."""
    summaries.touch(center, case.service_date)
