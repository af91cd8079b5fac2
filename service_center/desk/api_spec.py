"""OpenAPI description of the clerk's endpoints: windows, the desk, every ticket action."""

from __future__ import annotations

from ..api.spec import ID, PROBLEM, STAFF, array_of, document, json_body, json_content, ref

TICKET_ID = {"name": "ticket_id", "in": "path", "required": True, "schema": {"type": "integer"}}
STAFF_ERRORS = {"401": PROBLEM, "403": PROBLEM, "404": PROBLEM, "409": PROBLEM}
NULLABLE_STRING = {"type": ["string", "null"]}

WINDOW_STATE = {
    "type": "object",
    "required": ["id", "number", "status"],
    "properties": {
        "id": {"type": "integer"},
        "number": {"type": "integer"},
        "name": {"type": "string"},
        "status": {"enum": ["open", "paused", "closed"]},
    },
}

DESK_WINDOW = {
    "type": "object",
    "required": ["id", "number", "status", "clerk"],
    "properties": {
        "id": {"type": "integer"},
        "number": {"type": "integer"},
        "name": {"type": "string"},
        "status": {"enum": ["open", "paused", "closed"]},
        "clerk": {
            "type": ["object", "null"],
            "description": "the clerk signed on to the window",
            "properties": {"id": {"type": "integer"}, "name": {"type": "string"}},
        },
        "clerk_since": {"type": ["string", "null"], "format": "date-time"},
    },
}

DESK_STATE = {
    "type": "object",
    "required": ["window", "current", "queue", "no_shows", "counts", "versions"],
    "properties": {
        "window": ref("DeskWindow"),
        "current": {
            "description": "the ticket called or served here, with the applicant UNMASKED "
            "(the clerk's own view) and the actions that fit its status",
            "anyOf": [
                {"type": "null"},
                {
                    "allOf": [
                        ref("Ticket"),
                        {
                            "type": "object",
                            "properties": {
                                "item": {
                                    "type": "object",
                                    "properties": {
                                        "name": {"type": "string"},
                                        "materials": {"type": "array", "items": {"type": "string"}},
                                        "on_the_spot": {"type": "boolean"},
                                        "time_limit_days": {"type": ["integer", "null"]},
                                    },
                                },
                                "applicant": {
                                    "type": "object",
                                    "properties": {
                                        "name": NULLABLE_STRING,
                                        "phone": NULLABLE_STRING,
                                        "id_number": NULLABLE_STRING,
                                    },
                                },
                                "needs_applicant": {
                                    "type": "boolean",
                                    "description": "complete must carry applicant_name/phone",
                                },
                                "waited_seconds": {"type": "integer"},
                                "actions": {"type": "array", "items": {"type": "string"}},
                            },
                        },
                    ]
                },
            ],
        },
        "queue": {
            "type": "array",
            "description": "waiting tickets in the order call-next takes them",
            "items": {
                "allOf": [
                    ref("Ticket"),
                    {
                        "type": "object",
                        "properties": {
                            "waiting_seconds": {"type": "integer"},
                            "transferred_here": {"type": "boolean"},
                            "requeued": {"type": "boolean"},
                        },
                    },
                ]
            },
        },
        "no_shows": {
            "type": "array",
            "description": "today's no-shows at this window, latest first",
            "items": {
                "type": "object",
                "properties": {
                    "id": {"type": "integer"},
                    "number": {"type": "string"},
                    "service_name": {"type": "string"},
                    "missed_at": {"type": ["string", "null"], "format": "date-time"},
                    "requeue": {"type": "boolean", "description": "may still be put back"},
                },
            },
        },
        "counts": {
            "type": "object",
            "description": "the caller's figures for today (waiting: this window's queue)",
            "properties": {
                key: {"type": "integer"}
                for key in (
                    "cases",
                    "completed",
                    "documents_missing",
                    "not_accepted",
                    "no_shows",
                    "transfers",
                    "waiting",
                )
            }
            | {"mean_service_minutes": {"type": ["number", "null"]}},
        },
        "last_case": {
            "type": ["object", "null"],
            "properties": {
                "number": {"type": "string"},
                "outcome": {"type": "string"},
                "ticket": {"type": "string"},
            },
        },
        "versions": {
            "type": "object",
            "description": "a fingerprint per region of the desk page (head, current, queue, "
            "side); a live page redraws the regions whose fingerprint changed",
            "additionalProperties": {"type": "string"},
        },
    },
}


def _window_action(summary: str, description: str) -> dict:
    return {
        "post": {
            "summary": summary,
            "description": description,
            "security": STAFF,
            "parameters": [ID],
            "responses": {"200": json_content(ref("DeskWindow")), **STAFF_ERRORS},
        }
    }


