"""A ticket's position counts each distinct queue once: windows of equal skills share a queue,
unless a ticket waits transferred to one of them, and only equal item sets count as equal."""

from __future__ import annotations

from service_center.db import db
from service_center.queueing import services
from service_center.windows.models import Window, WindowState


def _window(world, number: int, items: list) -> Window:
    window = Window(
        center=world.center,
        number=number,
        name_zh=f"窗口{number}",
        name_en=f"Window {number}",
        services=items,
        state=WindowState.OPEN,
    )
    db.session.add(window)
    db.session.commit()
    return window


def test_a_transfer_gives_a_window_its_own_queue(world, issue, open_windows, clock):
    """Window 5 has window 1's skills; a ticket sent to window 1 waits there alone, first."""
    business = world.windows.business
    _window(world, 5, list(business.services))
    sent = issue(world.items.licence)
    services.call_next_ticket(world.windows.comprehensive, now=clock.now)
    services.transfer_ticket(sent, now=clock.now, window=business)
    db.session.commit()
    issue(world.items.project)  # ahead at window 2 (business + investment) and 4
    first = issue(world.items.licence)
    mine = issue(world.items.licence)

    position = services.queue_position(mine, now=clock.now)

    # windows 1 (sent first), 2 and 4 (the project first): 2 ahead; window 5: 1 ahead
    assert position.ahead == 1
    assert services.queue_position(first, now=clock.now).ahead == 0


def test_windows_with_equal_item_counts_and_sums_but_other_items_keep_their_queues(
    world, create_item, case_types, issue, open_windows, clock
):
    """{n, n+2, n+3} and {n, n+1, n+4}: same size, sum and smallest id, different items."""
    department = world.items.licence.department
    items = [create_item(world.center, case_types["business"], department) for _ in range(5)]
    n = items[0].id
    assert [item.id for item in items] == list(range(n, n + 5))
    _window(world, 5, [items[0], items[2], items[3]])
    _window(world, 6, [items[0], items[1], items[4]])
    issue(items[2])  # waits at window 5 (and the comprehensive window), not at window 6
    mine = issue(items[0])

    assert services.queue_position(mine, now=clock.now).ahead == 0
