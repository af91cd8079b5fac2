"""The desk page: sign on, then every action through its forms (no JavaScript needed)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from service_center.db import db
from service_center.queueing.models import Case, EventKind, Ticket, TicketEvent, TicketState
from service_center.windows.models import WindowState


@pytest.fixture
def en(client):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def at_desk(world, en, login_as, desk_clock, sign_on):
    """The clerk signed in and signed on to window 1; returns the desk's URL."""
    sign_on(world.users.clerk, world.windows.business)
    login_as(world.users.clerk)
    return f"/desk/{world.windows.business.id}"


def post(client, url, **data):
    response = client.post(url, data=data, follow_redirects=True)
    return response, response.get_data(as_text=True)


def current_number(page: str) -> str | None:
    found = re.search(r'id="current-number"[^>]*>([A-Z]\d{3})<', page)
    return found.group(1) if found else None


def ticket(number: str) -> Ticket:
    db.session.expire_all()
    return db.session.scalar(select(Ticket).where(Ticket.number == number))


def test_a_clerk_signs_on_from_the_list_of_windows(world, en, login_as, desk_clock):
    login_as(world.users.clerk)
    page = en.get("/desk").get_data(as_text=True)
    assert "Window 4" in page and "Sign on" in page
    response, page = post(en, f"/desk/{world.windows.livelihood.id}/sign-on")
    assert response.request.path == f"/desk/{world.windows.livelihood.id}"
    assert "Signed on to window 3; it is open for calls." in page
    assert world.windows.livelihood.clerk_id == world.users.clerk.id
    assert world.windows.livelihood.state is WindowState.OPEN
    # once signed on, /desk leads straight to the clerk's own desk
    assert en.get("/desk").headers["Location"] == f"/desk/{world.windows.livelihood.id}"


def test_a_clerk_is_sent_to_sign_on_before_using_a_window(world, en, login_as, desk_clock):
    login_as(world.users.clerk)
    response = en.get(f"/desk/{world.windows.business.id}", follow_redirects=True)
    assert response.request.path == "/desk"
    assert "Sign on to window 1 to work there." in response.get_data(as_text=True)
    assert en.post(f"/desk/{world.windows.business.id}/call-next").status_code == 403


def test_a_window_staffed_by_another_clerk_shows_so(world, en, login_as, desk_clock, sign_on):
    sign_on(world.users.clerk2, world.windows.business)
    login_as(world.users.clerk)
    page = en.get("/desk").get_data(as_text=True)
    card = page.split('id="window-1"')[1].split("</li>")[0]
    assert "clerk2" in card and "Staffed today" in card and "Sign on" not in card
    response, page = post(en, f"/desk/{world.windows.business.id}/sign-on")
    assert "Window 1 is staffed by clerk2 today." in page


@pytest.mark.parametrize("user", ["admin", None])
def test_admins_and_strangers_do_not_reach_the_desk(world, en, login_as, user):
    if user:
        login_as(getattr(world.users, user))
        assert en.get("/desk").status_code == 403
        assert en.get(f"/desk/{world.windows.business.id}").status_code == 403
    else:
        assert en.get("/desk").headers["Location"].startswith("/auth/login")


def test_a_supervisor_opens_any_desk_of_the_center_but_not_another_centers(
    world, en, login_as, desk_clock
):
    login_as(world.users.supervisor)
    page = en.get("/desk").get_data(as_text=True)
    assert f'href="/desk/{world.windows.comprehensive.id}"' in page
    assert en.get(f"/desk/{world.windows.comprehensive.id}").status_code == 200
    assert en.get(f"/desk/{world.windows.other.id}").status_code == 403


def test_the_desk_shows_the_queue_in_call_order_with_waits_and_marks(
    world, en, issue, at_desk, clock
):
    issue(world.items.licence)
    issue(world.items.food, priority=True)
    issue(world.items.marriage)  # another window's
    clock.advance(minutes=7)
    page = en.get(at_desk).get_data(as_text=True)
    rows = re.findall(r'<li data-number="(\w+)">(.*?)</li>', page, re.S)
    assert [number for number, _ in rows] == ["B002", "B001"]
    assert "Priority" in rows[0][1] and "9 min" in rows[0][1]
    assert "10 min" in rows[1][1]
    assert 'id="queue-count">2<' in page
    for key in ("N", "R", "S", "C", "X", "T", "P", "Q"):
        assert f"<kbd>{key}</kbd>" in page


