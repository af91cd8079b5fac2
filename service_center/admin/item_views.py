"""The admin area's catalogue pages: items, their import (checked first) and export."""

from __future__ import annotations

import base64
import binascii
import hashlib
from typing import Any

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from ..catalogue.models import CaseType, Center, Department, ServiceItem
from ..clock import now_utc
from ..db import db
from ..errors import DomainError
from ..windows.models import Window
from . import catalogue_file, items
from . import departments as department_rules
from .forms import ActionForm, ConfirmImportForm, DepartmentForm, ImportForm, ItemForm, choices
from .permissions import Do, may
from .views import _status, attempt, bp, center_for, refused


def _item_form(form: ItemForm, center: Center) -> None:
    departments = db.session.scalars(select(Department).order_by(Department.code))
    form.department_id.choices = choices((d.id, d.name) for d in departments)
    case_types = db.session.scalars(select(CaseType).order_by(CaseType.position))
    form.case_type_id.choices = choices((c.id, c.name) for c in case_types)
    windows = db.session.scalars(
        select(Window)
        .where(Window.center_id == center.id, Window.retired_dt.is_(None))
        .order_by(Window.number)
    )
    form.window_ids.choices = choices(
        (w.id, _("Window %(n)d · %(name)s", n=w.number, name=w.name)) for w in windows
    )


def _item_data(form: ItemForm) -> items.ItemData:
    return items.ItemData(
        code=(form.code.data or "").strip(),
        national_code=form.national_code.data or None,
        name_zh=(form.name_zh.data or "").strip(),
        name_en=(form.name_en.data or "").strip(),
        department_id=form.department_id.data or 0,
        case_type_id=form.case_type_id.data or 0,
        materials_zh=(form.materials_zh.data or "").strip(),
        materials_en=(form.materials_en.data or "").strip(),
        is_on_the_spot=bool(form.is_on_the_spot.data),
        time_limit_days=form.time_limit_days.data,
        service_minutes=form.service_minutes.data or 10,
        is_bookable=bool(form.is_bookable.data),
        slot_capacity=form.slot_capacity.data,
        needs_applicant=bool(form.needs_applicant.data),
        remote_allowed=bool(form.remote_allowed.data),
        window_ids=frozenset(form.window_ids.data or ()),
    )


def _item_of(center: Center, item_id: int) -> ServiceItem:
    item = db.session.get(ServiceItem, item_id)
    if item is None or item.center_id != center.id:
        abort(404)
    return item


@bp.get("/centers/<code>/items")
def item_list(code: str) -> str:
    center = center_for(code, Do.MANAGE_ITEMS)
    rows = list(
        db.session.scalars(
            select(ServiceItem)
            .where(ServiceItem.center_id == center.id)
            .order_by(ServiceItem.is_active.desc(), ServiceItem.case_type_id, ServiceItem.code)
        )
    )
    numbers = {
        w.id: w.number
        for w in db.session.scalars(select(Window).where(Window.center_id == center.id))
    }
    windows = catalogue_file.item_windows(center)
    return render_template(
        "admin/items.html",
        center=center,
        items=rows,
        window_numbers={i.id: sorted(numbers[w] for w in windows.get(i.id, ())) for i in rows},
        action_form=ActionForm(),
    )


@bp.route("/centers/<code>/items/new", methods=["GET", "POST"])
def new_item(code: str) -> Any:
    center = center_for(code, Do.MANAGE_ITEMS)
    form = ItemForm()
    _item_form(form, center)
    if request.method == "GET":
        form.is_on_the_spot.data = True
    if form.validate_on_submit():
        data = _item_data(form)
        item = attempt(
            form, lambda: items.create_item(center, data, actor=current_user, now=now_utc())
        )
        if item is not None:
            flash(_("Item %(name)s added.", name=item.name), "success")
            return redirect(url_for(".item_list", code=center.code))
    return (
        render_template("admin/item_form.html", form=form, center=center, item=None),
        _status(form),
    )


@bp.route("/centers/<code>/items/<int:item_id>", methods=["GET", "POST"])
def item(code: str, item_id: int) -> Any:
    center = center_for(code, Do.MANAGE_ITEMS)
    item = _item_of(center, item_id)
    form = ItemForm(obj=item)
    _item_form(form, center)
    if request.method == "GET":
        form.window_ids.data = [w.id for w in items.windows_of(item)]
    if form.validate_on_submit():
        data = _item_data(form)
        changed = attempt(
            form, lambda: items.update_item(item, data, actor=current_user, now=now_utc())
        )
        if changed is not None:
            flash(_("Item %(name)s saved.", name=changed.name), "success")
            return redirect(url_for(".item_list", code=center.code))
    return (
        render_template(
            "admin/item_form.html", form=form, center=center, item=item, action_form=ActionForm()
        ),
        _status(form),
    )


