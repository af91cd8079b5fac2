"""The waiting list's pages under /book: join a full day's line, follow the place in line by
its link, take or decline a held place, leave. The link (its token) is the key, as a ticket's."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from ..catalogue.models import Center, ServiceItem
from ..clock import now_utc
from ..db import db
from ..errors import DomainError, Invalid, NotFound
from ..i18n import locale_code
from . import availability, waitlist
from .forms import ActionForm
from .limits import booking_limit
from .models import WaitlistEntry, WaitlistState
from .views import _bookable_or_404, _field_error, _parse_day, _remember, bp
from .waitlist_forms import WaitlistJoinForm


def _entry_or_404(token: str) -> WaitlistEntry:
    try:
        return waitlist.get_entry(token)
    except NotFound:
        abort(404)


def _to_entry(entry: WaitlistEntry) -> Response:
    return redirect(url_for("booking.waitlist_entry", token=entry.token))


@bp.route("/<center_code>/<int:service_id>/<day>/waitlist", methods=["GET", "POST"])
@booking_limit
def join_waitlist(center_code: str, service_id: int, day: str) -> Any:
    center, item = _bookable_or_404(center_code, service_id)
    chosen, now = _parse_day(day), now_utc()
    form = WaitlistJoinForm()
    page_error, status = None, 200
    if form.validate_on_submit():
        try:
            entry = waitlist.join_waitlist(
                center,
                item,
                chosen,
                name=form.name.data,
                phone=form.phone.data,
                id_number=form.id_number.data,
                now=now,
                locale=locale_code(),
            )
        except DomainError as exc:
            db.session.rollback()
            page_error, status = _field_error(form, exc), exc.status
        else:
            db.session.commit()
            flash(_("You are on the waiting list. Keep this page's link."), "success")
            return _to_entry(entry)
    elif form.errors:
        status = 422
    elif request.method == "GET" and (moved := _not_joinable(center, item, chosen, now)):
        return moved
    return render_template(
        "booking/waitlist_join.html",
        center=center,
        item=item,
        day=chosen,
        form=form,
        page_error=page_error,
    ), status


def _not_joinable(center: Center, item: ServiceItem, day: date, now: datetime) -> Response | None:
    """Send a resident who cannot wait for this day where they can act instead."""
    try:
        status, slots = availability.list_slots(center, item, day, now=now)
    except Invalid as exc:
        flash(str(exc), "error")
        return redirect(url_for("booking.choose_day", center_code=center.code, service_id=item.id))
    if not status.is_open:
        reason = status.reason or _("closed")
        flash(
            _(
                "The center is closed on this day (%(reason)s). Please pick another day.",
                reason=reason,
            ),
            "error",
        )
        return redirect(url_for("booking.choose_day", center_code=center.code, service_id=item.id))
    if any(not s.is_full for s in slots):
        flash(
            _("This day still has free times. Please book one of them instead of waiting."), "info"
        )
        return redirect(
            url_for(
                "booking.choose_slot",
                center_code=center.code,
                service_id=item.id,
                day=day.isoformat(),
            )
        )
    return None


@bp.get("/waitlist/<token>")
def waitlist_entry(token: str) -> str:
    entry, now = _entry_or_404(token), now_utc()
    waiting = entry.state is WaitlistState.WAITING
    return render_template(
        "booking/waitlist_entry.html",
        entry=entry,
        center=entry.center,
        item=entry.service_item,
        ahead=waitlist.people_ahead(entry) if waiting else None,
        offer_open=waitlist.is_offer_open(entry, now),
        offer_end=waitlist.offer_end_time(entry),
        link=url_for("booking.waitlist_entry", token=entry.token, _external=True),
        form=ActionForm(),
    )


@bp.post("/waitlist/<token>/accept")
def accept_offer(token: str) -> Response:
    entry = _entry_or_404(token)
    if not ActionForm().validate_on_submit():
        return _to_entry(entry)
    try:
        appointment = waitlist.accept_offer(entry.token, now=now_utc())
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return _to_entry(entry)
    db.session.commit()
    _remember(appointment.code)
    return redirect(url_for("booking.confirmation", code=appointment.code))


@bp.post("/waitlist/<token>/decline")
def decline_offer(token: str) -> Response:
    return _end(
        token, waitlist.decline_offer, _("You let the place go; it is offered to the next in line.")
    )


@bp.post("/waitlist/<token>/leave")
def leave_waitlist(token: str) -> Response:
    return _end(token, waitlist.leave_waitlist, _("You have left the waiting list."))


def _end(token: str, action: Any, done: str) -> Response:
    entry = _entry_or_404(token)
    if ActionForm().validate_on_submit():
        try:
            action(entry.token, now=now_utc())
        except DomainError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash(done, "success")
    return _to_entry(entry)
