"""The metrics' ears on the queue: tickets issued and called.

Counted when the event is announced, inside its transaction: a transaction that rolls back
afterwards (rare: the event is the last step) still counted. These counts are for operators'
rates and alerts; the reports count from the database.
"""

from __future__ import annotations

from typing import Any

from ..queueing import signals
from ..queueing.models import Ticket
from .collect import CALLED, ISSUED


@signals.ticket_issued.connect
def _issued(ticket: Ticket, **_: Any) -> None:
    ISSUED.labels(ticket.center.code, ticket.case_type.code).inc()


@signals.ticket_called.connect
def _called(ticket: Ticket, **_: Any) -> None:
    CALLED.labels(ticket.center.code).inc()
