"""OpenAPI description of what residents and kiosks call: tickets and their rating."""

from __future__ import annotations

from ..api.spec import PROBLEM, TOKEN, document, json_body, json_content, ref

EVALUATION = {
    "type": "object",
    "required": ["rating", "comment", "rated_at"],
    "properties": {
        "rating": {"type": "integer", "minimum": 1, "maximum": 5},
        "comment": {"type": "string"},
        "rated_at": {"type": "string", "format": "date-time"},
    },
}


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
            "/tickets/{token}/evaluation": {
                "post": {
                    "summary": "Rate the closed case of a ticket (好差评), once",
                    "description": "rating 5 (very satisfied) … 1 (very dissatisfied); a "
                    "comment is required for 1 and 2.",
                    "parameters": [TOKEN],
                    "requestBody": json_body(
                        {
                            "type": "object",
                            "required": ["rating"],
                            "properties": {
                                "rating": {"type": "integer", "minimum": 1, "maximum": 5},
                                "comment": {"type": "string", "maxLength": 500},
                            },
                        }
                    ),
                    "responses": {
                        "201": json_content(ref("Evaluation"), "The rating, recorded"),
                        "400": PROBLEM,
                        "404": PROBLEM,
                        "409": PROBLEM,
                        "422": PROBLEM,
                    },
                }
            },
        },
        {"Ticket": TICKET, "Evaluation": EVALUATION},
    )
