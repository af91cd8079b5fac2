"""The admin area's endpoints of /api/v1/admin: centers, windows, items, staff, devices and the
audit trail, for the other platforms of the county.

The same actions as the admin pages (``views.py``, ``item_views.py``), with the same permission
checks (``permissions.py``): an unknown center is 404, a center the caller may not administer
403. Each change is one call of the area's domain functions, which check the rules, write the
audit record and raise the refusals that ``errors.py`` answers as problem+json. The shapes are
declared in ``schemas.py``. One-time passwords and device tokens are in the answer once, and no
answer of this area is kept in any cache.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from flask import Response, jsonify
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from ..api import bp
from ..api.schema import operation
from ..catalogue import services as catalogue
from ..catalogue.models import Center, ServiceItem
from ..clock import now_utc, to_local
from ..db import db
from ..errors import Forbidden, NotFound
from ..windows.models import Window
from . import centers, items, windows
from .catalogue_file import item_windows
from .permissions import Do, is_administrator, may
from .schemas import (
    AdminCenter,
    AdminCenterChanges,
    AdminItem,
    AdminItemChanges,
    AdminNewCenter,
    AdminNewItem,
    AdminNewWindow,
    AdminWindow,
    AdminWindowChanges,
    Changes,
)

#: what the document says of the path variables (named {id} as the contract has them)
CODE = {"code": "the center's code"}
WINDOW = {
    "path_names": {"window_id": "id"},
    "path_descriptions": {**CODE, "window_id": "the window's id"},
}
ITEM = {"path_names": {"item_id": "id"}, "path_descriptions": {**CODE, "item_id": "the item's id"}}
USER = {
    "path_names": {"user_id": "id"},
    "path_descriptions": {**CODE, "user_id": "the account's id"},
}
TOKEN = {
    "path_names": {"token_id": "id"},
    "path_descriptions": {**CODE, "token_id": "the device token's id"},
}
CENTER = {"path_descriptions": CODE}
#: answers carrying a secret say so
NO_STORE = {
    "Cache-Control": {
        "description": "no-store: the secret is shown this once",
        "schema": {"type": "string"},
    }
}


def _answer(data: Any, status: int = 200) -> Response:
    """A JSON answer no cache keeps (one-time passwords and tokens are shown once)."""
    response = jsonify(data)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


def _iso(moment: datetime | None, timezone: str) -> str | None:
    return to_local(moment, timezone).isoformat(timespec="seconds") if moment else None


def _administrators_only() -> None:
    if not is_administrator(current_user):
        raise Forbidden()


def center_for(code: str, action: Do) -> Center:
    """The center of the URL, when the caller may do ``action`` there (else 404 / 403)."""
    _administrators_only()
    center = catalogue.get_center(code)
    if not may(current_user, action, center.id):
        raise Forbidden()
    return center


# ---------------------------------------------------------------------------- centers


def center_json(center: Center) -> dict[str, Any]:
    return {"id": center.id, **{name: getattr(center, name) for name in centers.FIELDS}}


@bp.get("/admin/centers")
@operation(
    "The centers the caller administers",
    description="Every center for a county administrator; a supervisor's own center.",
    responses={200: list[AdminCenter]},
    staff=True,
)
def admin_centers() -> Any:
    _administrators_only()
    return _answer(
        [
            center_json(c)
            for c in catalogue.list_centers()
            if may(current_user, Do.EDIT_CENTER, c.id)
        ]
    )


@bp.post("/admin/centers")
@operation(
    "Create a center (county administrators)",
    description="It has no windows, items, hours or staff yet: closed until they are set. 409 "
    "when another center has the code or the case prefix.",
    body=AdminNewCenter,
    responses={201: ("The center", AdminCenter)},
    problems=(409,),
    staff=True,
)
def admin_create_center(body: AdminNewCenter) -> Any:
    if not may(current_user, Do.CREATE_CENTER):
        raise Forbidden()
    center = centers.create_center(
        centers.CenterData(**body.model_dump()), actor=current_user, now=now_utc()
    )
    db.session.commit()
    return _answer(center_json(center), 201)


@bp.get("/admin/centers/<code>")
@operation(
    "A center's settings",
    responses={200: AdminCenter},
    problems=(404,),
    staff=True,
    **CENTER,
)
def admin_center(code: str) -> Any:
    return _answer(center_json(center_for(code, Do.EDIT_CENTER)))


@bp.put("/admin/centers/<code>")
@operation(
    "Change a center's settings",
    description="The fields sent replace the current values; those left out keep theirs. Only "
    "county administrators change the code (old links stop working); for anyone else a code "
    "sent is ignored. 409 when another center has the code or the case prefix.",
    body=AdminCenterChanges,
    responses={200: AdminCenter},
    problems=(404, 409),
    staff=True,
    **CENTER,
)
def admin_update_center(code: str, body: Changes) -> Any:
    center = center_for(code, Do.EDIT_CENTER)
    sent = body.sent()
    if not may(current_user, Do.CREATE_CENTER):
        sent.pop("code", None)
    current = {name: getattr(center, name) for name in centers.FIELDS}
    center = centers.update_center(
        center, centers.CenterData(**{**current, **sent}), actor=current_user, now=now_utc()
    )
    db.session.commit()
    return _answer(center_json(center))


# ---------------------------------------------------------------------------- windows


def window_json(window: Window, service_ids: Iterable[int], timezone: str) -> dict[str, Any]:
    return {
        "id": window.id,
        "number": window.number,
        "name_zh": window.name_zh,
        "name_en": window.name_en,
        "is_comprehensive": window.is_comprehensive,
        "service_ids": sorted(service_ids),
        "status": window.state.value,
        "retired_at": _iso(window.retired_dt, timezone),
    }


def _one_window_json(window: Window) -> dict[str, Any]:
    return window_json(window, (i.id for i in window.services), window.center.timezone)


def _window_of(center: Center, window_id: int) -> Window:
    window = db.session.get(Window, window_id)
    if window is None or window.center_id != center.id:
        raise NotFound(_("No such window at this center."))
    return window


@bp.get("/admin/centers/<code>/windows")
@operation(
    "A center's windows, retired ones included",
    responses={200: list[AdminWindow]},
    problems=(404,),
    staff=True,
    **CENTER,
)
def admin_windows(code: str) -> Any:
    center = center_for(code, Do.MANAGE_WINDOWS)
    served: dict[int, set[int]] = {}
    for item_id, window_ids in item_windows(center).items():
        for window_id in window_ids:
            served.setdefault(window_id, set()).add(item_id)
    rows = db.session.scalars(
        select(Window).where(Window.center_id == center.id).order_by(Window.number)
    )
    return _answer([window_json(w, served.get(w.id, ()), center.timezone) for w in rows])


def _window_data(values: dict[str, Any]) -> windows.WindowData:
    return windows.WindowData(
        number=values["number"],
        name_zh=values["name_zh"],
        name_en=values["name_en"],
        is_comprehensive=values["is_comprehensive"],
        service_ids=frozenset(values["service_ids"]),
    )


@bp.post("/admin/centers/<code>/windows")
@operation(
    "Add a window (closed, nobody on it)",
    description="422 for a number out of range or items of another center; 409 when the "
    "number is taken (retired windows keep theirs).",
    body=AdminNewWindow,
    responses={201: ("The window", AdminWindow)},
    problems=(404, 409),
    staff=True,
    **CENTER,
)
def admin_create_window(code: str, body: AdminNewWindow) -> Any:
    center = center_for(code, Do.MANAGE_WINDOWS)
    window = windows.create_window(
        center, _window_data(body.model_dump()), actor=current_user, now=now_utc()
    )
    db.session.commit()
    return _answer(_one_window_json(window), 201)


@bp.put("/admin/centers/<code>/windows/<int:window_id>")
@operation(
    "Change a window's number, names, items or comprehensive flag",
    description="The fields sent replace the current values; those left out keep theirs. 409 "
    "when the number is taken, or items it stops serving would be left without a window while "
    "tickets for them wait (the tickets are named).",
    body=AdminWindowChanges,
    responses={200: AdminWindow},
    problems=(404, 409),
    staff=True,
    **WINDOW,
)
def admin_update_window(code: str, window_id: int, body: Changes) -> Any:
    center = center_for(code, Do.MANAGE_WINDOWS)
    window = _window_of(center, window_id)
    current = {
        "number": window.number,
        "name_zh": window.name_zh,
        "name_en": window.name_en,
        "is_comprehensive": window.is_comprehensive,
        "service_ids": [i.id for i in window.services],
    }
    data = _window_data({**current, **body.sent()})
    window = windows.update_window(window, data, actor=current_user, now=now_utc())
    db.session.commit()
    return _answer(_one_window_json(window))


@bp.post("/admin/centers/<code>/windows/<int:window_id>/retire")
@operation(
    "Retire a window: closed, its clerk signed off, gone from every list, queue and screen",
    description="409 when it holds a called or serving ticket, or items only it serves have "
    "tickets waiting (both named). Retiring a retired window changes nothing.",
    responses={200: AdminWindow},
    problems=(404, 409),
    staff=True,
    **WINDOW,
)
def admin_retire_window(code: str, window_id: int) -> Any:
    window = _window_of(center_for(code, Do.MANAGE_WINDOWS), window_id)
    window = windows.retire_window(window, actor=current_user, now=now_utc())
    db.session.commit()
    return _answer(_one_window_json(window))


@bp.post("/admin/centers/<code>/windows/<int:window_id>/reinstate")
@operation(
    "Put a retired window back in service (closed until a clerk signs on)",
    responses={200: AdminWindow},
    problems=(404,),
    staff=True,
    **WINDOW,
)
def admin_reinstate_window(code: str, window_id: int) -> Any:
    window = _window_of(center_for(code, Do.MANAGE_WINDOWS), window_id)
    window = windows.reinstate_window(window, actor=current_user, now=now_utc())
    db.session.commit()
    return _answer(_one_window_json(window))


# ---------------------------------------------------------------------------- service items


def item_json(item: ServiceItem, window_ids: Iterable[int]) -> dict[str, Any]:
    return {
        "id": item.id,
        **{name: getattr(item, name) for name in items.COLUMNS},
        "is_active": item.is_active,
        "window_ids": sorted(window_ids),
    }


def _one_item_json(item: ServiceItem) -> dict[str, Any]:
    return item_json(item, (w.id for w in items.windows_of(item)))


def _item_of(center: Center, item_id: int) -> ServiceItem:
    item = db.session.get(ServiceItem, item_id)
    if item is None or item.center_id != center.id:
        raise NotFound(_("This center offers no such service item."))
    return item


def _item_data(values: dict[str, Any]) -> items.ItemData:
    values = dict(values)
    values["national_code"] = values["national_code"] or None  # empty: none
    values["window_ids"] = frozenset(values["window_ids"])
    return items.ItemData(**values)


@bp.get("/admin/centers/<code>/items")
@operation(
    "A center's service items, retired ones included",
    responses={200: list[AdminItem]},
    problems=(404,),
    staff=True,
    **CENTER,
)
def admin_items(code: str) -> Any:
    center = center_for(code, Do.MANAGE_ITEMS)
    served = item_windows(center)
    rows = db.session.scalars(
        select(ServiceItem)
        .where(ServiceItem.center_id == center.id)
        .order_by(ServiceItem.is_active.desc(), ServiceItem.case_type_id, ServiceItem.code)
    )
    return _answer([item_json(i, served.get(i.id, ())) for i in rows])


@bp.post("/admin/centers/<code>/items")
@operation(
    "Add a service item",
    description="The pinyin search keys are derived from the Chinese name. 422 for a rule "
    "broken (named by its field); 409 when the code or national code is taken.",
    body=AdminNewItem,
    responses={201: ("The item", AdminItem)},
    problems=(404, 409),
    staff=True,
    **CENTER,
)
def admin_create_item(code: str, body: AdminNewItem) -> Any:
    center = center_for(code, Do.MANAGE_ITEMS)
    item = items.create_item(
        center, _item_data(body.model_dump()), actor=current_user, now=now_utc()
    )
    db.session.commit()
    return _answer(_one_item_json(item), 201)


@bp.put("/admin/centers/<code>/items/<int:item_id>")
@operation(
    "Change a service item",
    description="The fields sent replace the current values; those left out keep theirs (null "
    "clears national_code, time_limit_days and slot_capacity). 409 when the code is taken, or "
    "no window would serve it while tickets for it wait.",
    body=AdminItemChanges,
    responses={200: AdminItem},
    problems=(404, 409),
    staff=True,
    **ITEM,
)
def admin_update_item(code: str, item_id: int, body: Changes) -> Any:
    center = center_for(code, Do.MANAGE_ITEMS)
    item = _item_of(center, item_id)
    current = {name: getattr(item, name) for name in items.COLUMNS}
    current["window_ids"] = [w.id for w in items.windows_of(item)]
    data = _item_data({**current, **body.sent()})
    item = items.update_item(item, data, actor=current_user, now=now_utc())
    db.session.commit()
    return _answer(_one_item_json(item))


def _set_active(code: str, item_id: int, active: bool) -> Any:
    item = _item_of(center_for(code, Do.MANAGE_ITEMS), item_id)
    item = items.set_active(item, active, actor=current_user, now=now_utc())
    db.session.commit()
    return _answer(_one_item_json(item))


@bp.post("/admin/centers/<code>/items/<int:item_id>/retire")
@operation(
    "Retire a service item: gone from the catalogue, the kiosk and booking",
    description="409 while tickets for it wait today or bookings for it are still to come (named).",
    responses={200: AdminItem},
    problems=(404, 409),
    staff=True,
    **ITEM,
)
def admin_retire_item(code: str, item_id: int) -> Any:
    return _set_active(code, item_id, False)


@bp.post("/admin/centers/<code>/items/<int:item_id>/reinstate")
@operation(
    "Offer a retired service item again",
    responses={200: AdminItem},
    problems=(404,),
    staff=True,
    **ITEM,
)
def admin_reinstate_item(code: str, item_id: int) -> Any:
    return _set_active(code, item_id, True)


# the staff, devices, audit, calendar, notice, department and import endpoints register on the
# same blueprint
from . import calendar_api, catalogue_api, staff_api  # noqa: E402, F401
