"""The rectification pages: list, detail with evidence and steps, contact rules, CSV."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from service_center.audit import AuditRecord
from service_center.db import db
from service_center.quality.models import RectificationState
from tests.fixtures.rectifications import PHONE

pytestmark = pytest.mark.usefixtures("quality_clock")

ENGLISH = {"Accept-Language": "en"}


def _get(client, url):
    return client.get(url, headers=ENGLISH)


def _post(client, url, data):
    return client.post(url, data=data, headers=ENGLISH)


def test_the_list_shows_overdue_items_first_with_a_badge_and_text(
    world, clock, bad_review, login_as
):
    item = bad_review()
    clock.advance(days=10)  # past Fri 4 Dec
    page = _get(login_as(world.users.supervisor), "/quality/testtown/rectifications")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert item.case.number in html
    assert 'class="badge overdue"' in html and "Overdue by 3 days" in html


def test_an_unknown_state_filter_is_refused_next_to_the_field(world, bad_review, login_as):
    bad_review()
    page = _get(login_as(world.users.supervisor), "/quality/testtown/rectifications?state=nope")
    assert page.status_code == 400
    assert 'id="state-error"' in page.get_data(as_text=True)


@pytest.mark.parametrize(
    ("who", "status"), [("clerk", 403), ("other_supervisor", 403), ("supervisor", 200)]
)
def test_who_may_open_the_pages(world, bad_review, login_as, who, status):
    item = bad_review()
    client = login_as(getattr(world.users, who))
    assert _get(client, "/quality/testtown/rectifications").status_code == status
    assert _get(client, f"/quality/rectifications/{item.id}").status_code == status
    assert _get(client, "/quality/testtown/rectifications.csv").status_code == status


def test_the_detail_shows_the_review_evidence_and_deadline(world, bad_review, login_as):
    item = bad_review(recall=True, efficiency=2)
    html = _get(login_as(world.users.supervisor), f"/quality/rectifications/{item.id}").get_data(
        as_text=True
    )
    assert item.case.number in html and "等太久，态度差" in html
    assert "Business licence change" in html
    assert '<dd id="recalls">1</dd>' in html
    assert "2026-12-04" in html


def test_the_contact_is_shown_only_to_the_assigned_supervisor_while_open(
    world, clock, bad_review, login_as, create_user
):
    from service_center.auth.models import Role

    colleague = create_user("supervisor2", Role.SUPERVISOR, world.center)
    db.session.commit()
    item = bad_review(consent=True)
    assert item.assignee_id == world.users.supervisor.id
    url = f"/quality/rectifications/{item.id}"
    assert PHONE in _get(login_as(world.users.supervisor), url).get_data(as_text=True)
    other = _get(login_as(colleague), url).get_data(as_text=True)
    assert PHONE not in other and "Only the supervisor the item is assigned to" in other
    admin = _get(login_as(world.users.admin), url).get_data(as_text=True)
    assert PHONE not in admin


def test_without_consent_the_page_says_why_no_contact(world, bad_review, login_as):
    item = bad_review(consent=False)
    html = _get(login_as(world.users.supervisor), f"/quality/rectifications/{item.id}").get_data(
        as_text=True
    )
    assert "did not agree to a follow-up call" in html


def test_each_step_through_the_page_to_the_close(world, bad_review, login_as):
    item = bad_review(consent=True)
    client = login_as(world.users.supervisor)
    base = f"/quality/rectifications/{item.id}"
    answer = _post(client, f"{base}/verify", {"verify-finding": "窗口未解释补正要求"})
    assert (answer.status_code, answer.headers["Location"]) == (302, base)
    assert "The finding is recorded." in _get(client, base).get_data(as_text=True)
    _post(client, f"{base}/rectify", {"rectify-action": "窗口人员培训"})
    answer = _post(client, f"{base}/follow-up", {"follow-up-answer": "satisfied"})
    assert answer.status_code == 302
    db.session.expire_all()
    assert item.state is RectificationState.FOLLOWED_UP and item.contact is None
    html = _get(client, base).get_data(as_text=True)
    assert PHONE not in html and "erased when the item closed" in html
    assert "contact erased" in html  # the history
    actions = db.session.scalars(
        select(AuditRecord.action).where(AuditRecord.object_id == str(item.id))
    ).all()
    assert actions == [
        "rectification.verify",
        "rectification.rectify",
        "rectification.follow_up",
    ]


def test_an_appeal_is_decided_by_an_administrator_through_the_page(world, bad_review, login_as):
    item = bad_review()
    base = f"/quality/rectifications/{item.id}"
    client = login_as(world.users.supervisor)
    _post(client, f"{base}/appeal", {"appeal-reason": "当事人未携带材料"})
    assert _post(client, f"{base}/decide-appeal", {}).status_code == 403
    client = login_as(world.users.admin)
    answer = _post(
        client,
        f"{base}/decide-appeal",
        {"decide-appeal-decision": "overturned", "decide-appeal-note": "差评不实"},
    )
    assert answer.status_code == 302
    db.session.expire_all()
    assert item.state is RectificationState.OVERTURNED
    listing = _get(login_as(world.users.supervisor), "/quality/testtown/rectifications")
    assert "Overturned: marked in rectified figures" in listing.get_data(as_text=True)


def test_a_step_without_its_text_shows_the_error_next_to_the_field(world, bad_review, login_as):
    item = bad_review()
    answer = _post(
        login_as(world.users.supervisor),
        f"/quality/rectifications/{item.id}/verify",
        {"verify-finding": "  "},
    )
    assert answer.status_code == 400
    assert 'id="verify-finding-error"' in answer.get_data(as_text=True)
    db.session.expire_all()
    assert item.state is RectificationState.OPEN


def test_a_step_the_state_does_not_allow_is_refused_with_a_message(world, bad_review, login_as):
    item = bad_review()
    client = login_as(world.users.supervisor)
    base = f"/quality/rectifications/{item.id}"
    answer = _post(client, f"{base}/rectify", {"rectify-action": "培训"})
    assert answer.headers["Location"] == base
    assert "cannot be marked rectified now" in _get(client, base).get_data(as_text=True)


def test_a_clerk_cannot_post_a_step(world, bad_review, login_as):
    item = bad_review()
    answer = _post(
        login_as(world.users.clerk),
        f"/quality/rectifications/{item.id}/verify",
        {"verify-finding": "x"},
    )
    assert answer.status_code == 403


def test_the_csv_has_the_upstream_columns_and_no_contact(world, bad_review, login_as):
    item = bad_review(consent=True)
    answer = _get(login_as(world.users.supervisor), "/quality/testtown/rectifications.csv")
    text = answer.get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0] == [
        "case_number",
        "item_national_code",
        "item_name",
        "rating",
        "efficiency",
        "attitude",
        "service_level",
        "comment",
        "opened_date",
        "due_date",
        "state",
        "closed_date",
        "overdue",
        "follow_up_answer",
        "overturned",
    ]
    assert rows[1][0] == item.case.number and rows[1][10] == "open"
    assert PHONE not in text and "clerk" not in text


def test_the_daily_report_counts_the_rectifications(world, bad_review, login_as):
    bad_review()
    page = _get(login_as(world.users.supervisor), "/reports/daily?date=2026-11-27")
    html = page.get_data(as_text=True)
    assert "opened that day 1, open now 1, overdue now 0" in html
    assert 'id="rectifications-tab"' in html
