"""The interface language: Persian first, English by choice; dates, numbers and direction to match.

Flask-Babel reads the message catalogues in `translations/` (`translations/fa/LC_MESSAGES/
messages.po`, compiled to `.mo` by `make install` and the Dockerfile). Source strings are
English; the Persian catalogue translates them. The language of a request is, in order: the
`lang` cookie the switch in the page header sets, the browser's `Accept-Language`, Persian.

Templates get `_()`/`ngettext()` from Flask-Babel and, from here: `lang` and `text_direction`
for `<html>`, the filters `number` (Persian digits and separators in Persian), `when` (a moment
in TIMEZONE: Jalali with Persian month names in Persian, Gregorian in English), `day` (a date
alone) and `field_moment` (what a date-time input shows and reads back).
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from pathlib import Path
from typing import Any

from flask import Flask, current_app, request
from flask_babel import Babel, get_locale

from language.jalali import jalali, jalali_numeric, persian_digits, persian_number

logger = logging.getLogger("web.i18n")

LANGUAGES = ("fa", "en")
DEFAULT_LANGUAGE = "fa"
LANGUAGE_COOKIE = "lang"
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"
RTL_LANGUAGES = frozenset({"fa"})


def select_language() -> str:
    """The cookie's choice, else the browser's best match, else Persian."""
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(LANGUAGES, default=DEFAULT_LANGUAGE) or DEFAULT_LANGUAGE


def current_language() -> str:
    """'fa' or 'en' for the request being served ('fa' outside a request)."""
    locale = get_locale()
    return locale.language if locale is not None and locale.language in LANGUAGES else DEFAULT_LANGUAGE


def is_persian() -> bool:
    return current_language() == "fa"


def format_number(value: float | None) -> str:
    """1234567 -> '۱٬۲۳۴٬۵۶۷' in Persian, '1,234,567' in English; floats keep one decimal when they have one."""
    if value is None:
        return "–"
    if is_persian():
        return persian_number(value)
    return f"{int(value):,}" if float(value).is_integer() else f"{value:,.1f}"


def localise_digits(text: object) -> str:
    """Persian digits in Persian, unchanged in English (for numbers already written into a string)."""
    return persian_digits(text) if is_persian() else str(text)


def format_moment(moment: datetime | None, *, weekday: bool = False) -> str:
    """A moment in TIMEZONE: '۱۵ آذر ۱۴۰۵، ۱۰:۳۰' in Persian, '15 Dec 2026, 10:30' in English."""
    if moment is None:
        return "–"
    zone = current_app.config["PLATFORM_ZONE"]
    if is_persian():
        return jalali(moment, zone, weekday=weekday)
    return moment.astimezone(zone).strftime("%a %d %b %Y, %H:%M" if weekday else "%d %b %Y, %H:%M")


def format_day(day: date | datetime | None) -> str:
    """A date alone: '۱۵ آذر ۱۴۰۵' / '15 Dec 2026' (a datetime is taken in TIMEZONE)."""
    if day is None:
        return "–"
    zone = current_app.config["PLATFORM_ZONE"]
    if isinstance(day, datetime):
        day = day.astimezone(zone).date()
    return jalali(day, time=False) if is_persian() else day.strftime("%d %b %Y")


def field_moment(moment: datetime | None) -> str:
    """What a date-time text field shows: '1405/09/15 10:30' (Jalali) in Persian, ISO in English."""
    if moment is None:
        return ""
    zone = current_app.config["PLATFORM_ZONE"]
    if is_persian():
        return jalali_numeric(moment, zone)
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def _template_context() -> dict[str, Any]:
    language = current_language()
    return {"lang": language, "text_direction": "rtl" if language in RTL_LANGUAGES else "ltr",
            "languages": LANGUAGES}


def stale_catalogues() -> list[str]:
    """The catalogues (.po) whose compiled .mo is missing or older: `make install` compiles them."""
    stale = []
    for source in sorted(TRANSLATIONS.glob("*/LC_MESSAGES/messages.po")):
        compiled = source.with_suffix(".mo")
        if not compiled.exists() or compiled.stat().st_mtime < source.stat().st_mtime:
            stale.append(str(source.relative_to(TRANSLATIONS.parent)))
    return stale


def init_app(app: Flask, zone: Any) -> None:
    """Flask-Babel on `app`, the language context and the formatting filters for every template."""
    stale = stale_catalogues()
    if stale:
        logger.warning("interface translations not compiled (pages show English): %s; run make install "
                       "or pybabel compile -d translations", ", ".join(stale),
                       extra={"event": "i18n.catalogue_stale"})
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LANGUAGE)
    app.config["PLATFORM_ZONE"] = zone
    Babel(app, locale_selector=select_language, default_translation_directories=str(TRANSLATIONS))
    app.context_processor(_template_context)
    app.jinja_env.filters.update(number=format_number, when=format_moment, day=format_day,
                                 field_moment=field_moment, digits=localise_digits)
