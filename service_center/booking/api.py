"""Public booking API: a day's slots, booking, look-up, cancel, move and check-in.

The shapes are declared in ``schemas.py`` (``@operation`` checks the input against them and
documents each route); whether the center exists and offers the item, and whether the day and
slot are on offer, are the domain's questions, answered here and in ``services``.
"""

from __future__ import annotations

from typing import Any

from flask import json, jsonify, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..api import bp, json_body
from ..api.schema import InvalidInput, operation, parse
from ..catalogue import services as catalogue
from ..catalogue.calendar import day_status
from ..catalogue.models import Center, ServiceItem
from ..clock import now_utc
from ..db import committed_for_response, db
from ..errors import Invalid, problem
from ..i18n import locale_code
from ..privacy import mask_id_number, mask_name, mask_phone
from ..queueing.formats import ticket_json
from ..queueing.schemas import Ticket
from . import availability, codes, schemas, services
from .limits import booking_limit, checkin_limit, lookup_limit
from .models import Appointment
from .schemas import AppointmentLookup, AppointmentRequest, Reschedule, SlotDay, SlotQuery

Errors = dict[str, list[str]]

#: the answer of every route that shows a booking
BOOKING = schemas.Appointment


def appointment_json(appointment: Appointment) -> dict[str, Any]:
    """The booking as the API shows it: personal data masked."""
    opens, closes = services.checkin_window(appointment)
    item = appointment.service_item
    day = day_status(appointment.center, appointment.service_date)
    return {
        "code": appointment.code,
        "display_code": codes.format_code(appointment.code),
        "center": appointment.center.code,
        "center_name": appointment.center.name,
        "service": item.id,
        "service_name": item.name,
        "date": appointment.service_date.isoformat(),
        "start": appointment.start_time.strftime("%H:%M"),
        "end": appointment.end_time.strftime("%H:%M"),
        "status": appointment.state.value,
        "name": mask_name(appointment.name),
        "phone": mask_phone(appointment.phone),
        "id_number": mask_id_number(appointment.id_number) or None,
        "assisted": appointment.is_assisted,
        "check_in": {"opens": opens.isoformat(), "closes": closes.isoformat()},
        "materials": item.materials,
        #: False when the center closed the day after the booking was made (a closure, or the
        #: year's holiday notice): the resident should move or cancel, not come
        "day_open": day.is_open,
        "day_closed_reason": None if day.is_open else day.reason,
    }


def _invalid(errors: Errors) -> Any:
    return problem(422, _("Please correct the fields marked."), errors=errors)


def _bookable(center: Center, item: ServiceItem | None) -> ServiceItem | Errors:
    """``item`` if residents may book it at ``center``, else the field error to answer."""
    try:
        return availability.check_bookable_item(center, item)
    except Invalid as exc:
        return {"service": [str(exc)]}


_CODE = {"code": "The booking code (dashes and spaces ignored)"}


@bp.get("/centers/<code>/slots")
@operation(
    "A day's booking slots for one item, with the places left",
    query=SlotQuery,
    responses={200: SlotDay},
    problems=(404,),
)
def list_slots(code: str, query: SlotQuery) -> Any:
    center = catalogue.get_center(code)
    item = _bookable(center, db.session.get(ServiceItem, query.service))
    if not isinstance(item, ServiceItem):
        return _invalid(item)
    status, slots = availability.list_slots(center, item, query.date, now=now_utc())
    body: dict[str, Any] = {
        "date": query.date.isoformat(),
        "open": status.is_open,
        "slots": [
            {
                "start": s.start.strftime("%H:%M"),
                "end": s.end.strftime("%H:%M"),
                "capacity": s.capacity,
                "remaining": s.remaining,
            }
            for s in slots
        ],
    }
    if status.reason:
        body["reason"] = status.reason
    return jsonify(body)


