"""The display's ear on the queue: a change committed through this process shows at its next
poll, without waiting out ``DISPLAY_VERSION_TTL`` (other processes still wait it out)."""

from __future__ import annotations

from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from ..queueing import signals
from ..queueing.models import Ticket

#: session.info key: ids of the centers whose board this transaction changed
_CHANGED = "display_changed"


def _note_change(ticket: Ticket, **_: Any) -> None:
    session = Session.object_session(ticket)
    if session is not None:
        session.info.setdefault(_CHANGED, set()).add(ticket.center_id)


for _signal in signals.BY_KIND.values():
    _signal.connect(_note_change)


@event.listens_for(Session, "after_commit")
def _forget_kept_boards(session: Session) -> None:
    changed = session.info.pop(_CHANGED, None)
    if not changed or not has_app_context():
        return
    kept = current_app.extensions.get("display_versions", {})
    for code, board in list(kept.items()):
        if board.center_id in changed:
            kept.pop(code, None)


@event.listens_for(Session, "after_rollback")
def _forget_notes(session: Session) -> None:
    session.info.pop(_CHANGED, None)
