"""The geometry of a stacked bar chart (cases per case type per day or hour), drawn as SVG."""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..catalogue.models import CaseType
from .series import Bucket

#: colours by case type position: blue, orange, green, … (told apart also in greyscale)
PALETTE = ("#0b5cad", "#d97706", "#1e7b34", "#7a3fb0", "#b3261e", "#0f766e", "#6b7280")


def colour(case_type: CaseType) -> str:
    return PALETTE[case_type.position % len(PALETTE)]


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    colour: str
    label: str  #: tooltip: "2026-11-27 商事类 12"


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    left: int
    top: int
    plot_width: float
    plot_height: float
    bars: list[Bar]
    x_labels: list[tuple[float, str]]
    y_ticks: list[tuple[float, int]]
    legend: list[tuple[str, str]]
    totals: list[tuple[float, float, int]]  #: (x, y, total) above each bar, when bars are wide


def _nice_step(top: int, ticks: int = 4) -> int:
    if top <= ticks:
        return 1
    raw = top / ticks
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if raw <= factor * power:
            return int(factor * power)
    return int(10 * power)


def stacked_bars(
    buckets: list[Bucket],
    case_types: list[CaseType],
    *,
    width: int = 900,
    height: int = 280,
) -> Chart:
    """Lay out one stacked bar per bucket, one segment per case type, with axes and legend."""
    left, top, bottom, right = 48, 16, 46, 12
    plot_w, plot_h = width - left - right, height - top - bottom
    highest = max((b.total for b in buckets), default=0)
    step = _nice_step(highest)
    y_max = max(step * math.ceil(highest / step), step)
    slot = plot_w / max(len(buckets), 1)
    bar_w = max(slot * 0.7, 1.0)
    every = max(1, math.ceil(len(buckets) / 16))
    bars: list[Bar] = []
    x_labels: list[tuple[float, str]] = []
    totals: list[tuple[float, float, int]] = []
    for index, bucket in enumerate(buckets):
        x = left + index * slot + (slot - bar_w) / 2
        base = top + plot_h
        for case_type in case_types:
            n = bucket.counts.get(case_type.id, 0)
            if not n:
                continue
            h = plot_h * n / y_max
            base -= h
            bars.append(
                Bar(x, base, bar_w, h, colour(case_type), f"{bucket.label} {case_type.name} {n}")
            )
        if index % every == 0:
            x_labels.append(
                (x + bar_w / 2, bucket.label[5:] if len(bucket.label) == 10 else bucket.label)
            )
        if bucket.total and bar_w >= 18:
            totals.append((x + bar_w / 2, base - 4, bucket.total))
    y_ticks = [(top + plot_h - plot_h * v / y_max, v) for v in range(0, y_max + 1, step)]
    return Chart(
        width=width,
        height=height,
        left=left,
        top=top,
        plot_width=plot_w,
        plot_height=plot_h,
        bars=bars,
        x_labels=x_labels,
        y_ticks=y_ticks,
        legend=[(colour(t), t.name) for t in case_types],
        totals=totals,
    )
