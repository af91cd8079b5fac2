"""The nation's days off for a year the library does not know: the rule, a loaded notice."""

from __future__ import annotations

from datetime import date, time, timedelta

import chinese_calendar
import pytest

from service_center.catalogue import holidays
from service_center.catalogue.calendar import day_status, store_notice, years_by_rule
from service_center.catalogue.holidays import CalendarSource, NoticeFileInvalid, parse_notice
from service_center.catalogue.models import CenterDay, OpeningHours
from service_center.db import db

pytestmark = pytest.mark.usefixtures("english")

#: a made-up 2027 arrangement in the notices' usual shape: the rule's days (weekends included,
#: as notices give whole spans), bridging days after the Spring Festival, two 调休 Saturdays
NOTICE_2027 = """date,kind,name_zh,name_en
2027-01-01,holiday,元旦,New Year's Day
2027-02-05,holiday,春节,Spring Festival
2027-02-06,holiday,春节,Spring Festival
2027-02-07,holiday,春节,Spring Festival
2027-02-08,holiday,春节,Spring Festival
2027-02-09,holiday,春节,Spring Festival
2027-02-10,holiday,春节,Spring Festival
2027-02-11,holiday,春节,Spring Festival
2027-01-30,working day,春节调休上班,Spring Festival make-up working day
2027-02-20,working day,春节调休上班,Spring Festival make-up working day
2027-04-05,holiday,清明节,Tomb-sweeping Day
2027-05-01,holiday,劳动节,Labour Day
2027-05-02,holiday,劳动节,Labour Day
2027-06-09,holiday,端午节,Dragon Boat Festival
2027-09-15,holiday,中秋节,Mid-autumn Festival
2027-10-01,holiday,国庆节,National Day
2027-10-02,holiday,国庆节,National Day
2027-10-03,holiday,国庆节,National Day
"""


def statutory_days(year: int) -> dict[date, str]:
    return dict(holidays.statutory_holidays(year))


@pytest.mark.parametrize("year", [2025, 2026])
def test_every_computed_statutory_day_is_a_holiday_of_the_library(year):
    computed = statutory_days(year)
    assert len(computed) == 13
    assert {day: chinese_calendar.get_holiday_detail(day) for day in computed} == {
        day: (True, name) for day, name in computed.items()
    }


def test_2027_by_the_rule():
    assert statutory_days(2027) == {
        date(2027, 1, 1): "New Year's Day",
        **{date(2027, 2, d): "Spring Festival" for d in (5, 6, 7, 8)},  # lunar eve: 5 Feb
        date(2027, 4, 5): "Tomb-sweeping Day",
        date(2027, 5, 1): "Labour Day",
        date(2027, 5, 2): "Labour Day",
        date(2027, 6, 9): "Dragon Boat Festival",
        date(2027, 9, 15): "Mid-autumn Festival",
        **{date(2027, 10, d): "National Day" for d in (1, 2, 3)},
    }


@pytest.mark.parametrize(
    ("year", "source"),
    [
        (2026, CalendarSource.LIBRARY),
        (2027, CalendarSource.RULE),
        (2040, CalendarSource.RULE),
        (2100, CalendarSource.WEEKENDS),  # past the lunar table: weekends only
    ],
)
def test_each_year_has_a_source(year, source):
    assert holidays.year_source(year) is source


@pytest.mark.parametrize(
    ("day", "is_open", "reason"),
    [
        (date(2027, 1, 1), False, "New Year's Day"),  # a Friday
        (date(2027, 2, 4), True, ""),  # the Thursday before the lunar New Year's Eve
        (date(2027, 2, 5), False, "Spring Festival"),  # lunar New Year's Eve, a Friday
        (date(2027, 2, 6), False, "Spring Festival"),  # a Saturday, still named
        (date(2027, 2, 8), False, "Spring Festival"),  # the Monday, third day
        (date(2027, 2, 9), True, ""),  # no bridging day without the notice
        (date(2027, 3, 8), True, ""),  # an ordinary Monday
        (date(2027, 3, 6), False, "Weekend"),
        (date(2027, 10, 1), False, "National Day"),
    ],
)
def test_a_year_the_library_does_not_know_closes_on_its_statutory_days(world, day, is_open, reason):
    status = day_status(world.center, day)
    assert (status.is_open, status.reason, status.source) == (is_open, reason, "rule")
    assert status.by_rule


