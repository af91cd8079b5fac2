"""What a report shows: the figures of a scope and range, as plain values for pages, API, CLI."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from ..auth.models import User
from ..catalogue.models import CaseType, ServiceItem
from ..queueing.models import Outcome
from ..windows.models import Window
from .scope import PERCENTILE, Scope


def _mean(total: int, count: int) -> float | None:
    if not count:
        return None
    value = (Decimal(total) / Decimal(count)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return float(value)


def nearest_rank(histogram: Iterable[tuple[int, int]], percent: int = PERCENTILE) -> int | None:
    """Return the nearest-rank percentile of ``(value, how many)`` pairs sorted by value."""
    pairs = list(histogram)
    n = sum(count for _, count in pairs)
    if n == 0:
        return None
    rank = -(-percent * n // 100)  # ⌈percent × n ÷ 100⌉ in whole numbers
    seen = 0
    for value, count in pairs:
        seen += count
        if seen >= rank:
            return value
    raise AssertionError("unreachable: the ranks add up to n")


@dataclass(frozen=True)
class Durations:
    """Times in seconds: how many, their sum, the 90th percentile (None when not computed)."""

    count: int = 0
    total: int = 0
    p90: int | None = None

    @property
    def mean(self) -> float | None:
        return _mean(self.total, self.count)

    @classmethod
    def from_histogram(cls, pairs: Iterable[tuple[int, int]]) -> Durations:
        pairs = list(pairs)
        return cls(
            count=sum(n for _, n in pairs),
            total=sum(v * n for v, n in pairs),
            p90=nearest_rank(pairs),
        )


@dataclass(frozen=True)
class CaseTypeFigures:
    case_type: CaseType
    cases: int = 0
    outcomes: dict[Outcome, int] = field(default_factory=dict)
    tickets_issued: int = 0
    tickets_booked: int = 0
    tickets_remote: int = 0  #: taken from the phone (远程取号)
    tickets_assisted: int = 0  #: help asked for (帮办代办), whatever the channel
    no_shows: int = 0
    unserved: int = 0  #: still waiting or called when the center closed


@dataclass(frozen=True)
class WindowFigures:
    window: Window | None  #: None for cases recorded without a window
    cases: int
    by_case_type: dict[int, int]
    service: Durations
    no_shows: int


@dataclass(frozen=True)
class ClerkFigures:
    clerk: User | None  #: None for cases recorded without a clerk
    cases: int
    by_case_type: dict[int, int]
    service: Durations


@dataclass(frozen=True)
class ItemFigures:
    item: ServiceItem
    cases: int


@dataclass(frozen=True)
class LowRating:
    case_number: str
    rating: int
    comment: str
    created_dt: datetime


@dataclass(frozen=True)
class Satisfaction:
    count: int = 0
    total: int = 0  #: sum of the ratings
    low: int = 0  #: ratings of LOW_RATING or less
    low_commented: int = 0  #: of those, the ones with a comment
    comments: tuple[LowRating, ...] = ()  #: the latest LOW_COMMENTS_SHOWN of them

    @property
    def mean(self) -> float | None:
        return _mean(self.total, self.count)

    @property
    def low_share(self) -> float | None:
        """The share of the two lowest ratings, in percent rounded to 0.1."""
        return _mean(100 * self.low, self.count)


@dataclass(frozen=True)
class Figures:
    """Every figure of a scope over the days ``first`` … ``last`` (inclusive)."""

    scope: Scope
    first: date
    last: date
    case_types: list[CaseTypeFigures]
    wait: Durations
    service: Durations
    windows: list[WindowFigures]
    clerks: list[ClerkFigures]
    top_items: list[ItemFigures]
    satisfaction: Satisfaction

    @property
    def cases_total(self) -> int:
        return sum(t.cases for t in self.case_types)

    @property
    def outcomes_total(self) -> dict[Outcome, int]:
        return {o: sum(t.outcomes.get(o, 0) for t in self.case_types) for o in Outcome}

    @property
    def tickets_issued(self) -> int:
        return sum(t.tickets_issued for t in self.case_types)

    @property
    def tickets_booked(self) -> int:
        return sum(t.tickets_booked for t in self.case_types)

    @property
    def tickets_remote(self) -> int:
        return sum(t.tickets_remote for t in self.case_types)

    @property
    def tickets_assisted(self) -> int:
        return sum(t.tickets_assisted for t in self.case_types)

    @property
    def tickets_walk_in(self) -> int:
        return self.tickets_issued - self.tickets_booked - self.tickets_remote

    @property
    def no_shows(self) -> int:
        return sum(t.no_shows for t in self.case_types)

    @property
    def unserved(self) -> int:
        return sum(t.unserved for t in self.case_types)

    @property
    def counts(self) -> list[tuple[CaseType, int]]:
        return [(t.case_type, t.cases) for t in self.case_types]
