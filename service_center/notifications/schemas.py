"""What the notifications area answers under /api/v1."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from ..api.schema import Field, Output


class TicketMessage(Output):
    kind: Literal[
        "booked", "moved", "cancelled", "reminder", "closure", "ahead", "called", "missed", "rate"
    ]
    text: str = Field(description="the message as sent (never a name or an ID number)")
    at: datetime = Field(description="when it was written, in the center's time zone")
    status: Literal["pending", "sending", "sent", "failed", "not_sent"]


class TicketMessages(Output):
    messages: list[TicketMessage] = Field(description="oldest first")
