"""The queue engine's public functions, gathered from the modules that hold them.

``numbering`` (daily numbers), ``issuing`` (walk-ins, bookings checked in, look-up by token),
``order`` (the call-next order, calling exactly once, window states), ``lifecycle`` (recall,
start, no-show and its undo, transfer, cancel, requeue), ``cases`` (completing into a case),
``wait`` (people ahead, estimated wait), ``events`` (every change written and announced).

Every function takes ``now`` and leaves the commit to its caller. Functions that race with
other app processes (issuing, calling, acting on a ticket) start their own unit of work with
``write_transaction()``: on SQLite that takes the write lock up front, on PostgreSQL the rows
raced for are locked (``FOR UPDATE``, ``SKIP LOCKED`` for call-next).
"""

from __future__ import annotations

from .cases import clean_materials, complete_ticket, material_choices
from .events import record_event
from .issuing import (
    CenterClosed,
    WalkInCapReached,
    ask_for_help,
    get_ticket_by_token,
    issue_ticket,
    issue_walk_in,
    opt_in,
    opt_out,
    ticket_prefix,
    ticket_prefixes,
    walk_in_caps,
)
from .lifecycle import (
    can,
    cancel_ticket,
    mark_no_show,
    recall_ticket,
    requeue_missed_ticket,
    requeue_ticket,
    requeue_until,
    start_ticket,
    transfer_ticket,
    undo_no_show,
    undo_window,
)
from .models import ACTION_LABELS, ALLOWED, STAFF_ACTIONS, STATE_LABELS, InvalidTransition
from .numbering import next_daily_value
from .order import (
    QueueEmpty,
    WindowBusy,
    WindowNotOpen,
    call_next_ticket,
    current_ticket,
    lock_ticket,
    set_window_state,
    window_queue,
)
from .wait import QueuePosition, average_service_minutes, queue_position, windows_for_ticket

__all__ = [
    "ACTION_LABELS",
    "ALLOWED",
    "STAFF_ACTIONS",
    "STATE_LABELS",
    "CenterClosed",
    "InvalidTransition",
    "QueueEmpty",
    "QueuePosition",
    "WalkInCapReached",
    "WindowBusy",
    "WindowNotOpen",
    "ask_for_help",
    "average_service_minutes",
    "call_next_ticket",
    "can",
    "cancel_ticket",
    "clean_materials",
    "complete_ticket",
    "current_ticket",
    "get_ticket_by_token",
    "issue_ticket",
    "issue_walk_in",
    "opt_in",
    "opt_out",
    "lock_ticket",
    "mark_no_show",
    "material_choices",
    "next_daily_value",
    "queue_position",
    "recall_ticket",
    "record_event",
    "requeue_missed_ticket",
    "requeue_ticket",
    "requeue_until",
    "set_window_state",
    "start_ticket",
    "transfer_ticket",
    "undo_no_show",
    "undo_window",
    "ticket_prefix",
    "ticket_prefixes",
    "walk_in_caps",
    "window_queue",
    "windows_for_ticket",
]
