"""What the public catalogue of /api/v1 takes and answers: centers and their service items.

The input model checks the shape of the query string; whether a case type exists is the
view's question (it needs the database).
"""

from __future__ import annotations

from typing import Annotated

from flask_babel import lazy_gettext as _l

from ..api.schema import Field, Input, Output, Says
from .services import MAX_QUERY_LENGTH


class Center(Output):
    code: str
    name: str
    timezone: str


class Service(Output):
    id: int
    code: str
    name: str
    case_type: str
    department: str
    on_the_spot: bool
    time_limit_days: int | None
    service_minutes: int
    materials: list[str]


class ServiceQuery(Input):
    q: Annotated[
        str,
        Field(
            max_length=MAX_QUERY_LENGTH,
            description="Chinese text, English text or pinyin initials (yyzz)",
        ),
        Says(
            invalid=_l(
                "The search text is too long (at most %(n)d characters).", n=MAX_QUERY_LENGTH
            )
        ),
    ] = ""
    case_type: str = Field("", description="a case type's code; empty: every case type")
