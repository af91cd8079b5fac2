"""What each message says, in zh and en (Babel): short enough for one 70-character SMS where
the facts allow, never a name or an ID number. Each builder returns the ``text`` argument of
``outbox.enqueue``: callables run under the resident's language, and the template parameters
(for a provider with approved templates, such as Alibaba Cloud SMS)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from flask_babel import format_date
from flask_babel import gettext as _

from ..booking.models import Appointment
from ..catalogue.models import Center
from ..clock import to_local
from ..i18n import current_language
from ..quality import service_levels
from ..quality.models import Breach
from ..queueing.models import Ticket
from .outbox import public_link


def ahead(ticket: Ticket, people: int) -> dict[str, Any]:
    center = ticket.center
    if people == 0:
        return {
            "body": lambda: _(
                "%(center)s: ticket %(number)s is next. Please come to the hall.",
                center=center.name,
                number=ticket.number,
            ),
            "params": {"number": ticket.number, "people": "0"},
        }
    return {
        "body": lambda: _(
            "%(center)s: %(people)d ahead of ticket %(number)s. Please come back to the hall.",
            center=center.name,
            people=people,
            number=ticket.number,
        ),
        "params": {"number": ticket.number, "people": str(people)},
    }


def called(ticket: Ticket, window_number: int) -> dict[str, Any]:
    center = ticket.center
    return {
        "body": lambda: _(
            "%(center)s: ticket %(number)s, please go to window %(window)d.",
            center=center.name,
            number=ticket.number,
            window=window_number,
        ),
        "params": {"number": ticket.number, "window": str(window_number)},
    }


def taken(ticket: Ticket, people: int) -> dict[str, Any]:
    """远程取号: the number taken from the phone, and its page (where "I am in the hall" is)."""
    center = ticket.center
    link = public_link(f"/t/{ticket.token}")
    return {
        "body": lambda: _(
            "%(center)s: your number is %(number)s, %(people)d ahead. In the hall, confirm "
            "you are here: %(link)s",
            center=center.name,
            number=ticket.number,
            people=people,
            link=link,
        ),
        "params": {"number": ticket.number, "people": str(people), "link": link},
    }


def missed(ticket: Ticket, until: datetime) -> dict[str, Any]:
    center = ticket.center
    until_text = to_local(until, center.timezone).strftime("%H:%M")
    return {
        "body": lambda: _(
            "%(center)s: ticket %(number)s was missed. Before %(until)s, choose "
            "\u201cMissed your number? Get back in the queue\u201d at the kiosk.",
            center=center.name,
            number=ticket.number,
            until=until_text,
        ),
        "params": {"number": ticket.number, "until": until_text},
    }


def rate(ticket: Ticket) -> dict[str, Any]:
    center = ticket.center
    link = public_link(f"/t/{ticket.token}")
    return {
        "body": lambda: _(
            "%(center)s: ticket %(number)s is done. Please rate our service: %(link)s",
            center=center.name,
            number=ticket.number,
            link=link,
        ),
        "params": {"number": ticket.number, "link": link},
    }


def _when(appointment: Appointment) -> tuple[str, str]:
    return (
        appointment.service_date.isoformat(),
        appointment.start_time.strftime("%H:%M"),
    )


def _about_booking(appointment: Appointment, body: Callable[..., str]) -> dict[str, Any]:
    """A message about a booking: ``body`` says it with the booking's facts as keywords
    (center, day, start, code, link), in the resident's language."""
    day, start = _when(appointment)
    link = public_link(f"/book/manage/{appointment.code}")
    center = appointment.center
    return {
        "body": lambda: body(
            center=center.name,
            day=format_date(appointment.service_date, "medium"),
            start=start,
            code=appointment.code,
            link=link,
        ),
        "subject": lambda: _("Your booking at %(center)s", center=center.name),
        "params": {"day": day, "start": start, "code": appointment.code, "link": link},
    }


def booked(appointment: Appointment) -> dict[str, Any]:
    return _about_booking(
        appointment,
        lambda **facts: _(
            "%(center)s: booked for %(day)s %(start)s, code %(code)s. Manage: %(link)s", **facts
        ),
    )


def moved(appointment: Appointment) -> dict[str, Any]:
    return _about_booking(
        appointment,
        lambda **facts: _(
            "%(center)s: your booking %(code)s is now on %(day)s %(start)s. Manage: %(link)s",
            **facts,
        ),
    )


def cancelled(appointment: Appointment) -> dict[str, Any]:
    center = appointment.center
    return {
        "body": lambda: _(
            "%(center)s: your booking %(code)s is cancelled.",
            center=center.name,
            code=appointment.code,
        ),
        "subject": lambda: _("Your booking at %(center)s", center=center.name),
        "params": {"code": appointment.code},
    }


def warned(appointment: Appointment, strikes: int, limit: int, bar_days: int) -> dict[str, Any]:
    """Fair booking: a missed booking, before the bar (``booking.fairness``)."""
    return _about_booking(
        appointment,
        lambda **facts: _(
            "%(center)s: you missed your booking of %(day)s. After %(limit)d missed bookings "
            "in 30 days, booking closes for %(bar_days)d days.",
            limit=limit,
            bar_days=bar_days,
            **facts,
        ),
    ) | {"params": {"day": _when(appointment)[0], "limit": str(limit), "days": str(bar_days)}}


def barred(appointment: Appointment, until: date) -> dict[str, Any]:
    """Fair booking: missed bookings reached the center's limit."""
    center = appointment.center
    return {
        "body": lambda: _(
            "%(center)s: after missed bookings you cannot book here until %(until)s. "
            "Walk-in tickets stay open.",
            center=center.name,
            until=format_date(until, "medium"),
        ),
        "subject": lambda: _("Your booking at %(center)s", center=center.name),
        "params": {"until": until.isoformat()},
    }


def reminder(appointment: Appointment) -> dict[str, Any]:
    return _about_booking(
        appointment,
        lambda **facts: _(
            "%(center)s: reminder, your booking %(code)s is tomorrow at %(start)s. "
            "Change or cancel: %(link)s",
            **facts,
        ),
    )


def closure(appointment: Appointment, reason_zh: str, reason_en: str) -> dict[str, Any]:
    day, start = _when(appointment)
    link = public_link(f"/book/manage/{appointment.code}")
    center = appointment.center

    def body() -> str:
        reason = reason_en if current_language() == "en" and reason_en else reason_zh
        return _(
            "%(center)s is closed on %(day)s%(reason)s. Your booking %(code)s cannot take "
            "place; please move it: %(link)s",
            center=center.name,
            day=format_date(appointment.service_date, "medium"),
            reason=f" ({reason})" if reason else "",
            code=appointment.code,
            link=link,
        )

    return {
        "body": body,
        "subject": lambda: _("Your booking at %(center)s", center=center.name),
        "params": {"day": day, "code": appointment.code, "link": link},
    }


def breach(breach: Breach, center: Center) -> dict[str, Any]:
    """服务时限预警 to the supervisor on duty: what, since when and the limit; no ticket
    holder's data (the ticket numbers are on the live floor)."""
    since = to_local(breach.started_dt, center.timezone).strftime("%H:%M")
    return {
        "body": lambda: _(
            "%(center)s service-level alert: %(what)s, since %(since)s.",
            center=center.name,
            what=service_levels.describe(breach),
            since=since,
        ),
        "subject": lambda: _("Service-level alert at %(center)s", center=center.name),
        "params": {
            "kind": breach.kind.value,
            "limit": str(breach.limit_value),
            "since": since,
        },
    }
