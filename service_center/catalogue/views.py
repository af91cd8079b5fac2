"""Public pages: centers, a center's home, its catalogue, an item; language and mode switches."""

from __future__ import annotations

import time
from typing import Any

from flask import Blueprint, abort, current_app, make_response, redirect, render_template, request
from werkzeug.wrappers import Response

from .. import keeping
from ..clock import now_utc, to_local
from ..errors import NotFound
from ..i18n import LANG_COOKIE, current_language
from ..modes import ELDER, MODE_COOKIE, MODE_COOKIE_MAX_AGE, MODES, current_mode
from ..urls import local_target
from . import calendar, kept, services

bp = Blueprint("catalogue", __name__)


@bp.app_context_processor
def calendar_notice() -> dict[str, Any]:
    """``calendar_rule_years()`` for the staff pages' notice (``catalogue/_calendar_notice``)."""
    return {"calendar_rule_years": _rule_years}


def _rule_years() -> list[int]:
    """The years ahead (``calendar.look_ahead``) whose holidays are only computed by rule."""
    return calendar.years_by_rule(*calendar.look_ahead(now_utc()))


def _center_or_404(code: str):
    try:
        return services.get_center(code)
    except NotFound:
        abort(404)


@bp.get("/")
def index() -> str:
    return render_template("catalogue/index.html", centers=services.list_centers())


@bp.get("/lang/<lang>")
def set_language(lang: str) -> Response:
    """Remember the chosen language in a cookie and go back to the page."""
    if lang not in current_app.config["LANGUAGES"]:
        abort(404)
    response = make_response(redirect(local_target(request.args.get("next")) or "/"))
    response.set_cookie(LANG_COOKIE, lang, max_age=365 * 24 * 3600, samesite="Lax")
    return response


@bp.get("/mode/<mode>")
def set_mode(mode: str) -> Response:
    """Remember 长辈版 (elder) or 标准版 (standard) in a cookie and go back to the page."""
    if mode not in MODES:
        abort(404)
    response = make_response(redirect(local_target(request.args.get("next")) or "/"))
    if mode == ELDER:
        response.set_cookie(MODE_COOKIE, mode, max_age=MODE_COOKIE_MAX_AGE, samesite="Lax")
    else:
        response.delete_cookie(MODE_COOKIE, samesite="Lax")
    return response


@bp.get("/centers/<code>")
def center(code: str) -> str:
    center = _center_or_404(code)
    now = now_utc()
    today = to_local(now, center.timezone).date()
    return render_template(
        "catalogue/center.html",
        center=center,
        today=today,
        status=calendar.day_status(center, today),
        open_now=calendar.is_open_at(center, now),
        periods=calendar.opening_periods(center, today),
        weekly=calendar.weekly_hours(center),
        case_types=services.list_case_types(),
    )


#: search pages as anonymous residents see them, per query, language and mode (~15 kB each)
PAGES = keeping.Keeper("search_pages", 100, "CATALOGUE_KEPT_TTL")


@bp.get("/centers/<code>/services")
def catalogue(code: str) -> str | bytes:
    """The catalogue and its search. Searched in this process's copy of the catalogue
    (``kept.py``); the page a resident gets is kept with it, for the same query, language and
    mode, until the copy is read again."""
    kept_catalogue = kept.kept_catalogue(code=code)
    if kept_catalogue is None:
        abort(404)
    query = request.args.get("q", "").strip()[: services.MAX_QUERY_LENGTH]
    case_type = kept_catalogue.case_type(request.args.get("case_type", ""))
    group = "department" if request.args.get("group") == "department" else "case_type"

    def render() -> str:
        items = kept.search(kept_catalogue, query, case_type.id if case_type else None)
        groups = (
            services.group_by_department(items)
            if group == "department"
            else services.group_by_case_type(items)
        )
        return render_template(
            "catalogue/services.html",
            center=kept_catalogue.center,
            query=query,
            case_type=case_type,
            case_types=kept_catalogue.case_types,
            group=group,
            groups=groups,
            count=len(items),
        )

    if not keeping.page_keepable():
        return render()
    key = (
        code,
        query,
        case_type.code if case_type else "",
        group,
        current_language(),
        current_mode(),
    )
    version = (kept_catalogue.seen, kept_catalogue.read_at)  # a copy read again: pages anew
    page = PAGES.get(key, version)
    if page is None:
        built_at = time.monotonic()
        page = keeping.render_keepable(render)
        if kept.is_kept(kept_catalogue):
            PAGES.put(key, version, page, built_at)
    return keeping.with_csrf(page)


@bp.get("/centers/<code>/services/<int:service_id>")
def service(code: str, service_id: int) -> str:
    center = _center_or_404(code)
    try:
        item = services.get_service(center, service_id)
    except NotFound:
        abort(404)
    return render_template("catalogue/service.html", center=center, item=item)
