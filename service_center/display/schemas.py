"""What the hall display's feed of /api/v1 answers: ticket numbers and windows, nobody's data."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from ..api.schema import Field, Output


class DisplayCenter(Output):
    code: str
    name: str = Field(description="in the caller's language")
    name_zh: str
    name_en: str
    timezone: str


class DisplayCall(Output):
    id: int = Field(description="the call's event id: announce each once")
    kind: Literal["called", "recalled"]
    number: str = Field(examples=["B017"])
    window: int
    called_at: dt.datetime
    case_type: str | None
    is_current: bool = Field(
        description="the call still stands: its ticket is held at this window (called or being "
        "served) and the window is open; a no-show, a transfer, a completion or the window's "
        'pause ends it. The hall\'s "now calling" shows the newest current call'
    )
    text_zh: str = Field(examples=["请 B017 号到 5 号窗口办理"])
    text_en: str = Field(examples=["Ticket B017, please go to window 5"])
    speech_zh: str = Field(examples=["请 B 零 一 七 号到 5 号窗口办理"])
    speech_en: str


class DisplayWindow(Output):
    number: int
    name: str = Field(description="in the caller's language")
    name_zh: str
    name_en: str
    status: Literal["open", "paused", "closed"]
    ticket: str | None = Field(
        description="the ticket called or served; none while the window is paused or closed"
    )
    ticket_status: Literal["called", "serving"] | None


class DisplayCaseType(Output):
    code: str
    prefix: str = Field(description="the ticket letter, B in B017")
    name: str = Field(description="in the caller's language")
    name_zh: str
    name_en: str
    waiting: int


class Display(Output):
    center: DisplayCenter
    date: dt.date = Field(description="the center's local day")
    server_time: dt.datetime
    calls: list[DisplayCall] = Field(
        description="the day's latest calls and recalls, newest first (at most 20)"
    )
    windows: list[DisplayWindow]
    waiting: dict[str, int] = Field(description="tickets waiting per case type code")
    waiting_remote: int = Field(
        description="of the tickets waiting, those taken from the phone (远程取号)"
    )
    case_types: list[DisplayCaseType]
