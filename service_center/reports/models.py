"""Stored per-day summaries of the range report (see ``reports.summaries``)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..db import db


class ReportDay(db.Model):
    """Every figure a range report needs of one closed local day of one center, as JSON.

    With ``month`` set, of the whole calendar month starting on ``service_date``: a year's
    range then adds a dozen months and the days at its ends, not 365 days.
    """

    __tablename__ = "report_days"

    center_id: Mapped[int] = mapped_column(
        ForeignKey("centers.id", ondelete="CASCADE"), primary_key=True
    )
    month: Mapped[bool] = mapped_column(primary_key=True)
    service_date: Mapped[date] = mapped_column(primary_key=True)
    #: random, shared with the day's ``ReportDayTimes`` rows: proves they were stored together
    stamp: Mapped[int]
    figures: Mapped[str] = mapped_column(Text)


class ReportDayTimes(db.Model):
    """The exact waiting or service times of one minute of one summarised day (or month).

    ``seconds`` lists "second-in-the-minute:how-many" pairs; the day's JSON holds only the
    count per minute, so a range reads the exact seconds of the one minute its 90th
    percentile falls in, not of every minute.
    """

    __tablename__ = "report_day_times"

    center_id: Mapped[int] = mapped_column(
        ForeignKey("centers.id", ondelete="CASCADE"), primary_key=True
    )
    metric: Mapped[str] = mapped_column(String(1), primary_key=True)  #: "w" wait, "s" service
    minute: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[bool] = mapped_column(primary_key=True)
    service_date: Mapped[date] = mapped_column(primary_key=True)
    stamp: Mapped[int]
    seconds: Mapped[str] = mapped_column(Text)

    #: dropping a day's rows (``summaries.forget``) reads this, not the whole center
    __table_args__ = (Index("ix_report_day_times_day", "center_id", "service_date"),)


class ReportGeneration(db.Model):
    """Bumped by every write that drops a center's summaries; storing checks it is unchanged."""

    __tablename__ = "report_generations"

    center_id: Mapped[int] = mapped_column(
        ForeignKey("centers.id", ondelete="CASCADE"), primary_key=True
    )
    generation: Mapped[int] = mapped_column(default=0)
