"""Numbers that restart every day: ticket numbers per prefix, case numbers, walk-in counts."""

from __future__ import annotations

import functools
import secrets

from sqlalchemy import bindparam

from ..db import db, insert_for
from .models import DailyCounter


def next_daily_value(center_id: int, day, series: str) -> int:
    """Hand out the next number of ``series`` for a center's day, atomically.

    One ``INSERT … ON CONFLICT DO UPDATE … RETURNING`` on both databases: concurrent callers
    queue on the counter row and each gets its own value; a new day starts at 1.
    """
    stmt = _counter_upsert(db.session.get_bind().dialect.name)
    params = {"center_id": center_id, "day": day, "series": series}
    return int(db.session.execute(stmt, params).scalar_one())


@functools.cache
def _counter_upsert(dialect: str):
    stmt = insert_for(dialect)(DailyCounter).values(
        center_id=bindparam("center_id"),
        service_date=bindparam("day"),
        series=bindparam("series"),
        last_value=1,
    )
    return stmt.on_conflict_do_update(
        index_elements=["center_id", "service_date", "series"],
        set_={"last_value": DailyCounter.last_value + 1},
    ).returning(DailyCounter.last_value)


def new_token() -> str:
    return secrets.token_urlsafe(12)  # 96 bits, 16 URL-safe characters
