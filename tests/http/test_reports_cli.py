"""``flask seed-history`` on small numbers, and ``flask report`` for a range and bad input."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime
from unittest.mock import patch

import pytest
from sqlalchemy import func, select

from service_center import clock
from service_center.db import db
from service_center.queueing import services as queue
from service_center.queueing.models import (
    Case,
    DailyCounter,
    Evaluation,
    Outcome,
    Ticket,
    TicketState,
)
from service_center.reports import services as reports
from service_center.reports.models import ReportDay
from service_center.windows.models import Window, WindowState
from tests.fixtures.queueing import OPENING_MORNING


@pytest.fixture(autouse=True)
def friday_morning():
    """The commands run on Friday 2026-11-27 at 10:00 in Shanghai."""
    with (
        patch("service_center.reports.cli.now_utc", return_value=OPENING_MORNING),
        patch("service_center.demo.cli.now_utc", return_value=OPENING_MORNING),
    ):
        yield


def seed(runner, *args: str):
    return runner.invoke(args=["seed-history", "--center", "testtown", "--per-day", "20", *args])


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_seed_history_fills_working_days_only(runner, world):
    # Mon 2026-11-16 … Sun 2026-11-22: five working days
    result = seed(runner, "--days", "7", "--until", "2026-11-22")
    assert result.exit_code == 0, result.output
    assert "Seeding history" in result.output  # the progress bar
    assert "testtown: 100 cases, 105 tickets" in result.output
    per_day = Counter(db.session.scalars(select(Case.service_date)))
    assert per_day == {date(2026, 11, d): 20 for d in range(16, 21)}
    assert count(Ticket) == 105  # 20 served + 1 no-show a day (3 % of 20, rounded)
    assert count(Ticket, Ticket.state == TicketState.NO_SHOW) == 5
    numbers = list(db.session.scalars(select(Case.number)))
    assert len(set(numbers)) == len(numbers) == 100
    assert "TE-20261116-0001" in numbers and "TE-20261120-0020" in numbers
    tickets = list(
        db.session.scalars(select(Ticket.number).where(Ticket.service_date == date(2026, 11, 16)))
    )
    assert len(set(tickets)) == len(tickets) == 21


def test_seeding_in_several_batches_gives_each_case_its_own_ticket(runner, world):
    """Days written a few at a time (the next batch generated while one is written): no id
    handed out twice, every case on its ticket's day, the same days as in one batch."""
    with patch("service_center.demo.history.BATCH_CASES", 40):  # two days a batch
        result = seed(runner, "--days", "7", "--until", "2026-11-22")
    assert result.exit_code == 0, result.output
    assert "testtown: 100 cases, 105 tickets" in result.output
    per_day = Counter(db.session.scalars(select(Case.service_date)))
    assert per_day == {date(2026, 11, d): 20 for d in range(16, 21)}
    pairs = db.session.execute(
        select(Case.service_date, Ticket.service_date, Ticket.state).join(
            Ticket, Ticket.id == Case.ticket_id
        )
    ).all()
    assert len(pairs) == 100
    assert all(
        case_day == ticket_day and state is TicketState.DONE
        for case_day, ticket_day, state in pairs
    )
    assert count(Ticket) == 105 and len(set(db.session.scalars(select(Case.ticket_id)))) == 100


def test_seeded_cases_are_plausible_and_counted_by_the_reports(runner, world):
    assert seed(runner, "--days", "7", "--until", "2026-11-22").exit_code == 0
    cases = list(db.session.scalars(select(Case)))
    for case_ in cases:
        window = db.session.get(Window, case_.window_id)
        assert window.center_id == world.center.id and window.handles(case_.service_item)
        assert case_.case_type_id == case_.service_item.case_type_id
        assert 15 <= case_.wait_seconds <= 5400 and case_.service_seconds >= 60
        assert case_.issued_dt < case_.first_called_dt < case_.started_dt < case_.completed_dt
        assert (
            case_.ticket.state is TicketState.DONE
            and case_.ticket.case_type_id == case_.case_type_id
        )
        assert case_.clerk_id in (world.users.clerk.id, world.users.clerk2.id)
    scope = reports.Scope((world.center,))
    figures = reports.compute_figures(scope, date(2026, 11, 16), date(2026, 11, 22))
    assert figures.cases_total == 100 and figures.tickets_issued == 105
    assert figures.no_shows == 5 and figures.wait.count == 100
    assert figures.satisfaction.count == count(Evaluation)
    assert reports.compute_figures(scope, date(2026, 11, 21), date(2026, 11, 22)).cases_total == 0
    business = {t.case_type.code: t.cases for t in figures.case_types}["business"]
    assert business > 50  # business heavy, like a town center