def test_holiday_names_come_in_the_residents_language(app_ctx, world):
    with app_ctx.test_request_context(headers={"Accept-Language": "zh-CN"}):
        assert day_status(world.center, date(2027, 1, 1)).reason == "元旦"


def test_a_loaded_notice_opens_its_weekends_and_closes_its_bridging_days(world):
    store_notice(2027, parse_notice(2027, NOTICE_2027))
    db.session.commit()
    saturday = day_status(world.center, date(2027, 1, 30))
    assert (saturday.is_open, saturday.reason) == (True, "Spring Festival make-up working day")
    assert day_status(world.center, date(2027, 2, 20)).is_open
    for bridging in (date(2027, 2, 9), date(2027, 2, 10), date(2027, 2, 11)):
        status = day_status(world.center, bridging)
        assert (status.is_open, status.reason, status.source) == (
            False,
            "Spring Festival",
            "notice",
        )
    assert day_status(world.center, date(2027, 3, 8)).is_open  # the rest follows the week
    assert not day_status(world.center, date(2027, 3, 6)).is_open
    assert not day_status(world.center, date(2026, 10, 1)).is_open  # other years untouched
    assert years_by_rule(date(2026, 12, 21), date(2027, 2, 19)) == []


def test_loading_again_replaces_the_years_notice(world):
    store_notice(2027, parse_notice(2027, NOTICE_2027))
    db.session.commit()
    assert not day_status(world.center, date(2027, 2, 11)).is_open
    store_notice(2027, parse_notice(2027, "date,kind,name_zh,name_en\n2027-02-12,休,春节,\n"))
    db.session.commit()
    assert day_status(world.center, date(2027, 2, 11)).is_open
    # the notice replaces the rule: a statutory day it does not list is a working day
    assert day_status(world.center, date(2027, 1, 1)).is_open
    status = day_status(world.center, date(2027, 2, 12))
    assert (status.is_open, status.reason) == (False, "春节")  # no English name: the Chinese


def test_a_centers_own_days_win_over_every_source(world):
    store_notice(2027, parse_notice(2027, NOTICE_2027))
    days = {
        date(2027, 1, 30): False,  # a notice's working Saturday, closed by the center
        date(2027, 2, 9): True,  # a notice's bridging day, opened by the center
        date(2028, 1, 3): False,  # a rule-year Monday closed
        date(2028, 1, 1): True,  # a rule-year holiday opened
        date(2026, 10, 1): True,  # a library holiday opened
    }
    for day, is_open in days.items():
        db.session.add(
            CenterDay(center_id=world.center.id, day=day, is_open=is_open, reason_zh="自定")
        )
    db.session.commit()
    assert {d: day_status(world.center, d).is_open for d in days} == days
    assert {day_status(world.center, d).reason for d in days} == {"自定"}
    assert not day_status(world.other, date(2027, 2, 9)).is_open  # only that center


def test_years_by_rule_look_ahead(world):
    assert years_by_rule(date(2026, 6, 1), date(2026, 7, 31)) == []
    assert years_by_rule(date(2026, 12, 21), date(2027, 2, 19)) == [2027]
    assert years_by_rule(date(2026, 12, 21), date(2028, 2, 19)) == [2027, 2028]


def test_a_notice_file_is_read_whole():
    rows = parse_notice(2027, "\ufeff" + NOTICE_2027)  # a BOM, as spreadsheets save it
    assert len(rows) == 18 and rows == sorted(rows, key=lambda r: r.day)
    first = rows[0]
    assert (first.day, first.is_holiday, first.name_zh, first.name_en) == (
        date(2027, 1, 1),
        True,
        "元旦",
        "New Year's Day",
    )
    assert holidays.missing_statutory_days(2027, rows) == []


