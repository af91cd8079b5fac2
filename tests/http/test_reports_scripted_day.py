"""The scripted day (tests/fixtures/reports.py): every figure on every page, the API, both CSV
files and the CLI equals the value counted by hand below."""

from __future__ import annotations

import csv
import io
from collections import Counter
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select

from service_center.catalogue.models import CaseType, Center, ServiceItem
from service_center.clock import to_local
from service_center.db import db
from service_center.queueing.closing import close_day
from service_center.queueing.models import EventKind, TicketEvent
from tests.fixtures.reports import attributes_in, figures_in

#: what the supervisor of testtown must read for Friday 2026-11-27 (worked out by hand from
#: the table in tests/fixtures/reports.py)
FRIDAY_ON_THE_PAGE = {
    "report-date": "2026-11-27",
    "cases-business": "3",  # T1, T2, T7 (T5 moved to the investment item "project")
    "cases-investment": "2",  # T3 (booked), T5
    "cases-livelihood": "5",  # T6, E1–E4
    "cases-total": "10",
    "cases-sentence": "business 3, investment 2, livelihood 5",
    "tickets-issued": "14",  # T1–T10 (T3 checked in at 07:50 = 23:50 UTC Thursday), E1–E4
    "tickets-walk-in": "13",
    "tickets-booked": "1",
    "no-shows": "1",  # T4
    "type-business-completed": "2",
    "type-business-documents_missing": "1",
    "type-business-not_accepted": "0",
    "type-business-tickets": "6",  # T1, T2, T7, T8, T9 (cancelled), T10
    "type-business-booked": "0",
    "type-business-no-shows": "0",
    "type-investment-completed": "2",
    "type-investment-tickets": "2",
    "type-investment-booked": "1",
    "type-livelihood-completed": "3",
    "type-livelihood-documents_missing": "1",
    "type-livelihood-not_accepted": "1",
    "type-livelihood-tickets": "6",
    "type-livelihood-no-shows": "1",
    "type-total-completed": "7",
    "type-total-documents_missing": "2",
    "type-total-not_accepted": "1",
    # waits: 120 180 240 300 300 540 960 960 1260 8220 → sum 13080, rank ⌈9⌉ = 9th
    "wait-count": "10",
    "wait-mean": "21 min 48 s",
    "wait-p90": "21 min 00 s",
    # services: 240 300 425 480 480 600 600 600 900 1020 → sum 5645, 9th = 900
    "service-count": "10",
    "service-mean": "9 min 25 s",  # 564.5 s, shown to the second (half up)
    "service-p90": "15 min 00 s",
    "window-testtown-1-business": "3",
    "window-testtown-1-cases": "3",
    "window-testtown-1-service": "11 min 40 s",  # (600 + 480 + 1020) / 3
    "window-testtown-2-investment": "1",
    "window-testtown-2-cases": "1",
    "window-testtown-2-service": "10 min 00 s",
    "window-testtown-3-livelihood": "5",
    "window-testtown-3-no-shows": "1",
    "window-testtown-3-service": "6 min 49 s",  # 2045 / 5 = 409
    "window-testtown-4-investment": "1",
    "window-testtown-4-service": "15 min 00 s",
    "clerk-clerk-business": "3",
    "clerk-clerk-investment": "1",
    "clerk-clerk-cases": "4",
    "clerk-clerk-service": "12 min 30 s",  # 3000 / 4
    "clerk-clerk2-investment": "1",
    "clerk-clerk2-livelihood": "5",
    "clerk-clerk2-cases": "6",
    "clerk-clerk2-service": "7 min 21 s",  # 2645 / 6 = 440.8
    "item-1-code": "IT-005",  # marriage: E1, E3, E4
    "item-1-cases": "3",
    "item-2-code": "IT-001",  # licence 2, then project 2 and allowance 2, by code
    "item-3-code": "IT-004",
    "item-4-code": "IT-006",
    "item-4-cases": "2",
    "item-5-code": "IT-002",
    "item-5-cases": "1",
    "satisfaction-count": "5",  # 5, 2, 1, 4, 3 (Thursday's and otherville's not)
    "satisfaction-mean": "3.0",
    "satisfaction-low": "2",
    "satisfaction-low-share": "40.0%",
}


def page(client, url: str, lang: str = "en") -> str:
    response = client.get(url, headers={"Accept-Language": lang})
    assert response.status_code == 200, response.data[:500]
    return response.get_data(as_text=True)


