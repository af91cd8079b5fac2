"""Fair booking: a center's bars from booking (missed bookings), seen and lifted by its
supervisors. A bar keeps keyed hashes only: it is found by typing the phone or ID number."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..booking import fairness
from ..clock import local_date, now_utc
from ..db import db
from ..errors import DomainError
from .forms import ActionForm
from .permissions import Do
from .views import bp, center_for


@bp.get("/centers/<code>/booking-bars")
def booking_bars(code: str) -> str:
    center = center_for(code, Do.LIFT_BOOKING_BARS)
    wanted = request.args.get("q", "").strip()[:40]
    today = local_date(now_utc(), center.timezone)
    return render_template(
        "admin/booking_bars.html",
        center=center,
        bars=fairness.list_bars(center, today=today, phone=wanted or None),
        query=wanted,
        action_form=ActionForm(),
        window_days=fairness.STRIKE_WINDOW_DAYS,
    )


@bp.post("/centers/<code>/booking-bars/<int:bar_id>/lift")
def lift_booking_bar(code: str, bar_id: int) -> Any:
    center = center_for(code, Do.LIFT_BOOKING_BARS)
    if ActionForm().validate_on_submit():
        try:
            fairness.lift_bar(center, bar_id, actor=current_user, now=now_utc())
        except DomainError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash(_("The bar is lifted: booking is open to this resident again."), "success")
    return redirect(url_for("admin.booking_bars", code=code))
