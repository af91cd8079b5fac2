"""The waiting lists' messages: a freed place held for the first in line (候补), by text
message to the phone the resident joined with (joining is the consent), in their language.

The hold began when the message may go out (``booking.waitlist``: after the quiet hours), and
the message waits for the same moment. An offer that ends before its message went out takes
the message back.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy import update

from ..booking import signals
from ..booking.models import WaitlistEntry
from ..clock import to_local
from ..db import db
from .models import Notification, NotificationKind, NotificationState
from .outbox import enqueue, public_link, quiet_until

#: not sent yet: what a withdrawal ends
WAITING = (NotificationState.PENDING, NotificationState.SENDING)


def _key_prefix(entry: WaitlistEntry) -> str:
    return f"offer:{entry.id}:"


def offer_text(entry: WaitlistEntry) -> dict[str, Any]:
    """ "A place on DAY at HH:MM is held for you until HH:MM: LINK" (no name, no ID number)."""
    center = entry.center
    assert entry.offer_start_time is not None and entry.offer_expires_dt is not None
    start = entry.offer_start_time.strftime("%H:%M")
    until = to_local(entry.offer_expires_dt, center.timezone).strftime("%H:%M")
    link = public_link(f"/book/waitlist/{entry.token}")
    return {
        "body": lambda: _(
            "%(center)s: a place on %(day)s %(start)s is held for you until %(until)s. "
            "Take it: %(link)s",
            center=center.name,
            day=format_date(entry.service_date, "medium"),
            start=start,
            until=until,
            link=link,
        ),
        "subject": lambda: _("A place for you at %(center)s", center=center.name),
        "params": {
            "day": entry.service_date.isoformat(),
            "start": start,
            "until": until,
            "link": link,
        },
    }


@signals.place_offered.connect
def _offered(entry: WaitlistEntry, *, now: datetime, **_: Any) -> None:
    assert entry.offered_dt is not None
    enqueue(
        key=f"{_key_prefix(entry)}{int(entry.offered_dt.timestamp())}",
        kind=NotificationKind.OFFER,
        center_id=entry.center_id,
        address=entry.phone,
        locale=entry.locale,
        text=offer_text(entry),
        now=now,
        not_before=quiet_until(now, entry.center.timezone),
    )


@signals.offer_ended.connect
def _ended(entry: WaitlistEntry, **_: Any) -> None:
    """An offer taken, declined or lapsed before its message went out: the message goes."""
    db.session.execute(
        update(Notification)
        .where(
            Notification.kind == NotificationKind.OFFER,
            Notification.key.startswith(_key_prefix(entry), autoescape=True),
            Notification.state.in_(WAITING),
        )
        .values(
            state=NotificationState.NOT_SENT,
            last_error="withdrawn: the offer ended",
            address=None,
            claim=None,
        )
    )
