"""What the notifications area answers under /api/v1."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from ..api.schema import Field, Input, Output, Text


class TicketMessage(Output):
    kind: Literal[
        "booked",
        "moved",
        "cancelled",
        "reminder",
        "closure",
        "ahead",
        "called",
        "missed",
        "rate",
        "taken",
        "warned",
        "barred",
        "offer",
    ]
    text: str = Field(description="the message as sent (never a name or an ID number)")
    at: datetime = Field(description="when it was written, in the center's time zone")
    status: Literal["pending", "sending", "sent", "failed", "not_sent"]


class TicketMessages(Output):
    messages: list[TicketMessage] = Field(description="oldest first")


class SmsReply(Input):
    phone: Annotated[Text(32), Field(description="the number the reply came from")]
    text: Annotated[Text(500), Field(description="the reply as the resident wrote it")]


class SmsReplyOutcome(Output):
    stopped: bool = Field(description="an unsubscribe keyword (退订, TD, T, STOP…) from a mobile")
    tickets: int = Field(description="open tickets whose 到号提醒 ended")
    bookings: int = Field(description="bookings whose messages ended")
