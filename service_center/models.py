"""Every model of every area, imported in one place so metadata and migrations see them all."""

from .audit import AuditRecord
from .auth.models import ApiToken, Role, User
from .booking.models import Appointment, AppointmentState, BookingSlot
from .catalogue.models import CaseType, Center, CenterDay, Department, OpeningHours, ServiceItem
from .notifications.models import Notification, NotificationKind, NotificationState
from .quality.models import Breach, BreachKind, Rectification, RectificationState, WaitLimit
from .queueing.models import (
    Case,
    DailyCounter,
    Evaluation,
    EventKind,
    Outcome,
    Ticket,
    TicketEvent,
    TicketPrefix,
    TicketState,
    WalkInCap,
)
from .reports.models import ReportDay, ReportDayTimes, ReportGeneration
from .windows.models import Window, WindowState, window_services, window_staff

__all__ = [
    "Breach",
    "BreachKind",
    "Rectification",
    "RectificationState",
    "WaitLimit",
    "ApiToken",
    "Appointment",
    "AuditRecord",
    "AppointmentState",
    "BookingSlot",
    "Case",
    "CaseType",
    "Center",
    "CenterDay",
    "DailyCounter",
    "Department",
    "EventKind",
    "Notification",
    "NotificationKind",
    "NotificationState",
    "Evaluation",
    "OpeningHours",
    "Outcome",
    "ReportDay",
    "ReportDayTimes",
    "ReportGeneration",
    "Role",
    "ServiceItem",
    "Ticket",
    "TicketEvent",
    "TicketPrefix",
    "TicketState",
    "User",
    "WalkInCap",
    "Window",
    "WindowState",
    "window_services",
    "window_staff",
]
