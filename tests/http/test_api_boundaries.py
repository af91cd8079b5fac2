"""Integers and bodies from outside are checked at the boundary: a clear 4xx, never a 500 from
the database (issue 15: 2147483648 answered 500 on PostgreSQL, 2**63 on SQLite)."""

from __future__ import annotations

import pytest

EN = {"Accept-Language": "en"}
TOO_BIG = (2**31, 2**63, 10**30)


@pytest.mark.parametrize("value", TOO_BIG)
def test_a_ticket_for_an_item_id_beyond_any_row_is_a_422(client, world, value):
    response = client.post(
        "/api/v1/tickets", json={"center": "testtown", "service": value}, headers=EN
    )
    assert response.status_code == 422
    assert response.get_json()["errors"]["service"] == ["Must be at most 2147483647."]


@pytest.mark.parametrize("field", ["window", "service"])
@pytest.mark.parametrize("value", TOO_BIG)
def test_a_transfer_to_ids_beyond_any_row_is_a_422(client, world, login_as, field, value):
    login_as(world.users.supervisor)
    response = client.post("/api/v1/tickets/1/transfer", json={field: value}, headers=EN)
    assert response.status_code == 422
    assert field in response.get_json()["errors"]


@pytest.mark.parametrize("value", [*TOO_BIG, -1, 0])
def test_the_kiosk_ignores_a_walk_in_item_beyond_any_row(client, world, value):
    assert client.get(f"/kiosk/testtown?walk_in={value}").status_code == 200


@pytest.mark.parametrize("value", TOO_BIG)
def test_the_kiosk_form_refuses_an_item_beyond_any_row(client, world, value):
    response = client.post("/kiosk/testtown/tickets", data={"service_id": value})
    assert response.status_code < 500


def test_a_body_too_large_is_a_413_with_a_clear_problem(client, world):
    body = '{"center": "testtown", "service": 1, "padding": "' + "x" * 70_000 + '"}'
    response = client.post(
        "/api/v1/tickets", data=body, content_type="application/json", headers=EN
    )
    assert response.status_code == 413
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["detail"] == "The request body is too large."


def test_the_document_names_400_and_413_wherever_a_body_is_read(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    for path in ("/appointments/{code}/cancel", "/appointments/{code}/reschedule", "/tickets"):
        assert {"400", "413", "415", "422"} <= set(paths[path]["post"]["responses"]), path


def test_a_nul_character_is_refused_before_any_view_reads_it(client, world):
    """PostgreSQL cannot store a NUL: a 400 with a clear message, never its 500."""
    response = client.post(
        "/api/v1/tickets", json={"center": "test\x00town", "service": 1}, headers=EN
    )
    assert response.status_code == 400
    assert (
        response.get_json()["detail"] == "The request holds a character that is not allowed (NUL)."
    )
    assert client.get("/kiosk/testtown?q=%00", headers=EN).status_code == 400
    assert client.get("/api/v1/centers/test%00town/services").status_code == 400
    page = client.post("/book/manage", data={"code": "AB\x00CD", "phone": "13900000000"})
    assert page.status_code == 400