def _ticket_action(summary: str) -> dict:
    return {
        "post": {
            "summary": summary,
            "security": STAFF,
            "parameters": [ID],
            "responses": {"200": json_content(ref("Ticket")), **STAFF_ERRORS},
        }
    }


def _window_state_action(summary: str) -> dict:
    return {
        "post": {
            "summary": summary,
            "security": STAFF,
            "parameters": [ID],
            "responses": {"200": json_content(ref("WindowState")), **STAFF_ERRORS},
        }
    }


def document_desk_api() -> None:
    document(
        {
            "/windows/{id}/sign-on": _window_action(
                "Sign the caller on to a window for the day and open it",
                "Clerks and supervisors of the window's center. A clerk staffs one window: "
                "signing on elsewhere signs them off (and closes) their previous window. "
                "409 when another clerk staffs the window today or the previous window "
                "still holds a ticket.",
            ),
            "/windows/{id}/sign-off": _window_action(
                "Sign the clerk off a window and close it",
                "409 while the window holds a called or serving ticket.",
            ),
            "/windows/{id}/desk": {
                "get": {
                    "summary": "The desk: current ticket (applicant unmasked), queue, no-shows, "
                    "today's counts",
                    "security": STAFF,
                    "parameters": [ID],
                    "responses": {"200": json_content(ref("DeskState")), **STAFF_ERRORS},
                }
            },
            "/windows/{id}/open": _window_state_action("Open a window for calls"),
            "/windows/{id}/pause": _window_state_action("Pause a window (no calls)"),
            "/windows/{id}/close": _window_state_action("Close a window"),
            "/windows/{id}/call-next": {
                "post": {
                    "summary": "Call the next ticket to this window (exactly once)",
                    "security": STAFF,
                    "parameters": [ID],
                    "responses": {
                        "200": json_content(ref("Ticket")),
                        "204": {"description": "Nobody is waiting for this window"},
                        **STAFF_ERRORS,
                    },
                }
            },
            "/windows/{id}/queue": {
                "get": {
                    "summary": "The window's queue in the order call-next takes it",
                    "security": STAFF,
                    "parameters": [ID],
                    "responses": {"200": json_content(array_of("Ticket")), **STAFF_ERRORS},
                }
            },
            "/tickets/{id}/recall": _ticket_action("Announce a called ticket again"),
            "/tickets/{id}/start": _ticket_action("Start serving a called ticket"),
            "/tickets/{id}/no-show": _ticket_action("Mark a called ticket no-show (过号)"),
            "/tickets/{id}/requeue": _ticket_action("Put a no-show back in the queue once"),
            "/tickets/{id}/transfer": {
                "post": {
                    "summary": "Transfer to another window or item; waits again, keeps its time",
                    "security": STAFF,
                    "parameters": [ID],
                    "requestBody": json_body(
                        {
                            "type": "object",
                            "properties": {
                                "window": {"type": "integer", "description": "window id"},
                                "service": {"type": "integer"},
                            },
                        }
                    ),
                    "responses": {
                        "200": json_content(ref("Ticket")),
                        "422": PROBLEM,
                        **STAFF_ERRORS,
                    },
                }
            },
            "/tickets/{id}/complete": {
                "post": {
                    "summary": "Complete a served ticket and record its case",
                    "security": STAFF,
                    "parameters": [ID],
                    "requestBody": json_body(
                        {
                            "type": "object",
                            "required": ["outcome"],
                            "properties": {
                                "outcome": {
                                    "enum": ["completed", "documents_missing", "not_accepted"]
                                },
                                "notes": {"type": "string", "maxLength": 2000},
                                "applicant_name": {
                                    "type": "string",
                                    "description": "required when the item needs the "
                                    "applicant and no booking gave it",
                                },
                                "applicant_phone": {
                                    "type": "string",
                                    "description": "mainland mobile number; required as above",
                                },
                            },
                        }
                    ),
                    "responses": {
                        "200": json_content(
                            {
                                "type": "object",
                                "properties": {
                                    "ticket": ref("Ticket"),
                                    "case": {
                                        "type": "object",
                                        "properties": {
                                            "number": {"type": "string"},
                                            "case_type": {"type": "string"},
                                            "outcome": {"type": "string"},
                                        },
                                    },
                                },
                            }
                        ),
                        "422": PROBLEM,
                        **STAFF_ERRORS,
                    },
                }
            },
            "/windows/{id}/queue/{ticket_id}/priority": {
                "post": {
                    "summary": "Move a ticket waiting for this window into the priority lane",
                    "security": STAFF,
                    "parameters": [ID, TICKET_ID],
                    "responses": {
                        "200": json_content(ref("Ticket")),
                        "422": PROBLEM,
                        **STAFF_ERRORS,
                    },
                }
            },
        },
        {"DeskWindow": DESK_WINDOW, "DeskState": DESK_STATE, "WindowState": WINDOW_STATE},
    )
