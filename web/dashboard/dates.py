"""The analytics page's date range: presets, custom dates, and what is wrong with them."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

logger = logging.getLogger("web.dashboard")


PRESETS = (("7", "7 days"), ("30", "30 days"), ("90", "90 days"), ("all", "All time"))
DEFAULT_PRESET = "30"
SENTIMENTS = ("positive", "neutral", "negative")
TREND_DAYS = 7  # the sentiment trend is a rolling share over this many days (a day alone is too noisy)
EARLIEST_DATE, LATEST_DATE = date(2000, 1, 1), date(2100, 12, 31)



@dataclass(frozen=True)
class ChosenRange:
    """The date range the page shows: inclusive local dates (None = unbounded)."""

    start: date | None
    end: date | None
    preset: str | None  # "7", "30", "90", "all", or None for a custom range
    problems: tuple[str, ...] = ()


def parse_range(args: Any, today: date) -> ChosenRange:
    """The range from the query string: ?from=YYYY-MM-DD&to=YYYY-MM-DD, or ?range=7|30|90|all."""
    problems = []
    start, end = (_parse_date(args.get(name), name, problems) for name in ("from", "to"))
    if start or end:
        if start and end and start > end:
            start, end = end, start
            problems.append("The start date was after the end date; they have been swapped.")
        return ChosenRange(start, end, None, tuple(problems))
    preset = args.get("range") or DEFAULT_PRESET
    if preset not in dict(PRESETS):
        problems.append(f"Unknown range {preset!r}: showing the last {DEFAULT_PRESET} days.")
        preset = DEFAULT_PRESET
    if preset == "all":
        return ChosenRange(None, None, "all", tuple(problems))
    return ChosenRange(today - timedelta(days=int(preset) - 1), today, preset, tuple(problems))


def _parse_date(raw: str | None, name: str, problems: list[str]) -> date | None:
    if not raw:
        return None
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        problems.append(f"“{raw[:20]}” is not a date ({name}); expected YYYY-MM-DD.")
        return None
    if not EARLIEST_DATE <= day <= LATEST_DATE:
        problems.append(f"{name} must be between {EARLIEST_DATE} and {LATEST_DATE}.")
        return None
    return day
