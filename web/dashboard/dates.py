"""The analytics page's date range: presets, custom dates, and what is wrong with them."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from flask_babel import gettext as _

from language.jalali import MomentError, parse_day
from web.i18n import field_day, format_number

logger = logging.getLogger("web.dashboard")


PRESETS = ("7", "30", "90", "all")
DEFAULT_PRESET = "30"
SENTIMENTS = ("positive", "neutral", "negative")
TREND_DAYS = 7  # the sentiment trend is a rolling share over this many days (a day alone is too noisy)
EARLIEST_DATE, LATEST_DATE = date(2000, 1, 1), date(2100, 12, 31)



def preset_names() -> list[tuple[str, str]]:
    """The quick ranges with their names in the interface language."""
    return [("7", _("7 days")), ("30", _("30 days")), ("90", _("90 days")), ("all", _("All time"))]


@dataclass(frozen=True)
class ChosenRange:
    """The date range the page shows: inclusive local dates (None = unbounded)."""

    start: date | None
    end: date | None
    preset: str | None  # "7", "30", "90", "all", or None for a custom range
    problems: tuple[str, ...] = ()


def parse_range(args: Any, today: date) -> ChosenRange:
    """The range from the query string: ?from=…&to=… (Jalali 1405/09/01 or ISO 2026-11-22), or ?range=7|30|90|all."""
    problems: list[str] = []
    start, end = (_parse_date(args.get(name), name, problems) for name in ("from", "to"))
    if start or end:
        if start and end and start > end:
            start, end = end, start
            problems.append(_("The start date was after the end date; they have been swapped."))
        return ChosenRange(start, end, None, tuple(problems))
    preset = args.get("range") or DEFAULT_PRESET
    if preset not in PRESETS:
        problems.append(_("Unknown range “%(range)s”: showing the last %(days)s days.", range=preset[:20],
                          days=format_number(int(DEFAULT_PRESET))))
        preset = DEFAULT_PRESET
    if preset == "all":
        return ChosenRange(None, None, "all", tuple(problems))
    return ChosenRange(today - timedelta(days=int(preset) - 1), today, preset, tuple(problems))


def _parse_date(raw: str | None, name: str, problems: list[str]) -> date | None:
    if not raw or not raw.strip():
        return None
    field = _("From") if name == "from" else _("To")
    try:
        day = parse_day(raw)
    except MomentError:
        problems.append(_("“%(text)s” is not a date (%(field)s): write 1405/09/01 (Jalali) or 2026-11-22.",
                          text=raw[:20], field=field))
        return None
    if not EARLIEST_DATE <= day <= LATEST_DATE:
        problems.append(_("%(field)s must be between %(first)s and %(last)s.", field=field,
                          first=field_day(EARLIEST_DATE), last=field_day(LATEST_DATE)))
        return None
    return day
