"""What the admin area's JSON API under /api/v1/admin takes and answers.

The input models check the shape of a request (strict numbers and booleans, text lengths, text
stripped); the rules that need the database or span fields (a number in range and free, a code
not taken, a time zone that exists …) are the domain functions', which name the field they
refuse. A POST takes every setting (those left out take their default); a PUT takes only the
settings to change (those left out keep their value). The output models document the answers
(and the test suite checks every answer against them).
"""

from __future__ import annotations

import base64
import binascii
from datetime import date, datetime
from typing import Annotated, Any, Literal

from flask_babel import gettext as _
from pydantic import BeforeValidator, ConfigDict, StringConstraints, WithJsonSchema, create_model

from ..api.schema import (
    Field,
    Input,
    IsoDate,
    Output,
    StrictBool,
    StrictInt,
    StrictStr,
    checked,
)
from .calendar import parse_periods
from .trail import OBJECT_TYPES


def TextLine(max_length: int) -> Any:  # noqa: N802  (reads as a type)
    """Text that must not be blank, stripped of surrounding spaces."""
    return Annotated[
        StrictStr, StringConstraints(strip_whitespace=True, min_length=1, max_length=max_length)
    ]


def MaybeText(max_length: int) -> Any:  # noqa: N802
    """Text that may be empty, stripped of surrounding spaces."""
    return Annotated[StrictStr, StringConstraints(strip_whitespace=True, max_length=max_length)]


Ids = list[StrictInt]
RoleName = Literal["clerk", "supervisor", "admin"]
WindowStatus = Literal["open", "paused", "closed"]


# ---------------------------------------------------------------------------- PUT bodies


def _sent_only(schema: dict[str, Any]) -> None:
    """A field left out of a PUT keeps its value: the document shows no default for it."""
    for prop in schema.get("properties", {}).values():
        if "default" in prop and prop["default"] is None:
            del prop["default"]


class Changes(Input):
    """A PUT body: the fields sent replace the current values, those left out keep theirs."""

    model_config = ConfigDict(json_schema_extra=_sent_only)

    def sent(self) -> dict[str, Any]:
        """The fields the caller sent (null included: it clears a field that may be empty)."""
        return self.model_dump(exclude_unset=True)


def changes_of(model: type[Input], name: str, doc: str) -> type[Changes]:
    """The PUT body of ``model``: the same fields and checks, none of them required."""
    fields: dict[str, Any] = {}
    for field_name, info in model.model_fields.items():
        annotation: Any = info.annotation
        if info.metadata:
            annotation = Annotated[(annotation, *info.metadata)]
        fields[field_name] = (annotation, Field(None, description=info.description))
    return create_model(name, __base__=Changes, __doc__=doc, __module__=__name__, **fields)


# ---------------------------------------------------------------------------- centers


