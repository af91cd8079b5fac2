"""A window (窗口) in a center's hall and the items it can handle."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    String,
    Table,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .. import stamps
from ..db import UTCDateTime, db, str_enum
from ..i18n import localized

if TYPE_CHECKING:
    from ..auth.models import User
    from ..catalogue.models import Center, ServiceItem


class WindowState(enum.StrEnum):
    OPEN = "open"
    PAUSED = "paused"
    CLOSED = "closed"


window_services = Table(
    "window_services",
    db.metadata,
    Column("window_id", ForeignKey("windows.id", ondelete="CASCADE"), primary_key=True),
    Column("service_item_id", ForeignKey("service_items.id", ondelete="CASCADE"), primary_key=True),
    # the windows that handle an item (a ticket's windows; the key leads with the window)
    Index("ix_window_services_item", "service_item_id"),
)

#: the windows a clerk may staff, as their center's administrators gave them (none: any window
#: of the center)
window_staff = Table(
    "window_staff",
    db.metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("window_id", ForeignKey("windows.id", ondelete="CASCADE"), primary_key=True),
)


class Window(db.Model):
    """A window; a comprehensive window (综合窗口) handles every item of its center."""

    __tablename__ = "windows"

    id: Mapped[int] = mapped_column(primary_key=True)
    center_id: Mapped[int] = mapped_column(ForeignKey("centers.id", ondelete="CASCADE"))
    number: Mapped[int]  #: painted above the window: "5 号窗口"
    name_zh: Mapped[str] = mapped_column(String(80))
    name_en: Mapped[str] = mapped_column(String(120))
    is_comprehensive: Mapped[bool] = mapped_column(default=False)
    state: Mapped[WindowState] = mapped_column(
        str_enum(WindowState, "window_state"), default=WindowState.CLOSED
    )
    clerk_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), unique=True
    )  #: the clerk signed on today; a clerk staffs one window at a time
    clerk_since_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    state_changed_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: when the window was retired: it keeps its history, but nobody staffs it again and no
    #: list, queue or screen shows it (a window with history is never deleted)
    retired_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)

    center: Mapped[Center] = relationship(back_populates="windows")
    services: Mapped[list[ServiceItem]] = relationship(secondary=window_services)
    clerk: Mapped[User | None] = relationship()
    staff: Mapped[list[User]] = relationship(secondary=window_staff)

    __table_args__ = (
        UniqueConstraint("center_id", "number"),
        CheckConstraint("number >= 1", name="number_positive"),
    )

    @property
    def name(self) -> str:
        return localized(self, "name")

    @property
    def is_retired(self) -> bool:
        return self.retired_dt is not None

    def handles(self, item: ServiceItem) -> bool:
        """Tell whether this window can serve ``item``."""
        if item.center_id != self.center_id:
            return False
        return self.is_comprehensive or any(s.id == item.id for s in self.services)

    def __repr__(self) -> str:
        return f"<Window {self.center_id}#{self.number}>"


#: a window opened, paused, staffed, renamed or given other items: the board and the waits move
stamps.watch(Window, lambda w: (stamps.floor(w.center_id),))
