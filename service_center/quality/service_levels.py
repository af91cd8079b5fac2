"""Service-level limits (服务时限预警): what is over its limit now, the breaches it opens,
extends and ends, and the day's breaches for the reports.

``check_service_levels`` runs every minute (``flask quality check``) and when a supervisor
looks at the live floor. At most one breach is open per center and subject (a partial unique
index): a second process opening the same one at the same moment finds it there instead.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import and_, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from ..catalogue.models import Center
from ..clock import local_date
from ..db import db, write_transaction
from ..queueing.models import Ticket, TicketState
from . import signals
from .models import Breach, BreachKind, WaitLimit

QUEUE = "queue"


def wait_subject(case_type_id: int) -> str:
    return f"wait:{case_type_id}"


def service_subject(window_id: int) -> str:
    return f"service:{window_id}"


def describe(breach: Breach) -> str:
    """What ``breach`` is about, in the current language: "商事类 等候超过 30 分钟"."""
    if breach.kind is BreachKind.WAIT:
        return _(
            "%(case_type)s waiting over %(limit)d minutes",
            case_type=breach.case_type.name if breach.case_type else "—",
            limit=breach.limit_value,
        )
    if breach.kind is BreachKind.QUEUE:
        return _("More than %(limit)d tickets waiting", limit=breach.limit_value)
    return _(
        "Window %(window)s serving one ticket over %(limit)d minutes",
        window=breach.window.number if breach.window else "—",
        limit=breach.limit_value,
    )


def worst_text(breach: Breach) -> str:
    """The worst value seen, with its unit."""
    if breach.kind is BreachKind.QUEUE:
        return _("%(n)d waiting", n=breach.worst_value)
    return _("%(n)d minutes", n=breach.worst_value)


@dataclass
class _Over:
    """One subject over its limit at the time of a check."""

    kind: BreachKind
    subject: str
    limit_value: int
    worst_value: int
    began_dt: datetime  #: when it went over, as far as the rows tell
    tickets: list[Ticket] = field(default_factory=list)
    case_type_id: int | None = None
    window_id: int | None = None


def _minutes(delta: timedelta) -> int:
    return int(delta.total_seconds() // 60)


def _waiting_today(center: Center, now: datetime) -> list[Ticket]:
    return list(
        db.session.scalars(
            select(Ticket)
            .where(
                Ticket.center_id == center.id,
                Ticket.state == TicketState.WAITING,
                Ticket.service_date == local_date(now, center.timezone),
            )
            .order_by(Ticket.issued_dt, Ticket.id)
        )
    )


def wait_limits(center: Center) -> dict[int, int]:
    """The center's longest acceptable waits in minutes, by case type id."""
    rows = db.session.scalars(select(WaitLimit).where(WaitLimit.center_id == center.id))
    return {row.case_type_id: row.minutes for row in rows}


def _over_wait(center: Center, waiting: list[Ticket], now: datetime) -> Iterable[_Over]:
    # the wait runs from the ticket's issue (or check-in), as the cases' ``wait_seconds``
    for case_type_id, minutes in sorted(wait_limits(center).items()):
        limit = timedelta(minutes=minutes)
        over = [t for t in waiting if t.case_type_id == case_type_id and now - t.issued_dt > limit]
        if over:
            oldest = min(t.issued_dt for t in over)
            yield _Over(
                BreachKind.WAIT,
                wait_subject(case_type_id),
                minutes,
                _minutes(now - oldest),
                oldest + limit,
                over,
                case_type_id=case_type_id,
            )


def _over_service(center: Center, now: datetime) -> Iterable[_Over]:
    percent = center.service_limit_percent
    if percent is None:
        return
    serving = db.session.scalars(
        select(Ticket)
        .where(
            Ticket.center_id == center.id,
            Ticket.state == TicketState.SERVING,
            Ticket.started_dt.is_not(None),
            Ticket.window_id.is_not(None),
        )
        .options(selectinload(Ticket.service_item))
        .order_by(Ticket.window_id)
    )
    for ticket in serving:
        allowed = timedelta(minutes=ticket.service_item.service_minutes * percent / 100)
        if now - ticket.started_dt > allowed:
            yield _Over(
                BreachKind.SERVICE,
                service_subject(ticket.window_id),
                math.ceil(allowed.total_seconds() / 60),
                _minutes(now - ticket.started_dt),
                ticket.started_dt + allowed,
                [ticket],
                window_id=ticket.window_id,
            )