def _set_active(code: str, item_id: int, active: bool) -> Response:
    center = center_for(code, Do.MANAGE_ITEMS)
    item = _item_of(center, item_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        items.set_active(item, active, actor=current_user, now=now_utc())
    except DomainError as exc:
        return refused(exc, url_for(".item", code=center.code, item_id=item.id))
    db.session.commit()
    flash(
        _("Item %(name)s is offered again.", name=item.name)
        if active
        else _("Item %(name)s retired.", name=item.name),
        "success",
    )
    return redirect(url_for(".item_list", code=center.code))


@bp.post("/centers/<code>/items/<int:item_id>/retire")
def retire_item(code: str, item_id: int) -> Response:
    return _set_active(code, item_id, False)


@bp.post("/centers/<code>/items/<int:item_id>/reinstate")
def reinstate_item(code: str, item_id: int) -> Response:
    return _set_active(code, item_id, True)


# ---------------------------------------------------------------------------- import, export


@bp.route("/centers/<code>/items/import", methods=["GET", "POST"])
def import_items(code: str) -> Any:
    """Upload → a dry run (the differences, or every bad row) → confirm → written."""
    center = center_for(code, Do.MANAGE_ITEMS)
    form = ImportForm()
    if form.validate_on_submit():
        upload = form.file.data
        content = upload.read(catalogue_file.MAX_BYTES + 1)
        filename = upload.filename or ""
        checked = catalogue_file.check_file(center, filename, content, now=now_utc())
        db.session.rollback()  # a dry run: nothing of it stays
        confirm = ConfirmImportForm(formdata=None, digest=hashlib.sha256(content).hexdigest())
        return (
            render_template(
                "admin/import_check.html",
                center=center,
                checked=checked,
                filename=filename,
                payload=base64.b64encode(content).decode(),
                confirm=confirm,
            ),
            200 if checked.ok else 422,
        )
    return render_template("admin/import.html", center=center, form=form), _status(form)


@bp.post("/centers/<code>/items/import/confirm")
def confirm_import(code: str) -> Any:
    """Write the file checked on the previous page: checked again, then written whole."""
    center = center_for(code, Do.MANAGE_ITEMS)
    confirm = ConfirmImportForm()
    try:
        content = base64.b64decode(request.form.get("payload", ""), validate=True)
    except (binascii.Error, ValueError):
        abort(400)
    filename = request.form.get("filename", "")
    if (
        not confirm.validate_on_submit()
        or hashlib.sha256(content).hexdigest() != confirm.digest.data
    ):
        abort(400)
    now = now_utc()
    checked = catalogue_file.check_file(center, filename, content, now=now)
    if checked.ok:
        try:
            catalogue_file.apply(center, checked, actor=current_user, now=now)
        except DomainError as exc:
            db.session.rollback()
            checked.errors.append(catalogue_file.RowError(0, "", str(exc)))
        else:
            db.session.commit()
            flash(
                _(
                    "Imported: %(added)d added, %(changed)d changed, %(retired)d retired.",
                    added=len(checked.added),
                    changed=len(checked.changed),
                    retired=len(checked.retired),
                ),
                "success",
            )
            return redirect(url_for(".item_list", code=center.code))
    db.session.rollback()
    return (
        render_template(
            "admin/import_check.html",
            center=center,
            checked=checked,
            filename=filename,
            payload=base64.b64encode(content).decode(),
            confirm=confirm,
        ),
        422,
    )


@bp.get("/centers/<code>/items/export.<any(csv, xlsx):kind>")
def export_items(code: str, kind: str) -> Response:
    center = center_for(code, Do.MANAGE_ITEMS)
    if kind == "csv":
        body, mimetype = catalogue_file.export_csv(center), "text/csv"
    else:
        body = catalogue_file.export_xlsx(center)
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{center.code}-items.{kind}"'
    return response


# ---------------------------------------------------------------------------- departments


def _may_manage_departments() -> None:
    if not may(current_user, Do.MANAGE_DEPARTMENTS):
        abort(403)


@bp.route("/departments", methods=["GET", "POST"])
def departments() -> Any:
    """The county's departments: the list, and a form to add one."""
    _may_manage_departments()
    form = DepartmentForm()
    if form.validate_on_submit():
        added = attempt(
            form,
            lambda: department_rules.create_department(
                form.code.data or "",
                form.name_zh.data or "",
                form.name_en.data or "",
                actor=current_user,
                now=now_utc(),
            ),
        )
        if added is not None:
            flash(_("Department %(name)s added.", name=added.name), "success")
            return redirect(url_for(".departments"))
    rows = list(db.session.scalars(select(Department).order_by(Department.code)))
    return render_template("admin/departments.html", form=form, departments=rows), _status(form)


@bp.route("/departments/<int:department_id>", methods=["GET", "POST"])
def department(department_id: int) -> Any:
    _may_manage_departments()
    row = db.get_or_404(Department, department_id)
    form = DepartmentForm(obj=row)
    if form.validate_on_submit():
        changed = attempt(
            form,
            lambda: department_rules.update_department(
                row,
                form.code.data or "",
                form.name_zh.data or "",
                form.name_en.data or "",
                actor=current_user,
                now=now_utc(),
            ),
        )
        if changed is not None:
            flash(_("Saved."), "success")
            return redirect(url_for(".departments"))
    return render_template("admin/department_form.html", form=form, row=row), _status(form)
