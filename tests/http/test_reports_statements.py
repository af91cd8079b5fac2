"""How many SQL statements the daily report sends: within a budget, whatever the day holds.

A day's figures come from a fixed set of grouped statements and one look-up per kind of row
shown (windows, clerks, case types, items), so the count is the same for a day of three cases
and a day of sixty; a statement per window, clerk or case would show here before it shows as
time (docs/performance.md, section 9). Each request runs on a fresh session, as in a worker.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import func, select

from service_center.auth.services import issue_api_token, user_for_token
from service_center.clock import local_date, now_utc
from service_center.db import db
from service_center.demo.history import seed_history
from service_center.queueing.models import Case

#: statements of one daily report at most, (SQLite, PostgreSQL): SQLite also sends its BEGIN
BUDGET = (11, 10)


@pytest.fixture
def history(world) -> SimpleNamespace:
    """A fortnight of history at testtown: a first week of small days, then larger ones."""
    town = world.windows.business.center
    today = local_date(now_utc(), town.timezone)
    for first, last, per_day in ((15, 8, 3), (7, 1, 60)):
        seed_history(
            town,
            first=today - timedelta(days=first),
            last=today - timedelta(days=last),
            per_day=per_day,
            today=today,
        )
    token = issue_api_token(world.users.supervisor, "reports", now=now_utc())
    db.session.commit()
    # in use this hour already: a token's use is written once an hour (auth/services.py)
    assert user_for_token(token, now=now_utc()) is not None
    per_day = select(Case.service_date, func.count()).group_by(Case.service_date)
    sizes = {day: n for day, n in db.session.execute(per_day)}
    return SimpleNamespace(sizes=sizes, bearer={"Authorization": f"Bearer {token}"})


def daily(client, history: SimpleNamespace, day: date) -> Callable[[], Any]:
    url = f"/api/v1/reports/daily?center=testtown&date={day.isoformat()}"
    return lambda: client.get(url, headers=history.bearer)


def test_a_daily_report_keeps_to_its_statement_budget(client, history, statements, backend):
    busiest = max(history.sizes, key=history.sizes.get)
    sent = statements(daily(client, history, busiest))
    assert sent <= BUDGET[0 if backend == "sqlite" else 1], f"{sent} statements"


def test_a_days_statements_do_not_grow_with_its_cases(client, history, statements):
    smallest = min(history.sizes, key=history.sizes.get)
    busiest = max(history.sizes, key=history.sizes.get)
    assert history.sizes[busiest] >= 10 * history.sizes[smallest]
    assert statements(daily(client, history, smallest)) == statements(
        daily(client, history, busiest)
    )
