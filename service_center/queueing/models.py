"""Tickets, their events, the cases they close into, ratings and the per-day counters."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .. import stamps
from ..catalogue.models import CalendarRow
from ..db import UTCDateTime, db, str_enum
from ..errors import Conflict

if TYPE_CHECKING:
    from ..auth.models import User
    from ..booking.models import Appointment
    from ..catalogue.models import CaseType, Center, ServiceItem
    from ..windows.models import Window


class TicketState(enum.StrEnum):
    WAITING = "waiting"
    CALLED = "called"
    SERVING = "serving"
    DONE = "done"
    NO_SHOW = "no_show"
    CANCELLED = "cancelled"
    #: still waiting or called when the center closed for the day (``closing.close_day``)
    UNSERVED = "unserved"


#: the states a ticket ends in
FINAL_STATES = (
    TicketState.DONE,
    TicketState.NO_SHOW,
    TicketState.CANCELLED,
    TicketState.UNSERVED,
)


class EventKind(enum.StrEnum):
    ISSUED = "issued"
    CALLED = "called"
    RECALLED = "recalled"
    STARTED = "started"
    TRANSFERRED = "transferred"
    COMPLETED = "completed"
    NO_SHOW = "no_show"
    REQUEUED = "requeued"
    PRIORITISED = "prioritised"  #: staff moved a waiting ticket into the priority lane
    CANCELLED = "cancelled"
    UNSERVED = "unserved"  #: the day closed before the ticket was served
    #: the clerk took back their no-show within QUEUE_NO_SHOW_UNDO_SECONDS: called again
    REINSTATED = "reinstated"


class Outcome(enum.StrEnum):
    COMPLETED = "completed"  #: 办结
    DOCUMENTS_MISSING = "documents_missing"  #: 补正
    NOT_ACCEPTED = "not_accepted"  #: 不予受理


class DailyCounter(db.Model):
    """The last number handed out per center, service day and series ("B", "case")."""

    __tablename__ = "daily_counters"

    center_id: Mapped[int] = mapped_column(
        ForeignKey("centers.id", ondelete="CASCADE"), primary_key=True
    )
    service_date: Mapped[date] = mapped_column(primary_key=True)
    series: Mapped[str] = mapped_column(String(16), primary_key=True)
    last_value: Mapped[int] = mapped_column(default=0)


class WalkInCap(CalendarRow, db.Model):
    """A center's optional cap on walk-in tickets per day for one case type."""

    __tablename__ = "walk_in_caps"

    center_id: Mapped[int] = mapped_column(
        ForeignKey("centers.id", ondelete="CASCADE"), primary_key=True
    )
    case_type_id: Mapped[int] = mapped_column(ForeignKey("case_types.id"), primary_key=True)
    daily_cap: Mapped[int]

    __table_args__ = (CheckConstraint("daily_cap >= 0", name="cap_nonnegative"),)


class TicketPrefix(CalendarRow, db.Model):
    """A center's own ticket letter for a case type (without one, the case type's letter).

    A calendar row: kept per worker by the center's version, so a change holds from the next
    request and issuing reads no extra row.
    """

    __tablename__ = "ticket_prefixes"

    center_id: Mapped[int] = mapped_column(
        ForeignKey("centers.id", ondelete="CASCADE"), primary_key=True
    )
    case_type_id: Mapped[int] = mapped_column(ForeignKey("case_types.id"), primary_key=True)
    prefix: Mapped[str] = mapped_column(String(1))

    __table_args__ = (
        CheckConstraint("prefix BETWEEN 'A' AND 'Z'", name="ticket_prefix_letter"),
        UniqueConstraint("center_id", "prefix"),
    )


class InvalidTransition(Conflict):
    default_message = _l("This action does not fit the ticket's status.")


