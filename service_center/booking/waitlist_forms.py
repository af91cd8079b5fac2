"""The waiting list's forms: joining a full day's line (the booking form's details)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from .forms import PersonForm, phone_field


class WaitlistJoinForm(PersonForm):
    phone = phone_field(
        _l(
            "When a place frees up, we text its offer to this number: joining the list is "
            "agreeing to that message."
        )
    )
