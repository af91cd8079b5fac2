"""The OpenAPI description of the booking routes (see service_center/api/spec.py)."""

from __future__ import annotations

from ..api.spec import CODE, PROBLEM, document, json_content, ref
from ..api.spec import json_body as json_request

_PHONE_QUERY = {
    "name": "phone",
    "in": "query",
    "required": True,
    "description": "The mobile number the booking was made with (+86 accepted)",
    "schema": {"type": "string", "maxLength": 20},
}
_CODE = {**CODE, "description": "The booking code (dashes and spaces ignored)"}

document(
    {
        "/centers/{code}/slots": {
            "get": {
                "summary": "A day's booking slots for one item, with the places left",
                "parameters": [
                    CODE,
                    {
                        "name": "service",
                        "in": "query",
                        "required": True,
                        "schema": {"type": "integer"},
                    },
                    {
                        "name": "date",
                        "in": "query",
                        "required": True,
                        "schema": {"type": "string", "format": "date"},
                    },
                ],
                "responses": {
                    "200": json_content(ref("SlotDay")),
                    "404": PROBLEM,
                    "422": PROBLEM,
                },
            }
        },
        "/appointments": {
            "post": {
                "summary": "Book a slot",
                "requestBody": json_request(ref("AppointmentRequest")),
                "responses": {
                    "201": json_content(ref("Appointment"), "Booked"),
                    "400": PROBLEM,
                    "409": PROBLEM,
                    "415": PROBLEM,
                    "422": PROBLEM,
                    "429": PROBLEM,
                },
            }
        },
        "/appointments/{code}": {
            "get": {
                "summary": "Look a booking up by code and phone (personal data masked)",
                "parameters": [_CODE, _PHONE_QUERY],
                "responses": {
                    "200": json_content(ref("Appointment")),
                    "404": PROBLEM,
                    "422": PROBLEM,
                    "429": PROBLEM,
                },
            }
        },
        "/appointments/{code}/cancel": {
            "post": {
                "summary": "Cancel a booking; its place is freed",
                "parameters": [_CODE],
                "requestBody": json_request(
                    {
                        "type": "object",
                        "required": ["phone"],
                        "properties": {"phone": {"type": "string"}},
                    }
                ),
                "responses": {
                    "200": json_content(ref("Appointment")),
                    "404": PROBLEM,
                    "409": PROBLEM,
                    "422": PROBLEM,
                    "429": PROBLEM,
                },
            }
        },
        "/appointments/{code}/reschedule": {
            "post": {
                "summary": "Move a booking to another slot in one transaction",
                "parameters": [_CODE],
                "requestBody": json_request(
                    {
                        "type": "object",
                        "required": ["phone", "date", "start"],
                        "properties": {
                            "phone": {"type": "string"},
                            "date": {"type": "string", "format": "date"},
                            "start": {"type": "string", "pattern": "^\\d{2}:\\d{2}$"},
                        },
                    }
                ),
                "responses": {
                    "200": json_content(ref("Appointment")),
                    "404": PROBLEM,
                    "409": PROBLEM,
                    "422": PROBLEM,
                    "429": PROBLEM,
                },
            }
        },
        "/appointments/{code}/check-in": {
            "post": {
                "summary": "Check a booking in at the hall and get a ticket flagged booked",
                "description": (
                    "Open from BOOKING_CHECKIN_EARLY_MINUTES before the slot to "
                    "BOOKING_CHECKIN_LATE_MINUTES after its start. Too late: 409 with "
                    "`walk_in: {center, service}` for a walk-in ticket instead."
                ),
                "parameters": [_CODE],
                "responses": {
                    "201": json_content({"type": "object"}, "The ticket, booked: true"),
                    "404": PROBLEM,
                    "409": PROBLEM,
                    "429": PROBLEM,
                },
            }
        },
    },
    {
        "SlotDay": {
            "type": "object",
            "required": ["date", "open", "slots"],
            "properties": {
                "date": {"type": "string", "format": "date"},
                "open": {"type": "boolean"},
                "reason": {"type": "string"},
                "slots": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["start", "end", "capacity", "remaining"],
                        "properties": {
                            "start": {"type": "string"},
                            "end": {"type": "string"},
                            "capacity": {"type": "integer"},
                            "remaining": {"type": "integer"},
                        },
                    },
                },
            },
        },
        "AppointmentRequest": {
            "type": "object",
            "required": ["center", "service", "date", "start", "name", "phone"],
            "properties": {
                "center": {"type": "string"},
                "service": {"type": "integer"},
                "date": {"type": "string", "format": "date"},
                "start": {"type": "string", "pattern": "^\\d{2}:\\d{2}$"},
                "name": {"type": "string", "maxLength": 60},
                "phone": {"type": "string", "description": "Mainland mobile; +86/0086 stripped"},
                "id_number": {"type": ["string", "null"], "minLength": 18, "maxLength": 18},
            },
        },
        "Appointment": {
            "type": "object",
            "required": ["code", "center", "service", "date", "start", "end", "status"],
            "properties": {
                "code": {"type": "string"},
                "display_code": {"type": "string"},
                "center": {"type": "string"},
                "center_name": {"type": "string"},
                "service": {"type": "integer"},
                "service_name": {"type": "string"},
                "date": {"type": "string", "format": "date"},
                "start": {"type": "string"},
                "end": {"type": "string"},
                "status": {"enum": ["booked", "cancelled", "checked_in"]},
                "name": {"type": "string", "description": "masked"},
                "phone": {"type": "string", "description": "masked"},
                "id_number": {"type": ["string", "null"], "description": "masked"},
                "check_in": {
                    "type": "object",
                    "properties": {
                        "opens": {"type": "string", "format": "date-time"},
                        "closes": {"type": "string", "format": "date-time"},
                    },
                },
                "materials": {"type": "array", "items": {"type": "string"}},
                "day_open": {
                    "type": "boolean",
                    "description": "false when the center closed the booked day after booking "
                    "(its own closure or the year's holiday notice): move or cancel",
                },
                "day_closed_reason": {"type": ["string", "null"]},
            },
        },
    },
)
