"""Windows from the admin area: add, change, retire, reinstate; refusals that name tickets; the
audit record written with each change; a change seen by the very next request."""

from __future__ import annotations

from sqlalchemy import select

from service_center.audit import AuditRecord
from service_center.db import db
from service_center.windows.models import Window, WindowState

EN = {"Accept-Language": "en"}
ZH = {"Accept-Language": "zh-CN"}


def records(action: str) -> list[AuditRecord]:
    db.session.expire_all()
    return list(db.session.scalars(select(AuditRecord).where(AuditRecord.action == action)))


def test_a_supervisor_adds_a_window_that_serves_an_item(world, client, login_as):
    login_as(world.users.supervisor)
    item = world.items.marriage
    response = client.post(
        "/admin/centers/testtown/windows/new",
        data={"number": 7, "name_zh": "七号窗口", "name_en": "Seven", "service_ids": [item.id]},
        headers=EN,
    )
    assert response.status_code == 302
    window = db.session.scalar(select(Window).where(Window.number == 7))
    assert window.center_id == world.center.id and window.state is WindowState.CLOSED
    assert [s.id for s in window.services] == [item.id]
    # the public list shows it at once
    numbers = [w["number"] for w in client.get("/api/v1/centers/testtown/windows").get_json()]
    assert 7 in numbers
    (record,) = records("window.create")
    assert record.actor_name == "supervisor" and record.center_id == world.center.id
    assert record.object_type == "window" and record.object_id == str(window.id)
    assert record.changes["number"] == [None, 7]
    assert record.changes["services"] == [None, [item.id]]
    assert record.address == "127.0.0.1"


