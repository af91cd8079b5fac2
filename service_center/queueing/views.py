"""The kiosk at the hall door and the resident's live ticket page."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from babel.dates import format_date
from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from .. import keeping
from ..api.schema import MAX_ID
from ..catalogue import calendar
from ..catalogue import services as catalogue
from ..clock import now_utc, to_local
from ..db import db
from ..errors import DomainError, NotFound
from ..i18n import current_language, device_language, locale_code
from ..modes import current_mode
from . import cli, kept, popular, ratings, remote, services
from .forms import (
    ActionForm,
    KioskArrivalForm,
    KioskCheckInForm,
    KioskRequeueForm,
    KioskTicketForm,
    NotifyForm,
    RemoteTicketForm,
    TicketRatingForm,
)
from .limits import remote_limit
from .models import TicketState
from .qr import qr_svg

if TYPE_CHECKING:
    from ..catalogue.models import Center
    from .models import Ticket

bp = Blueprint("queueing", __name__)
for _command in cli.COMMANDS:
    bp.cli.add_command(_command)
bp.record_once(lambda state: state.app.cli.add_command(cli.close_day_command))


def _center_or_404(code: str):
    try:
        return catalogue.get_center(code)
    except NotFound:
        abort(404)


#: the printed ticket stays on the screen this long (its QR code is the holder's) unless touched
KIOSK_RETURN_SECONDS = 10
#: search results the kiosk shows at once (one screen at 1080×1920); more asks for more words
KIOSK_SEARCH_LIMIT = 15


@bp.get("/kiosk/<code>")
@device_language
def kiosk(code: str) -> Any:
    """The kiosk's screens, one at a time: the start (case types, search, most taken,
    check-in, requeue), a case type's departments, a department's items, search results."""
    center = _center_or_404(code)
    now = now_utc()
    if not calendar.is_open_at(center, now):
        return _kiosk_closed(center, now)
    case_type = catalogue.get_case_type(request.args.get("case_type", ""))
    query = request.args.get("q", "").strip()[: catalogue.MAX_QUERY_LENGTH]
    context: dict[str, Any] = {"center": center, "form": KioskTicketForm(formdata=None)}
    if query:
        items = catalogue.search_services(center, query)
        context.update(screen="search", query=query, items=items[:KIOSK_SEARCH_LIMIT])
        context["more"] = len(items) - len(context["items"])
    elif case_type is not None:
        groups = catalogue.group_by_department(catalogue.search_services(center, "", case_type))
        wanted = request.args.get("department", "")
        chosen = next((group for group in groups if group[0].code == wanted), None)
        context.update(case_type=case_type, screen="case_type", departments=groups)
        if chosen is not None:
            context.update(screen="department", department=chosen[0], items=chosen[1])
    else:
        context.update(
            screen="start",
            case_types=catalogue.list_case_types(),
            prefixes=services.ticket_prefixes(center),
            popular=popular.most_taken_items(center, now=now),
            walk_in=_walk_in_offer(center),
        )
    context["priority_allowed"] = _priority_allowed(center)
    return _kiosk_page("queueing/kiosk.html", **context)


def _walk_in_offer(center):
    wanted = request.args.get("walk_in", type=int)
    if wanted is None or not 0 < wanted <= MAX_ID:  # a larger id is simply not an item
        return None
    try:
        return catalogue.get_service(center, wanted)
    except NotFound:
        return None


def _kiosk_closed(center, now) -> Response:
    """The one screen of a closed hall: when it opens next, and check-in for a booking."""
    opens = calendar.next_opening(center, now)
    return _kiosk_page(
        "queueing/kiosk_closed.html",
        center=center,
        opens=_when(opens, now, center.timezone) if opens else None,
        reason=calendar.day_status(center, to_local(now, center.timezone).date()).reason,
        check_in_form=KioskCheckInForm(formdata=None),
    )


def _when(moment, now, timezone: str) -> str:
    """ "today at 13:30", "tomorrow at 09:00" or "Monday 30 November at 09:00"."""
    here, today = to_local(moment, timezone), to_local(now, timezone).date()
    clock_time = here.strftime("%H:%M")
    if here.date() == today:
        return _("today at %(time)s", time=clock_time)
    if here.date() == today + timedelta(days=1):
        return _("tomorrow at %(time)s", time=clock_time)
    day = format_date(here.date(), "full", locale=get_locale())
    return _("%(day)s at %(time)s", day=day, time=clock_time)


def _kiosk_page(template: str, **context: Any) -> Response:
    """A kiosk screen: never stored, so the next resident cannot page back to it."""
    response = make_response(render_template(template, **context))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/kiosk/<code>/check-in")
@device_language
def kiosk_check_in(code: str) -> Response:
    """Check in with a booking code, or with the QR code of a ticket taken on the phone."""
    center = _center_or_404(code)
    now = now_utc()
    return _kiosk_page(
        "queueing/kiosk_check_in.html",
        center=center,
        check_in_form=KioskCheckInForm(formdata=None),
        arrival_form=KioskArrivalForm(formdata=None),
        open_now=calendar.is_open_at(center, now),
    )


@bp.get("/kiosk/<code>/requeue")
@device_language
def kiosk_requeue(code: str) -> Response:
    """Missed your number: type it to get back in the queue."""
    center = _center_or_404(code)
    now = now_utc()
    if not calendar.is_open_at(center, now):
        return _kiosk_closed(center, now)
    return _kiosk_page("queueing/kiosk_requeue.html", center=center)


def _priority_allowed(center) -> bool:
    staff = current_user.is_authenticated and current_user.is_staff_of(center.id)
    return center.kiosk_priority_enabled or staff


@bp.post("/kiosk/<code>/tickets")
@device_language
def take_ticket(code: str) -> Any:
    center = _center_or_404(code)
    form = KioskTicketForm()
    if not form.validate_on_submit():
        flash(_("Choose a service item."), "error")
        return redirect(url_for("queueing.kiosk", code=code))
    try:
        ticket = services.issue_walk_in(
            code,
            form.service_id.data,
            now=now_utc(),
            priority=bool(form.priority.data) and _priority_allowed(center),
            actor=current_user,
        )
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("queueing.kiosk", code=code))
    db.session.commit()
    return redirect(url_for("queueing.printed_ticket", code=code, token=ticket.token))


@bp.get("/kiosk/<code>/tickets/<token>")
@device_language
def printed_ticket(code: str, token: str, notify_form: NotifyForm | None = None) -> Response:
    """The ticket as printed on the 80 mm receipt printer (and shown on the kiosk for a few
    seconds: never stored, its QR code opens the holder's ticket page)."""
    center, ticket = _kiosk_ticket_or_404(code, token)
    page_url = url_for("queueing.ticket_page", token=ticket.token, _external=True)
    return _kiosk_page(
        "queueing/printed_ticket.html",
        center=center,
        ticket=ticket,
        position=services.queue_position(ticket, now=now_utc()),
        qr=Markup(qr_svg(page_url, scale=4, title=ticket.number)),
        page_url=page_url,
        notify_form=notify_form or NotifyForm(formdata=None),
        return_seconds=KIOSK_RETURN_SECONDS,
    )


def _kiosk_ticket_or_404(code: str, token: str) -> tuple[Center, Ticket]:
    """The center ``code`` and its ticket ``token`` (the printed ticket's screen and forms)."""
    center = _center_or_404(code)
    ticket = _ticket_or_404(token)
    if ticket.center_id != center.id:
        abort(404)
    return center, ticket


def _opt_in(ticket, form: NotifyForm) -> bool:
    """Record the holder's 到号提醒 from ``form``; a bad address goes beside its field, a
    ticket no longer waiting is said at the top of the page (the form is gone there)."""
    if not form.validate_on_submit():
        return False
    try:
        services.opt_in(ticket, form.notify.data, now=now_utc(), locale=locale_code())
    except DomainError as exc:
        db.session.rollback()
        if exc.field == "notify":
            form.notify.errors = [*form.notify.errors, str(exc)]
        else:
            flash(str(exc), "error")
        return False
    db.session.commit()
    return True


@bp.post("/kiosk/<code>/tickets/<token>/notify")
@device_language
def kiosk_opt_in(code: str, token: str) -> Any:
    """到号提醒 typed on the kiosk's keypad right after the ticket was taken."""
    _, ticket = _kiosk_ticket_or_404(code, token)
    form = NotifyForm()
    if _opt_in(ticket, form):
        return redirect(url_for("queueing.printed_ticket", code=code, token=token))
    return printed_ticket(code, token, notify_form=form), 422


@bp.post("/kiosk/<code>/tickets/<token>/assist")
@device_language
def kiosk_assist(code: str, token: str) -> Any:
    """帮办代办 asked for on the printed ticket: the clerk will see the holder needs help."""
    _, ticket = _kiosk_ticket_or_404(code, token)
    if ActionForm().validate_on_submit():
        try:
            services.ask_for_help(ticket)
        except DomainError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            db.session.commit()
    return redirect(url_for("queueing.printed_ticket", code=code, token=token))


@bp.post("/t/<token>/notify/stop")
def ticket_opt_out(token: str) -> Any:
    """No more messages for this ticket (the link in each message leads to this page)."""
    ticket = _ticket_or_404(token)
    if ActionForm().validate_on_submit():
        services.opt_out(ticket, now=now_utc())
        db.session.commit()
        flash(_("No more messages will be sent for this ticket."), "success")
    return redirect(url_for("queueing.ticket_page", token=token))


@bp.post("/t/<token>/notify")
def ticket_opt_in(token: str) -> Any:
    """到号提醒 from the resident's own phone (the ticket page)."""
    ticket = _ticket_or_404(token)
    form = NotifyForm()
    if _opt_in(ticket, form):
        flash(_("We will send you a message when your turn is near."), "success")
        return redirect(url_for("queueing.ticket_page", token=token))
    return _ticket_page(ticket, notify_form=form), 422


@bp.get("/t/<token>")
def ticket_page(token: str) -> str | bytes:
    """The resident's live ticket page (the QR code leads here).

    A waiting ticket's page is the same for everyone who opens it until the floor changes: this
    process keeps it (``kept.py``), each answer with the caller's own CSRF token.
    """
    if not keeping.page_keepable():
        return _ticket_page(_ticket_or_404(token))
    now = now_utc()

    def build(place: kept.Place) -> tuple[Any, str | bytes, bool]:
        ticket = _ticket_or_404(token)
        if ticket.state is not TicketState.WAITING:
            return ticket, _ticket_page(ticket), False
        return ticket, keeping.render_keepable(lambda: _ticket_page(ticket, place=place)), True

    key = (token, current_language(), current_mode())
    page = kept.kept_for_ticket(kept.PAGES, key, now=now, build=build, token=token)
    return keeping.with_csrf(page)


def _ticket_page(
    ticket,
    *,
    notify_form: NotifyForm | None = None,
    rating_form: TicketRatingForm | None = None,
    place: kept.Place | None = None,
) -> str:
    now = now_utc()
    done = ticket.state is TicketState.DONE
    return render_template(
        "queueing/ticket.html",
        ticket=ticket,
        center=ticket.center,
        now=now,
        requeue_until=services.requeue_until(ticket),
        position=place(ticket) if place is not None else services.queue_position(ticket, now=now),
        # only a closed case is rated: a ticket still in the queue fetches the form when it
        # closes (``rating_form``), with what its case knows then
        rating_form=rating_form or (TicketRatingForm(formdata=None) if done else None),
        has_phone=done and ratings.has_phone(ticket),
        notify_form=notify_form or NotifyForm(formdata=None),
    )


@bp.get("/t/<token>/evaluation")
def rating_form(token: str) -> Any:
    """The rating form alone, for the ticket page to show once the case closes without a
    reload; nothing (204) while there is nothing to rate."""
    ticket = _ticket_or_404(token)
    if ticket.state is not TicketState.DONE or ticket.case is None or ticket.case.evaluation:
        return "", 204
    return render_template(
        "queueing/_rating_form.html",
        rating_form=TicketRatingForm(formdata=None),
        rating_action=url_for("queueing.rate", token=token),
        has_phone=ratings.has_phone(ticket),
    )


@bp.post("/t/<token>/evaluation")
def rate(token: str) -> Any:
    """Take the resident's one rating (好差评) of the closed case, then show the page again."""
    ticket = _ticket_or_404(token)
    form = TicketRatingForm()
    try:
        if not _rate(ticket, form):
            return _ticket_page(ticket, rating_form=form), 422
    except DomainError as exc:
        flash(str(exc), "error")
    else:
        flash(_("Thank you for your rating!"), "success")
    return redirect(url_for("queueing.ticket_page", token=token))


def _rate(ticket, form: TicketRatingForm) -> bool:
    """Record the rating in ``form`` and commit; False with the message beside its field.

    :raises DomainError: (rolled back) not about a field (``NotRateable``, ``AlreadyRated``),
        for the page to say at its top.
    """
    if not form.validate_on_submit():
        return False
    try:
        ratings.rate_case(
            ticket,
            rating=form.rating.data,
            comment=form.comment.data,
            efficiency=form.efficiency.data,
            attitude=form.attitude.data,
            service_level=form.service_level.data,
            follow_up_consent=bool(form.follow_up_consent.data),
            contact=form.contact.data,
            now=now_utc(),
        )
    except DomainError as exc:
        db.session.rollback()
        if exc.field not in form:
            raise
        form[exc.field].errors = [*form[exc.field].errors, str(exc)]
        return False
    db.session.commit()
    return True


# -- 好差评 at the kiosk: scan the ticket's QR code, then rate ----------------------------------

#: an abandoned rating form goes back to the start after this long without a touch
KIOSK_RATING_IDLE_SECONDS = 90


@bp.get("/kiosk/<code>/rate")
@device_language
def kiosk_rate(code: str) -> Response:
    """Rate our service: the screen that waits for the ticket's QR code at the scanner."""
    center = _center_or_404(code)
    return _kiosk_page(
        "queueing/kiosk_rate_scan.html", center=center, form=KioskArrivalForm(formdata=None)
    )


@bp.post("/kiosk/<code>/rate")
@device_language
def kiosk_rate_scan(code: str) -> Any:
    """The scanned ticket: its rating form, or why it cannot be rated, beside the scan field.

    The form is the answer to the scan (no address with the token to page back to).
    """
    center = _center_or_404(code)
    form = KioskArrivalForm()
    if not form.validate_on_submit():
        return _kiosk_rate_scan_page(center, form, _("Scan the QR code on your ticket.")), 422
    try:
        ticket = services.get_ticket_by_token(remote.token_of_scan(form.ticket.data))
        if ticket.center_id != center.id:
            raise NotFound(_("This ticket is for another service center."))
        ratings.check_rateable(ticket)
    except DomainError as exc:
        status = 409 if isinstance(exc, ratings.NotRateable | ratings.AlreadyRated) else 422
        return _kiosk_rate_scan_page(center, form, str(exc)), status
    return _kiosk_rating_page(center, ticket, TicketRatingForm(formdata=None))


def _kiosk_rate_scan_page(center, form: KioskArrivalForm, message: str) -> Response:
    form.ticket.errors = [message]
    form.ticket.data = ""  # the next scan replaces it
    return _kiosk_page("queueing/kiosk_rate_scan.html", center=center, form=form)


def _kiosk_rating_page(center, ticket, form: TicketRatingForm) -> Response:
    return _kiosk_page(
        "queueing/kiosk_rate.html",
        center=center,
        ticket=ticket,
        rating_form=form,
        has_phone=ratings.has_phone(ticket),
        return_seconds=KIOSK_RATING_IDLE_SECONDS,
    )


@bp.post("/kiosk/<code>/rate/<token>")
@device_language
def kiosk_rate_ticket(code: str, token: str) -> Any:
    """The rating sent from the kiosk: the thank-you screen, or the form with its errors."""
    center, ticket = _kiosk_ticket_or_404(code, token)
    form = TicketRatingForm()
    try:
        if not _rate(ticket, form):
            return _kiosk_rating_page(center, ticket, form), 422
    except DomainError as exc:
        return _kiosk_rate_scan_page(center, KioskArrivalForm(formdata=None), str(exc)), 409
    return redirect(url_for("queueing.kiosk_rate_thanks", code=code))


@bp.get("/kiosk/<code>/rate/thanks")
@device_language
def kiosk_rate_thanks(code: str) -> Response:
    """Thank you, then back to the start by itself."""
    center = _center_or_404(code)
    return _kiosk_page(
        "queueing/kiosk_rate_thanks.html", center=center, return_seconds=KIOSK_RETURN_SECONDS
    )


@bp.post("/kiosk/<code>/requeue")
@device_language
def requeue_missed(code: str) -> Any:
    """Put a resident who missed their call back in the queue, by their ticket number."""
    center = _center_or_404(code)
    form = KioskRequeueForm()
    if not form.validate_on_submit():
        flash(_("Enter your ticket number, e.g. B017."), "error")
        return redirect(url_for("queueing.kiosk_requeue", code=code))
    now = now_utc()
    try:
        ticket = services.requeue_missed_ticket(center, form.number.data, now=now)
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("queueing.kiosk_requeue", code=code))
    db.session.commit()
    ahead = services.queue_position(ticket, now=now).ahead
    flash(
        _(
            "Ticket %(number)s is back in the queue, behind %(ahead)d waiting. "
            "Please listen for your number.",
            number=ticket.number,
            ahead=ahead,
        ),
        "success",
    )
    return redirect(url_for("queueing.kiosk", code=code))