class AdminNewCenter(Input):
    """A center to create (county administrators)."""

    code: Annotated[
        TextLine(32),
        Field(description="in the center's addresses: lower-case letters, digits and dashes"),
    ]
    case_prefix: Annotated[
        TextLine(8), Field(description="capital letters: ZZ for ZZ-20261127-0042")
    ]
    name_zh: TextLine(120)
    name_en: TextLine(160)
    address_zh: MaybeText(200) = ""
    address_en: MaybeText(240) = ""
    phone: MaybeText(40) = ""
    timezone: Annotated[TextLine(64), Field(description="an IANA time zone")] = "Asia/Shanghai"
    slot_minutes: Annotated[StrictInt, Field(description="a booking slot's length: 5 to 240")] = 30
    slot_capacity: Annotated[StrictInt, Field(description="bookings per slot: 0 to 1000")] = 4
    booking_horizon_days: Annotated[
        StrictInt, Field(description="bookings open this many days ahead: 0 to 365")
    ] = 14
    kiosk_priority_enabled: Annotated[
        StrictBool, Field(description="the priority lane (绿色通道) at the kiosk")
    ] = False
    notify_ahead: Annotated[
        StrictInt,
        Field(description="到号提醒: tell a holder who opted in at this many ahead: 0 to 20"),
    ] = 3
    remote_tickets: Annotated[
        StrictBool, Field(description="远程取号: tickets from the phone during opening hours")
    ] = False
    remote_daily_cap: Annotated[
        StrictInt | None,
        Field(description="tickets from the phone a day: 0 to 10000; null: no cap"),
    ] = None
    remote_per_phone: Annotated[
        StrictInt, Field(description="tickets from the phone per phone number a day: 1 to 10")
    ] = 1
    noshow_limit: Annotated[
        StrictInt,
        Field(description="missed bookings within 30 days that bar booking: 0 (never) to 10"),
    ] = 2
    noshow_bar_days: Annotated[StrictInt, Field(description="days a bar lasts: 1 to 365")] = 30
    waitlist_hold_minutes: Annotated[
        StrictInt,
        Field(description="minutes a freed place is held for the waiting list: 5 to 1440"),
    ] = 30
    rectification_days: Annotated[
        StrictInt, Field(description="差评整改: working days to rectify a bad review: 1 to 60")
    ] = 5
    queue_limit: Annotated[
        StrictInt | None,
        Field(description="服务时限: alert when more tickets wait: 1 to 10000; null: none"),
    ] = None
    service_limit_percent: Annotated[
        StrictInt | None,
        Field(
            description="alert when one ticket is served longer than this % of its item's "
            "standard time: 100 to 1000; null: none"
        ),
    ] = None
    duty_contact: Annotated[
        MaybeText(254) | None,
        Field(description="the supervisor on duty's mobile or e-mail for alerts; null: none"),
    ] = None


AdminCenterChanges = changes_of(
    AdminNewCenter,
    "AdminCenterChanges",
    "A center's settings to change. Only county administrators change the code (its addresses "
    "change with it); for anyone else a code sent is ignored and the center keeps its own.",
)


class AdminCenter(Output):
    id: int
    code: str
    case_prefix: str
    name_zh: str
    name_en: str
    address_zh: str
    address_en: str
    phone: str
    timezone: str
    slot_minutes: int
    slot_capacity: int
    booking_horizon_days: int
    kiosk_priority_enabled: bool
    notify_ahead: int
    remote_tickets: bool
    remote_daily_cap: int | None
    remote_per_phone: int
    noshow_limit: int
    noshow_bar_days: int
    waitlist_hold_minutes: int
    rectification_days: int
    queue_limit: int | None
    service_limit_percent: int | None
    duty_contact: str | None


# ---------------------------------------------------------------------------- windows


class AdminNewWindow(Input):
    number: Annotated[
        StrictInt,
        Field(description="painted above the window: 1 to 999, one window a number per center"),
    ]
    name_zh: TextLine(80)
    name_en: TextLine(120)
    is_comprehensive: Annotated[
        StrictBool, Field(description="a comprehensive window (综合窗口) serves every item")
    ] = False
    service_ids: Annotated[
        Ids, Field(description="the ids of the center's items this window serves")
    ] = []


AdminWindowChanges = changes_of(AdminNewWindow, "AdminWindowChanges", "A window's changes.")


class AdminWindow(Output):
    id: int
    number: int
    name_zh: str
    name_en: str
    is_comprehensive: bool
    service_ids: list[int]
    status: WindowStatus
    retired_at: datetime | None = Field(description="when it was retired (null: in service)")


# ---------------------------------------------------------------------------- service items


