"""Who may do what at a window, through the API: every actor × every desk action.

A clerk acts only at the window they are signed on to; a supervisor of the center at any of
its windows; nobody else (not a clerk of another window or center, not a county admin).
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from service_center.db import db
from service_center.queueing import services as queue
from service_center.queueing.models import Ticket, TicketEvent
from service_center.windows.models import Window

ACTORS = [
    "anonymous",
    "clerk_here",
    "clerk_elsewhere",
    "other_center_clerk",
    "supervisor",
    "admin",
]
USERS = {
    "clerk_here": "clerk",
    "clerk_elsewhere": "clerk2",
    "other_center_clerk": "other_clerk",
    "supervisor": "supervisor",
    "admin": "admin",
}
#: who may act at window 1 and on its tickets
AT_THE_WINDOW = {
    "anonymous": 401,
    "clerk_here": 200,
    "clerk_elsewhere": 403,
    "other_center_clerk": 403,
    "supervisor": 200,
    "admin": 403,
}
#: the actions that write a ticket event (with the actor)
TICKET_EVENTS = {"call-next", "recall", "start", "no-show", "transfer", "complete", "requeue"}
#: who may sign on to a free window of the center
SIGN_ON = AT_THE_WINDOW | {"clerk_elsewhere": 200}

# action → (method, path, body, the ticket's state before, expected statuses)
ACTIONS = {
    "open": ("post", "/windows/{window}/open", None, None, AT_THE_WINDOW),
    "pause": ("post", "/windows/{window}/pause", None, None, AT_THE_WINDOW),
    "close": ("post", "/windows/{window}/close", None, None, AT_THE_WINDOW),
    "call-next": ("post", "/windows/{window}/call-next", None, "waiting", AT_THE_WINDOW),
    "queue": ("get", "/windows/{window}/queue", None, "waiting", AT_THE_WINDOW),
    "desk": ("get", "/windows/{window}/desk", None, "called", AT_THE_WINDOW),
    "sign-off": ("post", "/windows/{window}/sign-off", None, None, AT_THE_WINDOW),
    "recall": ("post", "/tickets/{ticket}/recall", None, "called", AT_THE_WINDOW),
    "start": ("post", "/tickets/{ticket}/start", None, "called", AT_THE_WINDOW),
    "no-show": ("post", "/tickets/{ticket}/no-show", None, "called", AT_THE_WINDOW),
    "transfer": (
        "post",
        "/tickets/{ticket}/transfer",
        lambda world: {"window": world.windows.comprehensive.id},
        "called",
        AT_THE_WINDOW,
    ),
    "complete": (
        "post",
        "/tickets/{ticket}/complete",
        lambda world: {"outcome": "completed"},
        "serving",
        AT_THE_WINDOW,
    ),
    "requeue": ("post", "/tickets/{ticket}/requeue", None, "no_show", AT_THE_WINDOW),
    "priority": (
        "post",
        "/windows/{window}/queue/{ticket}/priority",
        None,
        "waiting",
        AT_THE_WINDOW,
    ),
    "sign-on": ("post", "/windows/{free}/sign-on", None, None, SIGN_ON),
}


@pytest.fixture
def scene(world, clock, desk_clock, sign_on) -> SimpleNamespace:
    """clerk at window 1, clerk2 at window 2, other-clerk at otherville's window."""
    sign_on(world.users.clerk, world.windows.business)
    sign_on(world.users.clerk2, world.windows.mixed)
    sign_on(world.users.other_clerk, world.windows.other)
    return world


def bring(world, clock, state: str | None) -> Ticket | None:
    """A licence-change ticket at window 1 in ``state`` (None: no ticket)."""
    if state is None:
        return None
    ticket = queue.issue_ticket(world.center, world.items.licence_change, now=clock.now)
    clerk, window = world.users.clerk, world.windows.business
    if state != "waiting":
        queue.call_next_ticket(window, now=clock.now, actor=clerk)
        queue.recall_ticket(ticket, now=clock.now, actor=clerk)
    if state == "serving":
        queue.start_ticket(ticket, now=clock.now, actor=clerk)
    if state == "no_show":
        queue.mark_no_show(ticket, now=clock.now, actor=clerk)
    db.session.commit()
    return ticket


def events() -> int:
    return db.session.scalar(select(func.count(TicketEvent.id)))


@pytest.mark.parametrize("action", list(ACTIONS))
@pytest.mark.parametrize("actor", ACTORS)
def test_permission_matrix(client, scene, clock, login_as, actor, action):
    method, path, body, state, expected = ACTIONS[action]
    ticket = bring(scene, clock, state)
    body = body(scene) if body else None
    url = "/api/v1" + path.format(
        window=scene.windows.business.id,
        free=scene.windows.livelihood.id,
        ticket=ticket.id if ticket else 0,
    )
    if actor != "anonymous":
        login_as(getattr(scene.users, USERS[actor]))
    before = (events(), [(w.id, w.state, w.clerk_id) for w in db.session.scalars(select(Window))])
    response = getattr(client, method)(url, json=body) if body else getattr(client, method)(url)
    assert response.status_code == expected[actor], response.get_data(as_text=True)
    if expected[actor] == 200 and action in TICKET_EVENTS:
        latest = db.session.scalars(select(TicketEvent).order_by(TicketEvent.id.desc())).first()
        assert latest.actor_id == getattr(scene.users, USERS[actor]).id
    if expected[actor] != 200:
        assert response.mimetype == "application/problem+json"
        db.session.expire_all()
        after = (
            events(),
            [(w.id, w.state, w.clerk_id) for w in db.session.scalars(select(Window))],
        )
        assert after == before  # refused: nothing written
