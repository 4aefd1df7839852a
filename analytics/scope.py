"""What a report counts and over which interval.

A report's dates are inclusive local dates in the business's timezone, turned into a UTC
interval (`Window`) that the `received_at` / `sent_at` indexes can range-scan. SQLite has no
timezones: `offset_periods` gives the UTC offsets in force over a range, one per period of
constant offset, for the SQL to apply. Only live inbound traffic counts (`LIVE_INBOUND`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import false
from sqlalchemy.sql.elements import ColumnElement

from database_models import DIRECTION_IN, Broadcast, Contact, ReceivedMessageLog, ScheduledMessage

MESSAGES = ReceivedMessageLog.__table__.c
QUEUE = ScheduledMessage.__table__.c
CONTACTS = Contact.__table__.c
CAMPAIGNS = Broadcast.__table__.c
# Live traffic only: the business's own WhatsApp Business app messages (echoes) and imported history
# are kept for the thread (inbound/shapes.py) but are not what customers sent while the platform ran.
LIVE_INBOUND = (MESSAGES.direction == DIRECTION_IN, MESSAGES.imported == false())


class AnalyticsError(ValueError):
    """A report request that cannot be answered: an unknown timezone or a range that ends before it starts."""


@dataclass(frozen=True)
class Window:
    """Inclusive local dates (None: unbounded) and the UTC instants [start_utc, end_utc) they cover."""

    start: date | None
    end: date | None
    start_utc: datetime | None
    end_utc: datetime | None

    def where(self, column: Any) -> list[ColumnElement[bool]]:
        """Range conditions on a UTC timestamp column."""
        conditions = []
        if self.start_utc is not None:
            conditions.append(column >= self.start_utc)
        if self.end_utc is not None:
            conditions.append(column < self.end_utc)
        return conditions


def offset_periods(zone: ZoneInfo, start: datetime, end: datetime) -> list[tuple[datetime | None, int]]:
    """The UTC offsets (seconds) in force from `start` to `end`: [(until_utc, offset)], the last until None."""
    def offset(moment: datetime) -> int:
        return int(moment.astimezone(zone).utcoffset().total_seconds())

    periods: list[tuple[datetime | None, int]] = []
    current, moment = offset(start), start
    while moment < end:
        # Steps of a day: no zone changes its offset twice within one day.
        step = min(moment + timedelta(days=1), end)
        if offset(step) == current:
            moment = step
            continue
        # Zone rules change on whole seconds: bisect on integer timestamps.
        low, high = math.floor(moment.timestamp()), math.ceil(step.timestamp())
        while high - low > 1:
            middle = (low + high) // 2
            low, high = (middle, high) if offset(datetime.fromtimestamp(middle, UTC)) == current else (low, middle)
        moment = datetime.fromtimestamp(high, UTC)
        periods.append((moment, current))
        current = offset(moment)
    periods.append((None, current))
    return periods


def ratio(part: float, whole: float) -> float:
    return round(part / whole, 4) if whole else 0.0


def day_text(value: Any) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)[:10]


def instant(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value is not None else None