HEADER = "date,kind,name_zh,name_en\n"


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ("2027-13-01,holiday,元旦,\n", "line 2: '2027-13-01' is not a date (YYYY-MM-DD)"),
        ("2026-12-31,holiday,元旦,\n", "line 2: 2026-12-31 is not in 2027"),
        (
            "2027-02-09,holiday,春节,\n2027-02-09,holiday,春节,\n",
            "line 3: 2027-02-09 is listed twice (first on line 2)",
        ),
        ("2027-02-09,off,春节,\n", "line 2: kind 'off' is neither 'holiday' nor 'working day'"),
        (
            "2027-10-01,holiday,国庆节,National Day, PRC\n",
            "line 2: more than four columns (a comma inside a name needs quotes)",
        ),
        (
            "2027-02-09,working day,调休,\n",
            "line 2: 2027-02-09 is a Tuesday: a working day here must be a weekend (调休)",
        ),
        ("2027-02-09,holiday,,Spring\n", "line 2: 2027-02-09: a day off needs its holiday's"),
        ("", "the file lists no days"),
    ],
)
def test_a_wrong_row_is_named_with_its_line(body, problem):
    with pytest.raises(NoticeFileInvalid) as raised:
        parse_notice(2027, HEADER + body)
    assert len(raised.value.problems) == 1
    assert raised.value.problems[0].startswith(problem)


def test_every_wrong_row_is_listed_and_a_wrong_header_stops_the_reading():
    with pytest.raises(NoticeFileInvalid) as raised:
        parse_notice(2027, HEADER + "2027-02-30,holiday,x,\n2027-02-09,nope,x,\n")
    assert [p.split(":")[0] for p in raised.value.problems] == ["line 2", "line 3"]
    with pytest.raises(NoticeFileInvalid) as raised:
        parse_notice(2027, "day,type\n2027-02-09,holiday\n")
    assert raised.value.problems[0].startswith("line 1: the header must be date,kind,")


def test_a_statutory_weekday_left_out_of_a_notice_is_pointed_out():
    rows = parse_notice(2027, HEADER + "2027-01-01,holiday,元旦,\n")
    missing = dict(holidays.missing_statutory_days(2027, rows))
    assert missing[date(2027, 2, 5)] == "Spring Festival"
    assert missing[date(2027, 5, 1)] == "Labour Day"  # a Saturday: some centers open then
    assert date(2027, 1, 1) not in missing and len(missing) == 12


def test_the_rule_closes_exactly_its_weekday_statutory_days():
    day, off = date(2027, 1, 1), 0
    while day.year == 2027:
        national = holidays.national_day(day)
        off += not national.is_workday and day.weekday() < 5
        day += timedelta(days=1)
    weekday_statutory = [d for d in statutory_days(2027) if d.weekday() < 5]
    assert off == len(weekday_statutory) == 7  # May 1–2 and Oct 2–3 fall on weekends


def test_a_weekend_inside_a_notices_holiday_closes_a_center_that_opens_on_saturdays(world):
    world.center.hours.append(OpeningHours(weekday=5, open_time=time(9), close_time=time(12)))
    db.session.commit()
    assert day_status(world.center, date(2027, 3, 6)).is_open  # an ordinary Saturday
    assert not day_status(world.center, date(2027, 2, 6)).is_open  # by the rule
    store_notice(2027, parse_notice(2027, NOTICE_2027))
    db.session.commit()
    status = day_status(world.center, date(2027, 10, 2))
    assert (status.is_open, status.reason) == (False, "National Day")
    assert day_status(world.center, date(2027, 3, 6)).is_open


def test_a_notice_for_a_year_the_library_knows_is_compared_with_it():
    rows = parse_notice(2026, HEADER + "2026-01-02,holiday,元旦,\n2026-01-05,holiday,自定,\n")
    differences = dict(holidays.library_differences(2026, rows))
    assert differences[date(2026, 1, 5)] is True  # off by the notice, a working Monday
    assert differences[date(2026, 1, 1)] is False  # the library's holiday, not in the file
    assert differences[date(2026, 1, 4)] is True  # the library's 调休 Sunday, not in the file
    assert date(2026, 1, 2) not in differences and date(2026, 1, 3) not in differences
    assert holidays.library_differences(2027, rows) == []


@pytest.mark.parametrize(("year", "source"), [(2003, "weekends"), (1950, "weekends")])
def test_years_before_the_library_and_the_rule_are_weekends_only(year, source):
    assert holidays.year_source(year) == source