def test_daily_page_shows_every_figure_counted_by_hand(client, login_as, at_the_end):
    login_as(at_the_end.world.users.supervisor)
    html = page(client, "/reports/daily?date=2026-11-27")
    shown = figures_in(html)
    assert {k: shown.get(k) for k in FRIDAY_ON_THE_PAGE} == FRIDAY_ON_THE_PAGE
    assert shown["report-center"] == "Testtown Convenience Service Center"
    assert "window-testtown-4-no-shows" in shown and "window-none-cases" not in shown
    exact = attributes_in(html)
    assert exact["wait-mean"]["data-seconds"] == "1308.0"
    assert exact["service-mean"]["data-seconds"] == "564.5"
    assert exact["service-p90"]["data-seconds"] == "900"
    assert "态度不好，材料一次没说清" in html and "other center" not in html
    assert 'id="chart-hourly"' in html and "<svg" in html


def test_daily_page_without_a_date_is_today(client, login_as, at_the_end):
    login_as(at_the_end.world.users.supervisor)
    shown = figures_in(page(client, "/reports/daily"))
    assert shown["report-date"] == "2026-11-27" and shown["cases-total"] == "10"


def test_the_headline_reads_like_the_seed_in_chinese(client, login_as, at_the_end):
    login_as(at_the_end.world.users.supervisor)
    shown = figures_in(page(client, "/reports/daily?date=2026-11-27", lang="zh-CN"))
    assert shown["cases-sentence"] == "商事类 3 件、投资类 2 件、民生类 5 件"
    assert shown["wait-mean"] == "21 分 48 秒"
    assert shown["report-center"] == "testtown便民服务中心"


def test_a_day_is_the_centers_local_day(client, login_as, at_the_end):
    """Thursday holds P1 only: T3, checked in at 23:50 UTC on Thursday, is Friday's."""
    login_as(at_the_end.world.users.supervisor)
    shown = figures_in(page(client, "/reports/daily?date=2026-11-26"))
    assert (shown["cases-business"], shown["cases-investment"], shown["tickets-issued"]) == (
        "1",
        "0",
        "1",
    )
    assert (shown["wait-mean"], shown["service-mean"], shown["satisfaction-count"]) == (
        "10 min 00 s",
        "20 min 00 s",
        "1",
    )


def test_daily_api_gives_the_same_figures(client, login_as, at_the_end):
    login_as(at_the_end.world.users.supervisor)
    data = client.get("/api/v1/reports/daily?center=testtown&date=2026-11-27").get_json()
    assert data["center"] == "testtown" and data["date"] == "2026-11-27"
    assert data["cases"] == {"business": 3, "investment": 2, "livelihood": 5}
    assert data["cases_total"] == 10
    assert data["outcomes"]["livelihood"] == {
        "completed": 3,
        "documents_missing": 1,
        "not_accepted": 1,
    }
    assert data["outcomes_total"] == {"completed": 7, "documents_missing": 2, "not_accepted": 1}
    assert (data["tickets_issued"], data["tickets_walk_in"], data["tickets_booked"]) == (14, 13, 1)
    assert data["no_shows"] == 1
    assert data["tickets"]["business"] == {
        "issued": 6,
        "booked": 0,
        "remote": 0,
        "assisted": 0,
        "no_shows": 0,
        "unserved": 0,
    }
    assert data["unserved"] == 0
    assert data["wait_seconds"] == {"count": 10, "mean": 1308.0, "p90": 1260}
    assert data["service_seconds"] == {"count": 10, "mean": 564.5, "p90": 900}
    assert data["percentile"] == "nearest-rank"
    sat = data["satisfaction"]
    assert (sat["count"], sat["mean"], sat["low_count"], sat["low_share_percent"]) == (
        5,
        3.0,
        2,
        40.0,
    )
    assert [c["rating"] for c in sat["low_comments"]] == [1, 2]  # latest first
    windows = {w["number"]: w for w in data["windows"]}
    assert sorted(windows) == [1, 2, 3, 4]
    assert windows[1]["cases"] == 3 and windows[1]["service_seconds_mean"] == 700.0
    assert windows[3]["case_types"] == {"business": 0, "investment": 0, "livelihood": 5}
    assert windows[3]["no_shows"] == 1 and windows[3]["service_seconds_mean"] == 409.0
    clerks = {c["username"]: c for c in data["clerks"]}
    assert (clerks["clerk"]["cases"], clerks["clerk"]["service_seconds_mean"]) == (4, 750.0)
    assert (clerks["clerk2"]["cases"], clerks["clerk2"]["service_seconds_mean"]) == (6, 440.8)
    assert [(i["code"], i["cases"]) for i in data["top_items"]] == [
        ("IT-005", 3),
        ("IT-001", 2),
        ("IT-004", 2),
        ("IT-006", 2),
        ("IT-002", 1),
    ]


