"""Centers and what they offer: case types, departments, service items, hours, closures."""

from __future__ import annotations

import re
from datetime import date, time
from typing import TYPE_CHECKING

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    false,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from .. import stamps
from ..db import db
from ..i18n import localized

if TYPE_CHECKING:
    from ..windows.models import Window


#: what a center's code may look like: it is a path segment of /book/, /kiosk/, /display/ …
CENTER_CODE = re.compile(r"[a-z0-9][a-z0-9-]{0,31}")
#: literal paths beside a center's code under /book/, /quality/ … (derived from the URL map in
#: tests/unit/test_center_codes.py): a center with one of these codes could not be reached
RESERVED_CENTER_CODES = frozenset(
    {"confirmation", "manage", "qr", "rectifications", "static", "waitlist"}
)


class CalendarRow:
    """A row of a center's calendar (its hours, closures, walk-in caps; the national notices).

    Changing one bumps the center's ``calendar_version`` in the same transaction
    (``catalogue/calendar_rows.py``): workers keep these rows per process by that version.
    Subclasses with a ``center_id`` column belong to that center; those without one (a loaded
    national notice) belong to every center.
    """


class Center(db.Model):
    """One convenience service center (便民服务中心) of the county."""

    __tablename__ = "centers"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)  #: in URLs, e.g. "zhuangzhai"
    case_prefix: Mapped[str] = mapped_column(String(8), unique=True)  #: "ZZ" in ZZ-20261127-0042
    name_zh: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(160))
    address_zh: Mapped[str] = mapped_column(String(200), default="")
    address_en: Mapped[str] = mapped_column(String(240), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    slot_minutes: Mapped[int] = mapped_column(default=30)
    slot_capacity: Mapped[int] = mapped_column(default=4)  #: bookings per slot, all items
    booking_horizon_days: Mapped[int] = mapped_column(default=14)
    kiosk_priority_enabled: Mapped[bool] = mapped_column(default=False)  #: 绿色通道 at the kiosk
    #: 到号提醒: a holder who opted in is told once this many or fewer are ahead of them
    notify_ahead: Mapped[int] = mapped_column(default=3, server_default="3")
    #: 远程取号: residents may take a ticket from their phone during opening hours, at most
    #: ``remote_daily_cap`` a day (none: no cap) and ``remote_per_phone`` per phone and day
    remote_tickets: Mapped[bool] = mapped_column(default=False, server_default=false())
    remote_daily_cap: Mapped[int | None]
    remote_per_phone: Mapped[int] = mapped_column(default=1, server_default="1")
    #: fair booking: ``noshow_limit`` missed bookings within 30 days (0: never) bar the phone
    #: and ID number from booking here for ``noshow_bar_days`` days
    noshow_limit: Mapped[int] = mapped_column(default=2, server_default="2")
    noshow_bar_days: Mapped[int] = mapped_column(default=30, server_default="30")
    #: a place freed on a full day is held this long for the first on its waiting list
    waitlist_hold_minutes: Mapped[int] = mapped_column(default=30, server_default="30")
    #: 差评整改: a rectification opened by a bad review is due within this many working days
    rectification_days: Mapped[int] = mapped_column(default=5, server_default="5")
    #: 服务时限: more tickets waiting than this is a breach (none: no limit)
    queue_limit: Mapped[int | None]
    #: a ticket served longer than this percentage of its item's standard minutes is a
    #: breach (none: no limit); the longest waits per case type are ``quality.WaitLimit``
    service_limit_percent: Mapped[int | None]
    #: the phone or e-mail address of the supervisor on duty: one message per breach
    duty_contact: Mapped[str | None] = mapped_column(String(254))
    #: bumped in the transaction of every write to the center's ``CalendarRow`` rows (hours,
    #: own days, walk-in caps): what their per-process copies are keyed by (calendar_rows.py)
    calendar_version: Mapped[int] = mapped_column(default=0, server_default="0")

    hours: Mapped[list[OpeningHours]] = relationship(
        back_populates="center", order_by="(OpeningHours.weekday, OpeningHours.open_time)"
    )
    windows: Mapped[list[Window]] = relationship(back_populates="center", order_by="Window.number")
    services: Mapped[list[ServiceItem]] = relationship(back_populates="center")

    __table_args__ = (
        CheckConstraint("slot_minutes BETWEEN 5 AND 240", name="slot_minutes_range"),
        CheckConstraint("slot_capacity >= 0", name="slot_capacity_nonnegative"),
        CheckConstraint("booking_horizon_days BETWEEN 0 AND 365", name="horizon_range"),
        CheckConstraint(
            "remote_daily_cap IS NULL OR remote_daily_cap >= 0", name="remote_cap_nonnegative"
        ),
        CheckConstraint("remote_per_phone >= 1", name="remote_per_phone_positive"),
        CheckConstraint("noshow_limit >= 0", name="noshow_limit_nonnegative"),
        CheckConstraint("noshow_bar_days BETWEEN 1 AND 365", name="noshow_bar_days_range"),
        CheckConstraint("waitlist_hold_minutes BETWEEN 5 AND 1440", name="waitlist_hold_range"),
        CheckConstraint("rectification_days BETWEEN 1 AND 60", name="rectification_days_range"),
        CheckConstraint("queue_limit IS NULL OR queue_limit >= 1", name="queue_limit_positive"),
        CheckConstraint(
            "service_limit_percent IS NULL OR service_limit_percent BETWEEN 100 AND 1000",
            name="service_limit_percent_range",
        ),
    )

    @validates("code")
    def _check_code(self, key: str, code: str) -> str:
        if not CENTER_CODE.fullmatch(code):
            raise ValueError(f"a center's code is lower-case letters, digits and '-': {code!r}")
        if code in RESERVED_CENTER_CODES:
            raise ValueError(f"{code!r} is a path of its own beside center codes, not a code")
        return code

    @property
    def name(self) -> str:
        return localized(self, "name")

    @property
    def address(self) -> str:
        return localized(self, "address")

    def __repr__(self) -> str:
        return f"<Center {self.code}>"


class CaseType(db.Model):
    """A case type (商事类 business, 投资类 investment, 民生类 livelihood): data, not code."""

    __tablename__ = "case_types"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    prefix: Mapped[str] = mapped_column(String(1), unique=True)  #: ticket letter, B in B017
    name_zh: Mapped[str] = mapped_column(String(40))
    name_en: Mapped[str] = mapped_column(String(60))
    position: Mapped[int] = mapped_column(default=0)

    __table_args__ = (CheckConstraint("prefix BETWEEN 'A' AND 'Z'", name="prefix_letter"),)

    @property
    def name(self) -> str:
        return localized(self, "name")

    def __repr__(self) -> str:
        return f"<CaseType {self.code}>"


class Department(db.Model):
    """A county bureau whose items the centers handle (市场监管局, 税务局, …)."""

    __tablename__ = "departments"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name_zh: Mapped[str] = mapped_column(String(80))
    name_en: Mapped[str] = mapped_column(String(120))

    @property
    def name(self) -> str:
        return localized(self, "name")


class ServiceItem(db.Model):
    """A service item (事项) a center offers: one case type, one department."""

    __tablename__ = "service_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    center_id: Mapped[int] = mapped_column(ForeignKey("centers.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(32))
    #: the national item code (事项编码), when the center has it; unique within the center
    national_code: Mapped[str | None] = mapped_column(String(64))
    name_zh: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(200))
    case_type_id: Mapped[int] = mapped_column(ForeignKey("case_types.id"))
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    materials_zh: Mapped[str] = mapped_column(Text, default="")  #: one material a line
    materials_en: Mapped[str] = mapped_column(Text, default="")
    is_on_the_spot: Mapped[bool] = mapped_column(default=True)  #: 即办件; else 承诺件
    time_limit_days: Mapped[int | None]  #: working days promised, for 承诺件
    service_minutes: Mapped[int] = mapped_column(default=10)  #: default service time
    slot_capacity: Mapped[int | None]  #: narrows the center's slot capacity for this item
    is_bookable: Mapped[bool] = mapped_column(default=True)
    #: taken from the phone too (远程取号) where the center allows remote tickets
    remote_allowed: Mapped[bool] = mapped_column(default=True, server_default=true())
    needs_applicant: Mapped[bool] = mapped_column(default=False)  #: desk asks name + phone
    is_active: Mapped[bool] = mapped_column(default=True)
    pinyin_initials: Mapped[str] = mapped_column(String(120), default="")  #: "yyzz…"
    pinyin_full: Mapped[str] = mapped_column(String(600), default="")

    center: Mapped[Center] = relationship(back_populates="services")
    case_type: Mapped[CaseType] = relationship()
    department: Mapped[Department] = relationship()

    __table_args__ = (
        UniqueConstraint("center_id", "code"),
        UniqueConstraint("center_id", "national_code"),
        CheckConstraint(
            "(is_on_the_spot AND time_limit_days IS NULL)"
            " OR (NOT is_on_the_spot AND time_limit_days >= 1)",
            name="on_the_spot_or_promised",
        ),
        CheckConstraint("service_minutes BETWEEN 1 AND 480", name="service_minutes_range"),
        CheckConstraint("slot_capacity IS NULL OR slot_capacity >= 0", name="slot_capacity_ok"),
        Index("ix_service_items_center_case_type", "center_id", "case_type_id"),
    )

    @property
    def name(self) -> str:
        return localized(self, "name")

    @property
    def materials(self) -> list[str]:
        text = localized(self, "materials")
        return [line.strip() for line in text.splitlines() if line.strip()]

    def __repr__(self) -> str:
        return f"<ServiceItem {self.code}>"


