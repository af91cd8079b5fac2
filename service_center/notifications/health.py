"""How the messages of a center are doing today, for the supervisors' live floor: sent,
failed, waiting and not sent per channel, and a warning when a channel is failing."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from ..catalogue.models import Center
from ..clock import local_date, now_utc
from ..db import db
from .models import Channel, Notification, NotificationState

#: a message waiting this long means no worker is delivering
STALE = timedelta(minutes=10)


@dataclass
class ChannelHealth:
    channel: Channel
    now: datetime
    counts: Counter[str] = field(default_factory=Counter)  #: sent, failed, waiting, not_sent
    oldest_waiting: datetime | None = None
    last_error: str = ""

    @property
    def failing(self) -> bool:
        return bool(self.counts["failed"]) or self.stalled

    @property
    def stalled(self) -> bool:
        return self.oldest_waiting is not None and self.now - self.oldest_waiting > STALE


def message_health(center: Center, now: datetime | None = None) -> list[ChannelHealth]:
    """Today's messages of ``center`` per channel (the center's local day); one statement."""
    now = now or now_utc()
    zone = ZoneInfo(center.timezone)
    since = datetime.combine(local_date(now, center.timezone), time(0), zone)
    rows = db.session.execute(
        select(
            Notification.channel,
            Notification.state,
            func.count(),
            func.min(Notification.next_attempt_dt),  # due since (held ones are not late)
            func.max(Notification.last_error),
        )
        .where(Notification.center_id == center.id, Notification.created_dt >= since)
        .group_by(Notification.channel, Notification.state)
    ).all()
    health = {channel: ChannelHealth(channel, now) for channel in Channel}
    for channel, state, count, oldest, error in rows:
        entry = health[channel]
        if state in (NotificationState.PENDING, NotificationState.SENDING):
            entry.counts["waiting"] += count
            due = oldest if oldest <= now else None  # held for quiet hours or a retry: not late
            if due is not None and (entry.oldest_waiting is None or due < entry.oldest_waiting):
                entry.oldest_waiting = due
        else:
            entry.counts[state.value] += count
        if state is NotificationState.FAILED and error:
            entry.last_error = error
    return list(health.values())