class AdminNewItem(Input):
    code: Annotated[TextLine(32), Field(description="unique within the center")]
    national_code: Annotated[
        MaybeText(64) | None,
        Field(description="the national item code (事项编码); null or empty: none"),
    ] = None
    name_zh: TextLine(120)
    name_en: TextLine(200)
    department_id: StrictInt
    case_type_id: StrictInt
    materials_zh: Annotated[MaybeText(4000), Field(description="one material a line")] = ""
    materials_en: Annotated[MaybeText(4000), Field(description="one material a line")] = ""
    is_on_the_spot: Annotated[
        StrictBool, Field(description="on the spot (即办件); otherwise promised (承诺件)")
    ] = True
    time_limit_days: Annotated[
        StrictInt | None, Field(description="working days promised (承诺件 only)")
    ] = None
    service_minutes: Annotated[StrictInt, Field(description="1 to 480")] = 10
    is_bookable: StrictBool = True
    slot_capacity: Annotated[
        StrictInt | None, Field(description="places per slot, 0 to 1000; null: the center's")
    ] = None
    needs_applicant: Annotated[
        StrictBool, Field(description="the desk records the applicant's name and phone")
    ] = False
    remote_allowed: Annotated[
        StrictBool,
        Field(description="tickets from the phone (远程取号) where the center allows them"),
    ] = True
    window_ids: Annotated[
        Ids, Field(description="the windows that serve it by name (comprehensive ones anyway)")
    ] = []


AdminItemChanges = changes_of(AdminNewItem, "AdminItemChanges", "A service item's changes.")


class AdminItem(Output):
    id: int
    code: str
    national_code: str | None
    name_zh: str
    name_en: str
    department_id: int
    case_type_id: int
    materials_zh: str
    materials_en: str
    is_on_the_spot: bool
    time_limit_days: int | None
    service_minutes: int
    is_bookable: bool
    slot_capacity: int | None
    needs_applicant: bool
    remote_allowed: bool
    is_active: bool = Field(description="false: retired (gone from the catalogue and booking)")
    window_ids: list[int]


# ---------------------------------------------------------------------------- staff


class AdminNewStaff(Input):
    username: Annotated[
        TextLine(64), Field(description="3 to 64 letters, digits, dots, dashes or underscores")
    ]
    display_name: Annotated[MaybeText(80), Field(description="empty: the username")] = ""
    role: Annotated[
        Literal["clerk", "supervisor"],
        Field(description="supervisor accounts: county administrators only"),
    ] = "clerk"
    window_ids: Annotated[
        Ids, Field(description="the windows a clerk may staff (none: any window)")
    ] = []


class AdminStaffChanges(Changes):
    """An account's changes."""

    display_name: MaybeText(80) = Field(None, description="empty: the username")
    window_ids: Ids = Field(None, description="the windows a clerk may staff (none: any window)")


class AdminStaff(Output):
    id: int
    username: str
    display_name: str
    role: RoleName
    is_enabled: bool
    must_change_password: bool = Field(description="a one-time password not yet replaced")
    window_ids: list[int] = Field(description="the windows a clerk may staff (none: any)")
    manageable: bool = Field(description="whether the caller may change this account")


class AdminStaffPassword(AdminStaff):
    """An account and its one-time password: shown this once, never stored, to be replaced at
    its next sign-in."""

    one_time_password: str


# ---------------------------------------------------------------------------- device tokens


class AdminNewDeviceToken(Input):
    name: Annotated[TextLine(80), Field(description="where it stands: Kiosk by the entrance")]
    user_id: Annotated[StrictInt, Field(description="the enabled account the device acts as")]


class AdminDeviceToken(Output):
    id: int
    name: str
    user_id: int
    username: str
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None = Field(description="kept to the hour")


class AdminIssuedDeviceToken(AdminDeviceToken):
    token: str = Field(description="the bearer token: shown this once, never stored")


# ---------------------------------------------------------------------------- audit trail


def _blank_is_none(value: Any) -> Any:
    return None if value == "" else value


def _absent_is_none(schema: dict[str, Any]) -> None:
    schema.pop("default", None)  # absent or empty: no bound


#: a day in a query string: YYYY-MM-DD, or empty for none
QueryDay = Annotated[
    IsoDate | None,
    BeforeValidator(_blank_is_none),
    WithJsonSchema({"type": "string", "format": "date"}),
]


#: the kinds of object the trail records; empty: all
ObjectType = Literal[("", *OBJECT_TYPES)]


