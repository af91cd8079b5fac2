"""What the public windows API of /api/v1 answers: a center's windows, their skills and state."""

from __future__ import annotations

from typing import Literal

from ..api.schema import Field, Output

WindowStatus = Literal["open", "paused", "closed"]


class Window(Output):
    id: int
    number: int = Field(description="painted above the window")
    name: str
    status: WindowStatus
    comprehensive: bool = Field(description="a comprehensive window takes every case type")
    case_types: list[str] = Field(description="the case type codes the window takes")
    services: list[int] = Field(description="the ids of the service items the window takes")
