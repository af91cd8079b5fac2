"""The service_center application factory."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.routing import IntegerConverter

ROOT = Path(__file__).resolve().parent.parent


class DatabaseIdConverter(IntegerConverter):
    """``<int:…>`` limited to what an INTEGER column holds on every database."""

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(map, *args, **kwargs)


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app; ``test_config`` replaces instance config and environment.

    The instance folder is ``<checkout>/instance``, or ``SERVICE_CENTER_INSTANCE_PATH``.
    """
    app = Flask(
        __name__,
        instance_path=os.environ.get("SERVICE_CENTER_INSTANCE_PATH") or str(ROOT / "instance"),
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
    )
    from .config import DefaultConfig

    app.config.from_object(DefaultConfig)
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        app.config.from_prefixed_env("SERVICE_CENTER")
        _apply_environment(app)
    else:
        app.config.from_mapping(test_config)
    # ids in URLs are database integers: a larger number is simply not found (404, not a 500)
    app.url_map.converters["int"] = DatabaseIdConverter
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret_key(Path(app.instance_path))
    _normalise_database_uri(app)

    from . import cli, errors, extensions, i18n, models, requestlog, security, stamps, templating  # noqa: F401
    from . import db as db_module

    db_module.db.init_app(app)
    stamps.init_app(app)
    extensions.migrate.init_app(
        app,
        db_module.db,
        directory=str(ROOT / "migrations"),
        render_as_batch=True,
        compare_type=True,
    )
    extensions.csrf.init_app(app)
    extensions.babel.init_app(app, locale_selector=i18n.select_locale)
    extensions.limiter.init_app(app)
    requestlog.init_app(app)
    errors.register_error_handlers(app)
    security.init_app(app)
    templating.init_app(app)
    cli.init_app(app)

    _register_areas(app)
    _trust_proxies(app)
    return app


def _register_areas(app: Flask) -> None:
    """Register every area's pages, and its JSON routes on the one ``/api/v1`` blueprint."""
    from . import api, edge, health
    from .admin import views as admin_views
    from .auth import views as auth_views
    from .booking import views as booking_views
    from .catalogue import views as catalogue_views
    from .desk import views as desk_views
    from .display import views as display_views
    from .metrics import views as metrics_views
    from .notifications import views as notifications_views
    from .quality import views as quality_views
    from .queueing import views as queueing_views
    from .reports import views as reports_views
    from .windows import services as windows_services

    auth_views.init_app(app)
    app.register_blueprint(auth_views.bp)
    app.register_blueprint(catalogue_views.bp)
    app.register_blueprint(queueing_views.bp)
    app.register_blueprint(booking_views.bp)
    app.register_blueprint(booking_views.kiosk_bp)
    app.register_blueprint(desk_views.bp)
    app.register_blueprint(display_views.bp)
    app.register_blueprint(reports_views.bp)
    app.register_blueprint(quality_views.bp)
    app.register_blueprint(admin_views.bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(metrics_views.bp)
    app.register_blueprint(notifications_views.bp)
    metrics_views.init_app(app)
    # the catalogue's item page lists the windows that handle the item (templates only look up)
    app.add_template_global(windows_services.windows_for, "windows_for")

    # each area's API module adds its routes to api.bp as it is imported
    from .admin import api as admin_api  # noqa: F401
    from .booking import api as booking_api  # noqa: F401
    from .catalogue import api as catalogue_api  # noqa: F401
    from .desk import api as desk_api  # noqa: F401
    from .display import api as display_api
    from .notifications import api as notifications_api  # noqa: F401
    from .quality import api as quality_api  # noqa: F401
    from .queueing import api as queueing_api
    from .reports import api as reports_api  # noqa: F401
    from .windows import api as windows_api  # noqa: F401

    api.register(app)
    # what the hall's screens poll every second is answered before Flask when nothing changed
    edge.answer_with(app, display_api.unchanged_at_the_edge(app))
    edge.answer_with(app, queueing_api.kept_at_the_edge(app))


def _trust_proxies(app: Flask) -> None:
    """Behind PROXIES reverse proxies, read the client's address and scheme from their headers.

    Never more than stand in front: a client could otherwise claim any address in
    X-Forwarded-For and slip past the per-address rate limits.
    """
    proxies = int(app.config.get("PROXIES") or 0)
    if proxies > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies
        )


def _apply_environment(app: Flask) -> None:
    """Honour the two conventional variables a deployment sets without the prefix."""
    if os.environ.get("DATABASE_URL"):
        app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]
    if os.environ.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = os.environ["SECRET_KEY"]


def _normalise_database_uri(app: Flask) -> None:
    """Point postgres:// and postgresql:// URLs at psycopg 3."""
    uri: str = app.config["SQLALCHEMY_DATABASE_URI"]
    for prefix in ("postgres://", "postgresql://"):
        if uri.startswith(prefix):
            uri = "postgresql+psycopg://" + uri[len(prefix) :]
    app.config["SQLALCHEMY_DATABASE_URI"] = uri
    if uri.startswith("postgresql"):
        # a connection the server (or a restart, or a firewall) closed is found before use and
        # replaced, instead of failing the worker's next request with a 500 (docs/decisions.md)
        options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
        options.setdefault("pool_pre_ping", True)
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options


def _instance_secret_key(instance: Path) -> str:
    """Read the generated secret key, creating it once (never a key written in code)."""
    path = instance / "secret_key"
    if not path.exists():
        # several workers may start at once: write aside, then link into place atomically
        spare = instance / f"secret_key.{os.getpid()}.tmp"
        spare.write_text(secrets.token_hex(32))
        spare.chmod(0o600)
        try:
            os.link(spare, path)
        except FileExistsError:
            pass
        finally:
            spare.unlink()
    return path.read_text().strip()
