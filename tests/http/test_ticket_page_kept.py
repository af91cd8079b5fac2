"""The ticket page of a waiting ticket, kept by the app process while the floor is unchanged:
everyone who opens it gets the same page with a CSRF token of their own, and a change shows at
the next load."""

from __future__ import annotations

import re

import pytest
from flask import g
from sqlalchemy import select

from service_center.auth.models import User
from service_center.db import db
from service_center.queueing import services as queue
from service_center.queueing.models import Ticket

KEPT = {"DISPLAY_VERSION_TTL": 60, "TICKET_POLL_TTL": 60}
EN = {"Accept-Language": "en"}
TOKEN = re.compile(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"')


@pytest.fixture
def waiting(world, open_windows, issue):
    """The tokens of two tickets for the business window: the first is called next."""
    return issue(world.items.licence).token, issue(world.items.licence).token


def page(client, token: str, **headers):
    response = client.get(f"/t/{token}", headers={**EN, **headers})
    assert response.status_code == 200
    return response.get_data(as_text=True)


@pytest.mark.parametrize("app_config", [{**KEPT, "WTF_CSRF_ENABLED": True}])
def test_two_phones_get_the_page_kept_each_with_a_token_of_its_own(
    app, waiting, statements, app_config
):
    _first, second = waiting
    phone, other_phone = app.test_client(), app.test_client()
    first_page = page(phone, second)  # its center read first, then kept at once
    # each request of a worker has a ``g`` of its own; the tests' requests share the test's
    g.pop("csrf_token", None)
    assert statements(lambda: other_phone.get(f"/t/{second}", headers=EN)) == 0

    g.pop("csrf_token", None)
    other_page = page(other_phone, second)
    tokens = TOKEN.findall(first_page), TOKEN.findall(other_page)
    assert tokens[0] and tokens[1] and set(tokens[0]).isdisjoint(tokens[1])
    assert "__kept-page-csrf-token__" not in first_page + other_page
    assert TOKEN.sub("", first_page) == TOKEN.sub("", other_page)  # otherwise the same page

    # the token each phone got works for that phone: it opts in
    opted = other_phone.post(
        f"/t/{second}/notify",
        data={"notify": "13912345678", "csrf_token": tokens[1][0]},
        headers=EN,
    )
    assert opted.status_code == 302
    stored = db.session.scalar(select(Ticket).where(Ticket.token == second))
    assert stored.notify_address == "13912345678"
    # and its page, read afresh, says so, with the message shown once
    after = page(other_phone, second)
    assert "We will send you a message when your turn is near." in after
    assert "Messages go to 139****5678." in after
    assert "We will send you a message" not in page(other_phone, second)


@pytest.mark.parametrize("app_config", [KEPT])
def test_a_call_shows_at_the_next_load(client, world, waiting, clock, app_config):
    first, second = waiting
    assert "People ahead" in page(client, first)
    assert re.search(r'id="ahead"[^>]*>1<', page(client, second))

    queue.call_next_ticket(world.windows.business, now=clock.advance(minutes=1))
    db.session.commit()

    assert 'data-state="called"' in page(client, first)
    assert re.search(r'id="ahead"[^>]*>0<', page(client, second))


@pytest.mark.parametrize("app_config", [KEPT])
def test_a_called_ticket_and_a_signed_in_clerk_are_never_kept(
    client, world, waiting, clock, statements, login_as, app_config
):
    first, second = waiting
    clerk_id = world.users.clerk.id
    queue.call_next_ticket(world.windows.business, now=clock.advance(minutes=1))
    db.session.commit()
    page(client, first)
    assert statements(lambda: client.get(f"/t/{first}", headers=EN)) > 0  # called: read each time

    page(client, second)
    page(client, second)
    assert statements(lambda: client.get(f"/t/{second}", headers=EN)) == 0  # waiting: kept
    login_as(db.session.get(User, clerk_id))
    assert statements(lambda: client.get(f"/t/{second}", headers=EN)) > 0


@pytest.mark.parametrize("app_config", [KEPT])
def test_each_language_and_mode_has_its_own_page(client, waiting, app_config):
    first, _second = waiting
    english = page(client, first)
    chinese = page(client, first, **{"Accept-Language": "zh-CN"})
    assert "People ahead" in english and "前面还有" in chinese

    client.set_cookie("sc_mode", "elder")
    elder = page(client, first)
    assert 'data-mode="elder"' in elder and 'data-mode="elder"' not in english