@bp.post("/appointments")
@booking_limit
@operation(
    "Book a slot",
    body=AppointmentRequest,
    responses={201: ("Booked", BOOKING)},
    problems=(409, 429),
    headers={
        201: {
            "Location": {
                "description": "where to look the booking up (with ?phone=)",
                "schema": {"type": "string"},
            }
        }
    },
)
def create_appointment(body: AppointmentRequest) -> Any:
    center, item = catalogue.find_center_and_item(body.center, body.service)
    if center is None:
        return _invalid({"center": [_("No service center has this code.")]})
    item = _bookable(center, item)
    if not isinstance(item, ServiceItem):
        return _invalid(item)
    appointment = services.book_appointment(
        center,
        item,
        body.date,
        body.start,
        name=body.name,
        phone=body.phone,
        id_number=body.id_number,
        now=now_utc(),
        notify=body.notify,
        locale=locale_code(),
        assisted=body.assisted,
        helper=current_user if current_user.is_authenticated else None,
    )
    with committed_for_response():
        response = jsonify(appointment_json(appointment))
        response.headers["Location"] = url_for(".get_appointment", code=appointment.code)
    response.status_code = 201
    return response


#: the header that carries the phone of a look-up: a URL would leave it in access logs
PHONE_HEADER = "X-Booking-Phone"


@bp.get("/appointments/<code>")
@lookup_limit
@operation(
    "Look a booking up by code and phone (personal data masked)",
    description=f"The phone number goes in the `{PHONE_HEADER}` header. The former "
    "`?phone=` in the address answers 410: an address is written to access logs.",
    path_descriptions=_CODE,
    parameters=(
        {
            "name": PHONE_HEADER,
            "in": "header",
            "required": True,
            "description": "the phone number the booking was made with",
            "schema": {"type": "string"},
        },
    ),
    responses={200: BOOKING},
    problems=(404, 410, 422, 429),
)
def get_appointment(code: str) -> Any:
    if "phone" in request.args:
        return problem(
            410,
            _(
                "Send the phone number in the %(header)s header, not in the address.",
                header=PHONE_HEADER,
            ),
        )
    try:
        lookup = parse(AppointmentLookup, {"phone": request.headers.get(PHONE_HEADER)})
    except InvalidInput as exc:
        return exc.response()
    return jsonify(appointment_json(services.find_appointment(code, lookup.phone)))


@bp.post("/appointments/<code>/cancel")
@lookup_limit
@operation(
    "Cancel a booking; its place is freed",
    path_descriptions=_CODE,
    body=AppointmentLookup,
    responses={200: BOOKING},
    problems=(404, 409, 429),
)
def cancel_appointment(code: str, body: AppointmentLookup) -> Any:
    appointment = services.find_appointment(code, body.phone)
    appointment = services.cancel_appointment(appointment, now=now_utc())
    with committed_for_response():
        return jsonify(appointment_json(appointment))


@bp.post("/appointments/<code>/reschedule")
@lookup_limit
@operation(
    "Move a booking to another slot in one transaction",
    path_descriptions=_CODE,
    body=Reschedule,
    responses={200: BOOKING},
    problems=(404, 409, 429),
)
def reschedule_appointment(code: str, body: Reschedule) -> Any:
    appointment = services.find_appointment(code, body.phone)
    appointment = services.reschedule_appointment(appointment, body.date, body.start, now=now_utc())
    with committed_for_response():
        return jsonify(appointment_json(appointment))


@bp.post("/appointments/<code>/check-in")
@checkin_limit
@operation(
    "Check a booking in at the hall and get a ticket flagged booked",
    description=(
        "Open from BOOKING_CHECKIN_EARLY_MINUTES before the slot to "
        "BOOKING_CHECKIN_LATE_MINUTES after its start. Too late: 409 with "
        "`walk_in: {center, service}` for a walk-in ticket instead. No body is needed (any "
        "body sent must be a JSON object; its fields are ignored)."
    ),
    path_descriptions=_CODE,
    responses={201: ("The ticket, booked: true", Ticket)},
    problems=(400, 404, 409, 415, 429),
)
def check_in(code: str) -> Any:
    json_body()  # the code alone suffices; a body, if any, must still be JSON
    now = now_utc()
    try:
        ticket = services.check_in(code, now=now)
    except services.CheckInTooLate as exc:
        db.session.rollback()
        response = problem(409, str(exc))
        body = json.loads(response.get_data())
        body["walk_in"] = {"center": exc.center_code, "service": exc.service_id}
        response.set_data(json.dumps(body))
        return response
    with committed_for_response():
        response = jsonify(ticket_json(ticket, now=now))
    response.status_code = 201
    return response


# the waiting list's routes (they answer bookings as above)
from . import waitlist_api  # noqa: E402, F401