class AdminAuditQuery(Input):
    center: Annotated[
        str, Field(max_length=32, description="a center's code; empty: every center you see")
    ] = ""
    person: Annotated[str, Field(max_length=64, description="the username of who acted")] = ""
    object_type: ObjectType = ""
    since: QueryDay = Field(
        None, description="from this day (the county's)", json_schema_extra=_absent_is_none
    )
    until: QueryDay = Field(
        None, description="to this day, inclusive", json_schema_extra=_absent_is_none
    )
    page: Annotated[int, Field(ge=1, description="50 records a page, newest first")] = 1


class AdminAuditRecord(Output):
    id: int
    at: datetime
    person: str = Field(description="the username of who acted, as it was then")
    address: str = Field(description="the caller's IP address")
    center: str | None = Field(description="the code of the center concerned")
    action: str = Field(examples=["window.create"])
    object_type: str
    object_id: str
    object: str = Field(description="what the object was called")
    changes: dict[str, list[Any]] = Field(
        description="{field: [before, after]}, personal data masked, secrets never kept"
    )


class AdminAuditPage(Output):
    page: int
    pages: int
    records: list[AdminAuditRecord]


# ---------------------------------------------------------------------------- calendar

#: the weekdays of an opening week, as the API names them (Monday first, as Python counts)
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def _periods_valid(value: list[str]) -> list[str]:
    """The periods of one weekday read as the calendar page reads them (or refused)."""
    parse_periods(", ".join(value), field="")
    return value


Periods = Annotated[
    list[Annotated[StrictStr, Field(max_length=40)]],
    Field(
        max_length=12,
        description='HH:MM-HH:MM in the center\'s time zone, e.g. ["09:00-12:00", '
        '"13:30-17:30"]; an empty list: closed that weekday',
    ),
    checked(_periods_valid),
]


class AdminWeekChanges(Changes):
    """A center's opening week: the weekdays sent get these periods ([] closes the weekday);
    those left out keep theirs."""

    monday: Periods = None
    tuesday: Periods = None
    wednesday: Periods = None
    thursday: Periods = None
    friday: Periods = None
    saturday: Periods = None
    sunday: Periods = None


class AdminWeek(Output):
    """Each weekday's opening periods (HH:MM-HH:MM, the center's time); empty: closed."""

    monday: list[str]
    tuesday: list[str]
    wednesday: list[str]
    thursday: list[str]
    friday: list[str]
    saturday: list[str]
    sunday: list[str]


class AdminDayChange(Input):
    is_open: Annotated[
        StrictBool,
        Field(description="false: closed that day (a working day closed); true: open that day"),
    ]
    reason_zh: MaybeText(120) = ""
    reason_en: MaybeText(160) = ""


class AdminDay(Output):
    """A day the center decides itself, overriding its week and the statutory calendar."""

    day: date
    is_open: bool
    reason_zh: str
    reason_en: str


class AdminDaySet(AdminDay):
    stranded_bookings: list[str] = Field(
        description="the codes of the bookings still to come that day, which a closure leaves "
        "(their booking pages tell the residents to move or cancel); empty for an opening"
    )


Cap = Annotated[StrictInt, Field(ge=0, le=10_000)]


class AdminCapsChanges(Input):
    """Daily walk-in caps by case type code: a number of tickets a day, or null for no cap.
    Case types left out keep theirs."""

    model_config = ConfigDict(extra="allow")
    __pydantic_extra__: dict[str, Cap | None] = Field(init=False)


#: {case type code: the daily walk-in cap, or null for none}, every case type
AdminCaps = dict[str, int | None]


class AdminTicketLettersChanges(Input):
    """The letter a center's tickets of each case type start with, by case type code: one
    letter A to Z, two case types never sharing one. Case types left out keep theirs."""

    model_config = ConfigDict(extra="allow")
    __pydantic_extra__: dict[str, StrictStr] = Field(init=False)


#: {case type code: its ticket letter at the center}, every case type
AdminTicketLetters = dict[str, str]


# ---------------------------------------------------------------------------- notices

CalendarSourceName = Literal["notice", "library", "rule", "weekends"]


