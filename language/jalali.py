"""Persian digits and the Jalali calendar: showing a moment to a Persian reader, reading one back.

One place for what the Persian dashboard, the CLI's `--at` and the chatbot's replies share:
`persian_digits` / `latin_digits` (Persian and Arabic-Indic digits both read back), `jalali`
(a moment in a time zone as "یک‌شنبه ۱۵ آذر ۱۴۰۵، ۱۰:۳۰") and `parse_moment`, which takes
a Jalali `1405/09/20 10:00` (in Persian or Latin digits) or an ISO 8601 time and answers an
aware UTC datetime; `parse_day` does the same for a date alone. Month and weekday names come
from jdatetime's tables, never from its process-wide locale switch.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, tzinfo

import jdatetime

PERSIAN_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
LATIN_DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789")
PERSIAN_THOUSANDS, PERSIAN_DECIMAL = "٬", "٫"
# Jalali years the platform will see: 1300 (1921) to 1499 (2121). Gregorian years are larger.
_JALALI_YEARS = range(1300, 1500)
_JALALI = re.compile(r"^\s*(\d{4})[/\-.](\d{1,2})[/\-.](\d{1,2})(?:[\sT،,]+(\d{1,2}):(\d{2})(?::(\d{2}))?)?\s*$")


class MomentError(ValueError):
    """A date or time that cannot be read; the message says what was expected."""


def persian_digits(text: object) -> str:
    """'Order 12' -> 'Order ۱۲'."""
    return str(text).translate(PERSIAN_DIGITS)


def latin_digits(text: str) -> str:
    """'۱۴۰۵/۰۹/۲۰' -> '1405/09/20' (Arabic-Indic digits too)."""
    return text.translate(LATIN_DIGITS)


def persian_number(value: float | int) -> str:
    """1234567 -> '۱٬۲۳۴٬۵۶۷'; 12.5 -> '۱۲٫۵' (Persian separators, one decimal kept when there is one)."""
    text = f"{int(value):,}" if float(value).is_integer() else f"{value:,.1f}"
    return persian_digits(text.replace(",", PERSIAN_THOUSANDS).replace(".", PERSIAN_DECIMAL))


def to_jalali(moment: datetime | date, zone: tzinfo | None = None) -> jdatetime.date:
    """The Jalali date (or date and time, local to `zone`) of a Gregorian date or aware datetime."""
    if isinstance(moment, datetime):
        local = moment.astimezone(zone) if zone else moment
        return jdatetime.datetime.fromgregorian(datetime=local.replace(tzinfo=None))
    return jdatetime.date.fromgregorian(date=moment)


def jalali(moment: datetime | date, zone: tzinfo | None = None, *, time: bool = True, weekday: bool = False,
           year: bool = True) -> str:
    """'۱۵ آذر ۱۴۰۵، ۱۰:۳۰' — with `weekday`, 'یک‌شنبه ۱۵ آذر ۱۴۰۵'; dates have no time part."""
    day = to_jalali(moment, zone)
    text = f"{day.day} {day.j_months_fa[day.month - 1]}" + (f" {day.year}" if year else "")
    if weekday:
        text = f"{day.j_weekdays_fa[day.weekday()]} {text}"
    if time and isinstance(day, jdatetime.datetime):
        text += f"، {day.hour:02d}:{day.minute:02d}"
    return persian_digits(text)


def jalali_numeric(moment: datetime | date, zone: tzinfo | None = None, *, time: bool = True) -> str:
    """'1405/09/15 10:30' in Latin digits: what a date field shows and `parse_moment` reads back."""
    day = to_jalali(moment, zone)
    text = f"{day.year:04d}/{day.month:02d}/{day.day:02d}"
    if time and isinstance(day, jdatetime.datetime):
        text += f" {day.hour:02d}:{day.minute:02d}"
    return text


def weekday_name(moment: date) -> str:
    """The Persian weekday of a Gregorian date: 'جمعه'."""
    day = to_jalali(moment)
    return day.j_weekdays_fa[day.weekday()]


def parse_moment(text: str, zone: tzinfo) -> datetime:
    """A Jalali '1405/09/20 10:00' (any digits) or an ISO 8601 time, as an aware UTC datetime.

    A time without an offset is local to `zone`; a date alone means its midnight there.
    """
    raw = latin_digits(str(text)).strip()
    if not raw:
        raise MomentError("a date is required: 1405/09/20 10:00 (Jalali) or 2026-12-11T10:00 (ISO)")
    found = _JALALI.match(raw)
    if found and int(found.group(1)) in _JALALI_YEARS:
        return _from_jalali(found, zone, text)
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise MomentError(f"{text!r} is not a date: write 1405/09/20 10:00 (Jalali) "
                          "or 2026-12-11T10:00 (ISO)") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(UTC)


def parse_day(text: str) -> date:
    """A date alone: Jalali '1405/09/01' (any digits, / - or . between) or ISO '2026-11-22'; MomentError otherwise."""
    raw = latin_digits(str(text)).strip()
    found = _JALALI.match(raw)
    if found and not found.group(4):
        if int(found.group(1)) in _JALALI_YEARS:
            try:
                return jdatetime.date(*(int(found.group(i)) for i in (1, 2, 3))).togregorian()
            except ValueError:
                raise MomentError(f"{text!r} is not a Jalali date (month 1-12, day 1-31)") from None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise MomentError(f"{text!r} is not a date: write 1405/09/01 (Jalali) or 2026-11-22 (ISO)") from None


def _from_jalali(found: re.Match[str], zone: tzinfo, text: str) -> datetime:
    year, month, day = (int(found.group(i)) for i in (1, 2, 3))
    hour, minute, second = (int(found.group(i) or 0) for i in (4, 5, 6))
    try:
        local = jdatetime.datetime(year, month, day, hour, minute, second).togregorian()
    except ValueError:
        raise MomentError(f"{text!r} is not a Jalali date and time (month 1-12, day 1-31, hour 0-23)") from None
    return local.replace(tzinfo=zone).astimezone(UTC)
