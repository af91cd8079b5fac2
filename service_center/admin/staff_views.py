"""The admin area's pages for people and devices: staff accounts (a one-time password shown
once, disabling, windows a clerk may staff) and the device tokens of kiosks and screens."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from ..auth import services as auth
from ..auth.models import ApiToken, Role, User
from ..catalogue.models import Center
from ..clock import now_utc
from ..db import db
from ..errors import DomainError
from ..windows.models import Window
from . import staff
from .forms import ActionForm, DeviceTokenForm, StaffEditForm, StaffForm, choices
from .permissions import Do, may_manage_account
from .views import ROLE_LABELS, _status, attempt, bp, center_for, refused

# ---------------------------------------------------------------------------- staff


def _staff_of(center: Center, user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None or user.center_id != center.id:
        abort(404)
    if not may_manage_account(current_user, user.role, center.id):
        abort(403)
    return user


def _window_choices(center: Center) -> list[Any]:
    rows = db.session.scalars(
        select(Window)
        .where(Window.center_id == center.id, Window.retired_dt.is_(None))
        .order_by(Window.number)
    )
    return choices((w.id, _("Window %(n)d · %(name)s", n=w.number, name=w.name)) for w in rows)


@bp.get("/centers/<code>/staff")
def staff_list(code: str) -> str:
    center = center_for(code, Do.MANAGE_CLERKS)
    people = list(
        db.session.scalars(
            select(User).where(User.center_id == center.id).order_by(User.role, User.username)
        )
    )
    return render_template(
        "admin/staff.html",
        center=center,
        people=people,
        action_form=ActionForm(),
        manageable={u.id for u in people if may_manage_account(current_user, u.role, center.id)},
        windows_of={u.id: staff._windows_of(u) for u in people if u.role is Role.CLERK},
        now=now_utc(),
    )


@bp.route("/centers/<code>/staff/new", methods=["GET", "POST"])
def new_staff(code: str) -> Any:
    center = center_for(code, Do.MANAGE_CLERKS)
    form = StaffForm()
    roles = [
        r for r in (Role.CLERK, Role.SUPERVISOR) if may_manage_account(current_user, r, center.id)
    ]
    form.role.choices = choices((r.value, str(ROLE_LABELS[r])) for r in roles)
    form.window_ids.choices = _window_choices(center)
    if request.method == "GET":
        form.role.data = Role.CLERK.value
    if form.validate_on_submit():
        role = Role(form.role.data)
        created = attempt(
            form,
            lambda: staff.create_staff(
                username=form.username.data or "",
                display_name=form.display_name.data or "",
                role=role,
                center=center,
                window_ids=form.window_ids.data or (),
                actor=current_user,
                now=now_utc(),
            ),
        )
        if created is not None:
            user, password = created
            return render_template(
                "admin/one_time_password.html",
                center=center,
                user=user,
                password=password,
                created=True,
            )
    return render_template("admin/staff_form.html", form=form, center=center, user=None), _status(
        form
    )


@bp.route("/centers/<code>/staff/<int:user_id>", methods=["GET", "POST"])
def staff_member(code: str, user_id: int) -> Any:
    center = center_for(code, Do.MANAGE_CLERKS)
    user = _staff_of(center, user_id)
    form = StaffEditForm(obj=user)
    form.window_ids.choices = _window_choices(center)
    if request.method == "GET":
        form.window_ids.data = [w.id for w in staff._windows_of(user)]
    if form.validate_on_submit():
        changed = attempt(
            form,
            lambda: staff.update_staff(
                user,
                display_name=form.display_name.data or "",
                window_ids=form.window_ids.data or () if user.role is Role.CLERK else (),
                actor=current_user,
                now=now_utc(),
            ),
        )
        if changed is not None:
            flash(_("Saved."), "success")
            return redirect(url_for(".staff_list", code=center.code))
    return (
        render_template(
            "admin/staff_form.html", form=form, center=center, user=user, action_form=ActionForm()
        ),
        _status(form),
    )


def _staff_action(code: str, user_id: int, act: Callable[[User], Any], done: str) -> Any:
    center = center_for(code, Do.MANAGE_CLERKS)
    user = _staff_of(center, user_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        result = act(user)
    except DomainError as exc:
        return refused(exc, url_for(".staff_list", code=center.code))
    db.session.commit()
    if isinstance(result, str):  # a one-time password: shown on this page only
        return render_template(
            "admin/one_time_password.html",
            center=center,
            user=user,
            password=result,
            created=False,
        )
    flash(done % {"name": user.username}, "success")
    return redirect(url_for(".staff_list", code=center.code))


@bp.post("/centers/<code>/staff/<int:user_id>/disable")
def disable_staff(code: str, user_id: int) -> Any:
    return _staff_action(
        code,
        user_id,
        lambda u: staff.set_enabled(u, False, actor=current_user, now=now_utc()),
        _("%(name)s can no longer sign in."),
    )


@bp.post("/centers/<code>/staff/<int:user_id>/enable")
def enable_staff(code: str, user_id: int) -> Any:
    return _staff_action(
        code,
        user_id,
        lambda u: staff.set_enabled(u, True, actor=current_user, now=now_utc()),
        _("%(name)s can sign in again."),
    )


@bp.post("/centers/<code>/staff/<int:user_id>/reset-password")
def reset_password(code: str, user_id: int) -> Any:
    return _staff_action(
        code,
        user_id,
        lambda u: staff.reset_password(u, actor=current_user, now=now_utc()),
        "",
    )


@bp.post("/centers/<code>/staff/<int:user_id>/unlock")
def unlock_staff(code: str, user_id: int) -> Any:
    return _staff_action(
        code,
        user_id,
        lambda u: auth.unlock(u, actor=current_user, now=now_utc()),
        _("%(name)s can sign in again."),
    )


# ---------------------------------------------------------------------------- devices


@bp.route("/centers/<code>/devices", methods=["GET", "POST"])
def devices(code: str) -> Any:
    center = center_for(code, Do.MANAGE_DEVICES)
    accounts = [
        u
        for u in db.session.scalars(
            select(User).where(User.center_id == center.id, User.is_enabled).order_by(User.username)
        )
        if may_manage_account(current_user, u.role, center.id)
    ]
    form = DeviceTokenForm()
    form.user_id.choices = choices((u.id, f"{u.display_name} ({u.username})") for u in accounts)
    if form.validate_on_submit():
        account = next((u for u in accounts if u.id == form.user_id.data), None)
        if account is None:
            abort(403)
        issued = attempt(
            form,
            lambda: staff.issue_device_token(
                account, form.name.data or "", actor=current_user, now=now_utc()
            ),
        )
        if issued is not None:
            row, token = issued
            return render_template("admin/device_token.html", center=center, row=row, token=token)
    tokens = list(
        db.session.scalars(
            select(ApiToken)
            .join(User, User.id == ApiToken.user_id)
            .where(User.center_id == center.id)
            .order_by(ApiToken.revoked_dt.is_not(None), ApiToken.created_dt.desc())
        )
    )
    return (
        render_template(
            "admin/devices.html", center=center, form=form, tokens=tokens, action_form=ActionForm()
        ),
        _status(form),
    )


@bp.post("/centers/<code>/devices/<int:token_id>/revoke")
def revoke_device(code: str, token_id: int) -> Response:
    center = center_for(code, Do.MANAGE_DEVICES)
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user.center_id != center.id:
        abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    staff.revoke_device_token(token, actor=current_user, now=now_utc())
    db.session.commit()
    flash(_("The device %(name)s can no longer call the API.", name=token.name), "success")
    return redirect(url_for(".devices", code=center.code))