@bp.post("/kiosk/<code>/arrivals")
@device_language
def kiosk_arrival(code: str) -> Any:
    """The kiosk scanned a ticket taken from the phone: its holder is in the hall. A remote
    ticket whose turn came before is put back (once, under the requeue rule)."""
    center = _center_or_404(code)
    form = KioskArrivalForm()
    back = redirect(url_for("queueing.kiosk_check_in", code=code, _anchor="arrival"))
    if not form.validate_on_submit():
        flash(_("Scan the QR code on your phone's ticket page."), "error")
        return back
    now = now_utc()
    try:
        ticket = services.get_ticket_by_token(remote.token_of_scan(form.ticket.data))
        if ticket.center_id != center.id:
            raise NotFound(_("This ticket is for another service center."))
        if ticket.is_remote and ticket.can("requeue"):
            ticket = services.requeue_ticket(ticket, now=now)
        else:
            ticket = remote.confirm_arrival(ticket, now=now)
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return back
    db.session.commit()
    flash(
        _(
            "Ticket %(number)s: welcome, you are in the queue with %(ahead)d ahead of you. "
            "Please listen for your number.",
            number=ticket.number,
            ahead=services.queue_position(ticket, now=now).ahead,
        ),
        "success",
    )
    return redirect(url_for("queueing.kiosk", code=code))