def test_call_recall_start_complete_through_the_page(world, en, issue, at_desk):
    issue(world.items.licence, applicant_name="张三", applicant_phone="13812345678")
    issue(world.items.licence_change)
    response, page = post(en, f"{at_desk}/call-next")
    assert "Now calling B001." in page and current_number(page) == "B001"
    assert "张三" in page and "13812345678" in page  # the clerk's own view: unmasked
    tid = ticket("B001").id
    response, page = post(en, f"{at_desk}/tickets/{tid}/recall")
    assert "Calling B001 again." in page and "Called 2 times" in page
    response, page = post(en, f"{at_desk}/tickets/{tid}/start")
    assert "Serving B001." in page and "Being served" in page and "Record the case" in page
    response, page = post(en, f"{at_desk}/tickets/{tid}/complete", outcome="completed", notes="")
    assert "B001 completed: case TE-20261127-0001 recorded." in page
    assert "Last case recorded here: TE-20261127-0001" in page
    assert current_number(page) is None and 'id="count-cases">1<' in page
    case_ = db.session.scalar(select(Case))
    assert (case_.applicant_name, case_.clerk_id) == ("张三", world.users.clerk.id)
    kinds = [e.kind for e in db.session.scalars(select(TicketEvent).order_by(TicketEvent.id))]
    assert kinds[-4:] == [
        EventKind.CALLED,
        EventKind.RECALLED,
        EventKind.STARTED,
        EventKind.COMPLETED,
    ]
    assert {e.actor_id for e in db.session.scalars(select(TicketEvent)) if e.kind != "issued"} == {
        world.users.clerk.id
    }


