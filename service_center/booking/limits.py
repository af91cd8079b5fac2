"""Rate limits shared by the booking pages and the booking API (one bucket per client)."""

from __future__ import annotations

from flask import current_app
from werkzeug.wrappers import Response

from ..extensions import limiter


def _booking_limit() -> str:
    return current_app.config["BOOKING_RATE_LIMIT"]


def _lookup_limit() -> str:
    return current_app.config["BOOKING_LOOKUP_RATE_LIMIT"]


def _missed(response: Response) -> bool:
    return response.status_code == 404


#: making a booking, from the page or the API
booking_limit = limiter.shared_limit(_booking_limit, scope="booking", methods=["POST"])
#: anything that takes a code and a phone: look-up, cancel, move
lookup_limit = limiter.shared_limit(_lookup_limit, scope="booking-lookup")
#: the same bucket for the pages, where only the submitted forms count
lookup_form_limit = limiter.shared_limit(_lookup_limit, scope="booking-lookup", methods=["POST"])
#: check-in by code alone: only unknown codes count, so a busy kiosk is never slowed down
checkin_limit = limiter.shared_limit(_lookup_limit, scope="booking-checkin", deduct_when=_missed)