@bp.post("/t/<token>/arrived")
def ticket_arrived(token: str) -> Any:
    """ "I have arrived": the holder of a remote ticket says, on its page, they are in the hall."""
    ticket = _ticket_or_404(token)
    if ActionForm().validate_on_submit():
        try:
            remote.confirm_arrival(ticket, now=now_utc())
        except DomainError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash(_("Thank you: you will be called when it is your turn."), "success")
    return redirect(url_for("queueing.ticket_page", token=token))


# -- 远程取号: a ticket from the phone -------------------------------------------------------


@bp.get("/remote/<code>")
def remote_items(code: str) -> str:
    """The items a resident may take a ticket for from the phone (search as at the kiosk)."""
    center = _center_or_404(code)
    query = request.args.get("q", "").strip()[: catalogue.MAX_QUERY_LENGTH]
    items = []
    if center.remote_tickets:
        items = [i for i in catalogue.search_services(center, query) if i.remote_allowed]
    return render_template(
        "queueing/remote_items.html",
        center=center,
        query=query,
        groups=catalogue.group_by_case_type(items),
        count=len(items),
        open_now=remote.remote_open(center, now_utc()),
    )


@bp.route("/remote/<code>/<int:service_id>", methods=["GET", "POST"])
@remote_limit
def remote_take(code: str, service_id: int) -> Any:
    """Take a ticket for one item from the phone: the number its messages go to."""
    center = _center_or_404(code)
    if service_id > MAX_ID:  # a larger id is simply not an item
        abort(404)
    try:
        item = catalogue.get_service(center, service_id)
    except NotFound:
        abort(404)
    form = RemoteTicketForm()
    status = 200
    if form.validate_on_submit():
        try:
            ticket = remote.issue_remote(
                code, item.id, phone=form.phone.data, now=now_utc(), locale=locale_code()
            )
        except DomainError as exc:
            db.session.rollback()
            if exc.field == "phone":
                form.phone.errors = [*form.phone.errors, str(exc)]
            else:
                flash(str(exc), "error")
            status = 422
        else:
            db.session.commit()
            return redirect(url_for("queueing.ticket_page", token=ticket.token))
    elif form.is_submitted():
        status = 422
    return render_template(
        "queueing/remote_take.html",
        center=center,
        item=item,
        form=form,
        open_now=remote.remote_open(center, now_utc()),
        offered=center.remote_tickets and item.remote_allowed,
    ), status


@bp.get("/t/<token>/qr.svg")
def ticket_qr(token: str) -> Response:
    ticket = _ticket_or_404(token)
    svg = qr_svg(url_for("queueing.ticket_page", token=ticket.token, _external=True), scale=6)
    return Response(
        svg, mimetype="image/svg+xml", headers={"Cache-Control": "private, max-age=3600"}
    )


def _ticket_or_404(token: str):
    try:
        return services.get_ticket_by_token(token)
    except NotFound:
        abort(404)
