"""The live floor: who waits for what, what each window is doing, calls in the last hour."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from ..auth.models import User
from ..catalogue.models import CaseType, Center
from ..catalogue.services import list_case_types
from ..db import db
from ..queueing.models import EventKind, Ticket, TicketEvent, TicketState
from ..queueing.services import window_queue
from ..windows.models import Window, WindowState

#: what a window is doing: serving (or calling) a ticket, open with none, paused, closed
SERVING, IDLE, PAUSED, CLOSED = "serving", "idle", "paused", "closed"


@dataclass(frozen=True)
class WindowNow:
    window: Window
    status: str
    clerk: User | None
    current: Ticket | None
    waiting: int  #: tickets this window may call now (a ticket may wait for several windows)


@dataclass(frozen=True)
class CenterNow:
    center: Center
    now: datetime
    waiting_by_type: list[tuple[CaseType, int]]
    longest: Ticket | None  #: the ticket waiting longest (oldest place in the queue)
    calls_last_hour: int
    recalls_last_hour: int
    windows: list[WindowNow]

    @property
    def waiting_total(self) -> int:
        return sum(n for _, n in self.waiting_by_type)

    @property
    def longest_seconds(self) -> int | None:
        if self.longest is None:
            return None
        return max(int((self.now - self.longest.queued_dt).total_seconds()), 0)

    def count(self, status: str) -> int:
        return sum(1 for w in self.windows if w.status == status)


def _status(window: Window, current: Ticket | None) -> str:
    if window.state is WindowState.CLOSED:
        return CLOSED
    if window.state is WindowState.PAUSED:
        return PAUSED
    return SERVING if current is not None else IDLE


def center_now(center: Center, *, now: datetime, per_window: bool = True) -> CenterNow:
    """Describe ``center``'s floor at ``now``; ``per_window`` adds each window's queue length."""
    waiting = Counter(
        dict(
            db.session.execute(
                select(Ticket.case_type_id, func.count())
                .where(Ticket.center_id == center.id, Ticket.state == TicketState.WAITING)
                .group_by(Ticket.case_type_id)
            ).all()
        )
    )
    longest = db.session.scalar(
        select(Ticket)
        .where(Ticket.center_id == center.id, Ticket.state == TicketState.WAITING)
        .order_by(Ticket.queued_dt, Ticket.id)
        .limit(1)
    )
    calls = Counter(
        dict(
            db.session.execute(
                select(TicketEvent.kind, func.count())
                .where(
                    TicketEvent.center_id == center.id,
                    TicketEvent.kind.in_([EventKind.CALLED, EventKind.RECALLED]),
                    TicketEvent.at_dt > now - timedelta(hours=1),
                    TicketEvent.at_dt <= now,
                )
                .group_by(TicketEvent.kind)
            ).all()
        )
    )
    windows: list[WindowNow] = []
    if per_window:
        current = {
            t.window_id: t
            for t in db.session.scalars(
                select(Ticket).where(
                    Ticket.center_id == center.id,
                    Ticket.state.in_([TicketState.CALLED, TicketState.SERVING]),
                )
            )
        }
        for window in db.session.scalars(
            select(Window)
            .where(Window.center_id == center.id, Window.retired_dt.is_(None))
            .options(selectinload(Window.clerk))
            .order_by(Window.number)
        ):
            ticket = current.get(window.id)
            windows.append(
                WindowNow(
                    window=window,
                    status=_status(window, ticket),
                    clerk=window.clerk,
                    current=ticket,
                    waiting=len(window_queue(window, now=now)),
                )
            )
    return CenterNow(
        center=center,
        now=now,
        waiting_by_type=[(t, int(waiting.get(t.id, 0))) for t in list_case_types()],
        longest=longest,
        calls_last_hour=int(calls.get(EventKind.CALLED, 0)),
        recalls_last_hour=int(calls.get(EventKind.RECALLED, 0)),
        windows=windows,
    )


def open_windows(center: Center) -> tuple[int, int]:
    """(open, paused) windows of ``center``."""
    counts = dict(
        db.session.execute(
            select(Window.state, func.count())
            .where(Window.center_id == center.id)
            .group_by(Window.state)
        ).all()
    )
    return int(counts.get(WindowState.OPEN, 0)), int(counts.get(WindowState.PAUSED, 0))
