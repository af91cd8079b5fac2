"""Public booking API: a day's slots, booking, look-up, cancel, move and check-in."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, time
from typing import Any

from flask import json, jsonify, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from ..api import bp, json_body
from ..catalogue import services as catalogue
from ..catalogue.calendar import day_status
from ..catalogue.models import Center, ServiceItem
from ..clock import now_utc, parse_iso_date
from ..db import committed_for_response, db
from ..errors import Invalid, problem
from ..privacy import mask_id_number, mask_name, mask_phone
from ..queueing.formats import ticket_json
from ..validators import PersonalDataError, clean_id_number, clean_mobile, clean_name
from . import (
    api_spec,  # noqa: F401  (documents these routes)
    availability,
    codes,
    services,
)
from .limits import booking_limit, checkin_limit, lookup_limit
from .models import Appointment

_TIME = re.compile(r"\d{2}:\d{2}")
MAX_TEXT = 100

Errors = dict[str, list[str]]


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
        "check_in": {"opens": opens.isoformat(), "closes": closes.isoformat()},
        "materials": item.materials,
        #: False when the center closed the day after the booking was made (a closure, or the
        #: year's holiday notice): the resident should move or cancel, not come
        "day_open": day.is_open,
        "day_closed_reason": None if day.is_open else day.reason,
    }


def _text(data: dict[str, Any], key: str, errors: Errors, *, required: bool = True) -> str | None:
    value = data.get(key)
    if value is None or value == "":
        if required:
            errors[key] = [_("This field is required.")]
        return None
    if not isinstance(value, str):
        errors[key] = [_("Send this field as text.")]
        return None
    if len(value) > MAX_TEXT:
        errors[key] = [_("This field is too long (at most %(n)d characters).", n=MAX_TEXT)]
        return None
    return value


def _date(data: dict[str, Any], key: str, errors: Errors) -> date | None:
    value = _text(data, key, errors)
    if value is None:
        return None
    day = parse_iso_date(value)
    if day is None:
        errors[key] = [_("Give a real date as YYYY-MM-DD.")]
    return day


def _time(data: dict[str, Any], key: str, errors: Errors) -> time | None:
    value = _text(data, key, errors)
    if value is None:
        return None
    try:
        if not _TIME.fullmatch(value):
            raise ValueError(value)
        return time.fromisoformat(value)
    except ValueError:
        errors[key] = [_("Give a time as HH:MM.")]
        return None


def _service_id(value: Any, errors: Errors) -> int | None:
    if isinstance(value, str) and value.isdigit() and len(value) <= 9:
        return int(value)
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**31:
        return value
    errors["service"] = (
        [_("This field is required.")] if value in (None, "") else [_("Give the item's id.")]
    )
    return None


def _personal(
    data: dict[str, Any], key: str, check: Callable[[Any], Any], errors: Errors, **kw: Any
) -> Any:
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        errors[key] = [_("Send this field as text.")]
        return None
    try:
        return check(value, **kw)
    except PersonalDataError as exc:
        errors[key] = [str(exc)]
        return None


def _invalid(errors: Errors) -> Any:
    return problem(422, _("Please correct the fields marked."), errors=errors)


def _center(code: str | None, errors: Errors) -> Center | None:
    if code is None:
        return None
    center = db.session.scalar(select(Center).where(Center.code == code))
    if center is None:
        errors["center"] = [_("No service center has this code.")]
    return center


def _item(center: Center | None, service_id: int | None, errors: Errors) -> ServiceItem | None:
    if center is None or service_id is None:
        return None
    try:
        return availability.check_bookable_item(center, db.session.get(ServiceItem, service_id))
    except Invalid as exc:
        errors["service"] = [str(exc)]
        return None


def _center_and_item(
    code: str | None, service_id: int | None, errors: Errors
) -> tuple[Center | None, ServiceItem | None]:
    """``_center`` and ``_item`` in one statement when both are given."""
    if code is None or service_id is None:
        return _center(code, errors), None
    center, item = catalogue.find_center_and_item(code, service_id)
    if center is None:
        errors["center"] = [_("No service center has this code.")]
        return None, None
    try:
        return center, availability.check_bookable_item(center, item)
    except Invalid as exc:
        errors["service"] = [str(exc)]
        return center, None


@bp.get("/centers/<code>/slots")
def list_slots(code: str) -> Any:
    center = catalogue.get_center(code)
    errors: Errors = {}
    item = _item(center, _service_id(request.args.get("service"), errors), errors)
    day = _date(request.args, "date", errors)
    if errors:
        return _invalid(errors)
    assert item is not None and day is not None
    status, slots = availability.list_slots(center, item, day, now=now_utc())
    body: dict[str, Any] = {
        "date": day.isoformat(),
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
def create_appointment() -> Any:
    data = json_body()
    errors: Errors = {}
    code = _text(data, "center", errors)
    center, item = _center_and_item(code, _service_id(data.get("service"), errors), errors)
    day = _date(data, "date", errors)
    start = _time(data, "start", errors)
    name = _personal(data, "name", clean_name, errors)
    phone = _personal(data, "phone", clean_mobile, errors)
    id_number = _personal(data, "id_number", clean_id_number, errors)
    if errors:
        return _invalid(errors)
    assert center is not None and day is not None and start is not None
    appointment = services.book_appointment(
        center, item, day, start, name=name, phone=phone, id_number=id_number, now=now_utc()
    )
    with committed_for_response():
        response = jsonify(appointment_json(appointment))
        response.headers["Location"] = url_for(".get_appointment", code=appointment.code)
    response.status_code = 201
    return response


def _lookup(code: str, data: dict[str, Any]) -> Appointment:
    phone = data.get("phone")
    if not isinstance(phone, str) or not phone:
        raise Invalid(_("Enter the phone number the booking was made with."), field="phone")
    return services.find_appointment(code, phone)


@bp.get("/appointments/<code>")
@lookup_limit
def get_appointment(code: str) -> Any:
    return jsonify(appointment_json(_lookup(code, request.args)))


@bp.post("/appointments/<code>/cancel")
@lookup_limit
def cancel_appointment(code: str) -> Any:
    appointment = _lookup(code, json_body())
    appointment = services.cancel_appointment(appointment, now=now_utc())
    with committed_for_response():
        return jsonify(appointment_json(appointment))


@bp.post("/appointments/<code>/reschedule")
@lookup_limit
def reschedule_appointment(code: str) -> Any:
    data = json_body()
    errors: Errors = {}
    day = _date(data, "date", errors)
    start = _time(data, "start", errors)
    if errors:
        return _invalid(errors)
    assert day is not None and start is not None
    appointment = services.reschedule_appointment(_lookup(code, data), day, start, now=now_utc())
    with committed_for_response():
        return jsonify(appointment_json(appointment))


@bp.post("/appointments/<code>/check-in")
@checkin_limit
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