def read_csv(response) -> list[dict[str, str]]:
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM: Excel reads the Chinese right
    text = body.decode("utf-8-sig")
    assert "\r\n" in text
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_cases_csv_has_one_row_per_case_with_inert_free_text(client, login_as, at_the_end):
    login_as(at_the_end.world.users.supervisor)
    response = client.get(
        "/reports/cases.csv?center=testtown&from=2026-11-27&to=2026-11-27&lang=en"
    )
    assert response.status_code == 200
    assert (
        response.mimetype == "text/csv" and "attachment" in response.headers["Content-Disposition"]
    )
    rows = read_csv(response)
    assert [r["Case number"] for r in rows] == [f"TE-20261127-{n:04d}" for n in range(1, 11)]
    by_ticket = {r["Ticket"]: r for r in rows}
    assert set(by_ticket) == {
        "B001",
        "B002",
        "B003",
        "B004",
        "T001",
        "M002",
        "M003",
        "M004",
        "M005",
        "M006",
    }
    t2 = by_ticket["B002"]
    assert (t2["Outcome code"], t2["Waiting time (s)"], t2["Service time (s)"]) == (
        "documents_missing",
        "960",
        "480",
    )
    assert t2["Rating"] == "2"
    assert t2["Rating comment"] == '\'=HYPERLINK("http://example.invalid","click")'
    t5 = by_ticket["B003"]  # a food ticket, transferred to the investment item
    assert (t5["Case type code"], t5["Item code"], t5["Window"]) == ("investment", "IT-004", "4")
    assert by_ticket["T001"]["Booked"] == "yes" and by_ticket["T001"]["Waiting time (s)"] == "8220"
    assert sum(int(r["Waiting time (s)"]) for r in rows) == 13080
    assert sum(int(r["Service time (s)"]) for r in rows) == 5645
    assert {r["Completed at"][:10] for r in rows} == {"2026-11-27"}


def test_days_csv_has_one_row_per_day_and_case_type(client, login_as, at_the_end):
    login_as(at_the_end.world.users.supervisor)
    response = client.get("/reports/days.csv?from=2026-11-26&to=2026-11-27&lang=en")
    rows = read_csv(response)
    got = {
        (r["Date"], r["Case type code"]): (
            r["Cases"],
            r["Completed (办结)"],
            r["Documents missing (补正)"],
            r["Not accepted (不予受理)"],
            r["Tickets issued"],
            r["Booked tickets"],
            r["No-shows"],
            r["Mean waiting time (s)"],
            r["Mean service time (s)"],
        )
        for r in rows
    }
    assert got == {
        ("2026-11-26", "business"): ("1", "1", "0", "0", "1", "0", "0", "600.0", "1200.0"),
        # waits 300 960 1260, services 600 480 1020; tickets T1 T2 T7 T8 T9 T10
        ("2026-11-27", "business"): ("3", "2", "1", "0", "6", "0", "0", "840.0", "700.0"),
        ("2026-11-27", "investment"): ("2", "2", "0", "0", "2", "1", "0", "4590.0", "750.0"),
        ("2026-11-27", "livelihood"): ("5", "3", "1", "1", "6", "0", "1", "276.0", "409.0"),
    }
    assert {r["Center"] for r in rows} == {"testtown"}


def test_cli_prints_the_same_daily_totals(runner, at_the_end):
    result = runner.invoke(
        args=["report", "daily", "--center", "testtown", "--date", "2026-11-27", "--lang", "en"]
    )
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Testtown Convenience Service Center (testtown) · 2026-11-27" in out
    assert "business 3, investment 2, livelihood 5 · All case types 10" in out
    assert (
        "Tickets issued 14 (of which walk-in 13, of which booked 1, of which from the phone 0)"
        " · Assisted (帮办代办) 0 · No-shows (过号) 1"
    ) in out
    assert (
        "mean 21 min 48 s (1308.0 s), 90th percentile 21 min 00 s (1260 s), 10 cases measured"
        in out
    )
    assert (
        "mean 9 min 25 s (564.5 s), 90th percentile 15 min 00 s (900 s), 10 cases measured" in out
    )
    assert "Ratings 5 · Mean rating (5 = very satisfied) 3.0" in out and "2 (40.0%)" in out
    assert "Window 3: 5 · No-shows 1 · Mean service time 6 min 49 s" in out
    assert "clerk2 (clerk2): 6 · Mean service time 7 min 21 s" in out
    assert "1. IT-005" in out and ": 3" in out