#: the one table of allowed moves: action → the states a ticket may take it from (the
#: ``Ticket.mark_*`` transitions check it; call-next picks waiting tickets in SQL)
ALLOWED: dict[str, tuple[TicketState, ...]] = {
    "call": (TicketState.WAITING,),
    "recall": (TicketState.CALLED,),
    "start": (TicketState.CALLED,),
    "no_show": (TicketState.CALLED,),
    "transfer": (TicketState.CALLED, TicketState.SERVING),
    "complete": (TicketState.SERVING,),
    "cancel": (TicketState.WAITING,),
    "requeue": (TicketState.NO_SHOW,),
    # the clerk who marked the no-show takes it back at once (``lifecycle.undo_no_show``)
    "undo_no_show": (TicketState.NO_SHOW,),
    # a remote ticket whose holder has not said they are in the hall, at its call
    "not_arrived": (TicketState.WAITING,),
    # the end of the day: a ticket served right now stays with its clerk until the day is over
    "close_unserved": (TicketState.WAITING, TicketState.CALLED, TicketState.SERVING),
}

#: the moves staff make at a window (the rest the system makes: the end of the day, a remote
#: holder not in the hall when called)
STAFF_ACTIONS = tuple(
    action for action in ALLOWED if action not in ("close_unserved", "not_arrived")
)

STATE_LABELS = {
    TicketState.WAITING: _l("waiting"),
    TicketState.CALLED: _l("called"),
    TicketState.SERVING: _l("being served"),
    TicketState.DONE: _l("done"),
    TicketState.NO_SHOW: _l("a no-show"),
    TicketState.CANCELLED: _l("cancelled"),
    TicketState.UNSERVED: _l("not served: the center closed"),
}

ACTION_LABELS = {
    "recall": _l("recalled"),
    "start": _l("started"),
    "no_show": _l("marked no-show"),
    "transfer": _l("transferred"),
    "complete": _l("completed"),
    "cancel": _l("cancelled"),
    "requeue": _l("put back in the queue"),
    "undo_no_show": _l("called again (no-show undone)"),
    "close_unserved": _l("closed unserved"),
    "not_arrived": _l("marked not arrived"),
}


