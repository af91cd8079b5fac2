"""What the admin area's JSON API under /api/v1/admin takes and answers.

The input models check the shape of a request (strict numbers and booleans, text lengths, text
stripped); the rules that need the database or span fields (a number in range and free, a code
not taken, a time zone that exists …) are the domain functions', which name the field they
refuse. A POST takes every setting (those left out take their default); a PUT takes only the
settings to change (those left out keep their value). The output models document the answers
(and the test suite checks every answer against them).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, ConfigDict, StringConstraints, WithJsonSchema, create_model

from ..api.schema import Field, Input, IsoDate, Output, StrictBool, StrictInt, StrictStr
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