class OpeningHours(CalendarRow, db.Model):
    """One opening period of a center on a weekday (a lunch break is the gap between two)."""

    __tablename__ = "opening_hours"

    id: Mapped[int] = mapped_column(primary_key=True)
    center_id: Mapped[int] = mapped_column(ForeignKey("centers.id", ondelete="CASCADE"))
    weekday: Mapped[int]  #: 0 = Monday … 6 = Sunday
    open_time: Mapped[time]
    close_time: Mapped[time]

    center: Mapped[Center] = relationship(back_populates="hours")

    __table_args__ = (
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday_range"),
        CheckConstraint("open_time < close_time", name="opens_before_closing"),
        UniqueConstraint("center_id", "weekday", "open_time"),
    )


class CenterDay(CalendarRow, db.Model):
    """A center's own exception to the calendar: a closure or a special opening day."""

    __tablename__ = "center_days"

    id: Mapped[int] = mapped_column(primary_key=True)
    center_id: Mapped[int] = mapped_column(ForeignKey("centers.id", ondelete="CASCADE"))
    day: Mapped[date]
    is_open: Mapped[bool]  #: False closes a working day; True opens a day off
    reason_zh: Mapped[str] = mapped_column(String(120), default="")
    reason_en: Mapped[str] = mapped_column(String(160), default="")

    __table_args__ = (UniqueConstraint("center_id", "day"),)

    @property
    def reason(self) -> str:
        return localized(self, "reason")


