"""Unbound Flask extensions; create_app binds them."""

from __future__ import annotations

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()
login_manager = LoginManager()
migrate = Migrate()
babel = Babel()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
