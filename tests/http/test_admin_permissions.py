"""Who may administer what: the permission table as a truth table, and every admin page asked
by every kind of caller (county administrator, supervisor of the center, supervisor of another
center, clerk, nobody), on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from service_center.admin.permissions import COUNTY_WIDE, TABLE, Do, Reach, may, may_manage_account
from service_center.auth.models import Role

# (action, admin, supervisor of the center, supervisor elsewhere, clerk)
TRUTH = {
    Do.CREATE_CENTER: (True, False, False, False),
    Do.EDIT_CENTER: (True, True, False, False),
    Do.MANAGE_WINDOWS: (True, True, False, False),
    Do.MANAGE_ITEMS: (True, True, False, False),
    Do.MANAGE_CALENDAR: (True, True, False, False),
    Do.LOAD_NOTICE: (True, False, False, False),
    Do.MANAGE_DEPARTMENTS: (True, False, False, False),
    Do.MANAGE_CLERKS: (True, True, False, False),
    Do.MANAGE_SUPERVISORS: (True, False, False, False),
    Do.MANAGE_ADMINS: (True, False, False, False),
    Do.MANAGE_DEVICES: (True, True, False, False),
    Do.VIEW_AUDIT: (True, True, False, False),
    Do.LIFT_BOOKING_BARS: (True, True, False, False),
}


def test_the_truth_table_covers_every_action():
    assert set(TRUTH) == set(Do)
    assert set(TABLE) == set(Role)


@pytest.mark.parametrize("action", list(Do))
def test_who_may_do_what_at_a_center(world, action):
    users, center = world.users, world.center
    expected = TRUTH[action]
    center_id = None if action in COUNTY_WIDE else center.id
    got = (
        may(users.admin, action, center_id),
        may(users.supervisor, action, center_id),
        may(users.other_supervisor, action, center_id),
        may(users.clerk, action, center_id),
    )
    assert got == expected
    assert may(None, action, center_id) is False


def test_a_disabled_administrator_may_do_nothing(world):
    world.users.admin.is_enabled = False
    assert not any(may(world.users.admin, action) for action in Do)


def test_an_administrator_of_one_center_reaches_only_it(world, create_user):
    local = create_user("local-admin", Role.ADMIN, world.center)
    assert may(local, Do.MANAGE_WINDOWS, world.center.id)
    assert not may(local, Do.MANAGE_WINDOWS, world.other.id)
    assert not may(local, Do.CREATE_CENTER)
    assert not may(local, Do.LOAD_NOTICE)


@pytest.mark.parametrize(
    ("account_role", "admin", "supervisor", "other_supervisor", "clerk"),
    [
        (Role.CLERK, True, True, False, False),
        (Role.SUPERVISOR, True, False, False, False),
        (Role.ADMIN, True, False, False, False),
    ],
)
def test_who_may_manage_which_accounts(
    world, account_role, admin, supervisor, other_supervisor, clerk
):
    users = world.users
    center_id = None if account_role is Role.ADMIN else world.center.id
    assert may_manage_account(users.admin, account_role, center_id) is admin
    assert may_manage_account(users.supervisor, account_role, center_id) is supervisor
    assert may_manage_account(users.other_supervisor, account_role, center_id) is other_supervisor
    assert may_manage_account(users.clerk, account_role, center_id) is clerk


def test_reach_is_a_closed_set():
    assert {reach for rules in TABLE.values() for reach in rules.values()} <= set(Reach)


PAGES = [
    ("/admin/", (200, 200, 200, 403)),
    ("/admin/centers/new", (200, 403, 403, 403)),
    ("/admin/centers/testtown", (200, 200, 403, 403)),
    ("/admin/centers/testtown/windows", (200, 200, 403, 403)),
    ("/admin/centers/testtown/windows/new", (200, 200, 403, 403)),
    ("/admin/centers/testtown/items", (200, 200, 403, 403)),
    ("/admin/centers/testtown/items/new", (200, 200, 403, 403)),
    ("/admin/centers/testtown/items/import", (200, 200, 403, 403)),
    ("/admin/centers/testtown/items/export.csv", (200, 200, 403, 403)),
    ("/admin/centers/testtown/staff", (200, 200, 403, 403)),
    ("/admin/centers/testtown/staff/new", (200, 200, 403, 403)),
    ("/admin/centers/testtown/devices", (200, 200, 403, 403)),
    ("/admin/centers/testtown/booking-bars", (200, 200, 403, 403)),
    ("/admin/audit", (200, 200, 200, 403)),
    ("/admin/departments", (200, 403, 403, 403)),
    ("/admin/notices", (200, 403, 403, 403)),
    ("/admin/centers/testtown/calendar", (200, 200, 403, 403)),
    ("/admin/audit.csv", (200, 200, 200, 403)),
]


@pytest.mark.parametrize(("path", "expected"), PAGES)
def test_every_admin_page_answers_each_caller_as_the_table_says(
    world, client, login_as, path, expected
):
    assert client.get(path).status_code == 302  # nobody: to the sign-in page
    users = world.users
    for user, status in zip(
        (users.admin, users.supervisor, users.other_supervisor, users.clerk), expected, strict=True
    ):
        assert login_as(user).get(path).status_code == status, user.username


def test_a_supervisor_cannot_open_another_centers_windows_or_staff(world, client, login_as):
    login_as(world.users.other_supervisor)
    window = world.windows.business
    assert client.get(f"/admin/centers/testtown/windows/{window.id}").status_code == 403
    assert client.get(f"/admin/centers/otherville/windows/{window.id}").status_code == 404
    assert client.get(f"/admin/centers/otherville/staff/{world.users.clerk.id}").status_code == 404


def test_a_supervisor_cannot_touch_a_supervisor_account(world, client, login_as):
    login_as(world.users.supervisor)
    other = world.users.supervisor  # themselves, a supervisor
    assert client.get(f"/admin/centers/testtown/staff/{other.id}").status_code == 403
    response = client.post(f"/admin/centers/testtown/staff/{other.id}/reset-password")
    assert response.status_code == 403
    page = client.get("/admin/centers/testtown/staff/new").get_data(as_text=True)
    assert 'value="supervisor"' not in page and 'value="clerk"' in page
