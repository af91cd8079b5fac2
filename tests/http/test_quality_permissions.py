"""The quality area's permission table (service_center/quality/permissions.py) as a truth table:
every kind of caller asks every rectification and figure page of center A ("testtown"), and the
steps' POSTs, on SQLite and PostgreSQL.

Clerks see their own figures only, supervisors their center (and act on its rectifications),
administrators of a center that center and the county's every center (read only, but they
decide appeals). The resident's phone shows only to the assigned supervisor while the item is
open. Each role is one test that asks all pages on one set of data (built once per role through
the real queue, rating and rectification functions); the POSTs come last, each on its own item.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from service_center.auth.models import Role
from service_center.db import db
from service_center.quality import rectifications as steps
from service_center.quality.models import RectificationState
from tests.fixtures.rectifications import PHONE

pytestmark = pytest.mark.usefixtures("quality_clock")

EN = {"Accept-Language": "en"}
NOVEMBER = "from=2026-11-01&to=2026-11-30"

SIGN_IN = "to sign-in"  #: a redirect to the sign-in page
DONE = "done"  #: a step taken: back to the item's page, its state moved on

# name: (method, path, form); {open} is an open item of A, {appealed} an appealed one
PAGES = {
    "list": ("GET", "/quality/testtown/rectifications", None),
    "detail": ("GET", "/quality/rectifications/{open}", None),
    "rectifications.csv": ("GET", "/quality/testtown/rectifications.csv", None),
    "one-trip": ("GET", f"/quality/testtown/one-trip?{NOVEMBER}", None),
    "one-trip.csv": ("GET", f"/quality/testtown/one-trip.csv?{NOVEMBER}", None),
    "rankings": ("GET", "/quality/testtown/rankings?month=2026-11", None),
    "rankings.csv": ("GET", "/quality/testtown/rankings.csv?month=2026-11", None),
    "list of B": ("GET", "/quality/otherville/rectifications", None),
    "rankings of B": ("GET", "/quality/otherville/rankings?month=2026-11", None),
    "verify": ("POST", "/quality/rectifications/{open}/verify", {"verify-finding": "未一次告知"}),
    "decide appeal": (
        "POST",
        "/quality/rectifications/{appealed}/decide-appeal",
        {"decide-appeal-decision": "overturned", "decide-appeal-note": "差评不实"},
    ),
}
FIGURES = ("one-trip", "one-trip.csv", "rankings", "rankings.csv")

# role: what each page of PAGES answers, in order
TABLE = {
    "anonymous": (SIGN_IN,) * 11,
    "clerk": (403, 403, 403, 200, 200, 200, 200, 403, 403, 403, 403),
    "supervisor": (200, 200, 200, 200, 200, 200, 200, 403, 403, DONE, 403),
    "other_supervisor": (403, 403, 403, 403, 403, 403, 403, 200, 200, 403, 403),
    "center_admin": (200, 200, 200, 200, 200, 200, 200, 403, 403, 403, DONE),
    "county_admin": (200, 200, 200, 200, 200, 200, 200, 200, 200, 403, DONE),
}


def test_the_table_covers_every_page():
    assert all(len(answers) == len(PAGES) for answers in TABLE.values())


@pytest.fixture
def quality(world, clock, bad_review, create_user) -> SimpleNamespace:
    """Center A with two bad reviews, both assigned to its one supervisor: one open (served by
    "clerk"), one appealed (served by "clerk2"); and an administrator of A alone."""
    users = world.users
    users.center_admin = create_user("center-admin", Role.ADMIN, world.center)
    users.county_admin = users.admin
    db.session.commit()
    opened = bad_review()
    appealed = bad_review(clerk=users.clerk2)
    steps.appeal(appealed, "当事人未携带材料", user=users.supervisor, now=clock.advance(minutes=5))
    db.session.commit()
    assert opened.assignee_id == appealed.assignee_id == users.supervisor.id
    return SimpleNamespace(world=world, users=users, open=opened, appealed=appealed)


def _ask(client, page, quality):
    method, path, form = PAGES[page]
    url = path.format(open=quality.open.id, appealed=quality.appealed.id)
    response = client.open(url, method=method, data=form, headers=EN)
    if response.status_code == 302:
        location = response.headers["Location"]
        if location.startswith("/auth/login"):
            return SIGN_IN, response
        item_page = url.rsplit("/", 1)[0]
        assert method == "POST" and location == item_page, (page, location)
        return DONE, response
    return response.status_code, response


@pytest.mark.parametrize("role", list(TABLE))
def test_each_role_gets_what_the_table_says(quality, client, login_as, role):
    if role != "anonymous":
        login_as(getattr(quality.users, role))
    bodies = {}
    answers = {}
    for page in PAGES:
        answers[page], response = _ask(client, page, quality)
        bodies[page] = response.get_data(as_text=True)
    assert answers == dict(zip(PAGES, TABLE[role], strict=True))

    # the resident's phone: on the item's page of the supervisor it is assigned to, nowhere else
    for page, body in bodies.items():
        shows = role == "supervisor" and page == "detail"
        assert (PHONE in body) is shows, page
    # only the steps the table allows moved the items on
    db.session.expire_all()
    verified = TABLE[role][list(PAGES).index("verify")] == DONE
    decided = TABLE[role][list(PAGES).index("decide appeal")] == DONE
    assert quality.open.state is (
        RectificationState.VERIFIED if verified else RectificationState.OPEN
    )
    assert quality.appealed.state is (
        RectificationState.OVERTURNED if decided else RectificationState.APPEALED
    )


@pytest.mark.parametrize("role", ["clerk", "supervisor", "center_admin", "county_admin"])
def test_a_clerk_sees_only_their_own_row_of_the_figures(quality, client, login_as, role):
    login_as(getattr(quality.users, role))
    only_self = role == "clerk"
    for page in FIGURES:
        answer, response = _ask(client, page, quality)
        assert answer == 200, page
        body = response.get_data(as_text=True)
        if page.endswith(".csv"):
            rows = body.lstrip("\ufeff").splitlines()[1:]
            kinds = {row.split(",", 1)[0] for row in rows}
            assert any(row.startswith("clerk,clerk,") for row in rows), page
            assert any(row.startswith("clerk,clerk2,") for row in rows) is not only_self, page
            assert ("window" in kinds) is not only_self, page
        else:
            clerks = body.split('id="by-clerk"')[1].split("</table>")[0]
            assert ">clerk<" in clerks, page
            assert (">clerk2<" in body) is not only_self, page
            assert ('id="by-window"' in body) is not only_self, page
            assert ("Window 1 · Business" in body) is not only_self, page


def test_the_phone_leaves_the_assigned_supervisor_when_the_item_closes(
    quality, clock, client, login_as
):
    login_as(quality.users.supervisor)
    url = f"/quality/rectifications/{quality.appealed.id}"
    assert PHONE in client.get(url, headers=EN).get_data(as_text=True)  # appealed: still open
    steps.decide_appeal(
        quality.appealed, False, "差评不实", user=quality.users.admin, now=clock.advance(hours=1)
    )
    db.session.commit()
    assert PHONE not in client.get(url, headers=EN).get_data(as_text=True)