class NoticeDay(CalendarRow, db.Model):
    """A day of a year's official arrangement (放假通知) as this deployment loaded it.

    A day off on a weekday or a working weekend (调休); the other days of a loaded year follow
    the week. Loading a year's notice replaces the library's or the rule's days for that year
    (``catalogue/holidays.py``).
    """

    __tablename__ = "notice_days"

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(index=True)
    day: Mapped[date] = mapped_column(unique=True)
    is_holiday: Mapped[bool]  #: True: a weekday off; False: a weekend worked (调休)
    name_zh: Mapped[str] = mapped_column(String(60), default="")
    name_en: Mapped[str] = mapped_column(String(80), default="")

    __table_args__ = (CheckConstraint("year BETWEEN 1900 AND 2999", name="notice_year_range"),)

    @property
    def name(self) -> str:
        return localized(self, "name")


# what the processes keep of these (the board, the polls, the search) is built afresh after a change
stamps.watch(Center, lambda c: (stamps.floor(c.id), stamps.catalogue(c.id)))
stamps.watch(ServiceItem, lambda i: (stamps.floor(i.center_id), stamps.catalogue(i.center_id)))
stamps.watch(CaseType, lambda _: (stamps.floor(stamps.EVERY), stamps.catalogue(stamps.EVERY)))
stamps.watch(Department, lambda _: (stamps.catalogue(stamps.EVERY),))
