"""Language choice (cookie, then Accept-Language, not on kiosks) and a model's text in it."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from babel import Locale
from flask import current_app, has_app_context, has_request_context, request
from flask_babel import get_locale
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header

LANG_COOKIE = "lang"
F = TypeVar("F", bound=Callable[..., Any])


def select_locale() -> Locale:
    """Pick the page language: the remembered choice, else the browser's, else Chinese."""
    return _parsed(_select_locale_code())


@functools.cache
def _parsed(code: str) -> Locale:
    """Parse each code once: ``Locale.parse`` scans every locale babel knows, on every request."""
    return Locale.parse(code)


def _select_locale_code() -> str:
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    return choose_locale_code(
        current_app.config,
        request.args.get("lang") or request.cookies.get(LANG_COOKIE),
        request.headers.get("Accept-Language", ""),
        device=getattr(
            current_app.view_functions.get(request.endpoint or ""), "device_language", False
        ),
    )


def choose_locale_code(
    config: Mapping[str, Any], chosen: str | None, accept_language: str, *, device: bool = False
) -> str:
    """The language of a request: ``chosen`` (``?lang=`` or the cookie) when the app speaks
    it; else the default on a shared ``device``; else the browser's (Accept-Language)."""
    languages = config["LANGUAGES"]
    if chosen in languages:
        return chosen  # type: ignore[return-value]
    if device:
        return config["BABEL_DEFAULT_LOCALE"]
    return _from_accept_language(accept_language, tuple(languages), config["BABEL_DEFAULT_LOCALE"])


def device_language(view: F) -> F:
    """Mark ``view`` as a page of a shared device (the hall kiosk): it speaks the default
    language whatever its browser asks for; a resident's explicit choice still counts."""
    view.device_language = True  # type: ignore[attr-defined]
    return view


@functools.lru_cache(maxsize=512)
def _from_accept_language(header: str, languages: tuple[str, ...], default: str) -> str:
    """The language an Accept-Language header asks for: browsers send a handful of distinct
    headers, so each is parsed once per process (parsing it cost every request ~0.1 ms)."""
    best = parse_accept_header(header, LanguageAccept).best_match(
        [*languages, "zh", "zh-CN", "zh-Hans", "en-US", "en-GB"]
    )
    if best is None:
        return default
    return "en" if best.startswith("en") else "zh_CN"


def current_language() -> str:
    """Return "zh" or "en": the request's language, or the one forced (``force_locale``: a
    message to a resident); Chinese outside both."""
    if not has_app_context():
        return "zh"
    locale = get_locale()
    return "en" if locale is not None and locale.language == "en" else "zh"


def locale_code() -> str:
    """The current language as a locale ``force_locale`` takes back: "en" or "zh_CN" (kept
    with a consent, so later messages speak the resident's language)."""
    return "en" if current_language() == "en" else "zh_CN"


def localized(obj: Any, field: str) -> str:
    """Return ``obj.<field>_en`` or ``obj.<field>_zh`` for the current language.

    English falls back to Chinese where no English text was entered.
    """
    if current_language() == "en":
        value = getattr(obj, f"{field}_en", "") or ""
        if value:
            return value
    return getattr(obj, f"{field}_zh", "") or ""
