"""Booking pages under /book: item → day → slot → details → confirmation; manage a booking."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from flask import (
    Blueprint,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from ..catalogue import services as catalogue
from ..catalogue.calendar import day_status, opening_periods
from ..catalogue.models import Center, ServiceItem
from ..clock import now_utc
from ..db import db
from ..errors import DomainError, Invalid, NotFound
from ..i18n import device_language, locale_code
from ..queueing.forms import KioskCheckInForm
from . import availability, cli, codes, services, templating
from .documents import booking_ics, qr_svg
from .forms import ActionForm, AppointmentBookingForm, AppointmentLookupForm, AppointmentMoveForm
from .limits import booking_limit, lookup_form_limit
from .models import Appointment, AppointmentState

bp = Blueprint(
    "booking", __name__, url_prefix="/book", static_folder="static", static_url_path="/static"
)
for _command in cli.COMMANDS:
    bp.cli.add_command(_command)
bp.record_once(lambda state: state.app.cli.add_command(cli.calendar_group))
bp.record_once(lambda state: state.app.cli.add_command(cli.purge_command))
templating.init_bp(bp)

#: the codes this browser booked or looked up with the phone: only these pages open for it
SESSION_KEY = "booking_codes"
SESSION_KEEP = 10
MAX_ID = 2**31


# -- helpers ------------------------------------------------------------------------------


def _center_or_404(code: str) -> Center:
    try:
        return catalogue.get_center(code)
    except NotFound:
        abort(404)


def _bookable_or_404(center_code: str, service_id: int) -> tuple[Center, ServiceItem]:
    center = _center_or_404(center_code)
    if not 0 < service_id < MAX_ID:  # the database's integer would overflow
        abort(404)
    try:
        return center, availability.check_bookable_item(
            center, db.session.get(ServiceItem, service_id)
        )
    except Invalid:
        abort(404)


def _parse_day(text: str) -> date:
    try:
        if len(text) == 10:
            return date.fromisoformat(text)
    except ValueError:
        pass
    abort(404)


def _parse_start(text: str) -> time:
    try:
        if len(text) == 5 and text[2] == ":":
            return time.fromisoformat(text)
    except ValueError:
        pass
    abort(404)


def _remember(code: str) -> None:
    codes = [c for c in session.get(SESSION_KEY, []) if c != code]
    session[SESSION_KEY] = [*codes, code][-SESSION_KEEP:]


def _remembered(code: str) -> Appointment | None:
    """Return the booking if this browser booked it or looked it up with its phone."""
    normalized = codes.normalize_code(code)
    if normalized is None or normalized not in session.get(SESSION_KEY, []):
        return None
    return services.get_by_code(normalized)


def _to_lookup(code: str) -> Response:
    flash(_("To open a booking, enter its code and the phone number it was made with."), "info")
    return redirect(url_for("booking.lookup", code=code))


def _periods(center: Center, day: date, slots: list[availability.Slot]) -> list[dict[str, Any]]:
    """Group the slots under the opening periods they fall in (the lunch break shows between)."""
    return [
        {"opens": opens, "closes": closes, "slots": [s for s in slots if opens <= s.start < closes]}
        for opens, closes in opening_periods(center, day)
    ]


def _field_error(form: Any, exc: DomainError) -> str | None:
    """Put the message beside its field; return it when it belongs to the page instead."""
    if exc.field and exc.field in form:
        form[exc.field].errors = [*form[exc.field].errors, str(exc)]
        return None
    return str(exc)


# -- book ---------------------------------------------------------------------------------


@bp.get("/")
def index() -> str:
    return render_template("booking/index.html", centers=catalogue.list_centers())


@bp.get("/<center_code>")
def choose_item(center_code: str) -> str:
    center = _center_or_404(center_code)
    query = request.args.get("q", "").strip()[: catalogue.MAX_QUERY_LENGTH]
    items = [i for i in catalogue.search_services(center, query) if i.is_bookable]
    return render_template(
        "booking/items.html",
        center=center,
        query=query,
        groups=catalogue.group_by_case_type(items),
        count=len(items),
    )


@bp.get("/<center_code>/<int:service_id>")
def choose_day(center_code: str, service_id: int) -> str:
    center, item = _bookable_or_404(center_code, service_id)
    days = availability.list_bookable_days(center, item, now=now_utc())
    return render_template("booking/days.html", center=center, item=item, days=days)


@bp.get("/<center_code>/<int:service_id>/<day>")
def choose_slot(center_code: str, service_id: int, day: str) -> Any:
    center, item = _bookable_or_404(center_code, service_id)
    chosen, now = _parse_day(day), now_utc()
    try:
        status, slots = availability.list_slots(center, item, chosen, now=now)
    except Invalid as exc:
        days = availability.list_bookable_days(center, item, now=now)
        page = render_template(
            "booking/days.html", center=center, item=item, days=days, error=str(exc)
        )
        return page, 422
    return render_template(
        "booking/slots.html",
        center=center,
        item=item,
        day=chosen,
        status=status,
        periods=_periods(center, chosen, slots),
        any_free=any(not s.is_full for s in slots),
    )


@bp.route("/<center_code>/<int:service_id>/<day>/<start>", methods=["GET", "POST"])
@booking_limit
def details(center_code: str, service_id: int, day: str, start: str) -> Any:
    center, item = _bookable_or_404(center_code, service_id)
    chosen_day, chosen_start, now = _parse_day(day), _parse_start(start), now_utc()
    form = AppointmentBookingForm()
    page_error, status = None, 200
    if form.validate_on_submit():
        try:
            appointment = services.book_appointment(
                center,
                item,
                chosen_day,
                chosen_start,
                name=form.name.data,
                phone=form.phone.data,
                id_number=form.id_number.data,
                now=now,
                notify=bool(form.notify.data),
                locale=locale_code(),
                assisted=bool(form.assisted.data),
                helper=current_user if current_user.is_authenticated else None,
            )
        except DomainError as exc:
            db.session.rollback()
            page_error, status = _field_error(form, exc), exc.status
        else:
            db.session.commit()
            _remember(appointment.code)
            return redirect(url_for("booking.confirmation", code=appointment.code))
    elif form.errors:
        status = 422
    slot = _offered_slot(center, item, chosen_day, chosen_start, now)
    if isinstance(slot, str) and request.method == "GET":
        flash(slot, "error")
        return redirect(url_for("booking.choose_day", center_code=center.code, service_id=item.id))
    return render_template(
        "booking/details.html",
        center=center,
        item=item,
        day=chosen_day,
        slot=slot if not isinstance(slot, str) else None,
        start=chosen_start,
        form=form,
        page_error=page_error or (slot if isinstance(slot, str) else None),
    ), status


def _offered_slot(
    center: Center, item: ServiceItem, day: date, start: time, now: datetime
) -> availability.Slot | str:
    """Return the slot still on offer, or why it is not."""
    try:
        status, slots = availability.list_slots(center, item, day, now=now)
    except Invalid as exc:
        return str(exc)
    if not status.is_open:
        return _(
            "The center is closed on this day (%(reason)s). Please pick another day.",
            reason=status.reason or _("closed"),
        )
    slot = next((s for s in slots if s.start == start), None)
    if slot is None:
        return _("There is no bookable slot at this time. Please pick one from the list.")
    if slot.is_full:
        return _("This time slot has just been fully booked. Please pick another one.")
    return slot


@bp.get("/confirmation/<code>")
def confirmation(code: str) -> Any:
    appointment = _remembered(code)
    if appointment is None:
        return _to_lookup(code)
    if appointment.state is not AppointmentState.BOOKED:  # cancelled or used: show its state
        return redirect(url_for("booking.manage", code=appointment.code))
    return render_template(
        "booking/confirmation.html", appointment=appointment, **_context(appointment)
    )


@bp.get("/confirmation/<code>/booking.ics")
def calendar_file(code: str) -> Any:
    appointment = _remembered(code)
    if appointment is None:
        return _to_lookup(code)
    response = make_response(booking_ics(appointment, now=now_utc()))
    response.mimetype = "text/calendar"
    response.headers["Content-Disposition"] = (
        f'attachment; filename="booking-{appointment.code}.ics"'
    )
    return response


@bp.get("/qr/<code>.svg")
def qr_code(code: str) -> Any:
    """The QR code of any well-formed code: no look-up, so it tells nothing about bookings."""
    normalized = codes.normalize_code(code)
    if normalized is None:
        abort(404)
    response = make_response(qr_svg(normalized))
    response.mimetype = "image/svg+xml"
    response.headers["Cache-Control"] = "private, max-age=86400"
    return response


def _context(appointment: Appointment) -> dict[str, Any]:
    opens, closes = services.checkin_window(appointment)
    return {
        #: a closure entered after booking (the center's own, or the year's notice)
        "day_status": day_status(appointment.center, appointment.service_date),
        "center": appointment.center,
        "item": appointment.service_item,
        "checkin_opens": opens,
        "checkin_closes": closes,
        "can_change": services.can_change(appointment, now=now_utc()),
    }


# -- manage -------------------------------------------------------------------------------


@bp.route("/manage", methods=["GET", "POST"])
@lookup_form_limit
def lookup() -> Any:
    form = AppointmentLookupForm()
    if request.method == "GET" and request.args.get("code"):
        form.code.data = request.args["code"][:40]
    status = 200
    if form.validate_on_submit():
        try:
            appointment = services.find_appointment(form.code.data, form.phone.data)
        except DomainError as exc:
            if exc.field is None:
                exc.field = "code"
            _field_error(form, exc)
            status = exc.status
        else:
            _remember(appointment.code)
            return redirect(url_for("booking.manage", code=appointment.code))
    elif form.errors:
        status = 422
    return render_template("booking/lookup.html", form=form), status


@bp.get("/manage/<code>")
def manage(code: str) -> Any:
    appointment = _remembered(code)
    if appointment is None:
        return _to_lookup(code)
    return render_template("booking/manage.html", appointment=appointment, **_context(appointment))


@bp.route("/manage/<code>/cancel", methods=["GET", "POST"])
def cancel(code: str) -> Any:
    appointment = _remembered(code)
    if appointment is None:
        return _to_lookup(code)
    form = ActionForm()
    if form.validate_on_submit():
        try:
            services.cancel_appointment(appointment, now=now_utc())
        except DomainError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash(_("Your booking is cancelled and its place is free for others."), "success")
        return redirect(url_for("booking.manage", code=appointment.code))
    return render_template(
        "booking/cancel.html", appointment=appointment, form=form, **_context(appointment)
    )


@bp.post("/manage/<code>/notify/stop")
def stop_messages(code: str) -> Any:
    appointment = _remembered(code)
    if appointment is None:
        return _to_lookup(code)
    if ActionForm().validate_on_submit():
        services.stop_messages(appointment, now=now_utc())
        db.session.commit()
        flash(_("No more text messages will be sent about this booking."), "success")
    return redirect(url_for("booking.manage", code=appointment.code))


@bp.get("/manage/<code>/move")
def move_day(code: str) -> Any:
    appointment = _remembered(code)
    if appointment is None:
        return _to_lookup(code)
    days = availability.list_bookable_days(
        appointment.center, appointment.service_item, now=now_utc()
    )
    return render_template(
        "booking/days.html", appointment=appointment, days=days, **_context(appointment)
    )


@bp.get("/manage/<code>/move/<day>")
def move_slot(code: str, day: str) -> Any:
    appointment = _remembered(code)
    if appointment is None:
        return _to_lookup(code)
    chosen = _parse_day(day)
    center, item = appointment.center, appointment.service_item
    try:
        status, slots = availability.list_slots(center, item, chosen, now=now_utc())
    except Invalid as exc:
        flash(str(exc), "error")
        return redirect(url_for("booking.move_day", code=appointment.code))
    return render_template(
        "booking/slots.html",
        appointment=appointment,
        day=chosen,
        status=status,
        periods=_periods(center, chosen, slots),
        any_free=any(not s.is_full for s in slots),
        form=AppointmentMoveForm(),
        **_context(appointment),
    )


@bp.post("/manage/<code>/move")
def move(code: str) -> Any:
    appointment = _remembered(code)
    if appointment is None:
        return _to_lookup(code)
    form = AppointmentMoveForm()
    if not form.validate_on_submit():
        flash(_("Please pick a time from the list."), "error")
        return redirect(url_for("booking.move_day", code=appointment.code))
    day, start = _parse_day(form.date.data), _parse_start(form.start.data)
    try:
        services.reschedule_appointment(appointment, day, start, now=now_utc())
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("booking.move_slot", code=code, day=day.isoformat()))
    db.session.commit()
    flash(
        _(
            "Your booking has moved to %(day)s, %(start)s.",
            day=templating.day_label(day),
            start=start.strftime("%H:%M"),
        ),
        "success",
    )
    return redirect(url_for("booking.manage", code=appointment.code))


# -- the kiosk's check-in -----------------------------------------------------------------

#: the hall kiosk's check-in with a booking code, beside the kiosk's own pages (/kiosk/<code>)
kiosk_bp = Blueprint("booking_kiosk", __name__, url_prefix="/kiosk")


@kiosk_bp.post("/<code>/check-in")
@device_language
def check_in(code: str) -> Any:
    """Turn a booking into a ticket at the kiosk, when checked in on time.

    A resident who is too late is sent back to the kiosk page offered a walk-in ticket for the
    same item.
    """
    center = _center_or_404(code)
    form = KioskCheckInForm()
    if not form.validate_on_submit():
        flash(_("Enter your booking code."), "error")
        return redirect(url_for("queueing.kiosk_check_in", code=code))
    try:
        ticket = services.check_in(form.code.data.strip().upper(), now=now_utc(), center=center)
    except services.CheckInTooLate as exc:
        db.session.rollback()
        flash(str(exc), "warning")
        return redirect(url_for("queueing.kiosk", code=code, walk_in=exc.service_id))
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("queueing.kiosk_check_in", code=code))
    db.session.commit()
    return redirect(url_for("queueing.printed_ticket", code=code, token=ticket.token))


# the waiting list's pages add their routes to ``bp`` (they use the helpers above)
from . import waitlist_views  # noqa: E402, F401