def test_completing_asks_for_outcome_and_the_walk_ins_applicant(world, en, issue, at_desk):
    issue(world.items.licence)
    post(en, f"{at_desk}/call-next")
    tid = ticket("B001").id
    response, page = post(en, f"{at_desk}/tickets/{tid}/start")
    assert "This item needs the applicant" in page and 'name="applicant_phone"' in page
    response = en.post(f"{at_desk}/tickets/{tid}/complete", data={"notes": "x"})
    assert response.status_code == 422 and "Choose the outcome." in response.get_data(as_text=True)
    response = en.post(
        f"{at_desk}/tickets/{tid}/complete",
        data={"outcome": "completed", "applicant_name": "李四", "applicant_phone": "1381234"},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Enter an 11-digit mainland mobile number" in page and 'value="李四"' in page
    assert db.session.scalar(select(func.count(Case.id))) == 0
    response, page = post(
        en,
        f"{at_desk}/tickets/{tid}/complete",
        outcome="documents_missing",
        notes="缺少经营场所证明",
        applicant_name="李四",
        applicant_phone="138 1234 5678",
    )
    assert "case TE-20261127-0001 recorded" in page
    case_ = db.session.scalar(select(Case))
    assert (case_.outcome.value, case_.notes, case_.applicant_phone) == (
        "documents_missing",
        "缺少经营场所证明",
        "13812345678",
    )


def test_an_action_that_does_not_fit_shows_why_and_writes_nothing(world, en, issue, at_desk):
    issue(world.items.licence_change)
    issue(world.items.licence_change)
    post(en, f"{at_desk}/call-next")
    tid = ticket("B001").id
    events = db.session.scalar(select(func.count(TicketEvent.id)))
    response, page = post(en, f"{at_desk}/tickets/{tid}/complete", outcome="completed")
    assert "Ticket B001 is called; it cannot be completed." in page
    response, page = post(en, f"{at_desk}/call-next")
    assert "This window still holds a ticket" in page
    response, page = post(en, f"{at_desk}/tickets/{tid}/no-show")
    assert "Call B001 at least 2 times before marking a no-show." in page
    assert db.session.scalar(select(func.count(TicketEvent.id))) == events
    assert ticket("B001").state is TicketState.CALLED and current_number(page) == "B001"


def test_no_show_then_requeue_from_the_list_of_missed(world, en, issue, at_desk):
    issue(world.items.licence_change)
    issue(world.items.licence_change)
    post(en, f"{at_desk}/call-next")
    tid = ticket("B001").id
    post(en, f"{at_desk}/tickets/{tid}/recall")
    response, page = post(en, f"{at_desk}/tickets/{tid}/no-show")
    assert "B001 marked no-show." in page and 'id="count-no-shows">1<' in page
    missed = page.split('id="no-shows"')[1].split("</ul>")[0]
    assert "B001" in missed and "Put back in queue" in missed
    response, page = post(en, f"{at_desk}/tickets/{tid}/requeue")
    assert "B001 is back in the queue." in page
    assert re.findall(r'<li data-number="(\w+)">', page) == ["B002", "B001"]


def test_transfer_to_another_window_and_item(world, en, issue, at_desk):
    issue(world.items.licence_change)
    post(en, f"{at_desk}/call-next")
    tid = ticket("B001").id
    response = en.post(
        f"{at_desk}/tickets/{tid}/transfer", data={"window": world.windows.livelihood.id}
    )
    assert response.status_code == 422
    assert "Window 3 does not handle this item." in response.get_data(as_text=True)
    response, page = post(
        en,
        f"{at_desk}/tickets/{tid}/transfer",
        window=world.windows.livelihood.id,
        service=world.items.marriage.id,
    )
    assert "B001 transferred; it waits again." in page and current_number(page) is None
    moved = ticket("B001")
    assert (moved.transfer_window_id, moved.service_item_id, moved.queued_dt) == (
        world.windows.livelihood.id,
        world.items.marriage.id,
        moved.issued_dt,
    )


def test_pause_stops_calls_until_resumed(world, en, issue, at_desk):
    issue(world.items.licence_change)
    response, page = post(en, f"{at_desk}/pause")
    assert "Paused: this window takes no calls." in page and 'id="window-status">Paused<' in page
    response, page = post(en, f"{at_desk}/call-next")
    assert "Open the window before calling." in page and current_number(page) is None
    response, page = post(en, f"{at_desk}/resume")
    assert "Open: this window takes calls again." in page
    response, page = post(en, f"{at_desk}/call-next")
    assert current_number(page) == "B001"


def test_sign_off_waits_for_the_current_ticket(world, en, issue, at_desk):
    issue(world.items.licence_change)
    post(en, f"{at_desk}/call-next")
    response, page = post(en, f"{at_desk}/sign-off")
    assert "still holds a ticket" in page and world.windows.business.clerk_id is not None
    tid = ticket("B001").id
    post(en, f"{at_desk}/tickets/{tid}/start")
    post(en, f"{at_desk}/tickets/{tid}/complete", outcome="completed")
    response, page = post(en, f"{at_desk}/sign-off")
    assert response.request.path == "/desk"
    assert "Signed off window 1; it is closed." in page
    db.session.expire_all()
    assert (world.windows.business.clerk_id, world.windows.business.state) == (
        None,
        WindowState.CLOSED,
    )


def test_priority_button_moves_a_waiting_ticket_first(world, en, issue, at_desk):
    issue(world.items.licence_change)
    issue(world.items.food)
    response, page = post(en, f"{at_desk}/tickets/{ticket('B002').id}/priority")
    assert "B002 moved to the priority lane." in page
    assert re.findall(r'<li data-number="(\w+)">', page) == ["B002", "B001"]


def test_the_desk_forms_carry_the_csrf_token(app, world, en, issue, at_desk):
    app.config["WTF_CSRF_ENABLED"] = True
    issue(world.items.licence_change)
    assert en.post(f"{at_desk}/call-next").status_code == 400
    page = en.get(at_desk).get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    meta = re.search(r'<meta name="csrf-token" content="([^"]+)">', page).group(1)
    assert en.post(f"{at_desk}/call-next", data={"csrf_token": token}).status_code == 302
    assert ticket("B001").state is TicketState.CALLED
    # the page's JavaScript sends the meta tag's token to the API
    state = en.post(
        f"/api/v1/tickets/{ticket('B001').id}/recall", headers={"X-CSRFToken": meta}
    ).get_json()
    assert state["call_count"] == 2


def test_the_desk_offers_to_undo_a_no_show_and_its_form_takes_it_back(
    world, en, at_desk, issue, desk_clock
):
    issue(world.items.licence)
    post(en, f"{at_desk}/call-next")
    tid = ticket("B001").id
    post(en, f"{at_desk}/tickets/{tid}/recall")
    _, page = post(en, f"{at_desk}/tickets/{tid}/no-show")
    assert 'id="undo-bar"' in page and "B001 marked no-show" in page
    assert f'action="{at_desk}/tickets/{tid}/undo-no-show"' in page
    desk_clock.advance(seconds=9)
    _, page = post(en, f"{at_desk}/tickets/{tid}/undo-no-show")
    assert "No-show undone: B001 is called at this window again." in page
    assert current_number(page) == "B001" and 'id="undo-bar"' not in page
    assert ticket("B001").state is TicketState.CALLED
