"""What the clerks' desk sends and gets under /api/v1: windows, the desk, ticket actions.

One declaration per shape: the input models validate requests, the output models document the
answers (and the test suite checks every answer against them). The ticket itself is the
queue's ``Ticket``; the desk adds what a clerk sees of it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from flask_babel import lazy_gettext as _l

from ..api.schema import DbId, Field, Input, Output, Says, StrictStr
from ..queueing.schemas import Ticket

WindowStatus = Literal["open", "paused", "closed"]
OutcomeName = Literal["completed", "documents_missing", "not_accepted"]

NOTES_MAX = 2000

#: the messages these fields said before the declarations (kept: clients and tests rely on them)
CHOOSE_OUTCOME = _l("Choose the outcome: completed, documents_missing or not_accepted.")
NOTES_TOO_LONG = _l("Notes must be text of at most 2000 characters.")
MUST_BE_TEXT = _l("Must be text.")
MATERIALS_LIST = _l("Give the missing materials as a list of the item's materials.")


# ---------------------------------------------------------------------------- windows


class WindowState(Output):
    """A window after opening, pausing or closing it."""

    id: int
    number: int
    name: str
    status: WindowStatus


class DeskClerk(Output):
    id: int
    name: str


class DeskWindow(Output):
    """A window with the clerk signed on to it."""

    id: int
    number: int
    name: str
    status: WindowStatus
    clerk: DeskClerk | None = Field(description="the clerk signed on to the window")
    clerk_since: datetime | None


# ---------------------------------------------------------------------------- the queue


class WindowQueueEntry(Ticket):
    """A ticket waiting in a window's queue."""

    position: int = Field(description="place in the order call-next takes the queue, 0 first")
    waiting_seconds: int


class DeskQueueEntry(WindowQueueEntry):
    transferred_here: bool
    requeued: bool


# ---------------------------------------------------------------------------- the desk


class DeskItem(Output):
    name: str
    materials: list[str]
    on_the_spot: bool
    time_limit_days: int | None


class DeskApplicant(Output):
    name: str | None
    phone: str | None
    id_number: str | None


class DeskCurrentTicket(Ticket):
    """The ticket called or served at the window, as its clerk sees it."""

    item: DeskItem
    applicant: DeskApplicant
    needs_applicant: bool = Field(description="complete must carry applicant_name/phone")
    waited_seconds: int
    actions: list[str]


class DeskNoShow(Output):
    id: int
    number: str
    service_name: str
    missed_at: datetime | None
    requeue: bool = Field(description="may still be put back")


class DeskUndo(Output):
    """The no-show the caller just marked here and may still undo."""

    id: int
    number: str
    until: datetime
    seconds_left: int


class DeskCounts(Output):
    cases: int
    completed: int
    documents_missing: int
    not_accepted: int
    no_shows: int
    transfers: int
    mean_service_minutes: float | None
    waiting: int


class DeskLastCase(Output):
    number: str
    outcome: OutcomeName
    ticket: str


class DeskState(Output):
    """Everything the desk page shows for one window at one moment."""

    window: DeskWindow
    current: DeskCurrentTicket | None = Field(
        description="the ticket called or served here, with the applicant UNMASKED "
        "(the clerk's own view) and the actions that fit its status"
    )
    queue: list[DeskQueueEntry] = Field(
        description="waiting tickets in the order call-next takes them"
    )
    no_shows: list[DeskNoShow] = Field(description="today's no-shows at this window, latest first")
    counts: DeskCounts = Field(
        description="the caller's figures for today (waiting: this window's queue)"
    )
    last_case: DeskLastCase | None
    undo: DeskUndo | None = Field(
        description="the no-show the caller marked here seconds ago, while it can be undone "
        "(POST /tickets/{id}/undo-no-show)"
    )
    versions: dict[str, str] = Field(
        description="a fingerprint per region of the desk page (head, current, queue, side); "
        "a live page redraws the regions whose fingerprint changed"
    )


# ---------------------------------------------------------------------------- ticket actions


class TransferTicket(Input):
    window: DbId | None = Field(None, description="window id")
    service: DbId | None = Field(None, description="service item id")


class CompleteTicket(Input):
    outcome: Annotated[OutcomeName, Says(missing=CHOOSE_OUTCOME, invalid=CHOOSE_OUTCOME)]
    notes: Annotated[
        StrictStr | None, Field(max_length=NOTES_MAX), Says(invalid=NOTES_TOO_LONG)
    ] = None
    applicant_name: Annotated[
        StrictStr | None,
        Field(description="required when the item needs the applicant and no booking gave it"),
        Says(invalid=MUST_BE_TEXT),
    ] = None
    applicant_phone: Annotated[
        StrictStr | None,
        Field(description="mainland mobile number; required as above"),
        Says(invalid=MUST_BE_TEXT),
    ] = None
    missing_materials: Annotated[
        list[Annotated[StrictStr, Field(max_length=200)]],
        Field(
            max_length=50,
            description="documents_missing: the item's materials the resident lacked, each "
            "one of its materials (Chinese or English line); ignored for other outcomes",
        ),
        Says(invalid=MATERIALS_LIST),
    ] = []


class DeskCase(Output):
    number: str
    case_type: str
    outcome: OutcomeName


class DeskCompletion(Output):
    """A completed ticket and the case recorded for it."""

    ticket: Ticket
    case: DeskCase
