"""Operator analytics: volumes, contacts, keywords, sentiment, intents, broadcast funnels, first-reply time.

Every figure is an SQL aggregation over columns stored at ingestion and by the enrichment
job (`language/enrichment.py`); nothing here runs NLP or walks rows in Python. Date ranges are
inclusive local dates in the business's timezone, turned into a UTC interval that the
`received_at` / `sent_at` indexes can range-scan. Days and hours are local too:
PostgreSQL converts with `AT TIME ZONE`; SQLite has no timezones, so the UTC offsets in
force over the range are computed here with zoneinfo and applied in SQL, one offset per
period of constant offset (a single period for Asia/Tehran since 2022).

The window and the offsets live in `analytics.scope`, the campaign funnels in
`analytics.funnels`; this facade re-exports their public names.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import case, cast, extract, false, func, literal, select, true
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import Date, Float, Integer, Interval

from analytics.funnels import BROADCASTS_LISTED, FUNNEL_STAGES, RATES, campaign_funnels
from analytics.scope import (  # re-exported: the report error, the window and the offsets SQLite applies
    CAMPAIGNS,
    CONTACTS,
    LIVE_INBOUND,
    MESSAGES,
    QUEUE,
    AnalyticsError,
    Window,
    day_text,
    instant,
    offset_periods,
    ratio,
)
from database_models import Contact, ReceivedMessageLog

__all__ = ["BROADCASTS_LISTED", "CAMPAIGNS", "FUNNEL_STAGES", "RATES", "AnalyticsError", "AnalyticsService", "Window",
           "offset_periods"]
TOP_KEYWORDS = 20
MOST_NEGATIVE = 10
FALLBACK_EXAMPLES = 20
SENTIMENT_LABELS = ("positive", "neutral", "negative")
NO_INTENT = "none"
# First-reply time counts messages the platform answers, and only a send within WhatsApp's
# 24-hour customer-service window: a broadcast or a reply days later is not an answer, and the
# window bounds each lookup.
REPLYABLE_TYPES = ("text", "interactive", "button", "image", "video", "audio", "voice", "document", "sticker")
REPLY_WINDOW = timedelta(hours=24)
FIRST_REPLY_SAMPLE = 50_000  # the median of the latest 50,000 messages is exact enough and stays fast


class AnalyticsService:
    """Reports over one session, in one timezone; read-only, never commits."""

    def __init__(self, session: Session, timezone: str = "Asia/Tehran") -> None:
        try:
            self.zone = ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise AnalyticsError(f"unknown timezone {timezone!r}") from None
        self.session = session
        self.timezone = timezone
        self.is_postgresql = session.get_bind().dialect.name == "postgresql"

    def window(self, start: date | None = None, end: date | None = None) -> Window:
        """The UTC interval covering local dates `start`..`end` (both inclusive)."""
        if start is not None and end is not None and start > end:
            raise AnalyticsError(f"the range ends ({end}) before it starts ({start})")

        def midnight(day: date) -> datetime:
            return datetime.combine(day, time.min, tzinfo=self.zone).astimezone(UTC)

        return Window(start, end, midnight(start) if start else None,
                      midnight(end + timedelta(days=1)) if end else None)

    def summary(self, start: date | None = None, end: date | None = None) -> dict[str, Any]:
        """Every section for one range, JSON-ready (the analytics contract)."""
        window = self.window(start, end)
        inbound, outbound = self._volume(window)
        return {
            "range": {"from": day_text(start) if start else None, "to": day_text(end) if end else None,
                      "timezone": self.timezone},
            "messages_per_day": self._per_day(window, inbound, outbound),
            "messages_per_hour": self._per_hour(inbound, outbound),
            "messages_by_type": self._by_type(window),
            "contacts": self._contacts(window),
            "top_keywords": self._top_keywords(window),
            "sentiment": self._sentiment(window),
            "intents": self._intents(window),
            "broadcasts": self._broadcasts(window),
            "first_reply": self._first_reply(window),
        }

    def messages_per_day(self, start: date | None = None, end: date | None = None) -> list[dict[str, Any]]:
        """[{date, inbound, outbound}] for every local day of the range, ascending."""
        window = self.window(start, end)
        return self._per_day(window, *self._volume(window))

    def messages_per_hour(self, start: date | None = None, end: date | None = None) -> list[dict[str, int]]:
        """[{hour, inbound, outbound}] for local hours 0..23, summed over the range."""
        return self._per_hour(*self._volume(self.window(start, end)))

    def messages_by_type(self, start: date | None = None, end: date | None = None) -> list[dict[str, Any]]:
        """Inbound [{message_type, count}], most frequent first."""
        return self._by_type(self.window(start, end))

    def contacts(self, start: date | None = None, end: date | None = None) -> dict[str, int]:
        """{new, returning, total_active} contacts of the range."""
        return self._contacts(self.window(start, end))

    def top_keywords(self, start: date | None = None, end: date | None = None,
                     limit: int = TOP_KEYWORDS) -> list[dict[str, Any]]:
        """[{keyword, count}]: in how many messages each stored keyword occurs, most frequent first."""
        return self._top_keywords(self.window(start, end), limit)

    def sentiment(self, start: date | None = None, end: date | None = None) -> dict[str, Any]:
        """{counts, shares, per_day, most_negative} over enriched messages of the range."""
        return self._sentiment(self.window(start, end))

    def intents(self, start: date | None = None, end: date | None = None) -> dict[str, Any]:
        """{distribution, fallback_rate, fallback_examples} over classified messages of the range."""
        return self._intents(self.window(start, end))

    def broadcasts(self, start: date | None = None, end: date | None = None) -> list[dict[str, Any]]:
        """The funnel of each campaign scheduled in the range (latest first, at most 50)."""
        return self._broadcasts(self.window(start, end))

    def first_reply(self, start: date | None = None, end: date | None = None) -> dict[str, Any]:
        """{median_seconds, samples}: customer message to our next non-broadcast send (within 24 h; latest 50,000)."""
        return self._first_reply(self.window(start, end))

    # Local days and hours.

    def _local_day_hour(self, column: Any, window: Window) -> tuple[ColumnElement[Any], ColumnElement[int]]:
        if self.is_postgresql:
            local = func.timezone(self.timezone, column)
            return cast(local, Date), cast(extract("hour", local), Integer)
        periods = self._sqlite_periods(column, window)

        def per_period(build: Any) -> ColumnElement[Any]:
            if len(periods) == 1:
                return build(f"{periods[0][1]:+d} seconds")
            return case(*((column < until, build(f"{seconds:+d} seconds")) for until, seconds in periods[:-1]),
                        else_=build(f"{periods[-1][1]:+d} seconds"))

        return (per_period(lambda modifier: func.date(column, modifier)),
                cast(per_period(lambda modifier: func.strftime("%H", column, modifier)), Integer))

    def _sqlite_periods(self, column: Any, window: Window) -> list[tuple[datetime | None, int]]:
        # Both MIN and MAX in one SELECT would defeat SQLite's index shortcut for each.
        first = window.start_utc or self.session.execute(select(func.min(column))).scalar()
        last = window.end_utc or self.session.execute(select(func.max(column))).scalar()
        if first is None or last is None:
            first = last = datetime.now(UTC)
        return offset_periods(self.zone, first, last + timedelta(seconds=1))

    def _buckets(self, column: Any, window: Window, *conditions: Any) -> dict[tuple[str, int], int]:
        day, hour = self._local_day_hour(column, window)
        rows = select(day.label("day"), hour.label("hour")).where(
            column.is_not(None), *conditions, *window.where(column)).subquery()
        result = self.session.execute(select(rows.c.day, rows.c.hour, func.count()).group_by(rows.c.day, rows.c.hour))
        return {(day_text(day_value), int(hour_value)): count for day_value, hour_value, count in result}

    def _volume(self, window: Window) -> tuple[dict[tuple[str, int], int], dict[tuple[str, int], int]]:
        return self._buckets(MESSAGES.received_at, window, *LIVE_INBOUND), self._buckets(QUEUE.sent_at, window)

    def _days(self, window: Window, seen: set[str]) -> list[str]:
        first = day_text(window.start) if window.start else min(seen, default=None)
        last = day_text(window.end) if window.end else max(seen, default=None)
        if first is None or last is None:
            return []
        day, final = date.fromisoformat(first), date.fromisoformat(last)
        days = []
        while day <= final:
            days.append(day.isoformat())
            day += timedelta(days=1)
        return days

    def _per_day(self, window: Window, inbound: dict, outbound: dict) -> list[dict[str, Any]]:
        totals: dict[str, list[int]] = {}
        for index, buckets in enumerate((inbound, outbound)):
            for (day, _hour), count in buckets.items():
                totals.setdefault(day, [0, 0])[index] += count
        return [{"date": day, "inbound": totals.get(day, [0, 0])[0], "outbound": totals.get(day, [0, 0])[1]}
                for day in self._days(window, set(totals))]

    @staticmethod
    def _per_hour(inbound: dict, outbound: dict) -> list[dict[str, int]]:
        hours = [{"hour": hour, "inbound": 0, "outbound": 0} for hour in range(24)]
        for key, buckets in (("inbound", inbound), ("outbound", outbound)):
            for (_day, hour), count in buckets.items():
                hours[hour][key] += count
        return hours

    # Sections.

    def _by_type(self, window: Window) -> list[dict[str, Any]]:
        count = func.count().label("count")
        rows = self.session.execute(
            select(MESSAGES.message_type, count).where(*LIVE_INBOUND, *window.where(MESSAGES.received_at))
            .group_by(MESSAGES.message_type).order_by(count.desc(), MESSAGES.message_type))
        return [{"message_type": message_type, "count": number} for message_type, number in rows]

    def _contacts(self, window: Window) -> dict[str, int]:
        new = self.session.execute(select(func.count()).select_from(Contact.__table__).where(
            CONTACTS.first_inbound_at.is_not(None), *window.where(CONTACTS.first_inbound_at))).scalar_one()
        # GROUP BY (hashed) rather than COUNT(DISTINCT) (always sorted by PostgreSQL), and one primary-key
        # probe per active contact rather than a join that may hash every contact.
        active_ids = (select(MESSAGES.contact_id).where(*LIVE_INBOUND, *window.where(MESSAGES.received_at))
                      .group_by(MESSAGES.contact_id).subquery())
        first_seen = select(CONTACTS.first_inbound_at).where(CONTACTS.id == active_ids.c.contact_id).scalar_subquery()
        seen_before = first_seen < window.start_utc if window.start_utc else false()
        active, returning = self.session.execute(
            select(func.count(), func.count(case((seen_before, 1)))).select_from(active_ids)).one()
        return {"new": new, "returning": returning, "total_active": active}

    def _top_keywords(self, window: Window, limit: int = TOP_KEYWORDS) -> list[dict[str, Any]]:
        if self.is_postgresql:
            elements = func.json_array_elements_text(MESSAGES.keywords).table_valued("value")
            is_list = func.json_typeof(MESSAGES.keywords) == "array"
        else:
            elements = func.json_each(MESSAGES.keywords).table_valued("value")
            is_list = func.json_type(MESSAGES.keywords) == "array"
        count = func.count().label("count")
        rows = self.session.execute(
            select(elements.c.value, count).select_from(ReceivedMessageLog.__table__).join(elements, true())
            .where(MESSAGES.enriched_at.is_not(None), is_list, *LIVE_INBOUND, *window.where(MESSAGES.received_at))
            .group_by(elements.c.value).order_by(count.desc(), elements.c.value).limit(limit))
        return [{"keyword": keyword, "count": number} for keyword, number in rows]

    def _sentiment(self, window: Window) -> dict[str, Any]:
        in_range = [MESSAGES.sentiment.is_not(None), *LIVE_INBOUND, *window.where(MESSAGES.received_at)]
        counts = dict.fromkeys(SENTIMENT_LABELS, 0)
        counts.update(self.session.execute(
            select(MESSAGES.sentiment, func.count()).where(*in_range).group_by(MESSAGES.sentiment)).all())
        total = sum(counts[label] for label in SENTIMENT_LABELS)
        day, _hour = self._local_day_hour(MESSAGES.received_at, window)
        rows = select(day.label("day"), MESSAGES.sentiment.label("label")).where(*in_range).subquery()
        per_day: dict[str, dict[str, int]] = {}
        for day_value, label, number in self.session.execute(
                select(rows.c.day, rows.c.label, func.count()).group_by(rows.c.day, rows.c.label)):
            per_day.setdefault(day_text(day_value), dict.fromkeys(SENTIMENT_LABELS, 0))[label] = number
        negative = self.session.execute(
            select(MESSAGES.id, MESSAGES.contact_id, Contact.identifier, Contact.handle, Contact.display_name,
                   MESSAGES.text, MESSAGES.sentiment_score, MESSAGES.received_at)
            .join_from(ReceivedMessageLog.__table__, Contact.__table__, CONTACTS.id == MESSAGES.contact_id)
            .where(MESSAGES.sentiment == "negative", *LIVE_INBOUND, *window.where(MESSAGES.received_at))
            .order_by(MESSAGES.sentiment_score, MESSAGES.received_at.desc(), MESSAGES.id.desc())
            .limit(MOST_NEGATIVE))
        return {
            "counts": {label: counts[label] for label in SENTIMENT_LABELS},
            "shares": {label: ratio(counts[label], total) for label in SENTIMENT_LABELS},
            "per_day": [{"date": day, **per_day.get(day, dict.fromkeys(SENTIMENT_LABELS, 0))}
                        for day in self._days(window, set(per_day))],
            "most_negative": [
                {"message_id": message_id, "contact_id": contact_id, "wa_id": wa_id, "handle": handle, "name": name,
                 "text": text, "score": score, "received_at": instant(received_at)}
                for message_id, contact_id, wa_id, handle, name, text, score, received_at in negative],
        }

    def _intents(self, window: Window) -> dict[str, Any]:
        # Flow submissions, orders and other events are not questions: no intent, no fallback.
        in_range = [*LIVE_INBOUND, MESSAGES.event_data.is_(None), *window.where(MESSAGES.received_at)]
        counts = self.session.execute(select(MESSAGES.intent, func.count()).where(
            MESSAGES.intent.is_not(None), *in_range).group_by(MESSAGES.intent)).all()
        total = sum(number for _intent, number in counts)
        count = func.count().label("count")
        examples = self.session.execute(
            select(func.min(MESSAGES.text), count)
            .where(MESSAGES.intent == NO_INTENT, MESSAGES.normalized_text.is_not(None),
                   MESSAGES.normalized_text != "", *in_range)
            .group_by(MESSAGES.normalized_text).order_by(count.desc(), MESSAGES.normalized_text)
            .limit(FALLBACK_EXAMPLES))
        return {
            "distribution": [{"intent": intent, "count": number, "share": ratio(number, total)}
                             for intent, number in sorted(counts, key=lambda row: (-row[1], row[0]))],
            "fallback_rate": ratio(dict(counts).get(NO_INTENT, 0), total),
            "fallback_examples": [{"text": text, "count": number} for text, number in examples],
        }

    def _broadcasts(self, window: Window) -> list[dict[str, Any]]:
        return campaign_funnels(self.session, window)

    def _first_reply(self, window: Window) -> dict[str, Any]:
        # Bounded work: the most recent messages of the range (index on received_at), one probe
        # of (contact_id, sent_at) each for the next non-broadcast send within the reply window.
        asked = (select(MESSAGES.contact_id, MESSAGES.received_at)
                 .where(MESSAGES.message_type.in_(REPLYABLE_TYPES), *LIVE_INBOUND, *window.where(MESSAGES.received_at))
                 .order_by(MESSAGES.received_at.desc()).limit(FIRST_REPLY_SAMPLE).subquery())
        if self.is_postgresql:
            deadline = asked.c.received_at + literal(REPLY_WINDOW, Interval())
        else:
            deadline = func.datetime(asked.c.received_at, f"+{int(REPLY_WINDOW.total_seconds())} seconds")
        next_send = (select(func.min(QUEUE.sent_at).label("answered_at"))
                     .where(QUEUE.contact_id == asked.c.contact_id, QUEUE.sent_at >= asked.c.received_at,
                            QUEUE.sent_at < deadline, QUEUE.broadcast_id.is_(None)))
        # Counting the non-null answers, rather than filtering on them, runs the probe once per message.
        if self.is_postgresql:
            answer = next_send.lateral()
            delay = extract("epoch", answer.c.answered_at - asked.c.received_at)
            samples, median = self.session.execute(
                select(func.count(answer.c.answered_at), func.percentile_cont(0.5).within_group(delay))
                .select_from(asked).join(answer, true())).one()
        else:
            waits = select(next_send.scalar_subquery().label("answered_at"), asked.c.received_at).subquery()
            samples, unanswered = self.session.execute(
                select(func.count(waits.c.answered_at), func.count() - func.count(waits.c.answered_at))).one()
            delay = cast((func.julianday(waits.c.answered_at) - func.julianday(waits.c.received_at)) * 86400, Float)
            # NULLs (unanswered) sort first: skip them, then take the middle one or two.
            middle = self.session.execute(select(delay).order_by(delay).limit(2 - samples % 2)
                                          .offset(unanswered + (samples - 1) // 2)).scalars().all() if samples else []
            median = sum(middle) / len(middle) if middle else None
        return {"median_seconds": round(float(median), 4) if median is not None else None, "samples": samples}
