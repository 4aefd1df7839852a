"""The values a reply is rendered with, in the customer's language: their name, opening hours, order sums.

A Persian bubble takes its direction from its first letter, so a Persian reply never opens
with a Latin (or other left-to-right) name: a name placeholder that opens a Persian template
gets its fallback, and elsewhere in the sentence the name is wrapped in FSI…PDI (Unicode
isolation) so it cannot reorder its neighbours. An English reply never carries Persian
script: a Persian-script name is left out there (the placeholder's fallback, e.g. "there").
Which name a reply uses is decided in one place, `reply_name`.
"""

from __future__ import annotations

import re
import unicodedata
from typing import TYPE_CHECKING

from language.jalali import PERSIAN_DIGITS, latin_digits

if TYPE_CHECKING:
    from config import Config
    from database_models import Contact

FIRST_STRONG_ISOLATE, POP_DIRECTIONAL_ISOLATE = "\u2068", "\u2069"
PERSIAN_WEEKDAYS = ("دوشنبه", "سه‌شنبه", "چهارشنبه", "پنج‌شنبه", "جمعه", "شنبه", "یکشنبه")
ENGLISH_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_WEEK_FROM_SATURDAY = (5, 6, 0, 1, 2, 3, 4)  # the Iranian week starts on Saturday
# Currency codes of catalogue orders, named in Persian for Persian writers (others stay as sent).
PERSIAN_CURRENCIES = {"IRR": "ریال", "IRT": "تومان", "USD": "دلار", "EUR": "یورو", "AED": "درهم",
                      "TRY": "لیر", "GBP": "پوند"}
_LATIN_SEPARATORS = str.maketrans("٬٫", ",.")
_LEADING_NAME = re.compile(r"^(\s*\{\s*)(name|first_name)(\s*[|}])")
_NAME_KEYS = ("name", "first_name")


def reply_name(contact: Contact) -> str:
    """The name replies call the customer by: the operator's (or imported) name, else their profile name."""
    return " ".join((contact.display_name or "").split())


def _directions(text: str) -> set[str]:
    return {unicodedata.bidirectional(character) for character in text}


def is_left_to_right(text: str) -> bool:
    """Whether `text` has a left-to-right letter (Latin, Cyrillic …)."""
    return "L" in _directions(text)


def is_right_to_left(text: str) -> bool:
    """Whether `text` has a right-to-left letter (Persian, Arabic, Hebrew)."""
    return bool(_directions(text) & {"R", "AL"})


def name_values(name: str, language: str) -> dict[str, str]:
    """{name} and {first_name} for a reply in `language` ("fa" or "en"); empty where the name does not fit."""
    first = name.split()[0] if name else ""
    if language == "en" and is_right_to_left(name):
        return {"name": "", "first_name": ""}
    if language != "en" and is_left_to_right(name):
        return {key: f"{FIRST_STRONG_ISOLATE}{value}{POP_DIRECTIONAL_ISOLATE}"
                for key, value in (("name", name), ("first_name", first))}
    return {"name": name, "first_name": first}


def without_leading_name(template: str, language: str, name: str) -> str:
    """The template with an opening {name}/{first_name} renamed `lead_…` when the name must not open it.

    The caller renders `lead_name` / `lead_first_name` as empty, so the placeholder's fallback
    (or nothing) opens the Persian sentence instead of a Latin name.
    """
    if language == "en" or not is_left_to_right(name):
        return template
    return _LEADING_NAME.sub(r"\1lead_\2\3", template, count=1)


LEADING_NAME_VALUES = {"lead_" + key: "" for key in _NAME_KEYS}


def _grouped_days(config: Config) -> list[tuple[list[int], str]]:
    """Consecutive days (from Saturday) with the same opening spans, as ([days], spans key)."""
    groups: list[tuple[list[int], tuple]] = []
    for day in _WEEK_FROM_SATURDAY:
        spans = tuple(config.business_hours.intervals.get(day, ()))
        if not spans:
            groups.append(([], ()))
            continue
        if groups and groups[-1][1] == spans and groups[-1][0]:
            groups[-1][0].append(day)
        else:
            groups.append(([day], spans))
    return [(days, spans) for days, spans in groups if days]


def describe_hours_persian(config: Config) -> str:
    """Opening hours in Persian with Persian digits, e.g. 'شنبه تا چهارشنبه ۰۹:۰۰ تا ۱۸:۰۰؛ پنج‌شنبه …'."""
    parts = []
    for days, spans in _grouped_days(config):
        named = PERSIAN_WEEKDAYS[days[0]] if len(days) == 1 else (
            f"{PERSIAN_WEEKDAYS[days[0]]} تا {PERSIAN_WEEKDAYS[days[-1]]}")
        hours = "، ".join(f"{start:%H:%M} تا {end:%H:%M}" for start, end in spans)
        parts.append(f"{named} {hours}")
    return "؛ ".join(parts).translate(PERSIAN_DIGITS) or "—"


def describe_hours_english(config: Config) -> str:
    """Opening hours in English, e.g. 'Sat–Wed 09:00-18:00; Thu 09:00-13:00'."""
    parts = []
    for days, spans in _grouped_days(config):
        named = ENGLISH_WEEKDAYS[days[0]] if len(days) == 1 else (
            f"{ENGLISH_WEEKDAYS[days[0]]}–{ENGLISH_WEEKDAYS[days[-1]]}")
        hours = ", ".join(f"{start:%H:%M}-{end:%H:%M}" for start, end in spans)
        parts.append(f"{named} {hours}")
    return "; ".join(parts) or "-"


def localized_order_values(values: dict[str, str], language: str) -> dict[str, str]:
    """An order acknowledgement's {item_count}, {total}, {currency}: Persian digits and currency name, or Latin."""
    if language == "en":
        return {key: latin_digits(value).translate(_LATIN_SEPARATORS) for key, value in values.items()}
    currency = values.get("currency", "")
    return values | {"currency": PERSIAN_CURRENCIES.get(currency.upper(), currency)}