class Ticket(db.Model):
    """A queue ticket (号票): issued at the kiosk or by checking a booking in."""

    __tablename__ = "tickets"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(32), unique=True)  #: in the QR code; unguessable
    center_id: Mapped[int] = mapped_column(ForeignKey("centers.id", ondelete="CASCADE"))
    service_date: Mapped[date]  #: the center's local day of issue
    number: Mapped[str] = mapped_column(String(8))  #: "B017"
    service_item_id: Mapped[int] = mapped_column(ForeignKey("service_items.id"))
    case_type_id: Mapped[int] = mapped_column(ForeignKey("case_types.id"))
    state: Mapped[TicketState] = mapped_column(
        str_enum(TicketState, "ticket_state"), default=TicketState.WAITING
    )
    is_priority: Mapped[bool] = mapped_column(default=False)  #: 绿色通道
    is_booked: Mapped[bool] = mapped_column(default=False)  #: a booking checked in on time
    #: 远程取号: taken from the phone; called only once ``arrived_dt`` says the holder is in
    #: the hall (the kiosk scanned its QR, or its page's "I have arrived")
    is_remote: Mapped[bool] = mapped_column(default=False, server_default=false())
    arrived_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: 帮办代办: the holder asked for help (elderly, disabled, no smartphone); the desk sees it
    is_assisted: Mapped[bool] = mapped_column(default=False, server_default=false())
    issued_dt: Mapped[datetime] = mapped_column(UTCDateTime)
    queued_dt: Mapped[datetime] = mapped_column(UTCDateTime)  #: place in time; kept on transfer
    window_id: Mapped[int | None] = mapped_column(ForeignKey("windows.id", ondelete="SET NULL"))
    #: set by a transfer to a window: the ticket waits for that window alone, at its head
    transfer_window_id: Mapped[int | None] = mapped_column(
        ForeignKey("windows.id", ondelete="SET NULL")
    )
    call_count: Mapped[int] = mapped_column(default=0)
    first_called_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    called_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    started_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    is_requeued: Mapped[bool] = mapped_column(default=False)  #: a no-show gets one requeue
    applicant_name: Mapped[str | None] = mapped_column(String(60))
    applicant_phone: Mapped[str | None] = mapped_column(String(20))
    #: 到号提醒: where the holder asked to be told (a mobile number or an e-mail address),
    #: with the time of that consent; erased when the ticket closes
    notify_address: Mapped[str | None] = mapped_column(String(254))
    notify_consent_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    notify_locale: Mapped[str | None] = mapped_column(String(8))  #: the messages' language
    #: the holder has been told their turn is near (again after a requeue)
    notify_near_told: Mapped[bool] = mapped_column(default=False, server_default=false())

    center: Mapped[Center] = relationship()
    service_item: Mapped[ServiceItem] = relationship()
    case_type: Mapped[CaseType] = relationship()
    window: Mapped[Window | None] = relationship(foreign_keys=[window_id])
    transfer_window: Mapped[Window | None] = relationship(foreign_keys=[transfer_window_id])
    appointment: Mapped[Appointment | None] = relationship(back_populates="ticket")
    case: Mapped[Case | None] = relationship(back_populates="ticket")

    __table_args__ = (
        UniqueConstraint("center_id", "service_date", "number"),
        CheckConstraint("call_count >= 0", name="call_count_nonnegative"),
        CheckConstraint(
            "state NOT IN ('called', 'serving') OR window_id IS NOT NULL",
            name="current_ticket_has_window",
        ),
        # the waiting line of one center and day, in arrival order
        Index("ix_tickets_queue", "center_id", "state", "queued_dt"),
        Index("ix_tickets_window_state", "window_id", "state"),
        # a window holds at most one current ticket, whatever the app processes do
        Index(
            "uq_tickets_one_current_per_window",
            "window_id",
            unique=True,
            sqlite_where=text("state IN ('called', 'serving')"),
            postgresql_where=text("state IN ('called', 'serving')"),
        ),
        Index("ix_tickets_day", "center_id", "service_date", "case_type_id"),
        # the opted-in waiting tickets of a center not yet told their turn is near, oldest
        # first ("N ahead"): empty when nobody opted in
        Index(
            "ix_tickets_notify_waiting",
            "center_id",
            "queued_dt",
            sqlite_where=text(
                "state = 'waiting' AND notify_address IS NOT NULL AND NOT notify_near_told"
            ),
            postgresql_where=text(
                "state = 'waiting' AND notify_address IS NOT NULL AND NOT notify_near_told"
            ),
        ),
    )

    @property
    def is_current(self) -> bool:
        return self.state in (TicketState.CALLED, TicketState.SERVING)

    def can(self, action: str) -> bool:
        """Tell whether ``action`` fits the ticket's status (``ALLOWED``)."""
        return self.state in ALLOWED[action]

    def require(self, action: str) -> None:
        """:raises InvalidTransition: unless ``action`` fits the ticket's status."""
        if not self.can(action):
            raise InvalidTransition(
                _(
                    "Ticket %(number)s is %(state)s; it cannot be %(action)s.",
                    number=self.number,
                    state=STATE_LABELS[self.state],
                    action=ACTION_LABELS[action],
                )
            )

    def mark_called(self, window_id: int, now: datetime) -> None:
        """Call the ticket to the window ``window_id`` (its first call is kept)."""
        self.require("call")
        self.state = TicketState.CALLED
        self.window_id = window_id
        self.transfer_window_id = None
        self.call_count += 1
        self.called_dt = now
        if self.first_called_dt is None:
            self.first_called_dt = now

    def mark_recalled(self, now: datetime) -> None:
        self.require("recall")
        self.call_count += 1
        self.called_dt = now

    def mark_started(self, now: datetime) -> None:
        self.require("start")
        self.state = TicketState.SERVING
        self.started_dt = now

    def mark_no_show(self, now: datetime) -> None:
        self.require("no_show")
        self.state = TicketState.NO_SHOW
        self.finished_dt = now

    def mark_reinstated(self, now: datetime) -> None:
        """Take the no-show back: called at the same window again, as before it."""
        self.require("undo_no_show")
        self.state = TicketState.CALLED
        self.finished_dt = None

    def mark_not_arrived(self, window_id: int, now: datetime) -> None:
        """A remote ticket reached the head of ``window_id``'s queue before its holder said
        they were in the hall: a no-show at once (the requeue rule applies), never a call."""
        self.require("not_arrived")
        self.state = TicketState.NO_SHOW
        self.window_id = window_id
        self.transfer_window_id = None
        self.finished_dt = now

    def mark_arrived(self, now: datetime) -> None:
        """The holder of a remote ticket is in the hall (kept from the first time)."""
        if self.arrived_dt is None:
            self.arrived_dt = now

    @property
    def is_away(self) -> bool:
        """A remote ticket whose holder has not yet said they are in the hall."""
        return self.is_remote and self.arrived_dt is None

    def mark_transferred(
        self, now: datetime, *, window_id: int | None, item: ServiceItem | None
    ) -> None:
        """Wait again, keeping the place in time: for the window ``window_id`` alone (called
        there first) or for every window handling the ticket's (new) ``item``."""
        self.require("transfer")
        if item is not None:
            self.service_item = item
            self.case_type = item.case_type
        self.state = TicketState.WAITING
        self.window_id = None
        self.started_dt = None
        self.transfer_window_id = window_id

    def mark_done(self, now: datetime) -> None:
        self.require("complete")
        self.state = TicketState.DONE
        self.finished_dt = now

    def mark_cancelled(self, now: datetime) -> None:
        self.require("cancel")
        self.state = TicketState.CANCELLED
        self.finished_dt = now

    def mark_requeued(self, now: datetime) -> None:
        """Wait again once, behind everyone waiting now."""
        self.require("requeue")
        self.state = TicketState.WAITING
        self.is_requeued = True
        self.notify_near_told = False
        if self.is_remote:  # put back at the kiosk or a desk: the holder is in the hall
            self.mark_arrived(now)
        self.queued_dt = now
        self.window_id = None
        self.finished_dt = None

    def mark_unserved(self, now: datetime) -> None:
        """End the ticket unserved: the center closed before it was (fully) served."""
        self.require("close_unserved")
        self.state = TicketState.UNSERVED
        self.transfer_window_id = None
        self.finished_dt = now

    @property
    def is_final(self) -> bool:
        return self.state in FINAL_STATES

    def __repr__(self) -> str:
        return f"<Ticket {self.number} {self.state}>"


