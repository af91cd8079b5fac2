"""Worker processes of the remote-ticket race: each builds its own app, session, connection."""

from __future__ import annotations

from datetime import datetime

from service_center.db import db
from service_center.queueing import remote
from tests.race_workers import _retrying, make_app


def remote_taker(
    url: str, center_code: str, item_id: int, phone: str, attempts: int, now: datetime, results
) -> None:
    """Try ``attempts`` times to take a ticket from the phone ``phone``; report each answer."""
    app = make_app(url)
    answers: list[str] = []
    with app.app_context():
        for _ in range(attempts):
            try:
                ticket = _retrying(
                    lambda: remote.issue_remote(center_code, item_id, phone=phone, now=now)
                )
            except remote.RemotePhoneCapReached:
                db.session.rollback()
                answers.append("phone cap")
            except remote.RemoteCapReached:
                db.session.rollback()
                answers.append("daily cap")
            else:
                db.session.commit()
                answers.append(ticket.number)
        db.session.remove()
        db.engine.dispose()
    results.put((phone, answers))