def test_a_taken_number_is_refused_next_to_the_field_and_nothing_is_written(
    world, client, login_as
):
    login_as(world.users.supervisor)
    response = client.post(
        "/admin/centers/testtown/windows/new",
        data={"number": 1, "name_zh": "重复", "name_en": "Twice"},
        headers=ZH,
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="number-error"' in page and "已有 1 号窗口" in page
    assert db.session.scalar(select(Window).where(Window.name_en == "Twice")) is None
    assert records("window.create") == []


def test_a_window_is_renamed_and_the_hall_screen_shows_it_at_once(world, client, login_as):
    window = world.windows.livelihood
    board = client.get("/api/v1/centers/testtown/display", headers=EN)
    tag = board.headers["ETag"]
    login_as(world.users.supervisor)
    response = client.post(
        f"/admin/centers/testtown/windows/{window.id}",
        data={
            "number": 3,
            "name_zh": "民生服务窗口",
            "name_en": "Citizens' services",
            "service_ids": [s.id for s in window.services],
        },
    )
    assert response.status_code == 302
    board = client.get("/api/v1/centers/testtown/display", headers={**EN, "If-None-Match": tag})
    assert board.status_code == 200
    names = [w["name"] for w in board.get_json()["windows"]]
    assert "Citizens' services" in names
    (record,) = records("window.update")
    assert record.changes == {
        "name_en": ["Livelihood", "Citizens' services"],
        "name_zh": ["民生窗口", "民生服务窗口"],
    }


def test_retiring_a_window_serving_a_ticket_is_refused_naming_it(
    world, client, login_as, open_windows, issue, sign_on, serve, admin_clock
):
    window = world.windows.livelihood
    ticket = issue(world.items.marriage)
    sign_on(world.users.clerk, window)
    serve(window, world.users.clerk)
    login_as(world.users.supervisor)
    response = client.post(
        f"/admin/centers/testtown/windows/{window.id}/retire", headers=EN, follow_redirects=True
    )
    page = response.get_data(as_text=True)
    assert f"Window 3 is serving {ticket.number}" in page
    db.session.expire_all()
    assert db.session.get(Window, window.id).retired_dt is None
    assert records("window.retire") == []


def test_retiring_the_last_window_for_an_item_with_tickets_waiting_is_refused(
    world, client, login_as, issue, admin_clock
):
    # the marriage item: window 3 and the comprehensive window 4 serve it; retire 4 first
    login_as(world.users.supervisor)
    comprehensive, livelihood = world.windows.comprehensive, world.windows.livelihood
    assert (
        client.post(f"/admin/centers/testtown/windows/{comprehensive.id}/retire").status_code == 302
    )
    waiting = issue(world.items.allowance)
    response = client.post(
        f"/admin/centers/testtown/windows/{livelihood.id}/retire", headers=EN, follow_redirects=True
    )
    page = response.get_data(as_text=True)
    assert f"Tickets {waiting.number} wait for this window" in page
    assert "Subsistence allowance" in page
    # taking the item off the window is refused the same way
    response = client.post(
        f"/admin/centers/testtown/windows/{livelihood.id}",
        data={
            "number": 3,
            "name_zh": "民生窗口",
            "name_en": "Livelihood",
            "service_ids": [world.items.marriage.id],
        },
        headers=EN,
    )
    assert response.status_code == 422
    assert waiting.number in response.get_data(as_text=True)
    db.session.expire_all()
    assert {s.id for s in db.session.get(Window, livelihood.id).services} == {
        world.items.marriage.id,
        world.items.allowance.id,
    }


def test_a_retired_window_leaves_every_list_and_nobody_signs_on_to_it(
    world, client, login_as, admin_clock
):
    window = world.windows.business
    login_as(world.users.supervisor)
    assert client.post(f"/admin/centers/testtown/windows/{window.id}/retire").status_code == 302
    numbers = [w["number"] for w in client.get("/api/v1/centers/testtown/windows").get_json()]
    assert 1 not in numbers
    board = client.get("/api/v1/centers/testtown/display").get_json()
    assert 1 not in [w["number"] for w in board["windows"]]
    assert client.post(f"/api/v1/windows/{window.id}/open").status_code == 404
    login_as(world.users.clerk)
    assert client.post(f"/api/v1/windows/{window.id}/sign-on").status_code == 403
    assert f"/desk/{window.id}/sign-on" not in client.get("/desk").get_data(as_text=True)
    # reinstated: back, closed
    login_as(world.users.supervisor)
    assert client.post(f"/admin/centers/testtown/windows/{window.id}/reinstate").status_code == 302
    numbers = [w["number"] for w in client.get("/api/v1/centers/testtown/windows").get_json()]
    assert 1 in numbers
    assert [r.action for r in records("window.retire") + records("window.reinstate")] == [
        "window.retire",
        "window.reinstate",
    ]


def test_a_clerk_given_windows_signs_on_only_to_those(world, client, login_as):
    login_as(world.users.supervisor)
    clerk = world.users.clerk
    response = client.post(
        f"/admin/centers/testtown/staff/{clerk.id}",
        data={"display_name": "Clerk", "window_ids": [world.windows.livelihood.id]},
    )
    assert response.status_code == 302
    login_as(clerk)
    assert client.post(f"/api/v1/windows/{world.windows.business.id}/sign-on").status_code == 403
    assert client.post(f"/api/v1/windows/{world.windows.livelihood.id}/sign-on").status_code == 200
    (record,) = records("user.update")
    assert record.changes["windows"] == [[], [3]]


def test_a_window_given_a_case_type_serves_every_item_of_it(world, client, login_as):
    login_as(world.users.supervisor)
    business = world.case_types["business"]
    response = client.post(
        "/admin/centers/testtown/windows/new",
        data={
            "number": 8,
            "name_zh": "商事综合窗口",
            "name_en": "Business",
            "case_type_ids": [business.id],
            "service_ids": [world.items.marriage.id],
        },
    )
    assert response.status_code == 302
    window = db.session.scalar(select(Window).where(Window.number == 8))
    items = world.items
    assert {s.id for s in window.services} == {
        items.licence.id,
        items.licence_change.id,
        items.food.id,
        items.marriage.id,
    }
    page = client.get("/admin/centers/testtown/windows", headers=ZH).get_data(as_text=True)
    row = page[page.index('id="window-8"') :].split("</tr>")[0]
    assert "商事类、民生类" in row
