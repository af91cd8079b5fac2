"""What residents and kiosks send and get under /api/v1: tickets and their rating.

One declaration per shape: the input models validate requests, the output models document the
answers (and the test suite checks every answer against them).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from flask_babel import lazy_gettext as _l

from ..api.schema import DbId, Field, Input, Output, Says, StrictBool, StrictInt, StrictStr, Text
from ..validators import PHONE_INPUT_MAX
from .ratings import COMMENT_MAX

TicketStatus = Literal["waiting", "called", "serving", "done", "no_show", "cancelled", "unserved"]


class Ticket(Output):
    id: int
    token: str = Field(description="unguessable handle printed in the QR code")
    number: str = Field(examples=["B017"])
    center: str
    service: int
    service_name: str
    case_type: str
    status: TicketStatus
    priority: bool
    booked: bool
    remote: bool = Field(description="远程取号: taken from the phone")
    arrived: bool = Field(
        description="in the hall (always for a walk-in or booking; a remote ticket once the "
        "kiosk scanned it or its holder said so): only then can it be called"
    )
    assisted: bool = Field(
        description="帮办代办: the holder asked for help (elderly, disabled, no smartphone)"
    )
    issued_at: datetime
    called_at: datetime | None
    call_count: int
    window: int | None = Field(description="window number while called or served")
    position: int = Field(None, description="people ahead")
    estimated_wait_minutes: int | None = None


class Evaluation(Output):
    rating: int = Field(ge=1, le=5)
    comment: str
    rated_at: datetime
    efficiency: int | None = Field(ge=1, le=5, description="办事效率, when rated")
    attitude: int | None = Field(ge=1, le=5, description="服务态度, when rated")
    service_level: int | None = Field(ge=1, le=5, description="服务水平, when rated")
    follow_up_consent: bool = Field(description="the resident agreed to be called back")


class IssueTicket(Input):
    center: Annotated[Text(64), Says(missing=_l("Give the center's code."))]
    service: Annotated[DbId, Says(missing=_l("Choose a service item."))]
    priority: StrictBool = False
    assisted: StrictBool = Field(
        False,
        description="帮办代办: the holder asks for help (elderly, disabled, no smartphone); "
        "the ticket is marked and the clerk sees it",
    )
    notify: (
        Annotated[
            Text(254),
            Field(
                description="到号提醒: a mainland mobile number or an e-mail address; sending it "
                "is "
                'the holder\'s consent to be told "N ahead" and "called to window K" (kept '
                "until the ticket closes)"
            ),
        ]
        | None
    ) = None


class IssueRemoteTicket(Input):
    service: Annotated[DbId, Says(missing=_l("Choose a service item."))]
    phone: Annotated[
        Text(20),
        Field(
            description="the holder's mainland mobile number: the ticket's messages go there "
            '("N ahead", "called to window K"); kept until the ticket closes'
        ),
        Says(missing=_l("Enter your mobile number.")),
    ]


_SubRating = Annotated[
    StrictInt | None,
    Field(ge=1, le=5, description="optional sub-rating, 5 (very satisfied) … 1"),
    Says(invalid=_l("Choose from 5 (very satisfied) to 1 (very dissatisfied), or leave it empty.")),
]


class Rating(Input):
    rating: Annotated[
        StrictInt,
        Field(ge=1, le=5, description="5 (very satisfied) … 1 (very dissatisfied)"),
        Says(
            missing=_l("Choose a rating from 5 (very satisfied) to 1 (very dissatisfied)."),
            invalid=_l("Choose a rating from 5 (very satisfied) to 1 (very dissatisfied)."),
        ),
    ]
    comment: Annotated[StrictStr, Field(max_length=COMMENT_MAX)] | None = None
    efficiency: _SubRating = None
    attitude: _SubRating = None
    service_level: _SubRating = None
    follow_up_consent: StrictBool = Field(
        False,
        description="the resident agrees to be called back about this rating (回访); a rating "
        "of 1 or 2 then opens a follow-up with their phone",
    )
    contact: (
        Annotated[
            StrictStr,
            Field(
                max_length=PHONE_INPUT_MAX,
                description="a mainland mobile number for the call-back, only with "
                "follow_up_consent; needed then unless the case has a phone. Never stored "
                "with the rating nor sent back",
            ),
        ]
        | None
    ) = None
