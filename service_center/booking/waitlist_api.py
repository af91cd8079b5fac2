"""The waiting-list API (候补): join a full day's line, read a place in line by its token,
take or decline a held place, leave. Same style as ``api.py``; shapes in
``waitlist_schemas.py``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import jsonify, url_for
from flask_babel import gettext as _

from ..api import bp, json_body
from ..api.schema import operation
from ..catalogue import services as catalogue
from ..catalogue.models import ServiceItem
from ..clock import now_utc
from ..db import committed_for_response
from ..i18n import locale_code
from ..privacy import mask_id_number, mask_name, mask_phone
from . import waitlist
from .api import BOOKING, _bookable, _invalid, appointment_json
from .limits import booking_limit
from .models import WaitlistEntry, WaitlistState
from .waitlist_schemas import WaitlistEntry as EntryShape
from .waitlist_schemas import WaitlistRequest

_TOKEN = {"token": "The place in line's token (from joining, or the offer's link)"}
#: no body is needed by the token's actions; one sent must still be a JSON object
_NO_BODY = "No body is needed (any body sent must be a JSON object; its fields are ignored)."


def entry_json(entry: WaitlistEntry, now: datetime) -> dict[str, Any]:
    """The entry as the API shows it: personal data masked."""
    offer = None
    if entry.state is WaitlistState.OFFERED and entry.offer_start_time and entry.offer_expires_dt:
        end = waitlist.offer_end_time(entry)
        offer = {
            "start": entry.offer_start_time.strftime("%H:%M"),
            "end": end.strftime("%H:%M") if end else "",
            "held_until": entry.offer_expires_dt.isoformat(),
            "open": waitlist.is_offer_open(entry, now),
        }
    item = entry.service_item
    return {
        "token": entry.token,
        "center": entry.center.code,
        "center_name": entry.center.name,
        "service": item.id,
        "service_name": item.name,
        "date": entry.service_date.isoformat(),
        "status": entry.state.value,
        "ahead": waitlist.people_ahead(entry) if entry.state is WaitlistState.WAITING else None,
        "offer": offer,
        "booking_code": entry.appointment.code if entry.appointment else None,
        "name": mask_name(entry.name),
        "phone": mask_phone(entry.phone),
        "id_number": mask_id_number(entry.id_number) or None,
    }


@bp.post("/waitlist")
@booking_limit
@operation(
    "Join the waiting list of a full day for one item",
    description="Only when every time of the day is full for the item (409 otherwise: book "
    "a free time instead). A place that frees up is offered to the first in line by text "
    "message to the phone given, and held for the center's hold time (then the next).",
    body=WaitlistRequest,
    responses={201: ("In line", EntryShape)},
    problems=(403, 409, 429),
    headers={201: {"Location": {"description": "the place in line", "schema": {"type": "string"}}}},
)
def join_waitlist(body: WaitlistRequest) -> Any:
    center, item = catalogue.find_center_and_item(body.center, body.service)
    if center is None:
        return _invalid({"center": [_("No service center has this code.")]})
    item = _bookable(center, item)
    if not isinstance(item, ServiceItem):
        return _invalid(item)
    now = now_utc()
    entry = waitlist.join_waitlist(
        center,
        item,
        body.date,
        name=body.name,
        phone=body.phone,
        id_number=body.id_number,
        now=now,
        locale=locale_code(),
    )
    with committed_for_response():
        response = jsonify(entry_json(entry, now))
        response.headers["Location"] = url_for(".get_waitlist_entry", token=entry.token)
    response.status_code = 201
    return response


@bp.get("/waitlist/<token>")
@operation(
    "A place on a waiting list: its state, the people ahead, the place held for it",
    path_descriptions=_TOKEN,
    responses={200: EntryShape},
    problems=(404,),
)
def get_waitlist_entry(token: str) -> Any:
    return jsonify(entry_json(waitlist.get_entry(token), now_utc()))


@bp.post("/waitlist/<token>/accept")
@operation(
    "Take the place held for this entry: it becomes a booking",
    description="Messages about the booking go to the entry's phone. " + _NO_BODY,
    path_descriptions=_TOKEN,
    responses={201: ("Booked", BOOKING)},
    problems=(400, 403, 404, 409, 413, 415),
)
def accept_waitlist_offer(token: str) -> Any:
    json_body()
    appointment = waitlist.accept_offer(token, now=now_utc())
    with committed_for_response():
        response = jsonify(appointment_json(appointment))
    response.status_code = 201
    return response


@bp.post("/waitlist/<token>/decline")
@operation(
    "Decline the place held for this entry: it goes to the next in line",
    description=_NO_BODY,
    path_descriptions=_TOKEN,
    responses={200: EntryShape},
    problems=(400, 404, 409, 413, 415),
)
def decline_waitlist_offer(token: str) -> Any:
    json_body()
    now = now_utc()
    entry = waitlist.decline_offer(token, now=now)
    with committed_for_response():
        return jsonify(entry_json(entry, now))


@bp.post("/waitlist/<token>/leave")
@operation(
    "Leave the waiting list (a place held for the entry goes to the next in line)",
    description=_NO_BODY,
    path_descriptions=_TOKEN,
    responses={200: EntryShape},
    problems=(400, 404, 409, 413, 415),
)
def leave_waitlist(token: str) -> Any:
    json_body()
    now = now_utc()
    entry = waitlist.leave_waitlist(token, now=now)
    with committed_for_response():
        return jsonify(entry_json(entry, now))
