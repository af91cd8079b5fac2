"""What the public booking API takes and answers under /api/v1: slots, bookings, check-in.

One declaration per shape: the input models check the shape of a request (and the personal
data, with the validators' own messages); whether the center exists and offers the item, or the
day and slot are on offer, is the domain's question (it needs the database). The output models
document the answers (and the test suite checks every answer against them). A check-in answers
the queue's ``Ticket``.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal

from flask_babel import lazy_gettext as _l
from pydantic import BeforeValidator, WithJsonSchema
from pydantic_core import PydanticCustomError

from ..api.schema import (
    Field,
    Input,
    IsoDate,
    Output,
    Says,
    StrictBool,
    StrictInt,
    StrictStr,
    Text,
    checked,
)
from ..validators import (
    ID_NUMBER_LENGTH,
    NAME_MAX,
    PHONE_INPUT_MAX,
    clean_id_number,
    clean_mobile,
    clean_name,
)

#: the longest code or other short text a booking request may carry
MAX_TEXT = 100

#: the messages these fields said before the declarations (kept: clients and tests rely on them)
GIVE_ITEM_ID = _l("Give the item's id.")
GIVE_TIME = _l("Give a time as HH:MM.")
ENTER_NAME = _l("Enter your name.")
ENTER_PHONE = _l("Enter your mobile phone number.")
ENTER_BOOKING_PHONE = _l("Enter the phone number the booking was made with.")

_HH_MM = re.compile(r"\d{2}:\d{2}")


def _missing() -> PydanticCustomError:
    """Said as the field's ``missing`` message (``This field is required.`` by default)."""
    return PydanticCustomError("missing", "")


def _null_is_missing(value: Any) -> Any:
    """A JSON null counts as an absent field, as the hand-written checks had it."""
    if value is None:
        raise _missing()
    return value


def _item_id(value: Any) -> Any:
    """An item id: a JSON integer, or digits (a query string is text anyway)."""
    if value is None or value == "":
        raise _missing()
    if isinstance(value, str) and value.isdigit() and len(value) <= 9:
        return int(value)
    return value


def _clock_time(value: Any) -> Any:
    if isinstance(value, dt.time):
        return value
    if value is None or value == "":
        raise _missing()
    if not isinstance(value, str) or not _HH_MM.fullmatch(value):
        raise PydanticCustomError("clock_time", "")
    try:
        return dt.time.fromisoformat(value)
    except ValueError:
        raise PydanticCustomError("clock_time", "") from None


def _text_given(value: Any) -> Any:
    """Anything but non-empty text is an absent field (the look-ups' phone, as before)."""
    if not isinstance(value, str) or not value:
        raise _missing()
    return value


#: a service item's id, as a JSON integer or a digit string
ItemId = Annotated[
    StrictInt,
    Field(gt=0, lt=2**31, description="the service item's id"),
    BeforeValidator(_item_id),
    WithJsonSchema({"type": "integer", "description": "the service item's id"}),
    Says(invalid=GIVE_ITEM_ID),
]

#: a slot's start, HH:MM in the center's time zone
ClockTime = Annotated[
    dt.time,
    BeforeValidator(_clock_time),
    WithJsonSchema({"type": "string", "pattern": r"^\d{2}:\d{2}$", "examples": ["09:00"]}),
    Says(invalid=GIVE_TIME),
]

#: the phone a booking was made with, to find it again (normalized to 11 digits)
BookingPhone = Annotated[
    StrictStr,
    checked(clean_mobile),
    BeforeValidator(_text_given),
    Field(
        description="The mobile number the booking was made with (+86 accepted)",
        json_schema_extra={"minLength": 1, "maxLength": PHONE_INPUT_MAX},
    ),
    Says(missing=ENTER_BOOKING_PHONE),
]


# ---------------------------------------------------------------------------- requests


#: a resident ID number, optional (the booking's and the waiting list's)
OptionalIdNumber = Annotated[
    StrictStr | None,
    checked(clean_id_number),
    WithJsonSchema(
        {
            "type": ["string", "null"],
            "minLength": ID_NUMBER_LENGTH,
            "maxLength": ID_NUMBER_LENGTH,
            "description": "resident ID number, optional (empty: none)",
        }
    ),
]


class SlotQuery(Input):
    service: ItemId
    date: IsoDate


class AppointmentRequest(Input):
    center: Annotated[Text(MAX_TEXT), BeforeValidator(_null_is_missing)]
    service: ItemId
    date: IsoDate
    start: ClockTime
    name: Annotated[
        StrictStr,
        checked(clean_name),
        BeforeValidator(_null_is_missing),
        Field(json_schema_extra={"maxLength": NAME_MAX}),
        Says(missing=ENTER_NAME),
    ]
    phone: Annotated[
        StrictStr,
        checked(clean_mobile),
        BeforeValidator(_null_is_missing),
        Field(description="Mainland mobile; +86/0086 stripped"),
        Says(missing=ENTER_PHONE),
    ]
    id_number: OptionalIdNumber = None
    notify: Annotated[
        StrictBool,
        Field(description="the resident agrees to text messages about this booking"),
    ] = False
    assisted: Annotated[
        StrictBool,
        Field(
            description="帮办代办: the resident asks for help at the center (elderly, disabled, "
            "no smartphone); a booking made by the center's staff (a bearer token) is assisted "
            "and records who made it"
        ),
    ] = False


class AppointmentLookup(Input):
    phone: BookingPhone


class Reschedule(Input):
    phone: BookingPhone
    date: IsoDate
    start: ClockTime


# ---------------------------------------------------------------------------- answers


class Slot(Output):
    start: str = Field(examples=["09:00"])
    end: str = Field(examples=["09:30"])
    capacity: int
    remaining: int = Field(description="places left")


class SlotDay(Output):
    date: dt.date
    open: bool
    reason: str = Field(None, description="why the day is closed (absent when open)")
    slots: list[Slot]


class CheckInWindow(Output):
    opens: dt.datetime
    closes: dt.datetime


class Appointment(Output):
    """A booking as the API shows it: personal data masked."""

    code: str
    display_code: str
    center: str
    center_name: str
    service: int
    service_name: str
    date: dt.date
    start: str = Field(examples=["09:00"])
    end: str = Field(examples=["09:30"])
    status: Literal["booked", "cancelled", "checked_in", "no_show"]
    name: str = Field(description="masked")
    phone: str = Field(description="masked")
    id_number: str | None = Field(description="masked")
    assisted: bool = Field(description="帮办代办: help asked for (or booked by staff)")
    check_in: CheckInWindow
    materials: list[str]
    day_open: bool = Field(
        description="false when the center closed the booked day after booking "
        "(its own closure or the year's holiday notice): move or cancel"
    )
    day_closed_reason: str | None