class TicketEvent(db.Model):
    """One state change of a ticket, with its time, window and actor: the audit trail."""

    __tablename__ = "ticket_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    center_id: Mapped[int] = mapped_column(ForeignKey("centers.id", ondelete="CASCADE"))
    kind: Mapped[EventKind] = mapped_column(str_enum(EventKind, "event_kind"))
    at_dt: Mapped[datetime] = mapped_column(UTCDateTime)
    window_id: Mapped[int | None] = mapped_column(ForeignKey("windows.id", ondelete="SET NULL"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    detail: Mapped[str] = mapped_column(String(200), default="")
    #: the item the ticket waits for from this event on: set where it is chosen (issued) or
    #: changed (a transfer to another item), so the events alone retell every count
    service_item_id: Mapped[int | None] = mapped_column(ForeignKey("service_items.id"))

    ticket: Mapped[Ticket] = relationship()
    window: Mapped[Window | None] = relationship()
    actor: Mapped[User | None] = relationship()

    __table_args__ = (
        Index("ix_ticket_events_ticket", "ticket_id", "at_dt"),
        Index("ix_ticket_events_center_kind_at", "center_id", "kind", "at_dt"),
    )


class Case(db.Model):
    """A case (办件) recorded when a clerk completes a ticket; what the reports count."""

    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)  #: ZZ-20261127-0042
    center_id: Mapped[int] = mapped_column(ForeignKey("centers.id", ondelete="CASCADE"))
    service_date: Mapped[date]  #: the center's local day of completion
    ticket_id: Mapped[int | None] = mapped_column(
        ForeignKey("tickets.id", ondelete="SET NULL"), unique=True
    )
    service_item_id: Mapped[int] = mapped_column(ForeignKey("service_items.id"))
    case_type_id: Mapped[int] = mapped_column(ForeignKey("case_types.id"))
    outcome: Mapped[Outcome] = mapped_column(str_enum(Outcome, "outcome"))
    clerk_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    window_id: Mapped[int | None] = mapped_column(ForeignKey("windows.id", ondelete="SET NULL"))
    is_booked: Mapped[bool] = mapped_column(default=False)
    is_remote: Mapped[bool] = mapped_column(default=False, server_default=false())
    issued_dt: Mapped[datetime] = mapped_column(UTCDateTime)
    first_called_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    started_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_dt: Mapped[datetime] = mapped_column(UTCDateTime)
    wait_seconds: Mapped[int | None]  #: issue or check-in → first call
    service_seconds: Mapped[int | None]  #: start → complete
    applicant_name: Mapped[str | None] = mapped_column(String(60))
    applicant_phone: Mapped[str | None] = mapped_column(String(20))
    notes: Mapped[str] = mapped_column(Text, default="")
    #: ``privacy.keyed_hash`` of the resident's phone (the applicant's, the booking's or the
    #: one they asked to be told at): how a repeat visit is recognised (一次办成率)
    phone_key: Mapped[str | None] = mapped_column(String(32))
    #: documents missing (补正): the item's materials the resident lacked, one a line
    missing_materials: Mapped[str] = mapped_column(Text, default="", server_default="")

    ticket: Mapped[Ticket | None] = relationship(back_populates="case")
    service_item: Mapped[ServiceItem] = relationship()
    case_type: Mapped[CaseType] = relationship()
    clerk: Mapped[User | None] = relationship()
    window: Mapped[Window | None] = relationship()
    evaluation: Mapped[Evaluation | None] = relationship(back_populates="case")

    __table_args__ = (
        CheckConstraint("wait_seconds IS NULL OR wait_seconds >= 0", name="wait_nonnegative"),
        CheckConstraint(
            "service_seconds IS NULL OR service_seconds >= 0", name="service_nonnegative"
        ),
        # covering index of the daily/range counts per case type and outcome
        Index("ix_cases_day_type", "center_id", "service_date", "case_type_id", "outcome"),
        Index("ix_cases_date_type", "service_date", "case_type_id"),
        # the item's latest cases: the mean service time of every estimated wait
        Index("ix_cases_item_completed", "service_item_id", "completed_dt"),
        # the one-trip rate: the same resident back for the same item within 30 days
        Index("ix_cases_phone_item", "phone_key", "service_item_id", "service_date"),
    )


class Evaluation(db.Model):
    """The resident's one satisfaction rating (好差评) of a case, 5 best … 1 worst."""

    __tablename__ = "evaluations"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), unique=True)
    center_id: Mapped[int] = mapped_column(ForeignKey("centers.id", ondelete="CASCADE"))
    service_date: Mapped[date]  #: the case's day, so ratings count with their cases
    rating: Mapped[int]
    comment: Mapped[str] = mapped_column(Text, default="")
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime)
    #: the national scheme's optional sub-ratings of in-person service, 1–5 each
    efficiency: Mapped[int | None]  #: 办事效率
    attitude: Mapped[int | None]  #: 服务态度
    service_level: Mapped[int | None]  #: 服务水平
    #: the resident agreed to be called back about this rating (a bad review's 回访)
    follow_up_consent: Mapped[bool] = mapped_column(default=False, server_default=false())

    case: Mapped[Case] = relationship(back_populates="evaluation")

    __table_args__ = (
        CheckConstraint("rating BETWEEN 1 AND 5", name="rating_range"),
        CheckConstraint(
            "efficiency IS NULL OR efficiency BETWEEN 1 AND 5", name="efficiency_range"
        ),
        CheckConstraint("attitude IS NULL OR attitude BETWEEN 1 AND 5", name="attitude_range"),
        CheckConstraint(
            "service_level IS NULL OR service_level BETWEEN 1 AND 5", name="service_level_range"
        ),
        Index("ix_evaluations_day", "center_id", "service_date"),
        # the low ratings with a comment of a range (reports: the newest 20 of them)
        Index(
            "ix_evaluations_low_day",
            "center_id",
            "service_date",
            "created_dt",
            sqlite_where=text("rating <= 2 AND comment <> ''"),
            postgresql_where=text("rating <= 2 AND comment <> ''"),
        ),
    )


#: every change of a ticket moves its center's board and the waits of those behind it
for _model in (Ticket, TicketEvent, TicketPrefix):
    stamps.watch(_model, lambda row: (stamps.floor(row.center_id),))