class AdminNoticeYear(Output):
    year: int
    source: CalendarSourceName = Field(
        description="where its days off come from: the notice loaded here, the holiday "
        "library (the official arrangement), the national rule (statutory days only, no 调休), "
        "or nothing known (weekends only)"
    )
    days_off: int | None = Field(description="the loaded notice's days off (null: none loaded)")
    weekends_worked: int | None = Field(
        description="the loaded notice's weekends worked (null: none loaded)"
    )


class AdminNoticeFile(Input):
    csv: Annotated[
        StrictStr,
        Field(
            min_length=1,
            max_length=20_000,
            description="the State Council's notice as CSV with the header date,kind,name_zh,"
            "name_en; kind is holiday (休) for a day off, working day (班) for a weekend worked",
        ),
    ]
    dry_run: Annotated[
        StrictBool, Field(description="true: check it beside the rule, write nothing")
    ]


class AdminNoticeDay(Output):
    day: date
    is_holiday: bool = Field(description="true: a day off; false: a weekend worked (调休)")
    name_zh: str
    name_en: str


class AdminHoliday(Output):
    day: date
    name: str = Field(description="the holiday, in the caller's language")


class AdminLibraryDifference(Output):
    day: date
    off: bool = Field(description="whether the file gives the day off (the library does not)")


class AdminNoticeCheck(Output):
    year: int
    loaded: bool = Field(description="false for a dry run: nothing was written")
    days: list[AdminNoticeDay] = Field(description="the file's days")
    rule_days: list[AdminHoliday] = Field(description="the statutory days by the national rule")
    missing: list[AdminHoliday] = Field(
        description="statutory days the file does not give off: most likely a slip"
    )
    library_differences: list[AdminLibraryDifference] = Field(
        description="days the holiday library, where it knows the year, says otherwise"
    )
    stranded_bookings: list[str] = Field(
        description="the codes of the bookings the loaded notice leaves on a closed day"
    )


class AdminNoticeRemoved(Output):
    year: int
    stranded_bookings: list[str] = Field(
        description="the codes of the bookings left on a closed day (a weekend worked no more)"
    )


# ---------------------------------------------------------------------------- departments


class AdminNewDepartment(Input):
    code: Annotated[
        TextLine(32),
        Field(description="lower-case letters, digits, dashes, underscores; in catalogue files"),
    ]
    name_zh: TextLine(80)
    name_en: TextLine(120)


AdminDepartmentChanges = changes_of(
    AdminNewDepartment, "AdminDepartmentChanges", "A department's changes."
)


class AdminDepartment(Output):
    id: int
    code: str
    name_zh: str
    name_en: str


# ---------------------------------------------------------------------------- catalogue import


def _csv_or_xlsx(value: str) -> str:
    if not value.lower().endswith((".csv", ".xlsx")):
        raise ValueError(_("Send a .csv or .xlsx file."))
    return value


def decode_base64(value: str) -> bytes:
    """The file sent; line breaks (as ``base64`` writes them) are allowed."""
    try:
        return base64.b64decode("".join(value.split()), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(_("Send the file's content as base64.")) from None


def _base64_valid(value: str) -> str:
    decode_base64(value)
    return value


class AdminItemsImport(Input):
    filename: Annotated[
        TextLine(255),
        Field(description="its name: .csv (UTF-8 or GB18030) or .xlsx"),
        checked(_csv_or_xlsx),
    ]
    content_base64: Annotated[
        StrictStr,
        Field(min_length=1, description="the file, base64-encoded: at most 2 MB decoded"),
        checked(_base64_valid),
    ]
    dry_run: Annotated[
        StrictBool, Field(description="true: check it against the catalogue, write nothing")
    ]


class AdminItemsImported(Output):
    dry_run: bool = Field(description="true: nothing was written")
    added: list[str] = Field(description="the codes of the items the file adds")
    changed: list[str] = Field(description="the codes of the items it changes")
    changed_fields: dict[str, list[str]] = Field(description="{code: the fields it changes}")
    retired: list[str] = Field(description="the codes of the active items not in the file")
    unchanged: list[str] = Field(description="the codes of the items it leaves as they are")
