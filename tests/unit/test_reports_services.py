"""The report rules on their own: percentile, rounding, wording, CSV guard, chart, scope."""

from __future__ import annotations

import pytest
from flask_babel import refresh

from service_center.errors import Forbidden, NotFound
from service_center.reports.chart import stacked_bars
from service_center.reports.csv import guard
from service_center.reports.formatting import case_type_sentence, format_duration
from service_center.reports.series import Bucket
from service_center.reports.services import Durations, nearest_rank, scope_for


def spread(*values: int) -> list[tuple[int, int]]:
    return [(v, 1) for v in sorted(values)]


@pytest.mark.parametrize(
    ("histogram", "p90"),
    [
        ([], None),
        (spread(7), 7),
        (spread(*range(1, 11)), 9),  # n = 10: rank 9
        (spread(*range(1, 12)), 10),  # n = 11: rank ⌈9.9⌉ = 10
        (spread(*range(1, 21)), 18),  # n = 20: rank 18
        (spread(*range(1, 10)), 9),  # n = 9: rank ⌈8.1⌉ = 9, the largest
        ([(60, 9), (3600, 1)], 60),  # nine of ten within a minute
        ([(60, 8), (3600, 2)], 3600),
    ],
)
def test_nearest_rank_90th_percentile(histogram, p90):
    assert nearest_rank(histogram) == p90


@pytest.mark.parametrize(
    ("total", "count", "mean"),
    [(5645, 10, 564.5), (2645, 6, 440.8), (1, 3, 0.3), (5, 100, 0.1), (0, 0, None)],
)
def test_means_are_rounded_half_up_to_a_tenth(total, count, mean):
    assert Durations(count, total).mean == mean


def test_durations_from_a_histogram_are_exact():
    d = Durations.from_histogram([(120, 1), (300, 2), (8220, 1)])
    assert (d.count, d.total, d.p90, d.mean) == (4, 8940, 8220, 2235.0)


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ("=1+1", "'=1+1"),
        ("+8613800138000", "'+8613800138000"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("营业执照=", "营业执照="),
        ("", ""),
        (-2, -2),  # numbers stay numbers
    ],
)
def test_csv_cells_that_could_start_a_formula_are_made_inert(cell, written):
    assert guard(cell) == written


@pytest.mark.parametrize(
    ("seconds", "english"),
    [
        (None, "—"),
        (45, "45 s"),
        (59.5, "1 min 00 s"),
        (564.5, "9 min 25 s"),
        (3725, "1 h 02 min 05 s"),
    ],
)
def test_durations_read_in_hours_minutes_seconds(app, seconds, english):
    with app.test_request_context("/?lang=en"):
        assert format_duration(seconds) == english


def test_the_case_type_sentence_follows_the_seed(app, case_types):
    counts = [
        (case_types[c], n) for c, n in (("business", 871), ("investment", 3), ("livelihood", 12))
    ]
    with app.test_request_context("/?lang=zh_CN"):
        refresh()  # the fixtures' app context may have chosen a language already
        assert case_type_sentence(counts) == "商事类 871 件、投资类 3 件、民生类 12 件"
    with app.test_request_context("/?lang=en"):
        refresh()
        assert case_type_sentence(counts) == "business 871, investment 3, livelihood 12"


def test_chart_bars_stack_in_proportion(app, case_types):
    types = list(case_types.values())
    b, t, m = (ct.id for ct in types)
    chart = stacked_bars(
        [Bucket("2026-11-26", {b: 1}), Bucket("2026-11-27", {b: 3, t: 2, m: 5})], types
    )
    assert [v for _, v in chart.y_ticks] == [0, 5, 10]
    friday = [bar for bar in chart.bars if bar.label.startswith("2026-11-27")]
    assert [round(bar.height / friday[0].height, 3) for bar in friday] == [1, 0.667, 1.667]
    assert sum(bar.height for bar in friday) == pytest.approx(chart.plot_height)
    assert [label for _, label in chart.x_labels] == ["11-26", "11-27"]
    assert [total for _, _, total in chart.totals] == [1, 10]


@pytest.mark.parametrize(
    ("who", "code", "outcome"),
    [
        ("clerk", "", Forbidden),
        ("supervisor", "", "testtown"),
        ("supervisor", "otherville", Forbidden),
        ("supervisor", "all", Forbidden),
        ("admin", "", "all"),
        ("admin", "otherville", "otherville"),
        ("admin", "atlantis", NotFound),
    ],
)
def test_whose_figures_a_user_sees(world, who, code, outcome):
    user = getattr(world.users, who)
    if isinstance(outcome, str):
        assert scope_for(user, code).code == outcome
    else:
        with pytest.raises(outcome):
            scope_for(user, code)
