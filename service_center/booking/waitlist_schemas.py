"""What the waiting-list API takes and answers under /api/v1/waitlist (beside ``schemas.py``)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BeforeValidator

from ..api.schema import Field, Input, IsoDate, Output, Says, StrictStr, Text, checked
from ..validators import (
    NAME_MAX,
    clean_mobile,
    clean_name,
)
from .schemas import (
    ENTER_NAME,
    ENTER_PHONE,
    MAX_TEXT,
    ItemId,
    OptionalIdNumber,
    _null_is_missing,
)


class WaitlistRequest(Input):
    """Join the waiting list of a full day for one item."""

    center: Annotated[Text(MAX_TEXT), BeforeValidator(_null_is_missing)]
    service: ItemId
    date: IsoDate
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
        Field(
            description="Mainland mobile; +86/0086 stripped. The offer's text message goes "
            "here: joining is agreeing to it."
        ),
        Says(missing=ENTER_PHONE),
    ]
    id_number: OptionalIdNumber = None


class HeldPlace(Output):
    """The place held for the entry while it is offered."""

    start: str = Field(examples=["09:00"])
    end: str = Field(examples=["09:30"])
    held_until: dt.datetime = Field(description="take it before then (POST …/accept)")
    open: bool = Field(description="false once the hold has lapsed")


class WaitlistEntry(Output):
    """A place on a waiting list as the API shows it: personal data masked."""

    token: str = Field(description="the entry's key: keep it (it is in the offer's link)")
    center: str
    center_name: str
    service: int
    service_name: str
    date: dt.date
    status: Literal["waiting", "offered", "booked", "expired", "left"]
    ahead: int | None = Field(
        description="while waiting: how many wait before it in the day's line (every item)"
    )
    offer: HeldPlace | None
    booking_code: str | None = Field(description="the booking made from the offer, once taken")
    name: str = Field(description="masked")
    phone: str = Field(description="masked")
    id_number: str | None = Field(description="masked")