def test_cli_speaks_chinese_by_default(runner, at_the_end):
    result = runner.invoke(args=["report", "daily", "--center", "testtown", "--date", "2026-11-27"])
    assert result.exit_code == 0, result.output
    assert "商事类 3 件、投资类 2 件、民生类 5 件" in result.output


# Thursday + Friday at testtown: P1 adds a business case (wait 600, service 1200, rated 5)
RANGE_TESTTOWN = {
    "cases-business": "4",
    "cases-investment": "2",
    "cases-livelihood": "5",
    "cases-total": "11",
    "tickets-issued": "15",
    "no-shows": "1",
    "wait-count": "11",
    "wait-p90": "21 min 00 s",  # ⌈9.9⌉ = 10th of 11: 1260
    "service-p90": "17 min 00 s",  # 10th of 11: 1020
    "satisfaction-count": "6",
    "satisfaction-mean": "3.3",  # 20 / 6
    "satisfaction-low-share": "33.3%",
}


def test_range_page_sums_the_days_and_counts_since_a_date(client, login_as, at_the_end):
    login_as(at_the_end.world.users.supervisor)
    html = page(client, "/reports/range?from=2026-11-26&to=2026-11-27&since=2026-11-27")
    shown = figures_in(html)
    assert {k: shown.get(k) for k in RANGE_TESTTOWN} == RANGE_TESTTOWN
    assert attributes_in(html)["wait-mean"]["data-seconds"] == "1243.6"  # 13680 / 11
    assert attributes_in(html)["service-mean"]["data-seconds"] == "622.3"  # 6845 / 11
    assert (shown["since-business"], shown["since-investment"], shown["since-livelihood"]) == (
        "3",
        "2",
        "5",
    )
    assert shown["since-total"] == "10"
    assert 'id="chart-daily"' in html
    assert html.count('class="chart-bar"') == 4  # Thursday: business; Friday: three types


def test_totals_api_matches_the_range_page(client, login_as, at_the_end):
    login_as(at_the_end.world.users.supervisor)
    data = client.get("/api/v1/reports/totals?from=2026-11-26&to=2026-11-27").get_json()
    assert (data["center"], data["from"], data["to"], data["days"]) == (
        "testtown",
        "2026-11-26",
        "2026-11-27",
        2,
    )
    assert data["cases"] == {"business": 4, "investment": 2, "livelihood": 5}
    assert data["wait_seconds"] == {"count": 11, "mean": 1243.6, "p90": 1260}
    assert data["service_seconds"] == {"count": 11, "mean": 622.3, "p90": 1020}
    assert data["satisfaction"]["mean"] == 3.3


def test_county_admin_sees_every_center_summed(client, login_as, at_the_end):
    login_as(at_the_end.world.users.admin)
    data = client.get("/api/v1/reports/totals?from=2026-11-26&to=2026-11-27").get_json()
    assert data["center"] == "all"
    assert data["cases"] == {"business": 5, "investment": 2, "livelihood": 5}  # + O1
    assert data["tickets_issued"] == 16
    assert data["satisfaction"]["count"] == 7 and data["satisfaction"]["low_share_percent"] == 42.9
    assert {(w["center"], w["number"]) for w in data["windows"]} >= {("otherville", 1)}
    shown = figures_in(page(client, "/reports/daily?center=all&date=2026-11-27"))
    assert shown["report-center"] == "All centers of the county"
    assert shown["cases-sentence"] == "business 4, investment 2, livelihood 5"
    assert shown["window-otherville-1-cases"] == "1"


def test_live_floor_shows_the_hall_at_the_end_of_the_script(client, login_as, at_the_end):
    login_as(at_the_end.world.users.supervisor)
    html = page(client, "/reports/live")
    shown = figures_in(html)
    assert shown["report-time"] == "2026-11-27 11:55:00"
    assert (shown["waiting-business"], shown["waiting-total"]) == ("1", "1")  # T10
    assert shown["longest-wait"] == "7 min 00 s B007"  # T10 since 11:48
    assert (shown["calls-last-hour"], shown["recalls-last-hour"]) == ("5", "0")
    assert (
        shown["windows-serving"],
        shown["windows-idle"],
        shown["windows-paused"],
        shown["windows-closed"],
    ) == ("1", "2", "1", "0")
    assert shown["window-1-status"] == "Idle" and shown["window-1-clerk"] == "clerk"
    assert shown["window-2-status"] == "Paused"
    assert shown["window-4-status"] == "Serving" and shown["window-4-ticket"].startswith("B005")
    assert [shown[f"window-{n}-waiting"] for n in (1, 2, 3, 4)] == ["1", "1", "0", "1"]
    # it updates in place by script, with a pause control, never by reloading (WCAG 2.2.1)
    assert 'http-equiv="refresh"' not in html and 'id="live-pause"' in html


