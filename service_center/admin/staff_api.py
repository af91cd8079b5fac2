"""The admin area's endpoints of /api/v1/admin for people and devices: staff accounts, device
tokens, and the audit trail (``api.py`` has centers, windows and items)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from ..api import bp
from ..api.schema import operation
from ..audit import AuditRecord
from ..auth.models import ApiToken, Role, User
from ..catalogue import services as catalogue
from ..catalogue.models import Center
from ..clock import now_utc
from ..db import db
from ..errors import Forbidden, Invalid, NotFound
from ..windows.models import window_staff
from . import staff, trail
from .api import CENTER, NO_STORE, TOKEN, USER, _answer, _iso, center_for
from .permissions import Do, may, may_manage_account
from .schemas import (
    AdminAuditPage,
    AdminAuditQuery,
    AdminDeviceToken,
    AdminIssuedDeviceToken,
    AdminNewDeviceToken,
    AdminNewStaff,
    AdminStaff,
    AdminStaffChanges,
    AdminStaffPassword,
)

# ---------------------------------------------------------------------------- staff


def _windows_given(user_ids: Iterable[int]) -> dict[int, list[int]]:
    """The windows each account may staff, by account (in one query)."""
    given: dict[int, list[int]] = {}
    ids = list(user_ids)
    if ids:
        rows = db.session.execute(
            select(window_staff.c.user_id, window_staff.c.window_id).where(
                window_staff.c.user_id.in_(ids)
            )
        )
        for user_id, window_id in rows:
            given.setdefault(user_id, []).append(window_id)
    return given


def staff_json(user: User, window_ids: Iterable[int]) -> dict[str, Any]:
    return {
        "id": user.id,
        "username": user.username,
        "display_name": user.display_name,
        "role": user.role.value,
        "is_enabled": user.is_enabled,
        "must_change_password": user.must_change_password,
        "window_ids": sorted(window_ids),
        "manageable": may_manage_account(current_user, user.role, user.center_id),
    }


def _one_staff_json(user: User, **extra: Any) -> dict[str, Any]:
    return {**staff_json(user, _windows_given([user.id]).get(user.id, ())), **extra}


def _staff_of(center: Center, user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None or user.center_id != center.id:
        raise NotFound(_("No such account at this center."))
    if not may_manage_account(current_user, user.role, center.id):
        raise Forbidden()
    return user


@bp.get("/admin/centers/<code>/staff")
@operation(
    "A center's accounts, disabled ones included",
    description="`manageable` says which of them the caller may change: a supervisor changes "
    "clerks, a county administrator supervisors too.",
    responses={200: list[AdminStaff]},
    problems=(404,),
    staff=True,
    **CENTER,
)
def admin_staff(code: str) -> Any:
    center = center_for(code, Do.MANAGE_CLERKS)
    people = list(
        db.session.scalars(
            select(User).where(User.center_id == center.id).order_by(User.role, User.username)
        )
    )
    given = _windows_given(u.id for u in people)
    return _answer([staff_json(u, given.get(u.id, ())) for u in people])


@bp.post("/admin/centers/<code>/staff")
@operation(
    "Create an account, with a one-time password shown this once",
    description="The account must replace the password at its first sign-in. 403 for a role "
    "the caller may not create; 409 when the username is taken.",
    body=AdminNewStaff,
    responses={201: ("The account and its one-time password", AdminStaffPassword)},
    problems=(404, 409),
    staff=True,
    headers={201: NO_STORE},
    **CENTER,
)
def admin_create_staff(code: str, body: AdminNewStaff) -> Any:
    center = center_for(code, Do.MANAGE_CLERKS)
    role = Role(body.role)
    if not may_manage_account(current_user, role, center.id):
        raise Forbidden()
    user, password = staff.create_staff(
        username=body.username,
        display_name=body.display_name,
        role=role,
        center=center,
        window_ids=body.window_ids,
        actor=current_user,
        now=now_utc(),
    )
    db.session.commit()
    return _answer(_one_staff_json(user, one_time_password=password), 201)


@bp.put("/admin/centers/<code>/staff/<int:user_id>")
@operation(
    "Change an account's shown name and the windows a clerk may staff",
    description="The fields sent replace the current values; those left out keep theirs. "
    "Only clerks are given windows.",
    body=AdminStaffChanges,
    responses={200: AdminStaff},
    problems=(404,),
    staff=True,
    **USER,
)
def admin_update_staff(code: str, user_id: int, body: AdminStaffChanges) -> Any:
    user = _staff_of(center_for(code, Do.MANAGE_CLERKS), user_id)
    sent = body.sent()
    if "window_ids" in sent:
        window_ids = sent["window_ids"]
    else:
        window_ids = _windows_given([user.id]).get(user.id, [])
    user = staff.update_staff(
        user,
        display_name=sent.get("display_name", user.display_name),
        window_ids=window_ids,
        actor=current_user,
        now=now_utc(),
    )
    db.session.commit()
    return _answer(_one_staff_json(user))


@bp.post("/admin/centers/<code>/staff/<int:user_id>/disable")
@operation(
    "Disable an account: it can no longer sign in, its device tokens stop working",
    description="409 for the caller's own account, or a clerk still signed on to an open window.",
    responses={200: AdminStaff},
    problems=(404, 409),
    staff=True,
    **USER,
)
def admin_disable_staff(code: str, user_id: int) -> Any:
    user = _staff_of(center_for(code, Do.MANAGE_CLERKS), user_id)
    user = staff.set_enabled(user, False, actor=current_user, now=now_utc())
    db.session.commit()
    return _answer(_one_staff_json(user))


@bp.post("/admin/centers/<code>/staff/<int:user_id>/enable")
@operation(
    "Let a disabled account sign in again",
    responses={200: AdminStaff},
    problems=(404,),
    staff=True,
    **USER,
)
def admin_enable_staff(code: str, user_id: int) -> Any:
    user = _staff_of(center_for(code, Do.MANAGE_CLERKS), user_id)
    user = staff.set_enabled(user, True, actor=current_user, now=now_utc())
    db.session.commit()
    return _answer(_one_staff_json(user))


@bp.post("/admin/centers/<code>/staff/<int:user_id>/reset-password")
@operation(
    "Give an account a one-time password, shown this once",
    description="The old password stops working; the account must replace the new one at its "
    "next sign-in.",
    responses={200: ("The account and its one-time password", AdminStaffPassword)},
    problems=(404,),
    staff=True,
    headers={200: NO_STORE},
    **USER,
)
def admin_reset_password(code: str, user_id: int) -> Any:
    user = _staff_of(center_for(code, Do.MANAGE_CLERKS), user_id)
    password = staff.reset_password(user, actor=current_user, now=now_utc())
    db.session.commit()
    return _answer(_one_staff_json(user, one_time_password=password))


# ---------------------------------------------------------------------------- device tokens


def token_json(token: ApiToken, timezone: str) -> dict[str, Any]:
    return {
        "id": token.id,
        "name": token.name,
        "user_id": token.user_id,
        "username": token.user.username,
        "created_at": _iso(token.created_dt, timezone),
        "revoked_at": _iso(token.revoked_dt, timezone),
        "last_used_at": _iso(token.last_used_dt, timezone),
    }


@bp.get("/admin/centers/<code>/devices")
@operation(
    "The device tokens of a center's accounts (never the tokens themselves)",
    description="Those in use first, newest first.",
    responses={200: list[AdminDeviceToken]},
    problems=(404,),
    staff=True,
    **CENTER,
)
def admin_devices(code: str) -> Any:
    center = center_for(code, Do.MANAGE_DEVICES)
    tokens = db.session.scalars(
        select(ApiToken)
        .join(User, User.id == ApiToken.user_id)
        .options(contains_eager(ApiToken.user))
        .where(User.center_id == center.id)
        .order_by(ApiToken.revoked_dt.is_not(None), ApiToken.created_dt.desc(), ApiToken.id)
    )
    return _answer([token_json(t, center.timezone) for t in tokens])


@bp.post("/admin/centers/<code>/devices")
@operation(
    "Issue a bearer token for a device (kiosk, hall screen) acting as an account",
    description="The token is in this answer only: the server keeps its hash. 422 for an "
    "account not of this center; 403 for an account the caller may not manage; 409 for a "
    "disabled account.",
    body=AdminNewDeviceToken,
    responses={201: ("The token, shown this once", AdminIssuedDeviceToken)},
    problems=(404, 409),
    staff=True,
    headers={201: NO_STORE},
    **CENTER,
)
def admin_issue_device_token(code: str, body: AdminNewDeviceToken) -> Any:
    center = center_for(code, Do.MANAGE_DEVICES)
    account = db.session.get(User, body.user_id)
    if account is None or account.center_id != center.id:
        raise Invalid(_("Choose an account of this center."), field="user_id")
    if not may_manage_account(current_user, account.role, center.id):
        raise Forbidden()
    row, token = staff.issue_device_token(account, body.name, actor=current_user, now=now_utc())
    db.session.commit()
    return _answer({**token_json(row, center.timezone), "token": token}, 201)


@bp.post("/admin/centers/<code>/devices/<int:token_id>/revoke")
@operation(
    "Revoke a device token: the device can no longer call the API",
    description="Revoking a revoked token changes nothing.",
    responses={200: AdminDeviceToken},
    problems=(404,),
    staff=True,
    **TOKEN,
)
def admin_revoke_device_token(code: str, token_id: int) -> Any:
    center = center_for(code, Do.MANAGE_DEVICES)
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user.center_id != center.id:
        raise NotFound(_("No such device token at this center."))
    token = staff.revoke_device_token(token, actor=current_user, now=now_utc())
    db.session.commit()
    return _answer(token_json(token, center.timezone))


# ---------------------------------------------------------------------------- audit trail


def _record_json(record: AuditRecord, codes: dict[int, str]) -> dict[str, Any]:
    return {
        "id": record.id,
        "at": _iso(record.created_dt, trail.COUNTY_ZONE),
        "person": record.actor_name,
        "address": record.address,
        "center": codes.get(record.center_id) if record.center_id else None,
        "action": record.action,
        "object_type": record.object_type,
        "object_id": record.object_id,
        "object": record.object_label,
        "changes": record.changes,
    }


@bp.get("/admin/audit")
@operation(
    "The audit trail: every administrative change, sign-in and device token use",
    description="Newest first, 50 records a page. A county administrator sees every center's "
    "records, a supervisor only their own center's. Days are the county's (Asia/Shanghai).",
    query=AdminAuditQuery,
    responses={200: AdminAuditPage},
    staff=True,
)
def admin_audit(query: AdminAuditQuery) -> Any:
    if not may(current_user, Do.VIEW_AUDIT):
        raise Forbidden()
    center_id = None
    if query.center:
        try:
            center = catalogue.get_center(query.center)
        except NotFound as exc:
            raise Invalid(str(exc), field="center") from None
        if not may(current_user, Do.VIEW_AUDIT, center.id):
            raise Forbidden()
        center_id = center.id
    if query.since and query.until and query.since > query.until:
        raise Invalid(_("The first day must not be after the last day."), field="since")
    wanted = trail.TrailFilter(
        center_id=center_id,
        person=query.person,
        object_type=query.object_type,
        since=query.since,
        until=query.until,
    )
    records, pages = trail.page(current_user, wanted, query.page)
    codes = {c.id: c.code for c in catalogue.list_centers()}
    return _answer(
        {
            "page": min(query.page, pages),
            "pages": pages,
            "records": [_record_json(r, codes) for r in records],
        }
    )
