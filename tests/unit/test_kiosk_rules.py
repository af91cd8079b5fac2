"""The kiosk's rules: when a closed hall opens next, and the items taken most lately."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from service_center.catalogue.calendar import next_opening
from service_center.catalogue.models import CenterDay, OpeningHours
from service_center.db import db
from service_center.queueing import services
from service_center.queueing.popular import most_taken_items

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    ("now", "opens"),
    [
        (local(2026, 11, 27, 8, 0), local(2026, 11, 27, 9, 0)),  # Friday before opening
        (local(2026, 11, 27, 12, 15), local(2026, 11, 27, 13, 30)),  # lunch break
        (local(2026, 11, 26, 23, 30), local(2026, 11, 27, 9, 0)),  # across midnight
        (local(2026, 11, 27, 0, 30), local(2026, 11, 27, 9, 0)),  # just after midnight
        (local(2026, 11, 27, 18, 0), local(2026, 11, 30, 9, 0)),  # Friday evening: Monday
        (local(2026, 9, 30, 17, 45), local(2026, 10, 8, 9, 0)),  # National Day week
        (local(2026, 10, 9, 18, 0), local(2026, 10, 10, 9, 0)),  # 调休: Saturday works
        (local(2026, 9, 18, 18, 0), local(2026, 9, 20, 9, 0)),  # 调休: a working Sunday
    ],
)
def test_next_opening_walks_past_nights_weekends_and_holidays(world, now, opens):
    assert next_opening(world.center, now.astimezone(UTC)) == opens


def test_next_opening_skips_the_centers_own_closure(world):
    db.session.add(
        CenterDay(center_id=world.center.id, day=local(2026, 11, 30).date(), is_open=False)
    )
    db.session.flush()
    assert next_opening(world.center, local(2026, 11, 27, 18)) == local(2026, 12, 1, 9)


def test_next_opening_is_none_for_a_center_without_hours(world):
    db.session.execute(db.delete(OpeningHours).where(OpeningHours.center_id == world.center.id))
    world.center.calendar_version += 1
    db.session.flush()
    db.session.expire_all()
    assert next_opening(world.center, local(2026, 11, 27, 8)) is None


NOW = local(2026, 11, 27, 10, 0).astimezone(UTC)


def test_most_taken_counts_the_last_30_days_most_first(world):
    items = world.items
    for item, days_ago in [
        (items.marriage, 1),
        (items.allowance, 2),
        (items.allowance, 3),
        (items.allowance, 29),
        (items.licence, 31),  # too old
        (items.licence, 31),
        (items.licence, 31),
        (items.marriage, 4),
    ]:
        moment = NOW - timedelta(days=days_ago)
        services.issue_ticket(world.center, item, now=moment)
    services.issue_ticket(world.other, world.items.other_licence, now=NOW - timedelta(hours=1))
    db.session.flush()
    assert most_taken_items(world.center, now=NOW) == [items.allowance, items.marriage]
    assert most_taken_items(world.center, now=NOW, limit=1) == [items.allowance]


def test_most_taken_leaves_out_withdrawn_items(world):
    services.issue_ticket(world.center, world.items.food, now=NOW - timedelta(days=1))
    world.items.food.is_active = False
    db.session.flush()
    assert most_taken_items(world.center, now=NOW) == []