def rebuild_from_events(center_id: int, day: date, timezone: str) -> dict[str, Any]:
    """Replay every event of the center (and only the events, with the catalogue's items for
    their case types) into the figures of ``day`` that the daily report shows."""
    case_type_of = dict(
        db.session.execute(select(ServiceItem.id, CaseType.code).join(CaseType)).all()
    )
    tickets: dict[int, dict[str, Any]] = {}
    cases: list[dict[str, Any]] = []
    events = db.session.scalars(
        select(TicketEvent).where(TicketEvent.center_id == center_id).order_by(TicketEvent.id)
    )
    for e in events:
        t = tickets.setdefault(e.ticket_id, {"called": None, "started": None})
        if e.service_item_id is not None:  # issued, or transferred to another item
            t["item"] = e.service_item_id
        if e.kind is EventKind.ISSUED:
            t.update(issued=e.at_dt, booked=e.detail == "booked", state="waiting")
        elif e.kind is EventKind.CALLED:
            t["called"] = t["called"] or e.at_dt
            t["state"] = "called"
        elif e.kind is EventKind.STARTED:
            t["started"] = e.at_dt
        elif e.kind is EventKind.TRANSFERRED:
            t["started"] = None
        elif e.kind in (EventKind.NO_SHOW, EventKind.REQUEUED, EventKind.UNSERVED):
            t["state"] = e.kind.value
        elif e.kind is EventKind.COMPLETED:
            t["state"] = "done"
            cases.append(
                {
                    "day": to_local(e.at_dt, timezone).date(),
                    "case_type": case_type_of[t["item"]],
                    "wait": int((t["called"] - t["issued"]).total_seconds()),
                    "service": int((e.at_dt - t["started"]).total_seconds()),
                }
            )
    issued = [t for t in tickets.values() if to_local(t["issued"], timezone).date() == day]
    todays = [c for c in cases if c["day"] == day]
    by_type = Counter(c["case_type"] for c in todays)
    return {
        "cases": {code: by_type[code] for code in ("business", "investment", "livelihood")},
        "cases_total": len(todays),
        "tickets_issued": len(issued),
        "tickets_booked": sum(t["booked"] for t in issued),
        "no_shows": sum(t["state"] == "no_show" for t in issued),
        "unserved": sum(t["state"] == "unserved" for t in issued),
        "issued_business": sum(case_type_of[t["item"]] == "business" for t in issued),
        "wait_mean": round(sum(c["wait"] for c in todays) / len(todays), 1),
        "service_mean": round(sum(c["service"] for c in todays) / len(todays), 1),
    }


def test_the_events_alone_rebuild_the_daily_report(client, login_as, at_the_end):
    """docs/architecture.md: every count can be recomputed from the ticket events."""
    world = at_the_end.world
    login_as(world.users.supervisor)
    data = client.get("/api/v1/reports/daily?center=testtown&date=2026-11-27").get_json()
    rebuilt = rebuild_from_events(world.center.id, date(2026, 11, 27), world.center.timezone)
    assert rebuilt == {
        "cases": data["cases"],
        "cases_total": data["cases_total"],
        "tickets_issued": data["tickets_issued"],
        "tickets_booked": data["tickets_booked"],
        "no_shows": data["no_shows"],
        "unserved": data["unserved"],
        "issued_business": data["tickets"]["business"]["issued"],
        "wait_mean": data["wait_seconds"]["mean"],
        "service_mean": data["service_seconds"]["mean"],
    }
    assert rebuilt["cases_total"] == 10 and rebuilt["issued_business"] == 6  # T5 moved away


def test_the_events_rebuild_the_report_after_the_day_closed(client, login_as, at_the_end):
    """At 17:30 the tickets still waiting or called end unserved (B005 and B007); the events
    say so too."""
    world = at_the_end.world
    center = db.session.get(Center, world.center.id)
    done = close_day(center, now=datetime(2026, 11, 27, 9, 30, tzinfo=UTC))
    db.session.commit()
    login_as(world.users.supervisor)
    data = client.get("/api/v1/reports/daily?center=testtown&date=2026-11-27").get_json()
    rebuilt = rebuild_from_events(world.center.id, date(2026, 11, 27), world.center.timezone)
    assert data["unserved"] == len(done.unserved) == rebuilt["unserved"] == 2
    assert data["cases_total"] == rebuilt["cases_total"] == 10
    assert data["no_shows"] == rebuilt["no_shows"] == 1
