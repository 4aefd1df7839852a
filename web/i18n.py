"""The interface language: Persian first, English by choice; dates, numbers and direction to match.

Flask-Babel reads the message catalogues in `translations/` (`translations/fa/LC_MESSAGES/
messages.po`, compiled to `.mo` by `make install` and the Dockerfile). Source strings are
English; the Persian catalogue translates them. The language of a request is, in order: the
`lang` cookie the switch in the page header sets, the browser's `Accept-Language`, Persian.

Templates get `_()`/`ngettext()` from Flask-Babel and, from here: `lang` and `text_direction`
for `<html>`, the filters `number` (Persian digits and separators in Persian), `when` (a moment
in TIMEZONE: Jalali with Persian month names in Persian, Gregorian in English), `day` (a date
alone), `short_day` (a chart's axis: '۱۵ آذر' / '15 Dec'), `clock` (a time of day), `percent`,
`duration` ('۳ ساعت و ۵ دقیقه' / '3 h 05 min'), `field_moment` and `field_day` (what a date(-time)
input shows and `language.jalali.parse_moment`/`parse_day` read back), `digits`, `phone` and `message_type`.
"""

from __future__ import annotations

import logging
import re
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from flask import Flask, current_app, request
from flask_babel import Babel, get_locale
from flask_babel import gettext as _

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


def _local_date(day: date | datetime) -> date:
    return day.astimezone(current_app.config["PLATFORM_ZONE"]).date() if isinstance(day, datetime) else day


def format_day(day: date | datetime | None, *, weekday: bool = False) -> str:
    """A date alone: '۱۵ آذر ۱۴۰۵' / '15 Dec 2026' (a datetime is taken in TIMEZONE); `weekday` names the day."""
    if day is None:
        return "–"
    day = _local_date(day)
    if is_persian():
        return jalali(day, time=False, weekday=weekday)
    return day.strftime("%A %d %B %Y" if weekday else "%d %b %Y")


def short_day(day: date | datetime, *, weekday: bool = False) -> str:
    """A date without its year, for chart axes: '۱۵ آذر' / '15 Dec' (with `weekday`: 'شنبه ۱۵ آذر' / 'Sat 15 Dec')."""
    day = _local_date(day)
    if is_persian():
        return jalali(day, time=False, weekday=weekday, year=False)
    return day.strftime("%a %d %b" if weekday else "%d %b")


def clock(moment: datetime | None) -> str:
    """The time of day in TIMEZONE: '۱۰:۳۰' / '10:30'."""
    if moment is None:
        return "–"
    return localise_digits(moment.astimezone(current_app.config["PLATFORM_ZONE"]).strftime("%H:%M"))


def format_percent(share: float | None, digits: int = 1) -> str:
    """0.1234 -> '۱۲٫۳٪' in Persian, '12.3%' in English (None -> '–'); trailing zeros dropped."""
    if share is None:
        return "–"
    text = f"{share * 100:.{digits}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return persian_digits(text.replace(".", "٫")) + "٪" if is_persian() else f"{text}%"


def format_duration(value: timedelta | float | None) -> str:
    """A short duration: '45 s', '12 min', '3 h 05 min', '2 d 4 h' (in Persian: '۳ ساعت و ۵ دقیقه')."""
    if value is None:
        return "–"
    seconds = max(int(value.total_seconds() if isinstance(value, timedelta) else value), 0)
    minutes, hours, days = seconds // 60, seconds // 3600, seconds // 86400
    if seconds < 60:
        return _("%(seconds)s s", seconds=format_number(seconds))
    if hours < 1:
        return _("%(minutes)s min", minutes=format_number(minutes))
    if days < 1:
        rest = minutes % 60
        if is_persian() and rest == 0:
            return _("%(hours)s h", hours=format_number(hours))
        padded = format_number(rest) if is_persian() else str(rest).rjust(2, "0")
        return _("%(hours)s h %(minutes)s min", hours=format_number(hours), minutes=padded)
    return _("%(days)s d %(hours)s h", days=format_number(days), hours=format_number(hours % 24))


def field_moment(moment: datetime | None) -> str:
    """What a date-time text field shows: '1405/09/15 10:30' (Jalali) in Persian, ISO in English."""
    if moment is None:
        return ""
    zone = current_app.config["PLATFORM_ZONE"]
    if is_persian():
        return jalali_numeric(moment, zone)
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def field_day(day: date | None) -> str:
    """What a date field shows: '۱۴۰۵/۰۹/۰۱' (Jalali, Persian digits) in Persian, '2026-11-22' in English.

    `language.jalali.parse_day` reads either back, in Persian or Latin digits.
    """
    if day is None:
        return ""
    return persian_digits(jalali_numeric(day, time=False)) if is_persian() else day.isoformat()


def phone(handle: str | None) -> str:
    """A contact's handle as people write it: '+989121234567' -> '+98 912 123 4567' (other handles unchanged).

    Always Latin digits and shown left to right (templates put it in `<bdi dir="ltr">`), in Persian too.
    """
    text = handle or ""
    if re.fullmatch(r"\+98\d{10}", text):
        return f"{text[:3]} {text[3:6]} {text[6:9]} {text[9:]}"
    return text


def message_type(kind: str | None) -> str:
    """A WhatsApp message type as the operator reads it: 'image' -> 'تصویر' / 'Image' (unknown types as they are)."""
    names = {"image": _("Image"), "audio": _("Voice or audio"), "video": _("Video"), "document": _("Document"),
             "sticker": _("Sticker"), "location": _("Location"), "contacts": _("Contact card"),
             "reaction": _("Reaction"), "interactive": _("Button or list reply"), "button": _("Button reply"),
             "template": _("Template"), "unsupported": _("Unsupported message")}
    return names.get(kind or "", kind or "–")


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
    app.jinja_env.filters.update(number=format_number, when=format_moment, day=format_day, short_day=short_day,
                                 clock=clock, percent=format_percent, duration=format_duration,
                                 field_moment=field_moment, field_day=field_day, digits=localise_digits,
                                 phone=phone, message_type=message_type)
