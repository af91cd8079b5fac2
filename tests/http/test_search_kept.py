"""The catalogue's search as each process keeps it: the page a resident gets is kept with the
catalogue's copy, for the same query, language and mode; a change of an item shows at the next
search, and a signed-in user never gets a page kept for someone else."""

from __future__ import annotations

import pytest
from flask import template_rendered
from sqlalchemy import select

from service_center.auth.models import User
from service_center.catalogue.models import ServiceItem
from service_center.db import db

EN = {"Accept-Language": "en"}
URL = "/centers/testtown/services?q=licence"


def search(client, url: str = URL) -> str:
    response = client.get(url, headers=EN)
    assert response.status_code == 200
    return response.get_data(as_text=True)


@pytest.mark.parametrize("app_config", [{"CATALOGUE_KEPT_TTL": 60}])
def test_a_search_is_answered_from_what_is_kept(app, client, world, statements, app_config):
    first = search(client)
    assert statements(lambda: client.get(URL, headers=EN)) == 0
    rendered: list[str] = []
    with template_rendered.connected_to(lambda _, template, **__: rendered.append(template.name)):
        again = search(client)
    assert again == first and rendered == []  # the page itself was kept, not rendered again


@pytest.mark.parametrize("app_config", [{"CATALOGUE_KEPT_TTL": 60}])
def test_a_renamed_item_shows_at_the_next_search(client, world, app_config):
    licence_id = world.items.licence.id
    before = search(client)
    item = db.session.get(ServiceItem, licence_id)
    item.name_en = "Business licence, renewed"
    db.session.commit()  # moves the catalogue's change stamp

    after = search(client)
    assert "Business licence, renewed" in after and "Business licence, renewed" not in before


@pytest.mark.parametrize("app_config", [{"CATALOGUE_KEPT_TTL": 60}])
def test_a_signed_in_user_gets_a_page_of_their_own(client, world, login_as, app_config):
    clerk_id = world.users.clerk.id
    anonymous = search(client)
    assert "Sign out" not in anonymous

    login_as(db.session.get(User, clerk_id))
    signed_in = search(client)
    assert "Sign out" in signed_in and 'name="csrf_token"' in signed_in

    client.post("/auth/logout")
    assert "Sign out" not in search(client)


@pytest.mark.parametrize("app_config", [{"CATALOGUE_KEPT_TTL": 60}])
def test_each_query_and_language_has_its_own_page(client, world, app_config):
    licence = search(client)
    nothing = search(client, "/centers/testtown/services?q=zzzzzz")
    chinese = client.get(URL, headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)

    assert "No item matches your search" in nothing and "No item matches" not in licence
    assert chinese != licence
    assert db.session.scalar(select(ServiceItem.id).limit(1)) is not None
