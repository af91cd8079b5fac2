"""What the queue announces, for the areas above it to listen to (reports, display, …).

Queueing is the floor of the hall: it imports nothing above it. An area that must react to a
ticket's change (a stored report summary to drop, a display's kept version, a message to send)
connects a receiver to one of these signals (blinker, as Flask's own). Each is sent
synchronously, inside the transaction of the change and after its rows are flushed, so whatever
a receiver writes commits or rolls back with it.

The sender is the ticket (the case for ``case_recorded``, the evaluation for ``case_rated``);
every ticket signal carries ``event`` (the ``TicketEvent`` written) and ``now``.
"""

from __future__ import annotations

from blinker import Namespace

from .models import EventKind

_signals = Namespace()

ticket_issued = _signals.signal("ticket-issued")
ticket_called = _signals.signal("ticket-called")
ticket_recalled = _signals.signal("ticket-recalled")
ticket_started = _signals.signal("ticket-started")
#: also ``item_changed``: the ticket now waits for another item (and maybe case type)
ticket_transferred = _signals.signal("ticket-transferred")
ticket_completed = _signals.signal("ticket-completed")
ticket_no_show = _signals.signal("ticket-no-show")
ticket_requeued = _signals.signal("ticket-requeued")
#: the clerk undid a no-show within seconds (``lifecycle.undo_no_show``): called again
ticket_reinstated = _signals.signal("ticket-reinstated")
ticket_prioritised = _signals.signal("ticket-prioritised")
ticket_cancelled = _signals.signal("ticket-cancelled")
#: the holder asked to be told when their turn comes (到号提醒); ``now``
ticket_opted_in = _signals.signal("ticket-opted-in")
#: the holder asked for no more messages; ``now``
ticket_opted_out = _signals.signal("ticket-opted-out")
#: the day closed before the ticket was served (``closing.close_day``)
ticket_unserved = _signals.signal("ticket-unserved")
#: sender: the ``Center``; ``through`` (the last local day closed), ``now``: what else ends
#: with the day (bookings never checked in) is closed by its own area's receiver
day_closed = _signals.signal("day-closed")
#: sender: the new ``Case``; ``center``, ``now``
case_recorded = _signals.signal("case-recorded")
#: sender: the new ``Evaluation``; ``center``, ``case``, ``now``
case_rated = _signals.signal("case-rated")

#: the signal each kind of ticket event sends
BY_KIND = {
    EventKind.ISSUED: ticket_issued,
    EventKind.CALLED: ticket_called,
    EventKind.RECALLED: ticket_recalled,
    EventKind.STARTED: ticket_started,
    EventKind.TRANSFERRED: ticket_transferred,
    EventKind.COMPLETED: ticket_completed,
    EventKind.NO_SHOW: ticket_no_show,
    EventKind.REQUEUED: ticket_requeued,
    EventKind.REINSTATED: ticket_reinstated,
    EventKind.PRIORITISED: ticket_prioritised,
    EventKind.CANCELLED: ticket_cancelled,
    EventKind.UNSERVED: ticket_unserved,
}
