"""Who sees what: a report's scope (one center, or the county) and the limits of its range."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import ColumnElement, and_

from ..auth.models import Role, User
from ..catalogue.models import Center
from ..catalogue.services import get_center, list_centers
from ..clock import local_date
from ..errors import Forbidden
from ..queueing.models import Case, Ticket

#: the longest range of the range page and the per-case CSV (a leap year)
RANGE_MAX_DAYS = 366
#: the longest range of totals: the API's totals, "since" totals and the per-day CSV (10 years)
TOTALS_MAX_DAYS = 3653
#: ratings at or below this are "the two lowest" (1 非常不满意, 2 不满意)
LOW_RATING = 2
TOP_ITEMS = 10
LOW_COMMENTS_SHOWN = 20
PERCENTILE = 90
ALL_CENTERS = "all"


@dataclass(frozen=True)
class Scope:
    """The centers a report covers: one center, or every center of the county."""

    centers: tuple[Center, ...]
    is_county: bool = False

    @property
    def center(self) -> Center | None:
        return None if self.is_county else self.centers[0]

    @property
    def code(self) -> str:
        return ALL_CENTERS if self.is_county else self.centers[0].code

    @property
    def center_ids(self) -> list[int]:
        return [c.id for c in self.centers]

    @property
    def timezone(self) -> str:
        return self.centers[0].timezone if not self.is_county else current_app.config["TIMEZONE"]

    def today(self, now: datetime) -> date:
        """The scope's local day at ``now``."""
        return local_date(now, self.timezone)


def scope_for(user: User, code: str | None) -> Scope:
    """Resolve a report's ``center`` parameter for ``user``.

    Empty means the user's own center (county administrators: every center); ``all`` means
    every center and is for county administrators only.

    :raises Forbidden: for clerks, and for a center (or ``all``) the user may not supervise.
    :raises NotFound: for an unknown center code.
    """
    if user.role not in (Role.SUPERVISOR, Role.ADMIN):
        raise Forbidden(_("Reports are for supervisors and administrators."))
    county_wide = user.role is Role.ADMIN and user.center_id is None
    code = (code or "").strip()
    if not code:
        code = ALL_CENTERS if county_wide else user.center.code
    if code == ALL_CENTERS:
        if not county_wide:
            raise Forbidden(_("Only county administrators see the figures of every center."))
        return Scope(tuple(list_centers()), is_county=True)
    center = get_center(code)
    if not user.can_supervise(center.id):
        raise Forbidden(_("You may see the figures of your own center only."))
    return Scope((center,))


def cases_in(scope: Scope, first: date, last: date) -> ColumnElement[bool]:
    # center_id IN (…) keeps one index range scan per center, also for the whole county
    return and_(Case.center_id.in_(scope.center_ids), Case.service_date.between(first, last))


def tickets_in(scope: Scope, first: date, last: date) -> ColumnElement[bool]:
    return and_(Ticket.center_id.in_(scope.center_ids), Ticket.service_date.between(first, last))