def test_seed_history_refuses_days_that_have_cases(runner, world):
    assert seed(runner, "--days", "3", "--until", "2026-11-20").exit_code == 0
    before = count(Case)
    result = seed(runner, "--days", "5", "--until", "2026-11-24")
    assert result.exit_code != 0
    assert "已有办件或号票" in result.output  # the command speaks Chinese, like the app
    assert "2026-11-20" in result.output
    assert count(Case) == before


def test_seed_history_refuses_the_future(runner, world):
    result = seed(runner, "--days", "2", "--until", "2026-11-30")
    assert result.exit_code != 0 and count(Case) == 0


def test_seeding_today_keeps_live_numbers_unique(runner, world, clock):
    result = seed(runner, "--days", "1", "--until", "2026-11-27")
    assert result.exit_code == 0, result.output
    counter = db.session.get(DailyCounter, (world.center.id, date(2026, 11, 27), "case"))
    assert counter.last_value == 20
    seeded_m = count(Ticket, Ticket.number.like("M%"))
    ticket = queue.issue_ticket(world.center, world.items.marriage, now=clock.now)
    world.windows.livelihood.state = WindowState.OPEN
    db.session.commit()
    assert ticket.number == f"M{seeded_m + 1:03d}"  # after the seeded tickets, not M001
    queue.call_next_ticket(world.windows.livelihood, now=clock.now)
    queue.start_ticket(ticket, now=clock.now)
    case_ = queue.complete_ticket(ticket, now=clock.advance(minutes=5), outcome=Outcome.COMPLETED)
    db.session.commit()
    assert case_.number == "TE-20261127-0021"


def test_report_range_prints_the_totals_of_the_range(runner, world):
    assert seed(runner, "--days", "7", "--until", "2026-11-22").exit_code == 0
    result = runner.invoke(
        args=[
            "report",
            "range",
            "--center",
            "testtown",
            "--from",
            "2026-11-16",
            "--to",
            "2026-11-22",
            "--lang",
            "en",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "2026-11-16 – 2026-11-22" in result.output
    assert "All case types 100" in result.output
    assert "Tickets issued 105" in result.output


@pytest.fixture
def app_clock_on_friday():
    """The whole app's clock (the summaries read it too) on Friday morning; then back where it
    was (a live server of the browser tests may have it on a working morning, in this worker)."""
    was = clock.now_utc() - datetime.now(UTC)
    clock.travel(OPENING_MORNING - datetime.now(UTC))
    yield
    clock.travel(was)


def test_report_summarise_stores_what_range_reports_read(runner, world, app_clock_on_friday):
    assert seed(runner, "--days", "7", "--until", "2026-11-22").exit_code == 0
    nothing_stored = count(ReportDay)

    result = runner.invoke(args=["report", "summarise", "--center", "testtown"])
    again = runner.invoke(args=["report", "summarise", "--center", "testtown"])

    assert result.exit_code == 0, result.output
    assert "Summarising" in result.output
    # every day from the first case to Thursday, the last closed day: 16 … 26 November
    assert "testtown: 11 day and month summaries from 2026-11-16." in result.output
    stored = set(db.session.scalars(select(ReportDay.service_date).where(~ReportDay.month)))
    assert {date(2026, 11, d) for d in range(16, 27)} <= stored  # up to yesterday, 26th
    assert nothing_stored == 0 and again.output.endswith(result.output.splitlines()[-1] + "\n")
    figures = reports.compute_figures(
        reports.Scope((world.center,)), date(2026, 11, 16), date(2026, 11, 22)
    )
    assert figures.cases_total == 100


def test_report_summarise_without_cases_says_so(runner, world):
    result = runner.invoke(args=["report", "summarise", "--center", "testtown"])
    assert result.exit_code == 0 and "no cases yet" in result.output


@pytest.mark.parametrize(
    "args",
    [
        ["report", "summarise", "--center", "atlantis"],
        ["report", "daily", "--center", "atlantis"],
        ["report", "daily", "--center", "testtown", "--date", "2026-02-30"],
        ["report", "range", "--center", "testtown", "--from", "2026-11-27", "--to", "2026-11-01"],
        ["seed-history", "--center", "atlantis"],
    ],
)
def test_commands_refuse_bad_input_clearly(runner, world, args):
    result = runner.invoke(args=args)
    assert result.exit_code == 2
    assert "Error" in result.output