def over_limits(center: Center, now: datetime) -> list[_Over]:
    """What of ``center`` is over its limit at ``now`` (read only)."""
    waiting = _waiting_today(center, now)
    over = list(_over_wait(center, waiting, now))
    if center.queue_limit is not None and len(waiting) > center.queue_limit:
        over.append(_Over(BreachKind.QUEUE, QUEUE, center.queue_limit, len(waiting), now))
    over.extend(_over_service(center, now))
    return over


def open_breaches(center: Center) -> list[Breach]:
    """The center's breaches still open, oldest first (read only)."""
    return list(
        db.session.scalars(
            select(Breach)
            .where(Breach.center_id == center.id, Breach.ended_dt.is_(None))
            .options(selectinload(Breach.case_type), selectinload(Breach.window))
            .order_by(Breach.started_dt, Breach.id)
        )
    )


def _extend(breach: Breach, over: _Over) -> None:
    breach.worst_value = max(breach.worst_value, over.worst_value)
    numbers = [n for n in (breach.tickets or "").split(",") if n]
    ids = [i for i in (breach.ticket_ids or "").split(",") if i]
    for ticket in over.tickets:
        if str(ticket.id) not in ids:
            ids.append(str(ticket.id))
            numbers.append(ticket.number)
    breach.tickets = ",".join(numbers)
    breach.ticket_ids = ",".join(ids)


def _open(center: Center, over: _Over, now: datetime) -> Breach:
    """Insert the breach of ``over``, or extend the one another process opened meanwhile;
    only the process whose insert holds announces it."""
    breach = Breach(
        center_id=center.id,
        kind=over.kind,
        subject=over.subject,
        case_type_id=over.case_type_id,
        window_id=over.window_id,
        service_date=local_date(over.began_dt, center.timezone),
        started_dt=over.began_dt,
        limit_value=over.limit_value,
        worst_value=over.worst_value,
    )
    _extend(breach, over)
    try:
        with db.session.begin_nested():
            db.session.add(breach)
    except IntegrityError:
        existing = db.session.scalar(
            select(Breach).where(
                Breach.center_id == center.id,
                Breach.subject == over.subject,
                Breach.ended_dt.is_(None),
            )
        )
        if existing is None:
            raise
        _extend(existing, over)
        return existing
    signals.breach_opened.send(breach, center=center, now=now)
    return breach


def check_service_levels(center: Center, now: datetime) -> list[Breach]:
    """Open, extend or end ``center``'s breaches by what is over its limit at ``now``;
    return the breaches open afterwards. A new breach is announced (``breach_opened``) once.

    Flushes; the caller commits.
    """
    write_transaction(keep_loaded=True)
    over = {o.subject: o for o in over_limits(center, now)}
    current: list[Breach] = []
    for breach in open_breaches(center):
        if breach.subject in over:
            _extend(breach, over.pop(breach.subject))
            current.append(breach)
        else:
            breach.ended_dt = now
    db.session.flush()  # ended ones leave the unique index before any reopens
    current.extend(_open(center, o, now) for o in over.values())
    db.session.flush()
    return sorted(current, key=lambda b: (b.started_dt, b.id))


@dataclass(frozen=True)
class DayBreaches:
    begun: int  #: breaches begun on the day
    minutes: int  #: minutes in breach within the day (overlapping breaches each count)


def day_breaches(center_ids: list[int], day: date, tz: str, *, now: datetime) -> DayBreaches:
    """The breaches of ``center_ids`` begun on the local ``day`` and the minutes any breach
    lasted within it (an open one up to ``now`` or the day's end)."""
    zone = ZoneInfo(tz)
    start = datetime.combine(day, time.min, zone)
    end = datetime.combine(day + timedelta(days=1), time.min, zone)
    rows = db.session.scalars(
        select(Breach).where(
            Breach.center_id.in_(center_ids),
            Breach.started_dt < end,
            or_(Breach.ended_dt.is_(None), and_(Breach.ended_dt > start)),
        )
    ).all()
    begun = 0
    seconds = 0.0
    for breach in rows:
        if breach.service_date == day:
            begun += 1
        until = min(breach.ended_dt or now, end)
        since = max(breach.started_dt, start)
        seconds += max((until - since).total_seconds(), 0)
    return DayBreaches(begun=begun, minutes=int(seconds // 60))
