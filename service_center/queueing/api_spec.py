"""OpenAPI description of the ticket and window-clerk endpoints."""

from __future__ import annotations

from ..api.spec import ID, PROBLEM, STAFF, TOKEN, array_of, document, json_body, json_content, ref

TICKET = {
    "type": "object",
    "required": ["id", "token", "number", "center", "service", "case_type", "status"],
    "properties": {
        "id": {"type": "integer"},
        "token": {"type": "string", "description": "unguessable handle printed in the QR code"},
        "number": {"type": "string", "examples": ["B017"]},
        "center": {"type": "string"},
        "service": {"type": "integer"},
        "service_name": {"type": "string"},
        "case_type": {"type": "string"},
        "status": {"enum": ["waiting", "called", "serving", "done", "no_show", "cancelled"]},
        "priority": {"type": "boolean"},
        "booked": {"type": "boolean"},
        "position": {"type": "integer", "description": "people ahead"},
        "estimated_wait_minutes": {"type": ["integer", "null"]},
        "issued_at": {"type": "string", "format": "date-time"},
        "called_at": {"type": ["string", "null"], "format": "date-time"},
        "call_count": {"type": "integer"},
        "window": {"type": ["integer", "null"], "description": "window number when called"},
    },
}

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

STAFF_ERRORS = {"401": PROBLEM, "403": PROBLEM, "404": PROBLEM, "409": PROBLEM}


def _ticket_action(summary: str) -> dict:
    return {
        "post": {
            "summary": summary,
            "security": STAFF,
            "parameters": [ID],
            "responses": {"200": json_content(ref("Ticket")), **STAFF_ERRORS},
        }
    }


def _window_action(summary: str) -> dict:
    return {
        "post": {
            "summary": summary,
            "security": STAFF,
            "parameters": [ID],
            "responses": {"200": json_content(ref("WindowState")), **STAFF_ERRORS},
        }
    }


def document_queue_api() -> None:
    document(
        {
            "/tickets": {
                "post": {
                    "summary": "Issue a walk-in ticket (kiosk)",
                    "requestBody": json_body(
                        {
                            "type": "object",
                            "required": ["center", "service"],
                            "properties": {
                                "center": {"type": "string"},
                                "service": {"type": "integer"},
                                "priority": {"type": "boolean"},
                            },
                        }
                    ),
                    "responses": {
                        "201": json_content(ref("Ticket"), "The ticket"),
                        "400": PROBLEM,
                        "403": PROBLEM,
                        "404": PROBLEM,
                        "409": PROBLEM,
                        "422": PROBLEM,
                    },
                }
            },
            "/tickets/{token}": {
                "get": {
                    "summary": "A ticket's status, people ahead and estimated wait",
                    "parameters": [TOKEN],
                    "responses": {"200": json_content(ref("Ticket")), "404": PROBLEM},
                }
            },
            "/windows/{id}/open": _window_action("Open a window for calls"),
            "/windows/{id}/pause": _window_action("Pause a window (no calls)"),
            "/windows/{id}/close": _window_action("Close a window"),
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
        },
        {"Ticket": TICKET, "WindowState": WINDOW_STATE},
    )
