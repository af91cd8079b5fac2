"""What a booking hands the resident: the QR code of its code and the .ics calendar entry."""

from __future__ import annotations

import io
from datetime import datetime, timedelta

import segno
from flask_babel import gettext as _
from icalendar import Alarm, Calendar, Event

from .codes import format_code
from .models import Appointment
from .services import checkin_window, slot_start


def qr_svg(code: str) -> bytes:
    """Return an SVG QR code holding the booking code (what the kiosk scanner reads)."""
    buffer = io.BytesIO()
    segno.make(code, error="m").save(
        buffer, kind="svg", scale=8, border=2, xmldecl=False, svgclass="qr", title=code
    )
    return buffer.getvalue()


def booking_ics(appointment: Appointment, *, now: datetime) -> bytes:
    """Return an iCalendar file with one event at the booking's slot, in the center's zone."""
    center, item = appointment.center, appointment.service_item
    start = slot_start(appointment)
    end = start.replace(hour=appointment.end_time.hour, minute=appointment.end_time.minute)
    opens, closes = checkin_window(appointment)
    lines = [
        _("Booking code: %(code)s", code=format_code(appointment.code)),
        _("Service item: %(name)s", name=item.name),
        _(
            "Check in at the kiosk in the hall between %(opens)s and %(closes)s.",
            opens=opens.strftime("%H:%M"),
            closes=closes.strftime("%H:%M"),
        ),
        "",
        _("What to bring:"),
        *[f"- {material}" for material in item.materials],
    ]
    if center.phone:
        lines += ["", _("Center telephone: %(phone)s", phone=center.phone)]

    event = Event()
    event.add("uid", f"{appointment.code}@service-center.booking")
    event.add("dtstamp", now)
    event.add("dtstart", start)
    event.add("dtend", end)
    event.add("summary", f"{item.name} · {center.name}")
    event.add("location", f"{center.name}, {center.address}" if center.address else center.name)
    event.add("description", "\n".join(lines))
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", item.name)
    alarm.add("trigger", timedelta(hours=-1))
    event.add_component(alarm)

    calendar = Calendar()
    calendar.add("prodid", "-//service_center//booking//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-timezone", center.timezone)
    calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()
