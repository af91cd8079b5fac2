"""Who may open which report, and clear answers to bad input."""

from __future__ import annotations

import pytest

from service_center.auth.services import issue_api_token
from service_center.db import db
from tests.fixtures.queueing import OPENING_MORNING

PAGES = [
    "/reports/live",
    "/reports/daily",
    "/reports/range",
    "/reports/cases.csv",
    "/reports/days.csv",
]
API = ["/api/v1/reports/daily", "/api/v1/reports/totals?from=2026-11-01"]


def _with_center(url: str, code: str | None) -> str:
    if code is None:
        return url
    return url + ("&" if "?" in url else "?") + f"center={code}"


@pytest.mark.parametrize("url", PAGES + ["/reports/"])
def test_anonymous_is_sent_to_sign_in(client, world, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login")


@pytest.mark.parametrize("url", API)
def test_anonymous_api_caller_gets_401(client, world, url):
    response = client.get(url)
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"


@pytest.mark.parametrize("url", PAGES + API)
def test_a_clerk_sees_no_reports(client, world, login_as, url):
    login_as(world.users.clerk)
    response = client.get(url)
    assert response.status_code == 403


# (user, center parameter) → status; None leaves the parameter out
MATRIX = [
    ("supervisor", None, 200),
    ("supervisor", "testtown", 200),
    ("supervisor", "otherville", 403),
    ("supervisor", "all", 403),
    ("supervisor", "atlantis", 404),
    ("other_supervisor", None, 200),
    ("other_supervisor", "testtown", 403),
    ("admin", None, 200),
    ("admin", "testtown", 200),
    ("admin", "otherville", 200),
    ("admin", "all", 200),
    ("admin", "atlantis", 404),
]


@pytest.mark.parametrize("url", PAGES + API)
@pytest.mark.parametrize(("who", "center", "status"), MATRIX)
def test_permission_matrix(client, world, login_as, url, who, center, status):
    login_as(getattr(world.users, who))
    response = client.get(_with_center(url, center))
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    if url.startswith("/api/") and status != 200:
        assert response.mimetype == "application/problem+json"


def test_a_supervisor_sees_the_own_center_named_on_the_page(client, world, login_as):
    login_as(world.users.other_supervisor)
    html = client.get("/reports/daily", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Otherville Convenience Service Center" in html
    assert "Testtown" not in html


def test_bearer_tokens_work_for_the_api_and_the_csv(client, world):
    token = issue_api_token(world.users.supervisor, "dashboard", now=OPENING_MORNING)
    clerk_token = issue_api_token(world.users.clerk, "desk", now=OPENING_MORNING)
    db.session.commit()
    supervisor = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/reports/daily", headers=supervisor).status_code == 200
    assert client.get("/reports/cases.csv", headers=supervisor).status_code == 200
    clerk = {"Authorization": f"Bearer {clerk_token}"}
    assert client.get("/api/v1/reports/daily", headers=clerk).status_code == 403


def test_home_page_links_reports_for_supervisors_only(client, world, login_as):
    login_as(world.users.supervisor)
    assert 'id="reports-link"' in client.get("/auth/").get_data(as_text=True)
    login_as(world.users.clerk)
    assert 'id="reports-link"' not in client.get("/auth/").get_data(as_text=True)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("date=2026-13-01", "date"),
        ("date=27.11.2026", "date"),
        ("date=yesterday", "date"),
    ],
)
def test_daily_api_refuses_a_bad_date(client, world, login_as, query, field):
    login_as(world.users.supervisor)
    response = client.get(f"/api/v1/reports/daily?{query}")
    assert response.status_code == 422
    problem = response.get_json()
    assert problem["status"] == 422 and field in problem["errors"]


@pytest.mark.parametrize(
    ("query", "field", "words"),
    [
        ("", "from", "YYYY-MM-DD"),
        ("from=2026-02-30", "from", "real date"),
        ("from=2026-11-27&to=2026-11-01", "from", "after"),
        ("from=2016-01-01&to=2026-11-27", "to", "3653"),
        ("from=2026-11-01&to=soon", "to", "real date"),
    ],
)
def test_totals_api_refuses_a_bad_range(client, world, login_as, query, field, words):
    login_as(world.users.supervisor)
    response = client.get(f"/api/v1/reports/totals?{query}", headers={"Accept-Language": "en"})
    assert response.status_code == 422
    assert words in " ".join(response.get_json()["errors"][field])


def test_totals_api_takes_ten_years(client, world, login_as):
    login_as(world.users.supervisor)
    response = client.get("/api/v1/reports/totals?from=2016-11-27&to=2026-11-27")
    assert response.status_code == 200 and response.get_json()["days"] == 3653


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("/reports/daily?date=2026-02-30", "Give a real date as YYYY-MM-DD."),
        ("/reports/range?from=2026-11-27&to=2026-11-01", "must not be after"),
        ("/reports/range?from=2025-01-01&to=2026-11-27", "Choose at most 366 days"),
        ("/reports/range?since=2999-01-01", "Choose a day up to today."),
    ],
)
def test_pages_show_what_is_wrong_with_the_input(client, world, login_as, url, words):
    login_as(world.users.supervisor)
    response = client.get(url, headers={"Accept-Language": "en"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert words in html and 'id="report-errors"' in html
    assert 'id="cases-total"' not in html  # no figures for a question that was not asked


@pytest.mark.parametrize(
    "url",
    [
        "/reports/cases.csv?from=2026-11-27&to=2026-11-01",
        "/reports/cases.csv?from=2025-01-01&to=2026-11-27",
        "/reports/days.csv?from=nope",
    ],
)
def test_csv_refuses_a_bad_range(client, world, login_as, url):
    login_as(world.users.supervisor)
    response = client.get(url, headers={"Accept-Language": "en"})
    assert response.status_code == 422
    assert response.mimetype == "text/html"


def test_reports_are_documented_in_the_openapi_document(client, world):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    for path in ("/reports/daily", "/reports/totals"):
        operation = paths[path]["get"]
        assert operation["security"] and "422" in operation["responses"]
