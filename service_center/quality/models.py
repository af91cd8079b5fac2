"""Rectifications of bad reviews, the centers' service-level limits and their breaches."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import UTCDateTime, db, str_enum

if TYPE_CHECKING:
    from ..auth.models import User
    from ..catalogue.models import CaseType
    from ..queueing.models import Case, Evaluation
    from ..windows.models import Window


class RectificationState(enum.StrEnum):
    """差评整改: open → verified → rectified → followed up (回访), or → appealed → upheld
    (the review stands: rectify it) / overturned (the review was unfounded)."""

    OPEN = "open"
    VERIFIED = "verified"  #: the supervisor checked what happened (the finding)
    RECTIFIED = "rectified"  #: what was done about it
    FOLLOWED_UP = "followed_up"  #: the resident was called back: satisfied or not (final)
    APPEALED = "appealed"  #: the center contests the review
    UPHELD = "upheld"  #: the appeal failed: the review stands and is rectified
    OVERTURNED = "overturned"  #: the appeal succeeded (final); still counted in raw figures


#: the states an item ends in: no deadline runs any more, the resident's contact is erased
FINAL_RECTIFICATION_STATES = frozenset(
    {RectificationState.FOLLOWED_UP, RectificationState.OVERTURNED}
)


class FollowUpAnswer(enum.StrEnum):
    SATISFIED = "satisfied"
    NOT_SATISFIED = "not_satisfied"


class Rectification(db.Model):
    """The rectification (差评整改) a rating of 1 or 2 opens: one per rated case."""

    __tablename__ = "rectifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    center_id: Mapped[int] = mapped_column(ForeignKey("centers.id", ondelete="CASCADE"))
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), unique=True)
    evaluation_id: Mapped[int] = mapped_column(
        ForeignKey("evaluations.id", ondelete="CASCADE"), unique=True
    )
    state: Mapped[RectificationState] = mapped_column(
        str_enum(RectificationState, "rectification_state"), default=RectificationState.OPEN
    )
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    opened_dt: Mapped[datetime] = mapped_column(UTCDateTime)
    opened_date: Mapped[date]  #: the center's local day it opened
    due_date: Mapped[date]  #: the last working day to close it (the center's calendar)
    closed_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_date: Mapped[date | None]  #: the center's local day it closed
    finding: Mapped[str] = mapped_column(Text, default="")  #: verified: what happened
    action: Mapped[str] = mapped_column(Text, default="")  #: rectified: what was done
    follow_up_answer: Mapped[FollowUpAnswer | None] = mapped_column(
        str_enum(FollowUpAnswer, "follow_up_answer")
    )
    follow_up_note: Mapped[str] = mapped_column(Text, default="")
    appeal_reason: Mapped[str] = mapped_column(Text, default="")
    decision_note: Mapped[str] = mapped_column(Text, default="")
    #: the resident's phone for the follow-up call, kept only if they agreed when rating;
    #: shown only to the assignee while the item is open, erased when it ends
    contact: Mapped[str | None] = mapped_column(String(254))

    case: Mapped[Case] = relationship()
    evaluation: Mapped[Evaluation] = relationship()
    assignee: Mapped[User | None] = relationship()

    __table_args__ = (
        Index("ix_rectifications_center_state", "center_id", "state", "due_date"),
        Index("ix_rectifications_center_opened", "center_id", "opened_date"),
    )

    @property
    def is_final(self) -> bool:
        return self.state in FINAL_RECTIFICATION_STATES

    def is_overdue(self, today: date) -> bool:
        """Past its deadline as of ``today``: still open after ``due_date``, or closed after it
        (a close later than ``today`` does not count yet: the rankings of a past month)."""
        end = today if self.closed_date is None else min(self.closed_date, today)
        return end > self.due_date


class WaitLimit(db.Model):
    """The longest acceptable wait of a center's case type (服务时限: 等候)."""

    __tablename__ = "wait_limits"

    id: Mapped[int] = mapped_column(primary_key=True)
    center_id: Mapped[int] = mapped_column(ForeignKey("centers.id", ondelete="CASCADE"))
    case_type_id: Mapped[int] = mapped_column(ForeignKey("case_types.id", ondelete="CASCADE"))
    minutes: Mapped[int]

    case_type: Mapped[CaseType] = relationship()

    __table_args__ = (
        UniqueConstraint("center_id", "case_type_id"),
        CheckConstraint("minutes BETWEEN 1 AND 600", name="minutes_range"),
    )


class BreachKind(enum.StrEnum):
    WAIT = "wait"  #: a ticket of a case type waited longer than its limit
    QUEUE = "queue"  #: more tickets waiting than the center's limit
    SERVICE = "service"  #: a window served one ticket longer than its item's standard allows


class Breach(db.Model):
    """One breach of a service-level limit, from when it began to when it ended.

    At most one is open per center and subject (a case type's wait, the queue, a window's
    service): a check that sees it again extends it, so the supervisor is told once.
    """

    __tablename__ = "breaches"

    id: Mapped[int] = mapped_column(primary_key=True)
    center_id: Mapped[int] = mapped_column(ForeignKey("centers.id", ondelete="CASCADE"))
    kind: Mapped[BreachKind] = mapped_column(str_enum(BreachKind, "breach_kind"))
    #: "wait:<case type id>", "queue", "service:<window id>": what one open breach is about
    subject: Mapped[str] = mapped_column(String(40))
    case_type_id: Mapped[int | None] = mapped_column(
        ForeignKey("case_types.id", ondelete="SET NULL")
    )
    window_id: Mapped[int | None] = mapped_column(ForeignKey("windows.id", ondelete="SET NULL"))
    service_date: Mapped[date]  #: the center's local day it began
    started_dt: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    limit_value: Mapped[int]  #: minutes (wait, service) or tickets (queue)
    worst_value: Mapped[int]  #: the worst seen while it lasted, in the same unit
    #: the ticket numbers seen over the limit while it lasted, comma-separated
    tickets: Mapped[str] = mapped_column(Text, default="")
    #: the ticket ids behind ``tickets`` (evidence of a rectification), comma-separated
    ticket_ids: Mapped[str] = mapped_column(Text, default="")

    case_type: Mapped[CaseType | None] = relationship()
    window: Mapped[Window | None] = relationship()

    __table_args__ = (
        Index(
            "ux_breaches_open_subject",
            "center_id",
            "subject",
            unique=True,
            sqlite_where=text("ended_dt IS NULL"),
            postgresql_where=text("ended_dt IS NULL"),
        ),
        Index("ix_breaches_center_day", "center_id", "service_date"),
    )
