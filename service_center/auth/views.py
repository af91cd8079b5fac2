"""Sign-in and sign-out pages, the user loaders and the role decorator."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Flask,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response

from ..clock import now_utc
from ..db import db
from ..errors import Invalid
from ..extensions import limiter, login_manager
from ..security import start_session
from ..urls import local_target
from . import services
from .forms import LoginForm, PasswordForm
from .models import User

bp = Blueprint("auth", __name__, url_prefix="/auth")


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please sign in to open this page.")
    login_manager.login_message_category = "info"
    app.before_request(_forget_previous_caller)
    app.before_request(_password_change_first)


def _forget_previous_caller() -> None:
    """Load the caller afresh for every request.

    A test (or CLI) may hold one app context, and so one ``g``, across requests; a bearer
    caller must not carry over into the next request (nor its exemption from CSRF).
    """
    g.pop("_login_user", None)
    g.pop("auth_via_token", None)


#: what a signed-in user whose password was reset may still open before changing it
_ALLOWED_BEFORE_CHANGE = frozenset({"auth.change_password", "auth.logout", "static"})


def _password_change_first() -> Response | None:
    """After a password reset, every page leads to the change form until it is done."""
    if _anonymous_for_sure():
        return None  # a resident's phone, a display, a kiosk: no user to load
    if (
        request.endpoint in _ALLOWED_BEFORE_CHANGE
        or request.endpoint is None
        or request.endpoint.endswith(".static")
        or not current_user.is_authenticated
        or not current_user.must_change_password
        or g.get("auth_via_token")
    ):
        return None
    return redirect(url_for("auth.change_password", next=request.full_path))


def _anonymous_for_sure() -> bool:
    """No session sign-in, no bearer token, no remember-me cookie: nobody is signed in."""
    return (
        "_user_id" not in session
        and "Authorization" not in request.headers
        and current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") not in request.cookies
    )


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    user = db.session.get(User, int(user_id))
    return user if user is not None and user.is_enabled else None  # disabled: signed out


@login_manager.request_loader
def load_user_from_bearer(req: Any) -> User | None:
    header = req.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return None
    user = services.user_for_token(header[len("Bearer ") :].strip(), now=now_utc())
    if user is not None:
        g.auth_via_token = True
    return user


def _failed_login(response: Response) -> bool:
    return request.method == "POST" and response.status_code != 302


def _login_limit() -> str:
    return current_app.config["AUTH_LOGIN_FAILURE_LIMIT"]


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"], deduct_when=_failed_login)
def login() -> Any:
    if current_user.is_authenticated:
        return redirect(url_for("auth.home"))
    form = LoginForm()
    if form.validate_on_submit():
        user = services.sign_in(form.username.data or "", form.password.data or "", now=now_utc())
        db.session.commit()
        if user is not None:
            login_user(user)
            start_session()
            flash(_("Signed in as %(name)s.", name=user.display_name), "success")
            target = local_target(request.args.get("next")) or url_for("auth.home")
            if user.must_change_password:
                return redirect(url_for("auth.change_password", next=target))
            return redirect(target)
        form.password.errors.append(_("Wrong username or password."))
    status = 200 if request.method == "GET" else 401 if form.errors.get("password") else 400
    return render_template("auth/login.html", form=form), status


@bp.post("/logout")
@login_required
def logout() -> Response:
    logout_user()
    flash(_("Signed out."), "info")
    return redirect(url_for("catalogue.index"))


@bp.get("/")
@login_required
def home() -> str:
    return render_template("auth/home.html", user=current_user)


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password() -> Any:
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(
                current_user, form.current.data or "", form.new.data or "", now=now_utc()
            )
        except Invalid as exc:
            getattr(form, exc.field or "new").errors.append(str(exc))
        else:
            db.session.commit()
            flash(_("Your password is changed."), "success")
            return redirect(local_target(request.args.get("next")) or url_for("auth.home"))
    status = 200 if request.method == "GET" else 400
    return render_template("auth/password.html", form=form), status
