"""The admin area's pages: centers, windows, staff, devices and the audit trail.

Each page asks the permission table (``permissions.py``) and calls one domain function of this
area; a refused change is shown next to its field (or above the form when it names tickets),
and nothing is written. Items and their import/export are in ``item_views.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select

from ..auth.models import Role
from ..catalogue import services as catalogue
from ..catalogue.models import CaseType, Center, ServiceItem
from ..clock import now_utc
from ..db import db
from ..errors import DomainError
from ..quality import service_levels
from ..windows.models import Window
from . import centers, trail, windows
from .forms import (
    ActionForm,
    AuditFilterForm,
    CenterForm,
    WindowForm,
    choices,
)
from .permissions import Do, is_administrator, may

bp = Blueprint("admin", __name__, url_prefix="/admin")

ROLE_LABELS = {
    Role.CLERK: _l("Clerk"),
    Role.SUPERVISOR: _l("Supervisor"),
    Role.ADMIN: _l("Administrator"),
}


@bp.before_request
@login_required
def _administrators_only() -> None:
    if not is_administrator(current_user):
        abort(403)


@bp.after_request
def _never_cached(response: Response) -> Response:
    # one-time passwords and tokens are shown once: no copy in any cache
    response.headers["Cache-Control"] = "no-store"
    return response


def center_for(code: str, action: Do) -> Center:
    """The center of the URL, when the caller may do ``action`` there (else 404 / 403)."""
    center = catalogue.get_center(code)
    if not may(current_user, action, center.id):
        abort(403)
    return center


def attempt(form: Any, change: Callable[[], Any]) -> Any:
    """Run a domain change; on a refusal roll back, put its message next to its field (or above
    the form) and return None."""
    try:
        result = change()
    except DomainError as exc:
        db.session.rollback()
        field = getattr(form, exc.field, None) if exc.field else None
        if field is not None and hasattr(field, "errors"):
            field.errors = [*field.errors, str(exc)]
        else:
            form.form_errors.append(str(exc))
        return None
    db.session.commit()
    return result


def refused(exc: DomainError, target: str) -> Response:
    db.session.rollback()
    flash(str(exc), "error")
    return redirect(target)


def _status(form: Any) -> int:
    return 200 if request.method == "GET" or not form.errors and not form.form_errors else 422


# ---------------------------------------------------------------------------- home, centers


@bp.get("/")
def index() -> str:
    if may(current_user, Do.CREATE_CENTER):
        visible = catalogue.list_centers()
    else:
        visible = [c for c in catalogue.list_centers() if c.id == current_user.center_id]
    return render_template("admin/index.html", centers=visible, Do=Do, may=may)


def _center_form(form: CenterForm) -> None:
    form.timezone.choices = choices((z, z) for z in centers.time_zones())


def _center_data(form: CenterForm, code: str | None = None) -> centers.CenterData:
    return centers.CenterData(
        code=(code or form.code.data or "").strip(),
        case_prefix=(form.case_prefix.data or "").strip(),
        name_zh=(form.name_zh.data or "").strip(),
        name_en=(form.name_en.data or "").strip(),
        address_zh=(form.address_zh.data or "").strip(),
        address_en=(form.address_en.data or "").strip(),
        phone=(form.phone.data or "").strip(),
        timezone=form.timezone.data or "",
        slot_minutes=form.slot_minutes.data or 30,
        slot_capacity=form.slot_capacity.data if form.slot_capacity.data is not None else 4,
        booking_horizon_days=(
            form.booking_horizon_days.data if form.booking_horizon_days.data is not None else 14
        ),
        kiosk_priority_enabled=bool(form.kiosk_priority_enabled.data),
        notify_ahead=form.notify_ahead.data if form.notify_ahead.data is not None else 3,
        remote_tickets=bool(form.remote_tickets.data),
        remote_daily_cap=form.remote_daily_cap.data,
        remote_per_phone=_or(form.remote_per_phone.data, 1),
        noshow_limit=_or(form.noshow_limit.data, 2),
        noshow_bar_days=_or(form.noshow_bar_days.data, 30),
        waitlist_hold_minutes=_or(form.waitlist_hold_minutes.data, 30),
        rectification_days=_or(form.rectification_days.data, 5),
        queue_limit=form.queue_limit.data,
        service_limit_percent=form.service_limit_percent.data,
        duty_contact=form.duty_contact.data,
    )


def _or(value: int | None, default: int) -> int:
    return value if value is not None else default


@bp.route("/centers/new", methods=["GET", "POST"])
def new_center() -> Any:
    if not may(current_user, Do.CREATE_CENTER):
        abort(403)
    form = CenterForm()
    _center_form(form)
    if request.method == "GET":
        form.timezone.data = "Asia/Shanghai"
        form.slot_minutes.data = 30
    if form.validate_on_submit():
        data = _center_data(form)
        center = attempt(
            form, lambda: centers.create_center(data, actor=current_user, now=now_utc())
        )
        if center is not None:
            flash(
                _(
                    "Center %(name)s created. Add its windows, items, hours and staff.",
                    name=center.name_zh,
                ),
                "success",
            )
            return redirect(url_for(".center", code=center.code))
    return render_template("admin/center_form.html", form=form, center=None), _status(form)


@bp.route("/centers/<code>", methods=["GET", "POST"])
def center(code: str) -> Any:
    center = center_for(code, Do.EDIT_CENTER)
    form = CenterForm(obj=center)
    _center_form(form)
    may_recode = may(current_user, Do.CREATE_CENTER)
    if form.validate_on_submit():
        data = _center_data(form, None if may_recode else center.code)
        changed = attempt(
            form, lambda: centers.update_center(center, data, actor=current_user, now=now_utc())
        )
        if changed is not None:
            flash(_("Saved."), "success")
            return redirect(url_for(".center", code=changed.code))
    return _center_page(center, form, may_recode=may_recode)


def _center_page(
    center: Center, form: CenterForm, *, status: int | None = None, **extra: Any
) -> Any:
    return (
        render_template(
            "admin/center_form.html",
            form=form,
            center=center,
            case_types=db.session.scalars(select(CaseType).order_by(CaseType.position)).all(),
            letters=centers.ticket_letters(center),
            letter_errors=extra.pop("letter_errors", {}),
            wait_limits=service_levels.wait_limits(center),
            wait_errors=extra.pop("wait_errors", {}),
            action_form=ActionForm(),
            **extra,
        ),
        status or _status(form),
    )


@bp.post("/centers/<code>/ticket-letters")
def ticket_letters(code: str) -> Any:
    center = center_for(code, Do.EDIT_CENTER)
    if not ActionForm().validate_on_submit():
        abort(400)
    wanted = {
        case_type.id: request.form[f"prefix_{case_type.id}"]
        for case_type in db.session.scalars(select(CaseType))
        if request.form.get(f"prefix_{case_type.id}", "").strip()  # empty: as it is
    }
    try:
        centers.set_ticket_letters(center, wanted, actor=current_user, now=now_utc())
    except DomainError as exc:
        db.session.rollback()
        form = CenterForm(obj=center)
        _center_form(form)
        return _center_page(
            center,
            form,
            status=422,
            may_recode=may(current_user, Do.CREATE_CENTER),
            letter_errors={exc.field: str(exc)},
        )
    db.session.commit()
    flash(_("Ticket letters saved."), "success")
    return redirect(url_for(".center", code=center.code))


@bp.post("/centers/<code>/wait-limits")
def wait_limits(code: str) -> Any:
    center = center_for(code, Do.EDIT_CENTER)
    if not ActionForm().validate_on_submit():
        abort(400)
    wanted: dict[int, int | None] = {}
    errors: dict[str, str] = {}
    for case_type in db.session.scalars(select(CaseType)):
        name = f"wait_{case_type.id}"
        raw = request.form.get(name, "").strip()
        if not raw:
            wanted[case_type.id] = None
        elif raw.isdigit() and len(raw) <= 4:
            wanted[case_type.id] = int(raw)
        else:
            errors[name] = _("The longest wait is 1 to 600 minutes, or empty for no limit.")
    if not errors:
        try:
            centers.set_wait_limits(center, wanted, actor=current_user, now=now_utc())
        except DomainError as exc:
            errors[exc.field or ""] = str(exc)
    if errors:
        db.session.rollback()
        form = CenterForm(obj=center)
        _center_form(form)
        return _center_page(
            center,
            form,
            status=422,
            may_recode=may(current_user, Do.CREATE_CENTER),
            wait_errors=errors,
        )
    db.session.commit()
    flash(_("Longest waits saved."), "success")
    return redirect(url_for(".center", code=center.code))


# ---------------------------------------------------------------------------- windows


def _window_form(form: WindowForm, center: Center) -> None:
    items = db.session.scalars(
        select(ServiceItem)
        .where(ServiceItem.center_id == center.id, ServiceItem.is_active)
        .order_by(ServiceItem.case_type_id, ServiceItem.code)
    )
    form.service_ids.choices = choices((item.id, f"{item.name} ({item.code})") for item in items)
    case_types = db.session.scalars(select(CaseType).order_by(CaseType.position))
    form.case_type_ids.choices = choices((ct.id, ct.name) for ct in case_types)


def _window_data(form: WindowForm) -> windows.WindowData:
    return windows.WindowData(
        number=form.number.data or 0,
        name_zh=(form.name_zh.data or "").strip(),
        name_en=(form.name_en.data or "").strip(),
        is_comprehensive=bool(form.is_comprehensive.data),
        service_ids=frozenset(form.service_ids.data or ()),
        case_type_ids=frozenset(form.case_type_ids.data or ()),
    )


@bp.get("/centers/<code>/windows")
def window_list(code: str) -> str:
    center = center_for(code, Do.MANAGE_WINDOWS)
    rows = list(
        db.session.scalars(
            select(Window).where(Window.center_id == center.id).order_by(Window.number)
        )
    )
    return render_template(
        "admin/windows.html",
        center=center,
        windows=rows,
        case_types={w.id: windows.case_types_of(w) for w in rows},
        action_form=ActionForm(),
    )


@bp.route("/centers/<code>/windows/new", methods=["GET", "POST"])
def new_window(code: str) -> Any:
    center = center_for(code, Do.MANAGE_WINDOWS)
    form = WindowForm()
    _window_form(form, center)
    if request.method == "GET":
        taken = db.session.scalars(select(Window.number).where(Window.center_id == center.id))
        form.number.data = max(taken, default=0) + 1
    if form.validate_on_submit():
        data = _window_data(form)
        window = attempt(
            form,
            lambda: windows.create_window(center, data, actor=current_user, now=now_utc()),
        )
        if window is not None:
            flash(_("Window %(n)d added.", n=window.number), "success")
            return redirect(url_for(".window_list", code=center.code))
    return (
        render_template("admin/window_form.html", form=form, center=center, window=None),
        _status(form),
    )


def _window_of(center: Center, window_id: int) -> Window:
    window = db.session.get(Window, window_id)
    if window is None or window.center_id != center.id:
        abort(404)
    return window


@bp.route("/centers/<code>/windows/<int:window_id>", methods=["GET", "POST"])
def window(code: str, window_id: int) -> Any:
    center = center_for(code, Do.MANAGE_WINDOWS)
    window = _window_of(center, window_id)
    form = WindowForm(obj=window)
    _window_form(form, center)
    if request.method == "GET":
        form.service_ids.data = [item.id for item in window.services]
    if form.validate_on_submit():
        data = _window_data(form)
        changed = attempt(
            form,
            lambda: windows.update_window(window, data, actor=current_user, now=now_utc()),
        )
        if changed is not None:
            flash(_("Window %(n)d saved.", n=changed.number), "success")
            return redirect(url_for(".window_list", code=center.code))
    return (
        render_template(
            "admin/window_form.html",
            form=form,
            center=center,
            window=window,
            action_form=ActionForm(),
        ),
        _status(form),
    )


@bp.post("/centers/<code>/windows/<int:window_id>/retire")
def retire_window(code: str, window_id: int) -> Response:
    center = center_for(code, Do.MANAGE_WINDOWS)
    window = _window_of(center, window_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        windows.retire_window(window, actor=current_user, now=now_utc())
    except DomainError as exc:
        return refused(exc, url_for(".window", code=center.code, window_id=window.id))
    db.session.commit()
    flash(_("Window %(n)d retired.", n=window.number), "success")
    return redirect(url_for(".window_list", code=center.code))


@bp.post("/centers/<code>/windows/<int:window_id>/reinstate")
def reinstate_window(code: str, window_id: int) -> Response:
    center = center_for(code, Do.MANAGE_WINDOWS)
    window = _window_of(center, window_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    windows.reinstate_window(window, actor=current_user, now=now_utc())
    db.session.commit()
    flash(
        _("Window %(n)d is back in service (closed until a clerk signs on).", n=window.number),
        "success",
    )
    return redirect(url_for(".window_list", code=center.code))


# ---------------------------------------------------------------------------- audit trail


def _trail_filter() -> tuple[AuditFilterForm, trail.TrailFilter]:
    form = AuditFilterForm(request.args)
    visible = (
        catalogue.list_centers()
        if may(current_user, Do.CREATE_CENTER)
        else [c for c in catalogue.list_centers() if c.id == current_user.center_id]
    )
    everywhere = [("", _("All"))] if len(visible) > 1 else []
    form.center.choices = choices([*everywhere, *((c.code, c.name) for c in visible)])
    form.object_type.choices = choices([("", _("All")), *((t, t) for t in trail.OBJECT_TYPES)])
    form.validate()
    center_id = next((c.id for c in visible if c.code == form.center.data), None)
    wanted = trail.TrailFilter(
        center_id=center_id,
        person=form.person.data or "",
        object_type=form.object_type.data or "",
        since=form.since.data if not form.since.errors else None,
        until=form.until.data if not form.until.errors else None,
    )
    return form, wanted


@bp.get("/audit")
def audit_trail() -> str:
    if not may(current_user, Do.VIEW_AUDIT):
        abort(403)
    form, wanted = _trail_filter()
    records, pages = trail.page(current_user, wanted, request.args.get("page", 1, type=int))
    return render_template(
        "admin/audit.html",
        form=form,
        records=records,
        pages=pages,
        number=min(max(1, request.args.get("page", 1, type=int)), pages),
        names=trail.center_names(),
    )


@bp.get("/audit.csv")
def audit_csv() -> Response:
    if not may(current_user, Do.VIEW_AUDIT):
        abort(403)
    _form, wanted = _trail_filter()
    response = Response(
        stream_with_context(trail.csv_lines(current_user, wanted)),
        mimetype="text/csv",
    )
    response.headers["Content-Disposition"] = 'attachment; filename="audit.csv"'
    return response


@bp.context_processor
def _permissions() -> dict[str, Any]:
    return {"may": may, "Do": Do}


# the catalogue's and the calendar's pages register on the same blueprint
from . import bar_views, calendar_views, item_views, staff_views  # noqa: E402, F401
