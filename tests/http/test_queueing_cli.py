"""Staff switch the kiosk's priority lane and cap walk-ins per case type from the command line."""

from __future__ import annotations

import pytest

from service_center.db import db
from service_center.queueing import services
from service_center.queueing.models import WalkInCap


def test_kiosk_priority_on_and_off(runner, world):
    result = runner.invoke(args=["queueing", "kiosk-priority", "testtown", "on"])
    assert result.exit_code == 0 and "on" in result.output
    db.session.expire_all()
    assert world.center.kiosk_priority_enabled is True
    runner.invoke(args=["queueing", "kiosk-priority", "testtown", "off"])
    db.session.expire_all()
    assert world.center.kiosk_priority_enabled is False
    bad = runner.invoke(args=["queueing", "kiosk-priority", "atlantis", "on"])
    assert bad.exit_code != 0 and "no center" in bad.output


def test_walk_in_cap_is_enforced_and_can_be_lifted(runner, world, issue):
    result = runner.invoke(args=["queueing", "walk-in-cap", "testtown", "business", "1"])
    assert result.exit_code == 0, result.output
    issue(world.items.licence)
    with pytest.raises(services.WalkInCapReached):
        issue(world.items.food)
    db.session.rollback()
    runner.invoke(args=["queueing", "walk-in-cap", "testtown", "business", "none"])
    assert db.session.query(WalkInCap).count() == 0
    assert issue(world.items.food).number == "B002"
    refused = runner.invoke(args=["queueing", "walk-in-cap", "testtown", "business", "lots"])
    assert refused.exit_code != 0
