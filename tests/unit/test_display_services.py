"""The hall display's queries and its cheap version: what the big screen reads, fixed clock."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from service_center.db import db
from service_center.display import feed, services
from service_center.queueing import services as queue
from service_center.queueing.kept import floor_version
from service_center.queueing.models import EventKind, Outcome, TicketEvent, TicketState
from service_center.windows.models import WindowState
from tests.fixtures.queueing import OPENING_MORNING


@pytest.fixture
def version(world, clock):
    return lambda: floor_version(world.center, now=clock.now)


def call(window, clock):
    ticket = queue.call_next_ticket(window, now=clock.now)
    db.session.commit()
    clock.advance(seconds=30)
    return ticket


def test_version_changes_with_each_ticket_event_and_window_state(
    world, open_windows, issue, clock, version
):
    seen = [version()]
    assert version() == seen[0]  # nothing happened: same version, so 304
    ticket = issue(world.items.licence)
    seen.append(version())
    call(world.windows.business, clock)
    seen.append(version())
    queue.recall_ticket(ticket, now=clock.now)
    db.session.commit()
    seen.append(version())
    queue.set_window_state(world.windows.livelihood, WindowState.PAUSED, now=clock.now)
    db.session.commit()
    seen.append(version())
    assert len(set(seen)) == len(seen)


def test_version_sees_an_event_that_commits_after_a_newer_one(world, open_windows, issue, clock):
    """PostgreSQL hands out ids before commit: a late commit may carry an earlier id and time."""
    ticket = issue(world.items.licence)
    newest = db.session.scalar(select(func.max(TicketEvent.id)))

    def event(event_id: int, minutes: int) -> TicketEvent:
        return TicketEvent(
            id=event_id,
            ticket_id=ticket.id,
            center_id=ticket.center_id,
            kind=EventKind.CALLED,
            at_dt=clock.now + timedelta(minutes=minutes),
        )

    db.session.add(event(newest + 10, minutes=2))  # the second process commits first
    db.session.commit()
    before = floor_version(world.center, now=clock.now)
    db.session.add(event(newest + 5, minutes=1))  # the first process commits a moment later
    db.session.commit()
    assert floor_version(world.center, now=clock.now) != before


def test_version_ignores_other_centers_and_changes_with_the_day(world, issue, clock, version):
    today = version()
    issue(world.items.other_licence)
    assert version() == today
    clock.advance(days=1)
    assert version() != today


def test_recent_calls_are_the_days_calls_and_recalls_newest_first(
    world, open_windows, issue, clock
):
    friday = issue(world.items.marriage)
    call(world.windows.livelihood, clock)
    queue.start_ticket(friday, now=clock.now)
    queue.complete_ticket(friday, now=clock.now, outcome=Outcome.COMPLETED)
    db.session.commit()
    clock.advance(days=3)  # Monday
    first = issue(world.items.licence)
    second = issue(world.items.project)
    call(world.windows.business, clock)
    call(world.windows.mixed, clock)
    queue.recall_ticket(first, now=clock.now)
    db.session.commit()

    calls = services.recent_calls(world.center, now=clock.now)

    assert [(c.number, c.window_number, c.kind) for c in calls] == [
        (first.number, 1, EventKind.RECALLED),
        (second.number, 2, EventKind.CALLED),
        (first.number, 1, EventKind.CALLED),
    ]
    assert calls[0].event_id > calls[1].event_id


def test_windows_show_their_ticket_and_state(world, open_windows, issue, clock):
    called = issue(world.items.licence)
    served = issue(world.items.marriage)
    call(world.windows.business, clock)
    call(world.windows.livelihood, clock)
    queue.start_ticket(served, now=clock.now)
    queue.set_window_state(world.windows.mixed, WindowState.PAUSED, now=clock.now)
    queue.set_window_state(world.windows.comprehensive, WindowState.CLOSED, now=clock.now)
    db.session.commit()

    statuses = services.window_statuses(world.center)

    assert [(w.number, w.state, w.ticket_number, w.ticket_state) for w in statuses] == [
        (1, WindowState.OPEN, called.number, TicketState.CALLED),
        (2, WindowState.PAUSED, None, None),
        (3, WindowState.OPEN, served.number, TicketState.SERVING),
        (4, WindowState.CLOSED, None, None),
    ]


def test_waiting_counts_per_case_type_of_this_center_only(world, open_windows, issue, clock):
    issue(world.items.licence)
    issue(world.items.food)
    issue(world.items.project)
    issue(world.items.other_licence)
    call(world.windows.mixed, clock)  # takes the first business ticket

    waiting, remote = services.waiting_counts(world.center)

    types = world.case_types
    assert waiting == {types["business"].id: 1, types["investment"].id: 1}
    assert remote == 0


@pytest.mark.parametrize(
    ("number", "zh", "en"),
    [
        ("B017", "B 零 一 七", "B 0 1 7"),
        ("M100", "M 一 零 零", "M 1 0 0"),
        ("T009", "T 零 零 九", "T 0 0 9"),
    ],
)
def test_ticket_numbers_are_spelled_one_character_at_a_time(number, zh, en):
    assert feed.spell_zh(number) == zh
    assert feed.spell_en(number) == en


def test_call_texts_in_chinese_and_english(app):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        texts = feed.call_texts("B017", 5)
    assert texts == {
        "text_zh": "请 B017 号到 5 号窗口办理",
        "text_en": "Ticket B017, please go to window 5",
        "speech_zh": "请 B 零 一 七 号到 5 号窗口办理",
        "speech_en": "Ticket B 0 1 7, please go to window 5",
    }


def test_recent_tickets_list_each_ticket_once_below_the_latest():
    numbers = ["B003", "B002", "B003", "M001", "B002"]
    calls = [{"number": n, "id": i, "is_current": True} for i, n in enumerate(numbers)]
    assert [c["number"] for c in feed.recent_tickets(calls)] == ["B002", "M001"]


def test_now_calling_is_the_newest_call_that_still_stands():
    calls = [
        {"number": "B003", "id": 3, "is_current": False},  # a no-show
        {"number": "B002", "id": 2, "is_current": True},
        {"number": "M001", "id": 1, "is_current": True},
    ]
    assert feed.now_calling(calls)["number"] == "B002"
    assert [c["number"] for c in feed.recent_tickets(calls)] == ["B003", "M001"]
    assert feed.now_calling([{**c, "is_current": False} for c in calls]) is None


CALLED, SERVING = TicketState.CALLED, TicketState.SERVING
OPEN, PAUSED, CLOSED = WindowState.OPEN, WindowState.PAUSED, WindowState.CLOSED


def a_call(event_id=1, ticket_id=1, state=CALLED, held_at=5, window_state=OPEN) -> services.Call:
    """A call of ticket ``ticket_id`` to window 5 (id 5), as things stand now."""
    return services.Call(
        event_id=event_id,
        kind=EventKind.CALLED,
        number=f"B00{ticket_id}",
        window_number=5,
        at=OPENING_MORNING,
        case_type_id=1,
        ticket_id=ticket_id,
        ticket_state=state,
        ticket_window_id=held_at,
        window_id=5,
        window_state=window_state,
    )


@pytest.mark.parametrize(
    ("state", "held_at", "window_state", "stands"),
    [
        (CALLED, 5, OPEN, True),
        (SERVING, 5, OPEN, True),  # the resident came: the window still expects them
        (CALLED, 5, PAUSED, False),  # 暂停: nobody should walk to that window
        (SERVING, 5, PAUSED, False),
        (CALLED, 5, CLOSED, False),
        (TicketState.NO_SHOW, 5, OPEN, False),  # 过号
        (TicketState.WAITING, None, OPEN, False),  # transferred, waiting again
        (CALLED, 7, OPEN, False),  # transferred and called to window 7 since
        (TicketState.DONE, 5, OPEN, False),  # 办结
        (TicketState.UNSERVED, 5, OPEN, False),
    ],
)
def test_a_call_stands_while_its_ticket_is_held_at_an_open_window(
    state, held_at, window_state, stands
):
    assert services.call_stands(
        a_call(state=state, held_at=held_at, window_state=window_state)
    ) is (stands)


def test_only_the_latest_call_of_a_ticket_stands():
    recalled = [a_call(event_id=3), a_call(event_id=2, ticket_id=2), a_call(event_id=1)]
    marked = services.mark_current(recalled)
    assert [(c.event_id, c.is_current) for c in marked] == [(3, True), (2, True), (1, False)]


@pytest.mark.parametrize("act", ["no_show", "pause", "transfer", "complete"])
def test_a_call_stops_standing_when_the_clerk_acts(world, open_windows, issue, clock, version, act):
    ticket = issue(world.items.licence)
    call(world.windows.business, clock)
    assert [c.is_current for c in services.recent_calls(world.center, now=clock.now)] == [True]
    before = version()
    if act == "no_show":
        queue.recall_ticket(ticket, now=clock.now)
        queue.mark_no_show(ticket, now=clock.advance(minutes=1))
    elif act == "pause":
        queue.set_window_state(world.windows.business, WindowState.PAUSED, now=clock.now)
    elif act == "transfer":
        queue.transfer_ticket(ticket, now=clock.now, window=world.windows.comprehensive)
    else:
        queue.start_ticket(ticket, now=clock.now)
        queue.complete_ticket(ticket, now=clock.advance(minutes=5), outcome=Outcome.COMPLETED)
    db.session.commit()

    assert not any(c.is_current for c in services.recent_calls(world.center, now=clock.now))
    assert version() != before  # the screens fetch the board again: no 304
    assert services.window_statuses(world.center)[0].ticket_number is None


def test_a_paused_window_shows_no_ticket_until_it_opens_again(world, open_windows, issue, clock):
    ticket = issue(world.items.licence)
    call(world.windows.business, clock)
    queue.set_window_state(world.windows.business, WindowState.PAUSED, now=clock.now)
    db.session.commit()
    assert services.window_statuses(world.center)[0].ticket_number is None

    queue.set_window_state(world.windows.business, WindowState.OPEN, now=clock.advance(minutes=1))
    db.session.commit()
    assert services.window_statuses(world.center)[0].ticket_number == ticket.number
    assert services.recent_calls(world.center, now=clock.now)[0].is_current
