"""AnalyticsService on seeded data, on SQLite and PostgreSQL: every section against hand-computed numbers.

The seed (UTC instants, Asia/Tehran is UTC+03:30):

    m1  A text     11-19 20:00  local 11-19 23:30  before the range
    m2  A text     11-19 21:00  local 11-20 00:30  order_status  neutral
    m3  B text     11-20 08:00  local 11-20 11:30  none          negative -0.8
    m10 A text     11-20 10:00  local 11-20 13:30  none          neutral
    m11 C text     11-20 15:00  local 11-20 18:30  none          negative -0.8
    m4  B image    11-20 22:00  local 11-21 01:30  media         (no sentiment)
    m9  B text     11-21 07:00  local 11-21 10:30  none          neutral
    m5  A text     11-21 12:00  local 11-21 15:30  thanks        positive
    m7  A reaction 11-21 12:05  local 11-21 15:35  (no intent)   negative -0.5
    m6  C text     11-21 21:00  local 11-22 00:30  after the range, most negative of all

Replies (non-broadcast sends): R1 A 11-19 20:00:20, R2 A 11-19 21:00:30, R3 B 11-20 08:02,
R9 B 11-21 07:00:50, R5 A 11-21 12:10, and a pending one to C. Campaign "Yalda" (11-21 06:00):
A delivered, B read, C sent, E sent, D/F failed 131026, G failed 131049, H skipped, I pending.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from analytics_service import AnalyticsError, AnalyticsService, offset_periods
from database_models import Broadcast, ReceivedMessageLog, ScheduledMessage
from language.enrichment import enrich_batch

RANGE = (date(2026, 11, 20), date(2026, 11, 21))


def utc(month: int, day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, second, tzinfo=UTC)


@pytest.fixture
def add_message(session):
    counter = iter(range(1, 10**6))

    def add(contact, at, message_type="text", text=None, *, sentiment=None, score=None, intent=None,
            normalized=None, keywords=None, enriched=True):
        message = ReceivedMessageLog(
            wamid=f"wamid.test{next(counter)}", contact_id=contact.id, message_type=message_type, text=text,
            payload={}, received_at=at, sentiment=sentiment, sentiment_score=score, intent=intent,
            normalized_text=normalized if normalized is not None else text,
            keywords=keywords if keywords is not None else [], enriched_at=at if enriched else None)
        session.add(message)
        session.flush()
        return message

    return add


@pytest.fixture
def add_send(session):
    def add(contact, sent_at, status="sent", broadcast=None, code=None, reply_to=None):
        row = ScheduledMessage(contact_id=contact.id, broadcast_id=broadcast.id if broadcast else None,
                               kind="broadcast" if broadcast else "reply", body="x", status=status,
                               scheduled_at=sent_at or utc(11, 21, 6), sent_at=sent_at, last_error_code=code,
                               in_reply_to_id=reply_to.id if reply_to else None)
        session.add(row)
        session.flush()
        return row

    return add


@pytest.fixture
def seeded(session, make_contact, add_message, add_send):
    a = make_contact("989120000001", "Sara", first_inbound_at=utc(11, 1, 10))
    b = make_contact("989120000002", "Reza", first_inbound_at=utc(11, 20, 8))
    c = make_contact("989120000003", "John", first_inbound_at=utc(11, 20, 15))
    # First seen 23:45 local on the 19th: not new in a range starting on the 20th.
    make_contact("989120000009", "Zed", first_inbound_at=utc(11, 19, 20, 15))
    others = {name: make_contact(f"98912000010{index}", name) for index, name in enumerate("DEFGHI")}

    m1 = add_message(a, utc(11, 19, 20), text="سلام", sentiment="neutral", score=0.0, intent="greeting")
    m2 = add_message(a, utc(11, 19, 21), text="سفارشم کجاست؟", sentiment="neutral", score=0.0, intent="order_status")
    m3 = add_message(b, utc(11, 20, 8), text="خیلی بد بود، هنوز نرسیده", sentiment="negative", score=-0.8,
                     intent="none")
    add_message(a, utc(11, 20, 10), text="کد تخفیف دارید", sentiment="neutral", score=0.0, intent="none")
    add_message(c, utc(11, 20, 15), text="really bad service", sentiment="negative", score=-0.8, intent="none")
    add_message(b, utc(11, 20, 22), "image", intent="media")
    m9 = add_message(b, utc(11, 21, 7), text="کد تخفیف دارید؟", sentiment="neutral", score=0.0, intent="none",
                     normalized="کد تخفیف دارید")
    m5 = add_message(a, utc(11, 21, 12), text="ممنون عالی بود", sentiment="positive", score=0.9, intent="thanks")
    add_message(a, utc(11, 21, 12, 5), "reaction", text="👎", sentiment="negative", score=-0.5)
    add_message(c, utc(11, 21, 21), text="worst ever, I want a refund", sentiment="negative", score=-0.95,
                intent="none")

    add_send(a, utc(11, 19, 20, 0, 20), reply_to=m1)
    add_send(a, utc(11, 19, 21, 0, 30), reply_to=m2)
    add_send(b, utc(11, 20, 8, 2), reply_to=m3)
    add_send(b, utc(11, 21, 7, 0, 50), reply_to=m9)
    add_send(a, utc(11, 21, 12, 10), reply_to=m5)
    add_send(c, None, status="pending")

    yalda = Broadcast(name="Yalda", body="x", audience={"kind": "all"}, scheduled_at=utc(11, 21, 6), recipient_count=9)
    later = Broadcast(name="Later", body="x", audience={"kind": "all"}, scheduled_at=utc(11, 25, 6), recipient_count=0)
    session.add_all([yalda, later])
    session.flush()
    add_send(a, utc(11, 21, 6), "delivered", yalda)
    add_send(b, utc(11, 21, 6), "read", yalda)
    add_send(c, utc(11, 21, 6, 0, 1), "sent", yalda)
    add_send(others["E"], utc(11, 21, 6), "sent", yalda)
    add_send(others["D"], None, "failed", yalda, code=131026)
    add_send(others["F"], None, "failed", yalda, code=131026)
    add_send(others["G"], None, "failed", yalda, code=131049)
    add_send(others["H"], None, "skipped", yalda)
    add_send(others["I"], None, "pending", yalda)
    return {"yalda": yalda, "later": later}


@pytest.fixture
def analytics(session):
    return AnalyticsService(session, "Asia/Tehran")


def test_messages_per_day_puts_22_utc_on_the_next_tehran_day(seeded, analytics):
    assert analytics.messages_per_day(*RANGE) == [
        {"date": "2026-11-20", "inbound": 4, "outbound": 2},
        {"date": "2026-11-21", "inbound": 4, "outbound": 6},
    ]


def test_messages_per_day_without_a_range_covers_everything_stored(seeded, analytics):
    days = analytics.messages_per_day()
    assert [day["date"] for day in days] == ["2026-11-19", "2026-11-20", "2026-11-21", "2026-11-22"]
    assert days[0] == {"date": "2026-11-19", "inbound": 1, "outbound": 1}
    assert days[-1] == {"date": "2026-11-22", "inbound": 1, "outbound": 0}


def test_messages_per_day_fills_quiet_days_of_the_range(seeded, analytics):
    days = analytics.messages_per_day(date(2026, 11, 21), date(2026, 11, 23))
    assert [(day["date"], day["inbound"]) for day in days] == [("2026-11-21", 4), ("2026-11-22", 1), ("2026-11-23", 0)]


def test_messages_per_hour_uses_local_hours(seeded, analytics):
    hours = analytics.messages_per_hour(*RANGE)
    assert len(hours) == 24 and [hour["hour"] for hour in hours] == list(range(24))
    assert {h["hour"]: h["inbound"] for h in hours if h["inbound"]} == {0: 1, 1: 1, 10: 1, 11: 1, 13: 1, 15: 2, 18: 1}
    assert {h["hour"]: h["outbound"] for h in hours if h["outbound"]} == {0: 1, 9: 4, 10: 1, 11: 1, 15: 1}


def test_messages_by_type_most_frequent_first(seeded, analytics):
    assert analytics.messages_by_type(*RANGE) == [
        {"message_type": "text", "count": 6}, {"message_type": "image", "count": 1},
        {"message_type": "reaction", "count": 1},
    ]


def test_contacts_new_returning_active(seeded, analytics):
    assert analytics.contacts(*RANGE) == {"new": 2, "returning": 1, "total_active": 3}
    assert analytics.contacts(date(2026, 11, 22), date(2026, 11, 22)) == {"new": 0, "returning": 1, "total_active": 1}
    assert analytics.contacts() == {"new": 4, "returning": 0, "total_active": 3}


def test_sentiment_counts_shares_per_day_and_most_negative(seeded, analytics):
    result = analytics.sentiment(*RANGE)
    assert result["counts"] == {"positive": 1, "neutral": 3, "negative": 3}
    assert result["shares"] == {"positive": 0.1429, "neutral": 0.4286, "negative": 0.4286}
    assert result["per_day"] == [
        {"date": "2026-11-20", "positive": 0, "neutral": 2, "negative": 2},
        {"date": "2026-11-21", "positive": 1, "neutral": 1, "negative": 1},
    ]
    negative = result["most_negative"]
    # Equal scores: the most recent first. The -0.95 message is after the range.
    assert [(m["text"], m["score"]) for m in negative] == [
        ("really bad service", -0.8), ("خیلی بد بود، هنوز نرسیده", -0.8), ("👎", -0.5)]
    assert negative[0]["wa_id"] == "989120000003" and negative[0]["name"] == "John"
    assert negative[0]["received_at"] == "2026-11-20T15:00:00+00:00"
    assert analytics.sentiment()["most_negative"][0]["score"] == -0.95


def test_intents_distribution_fallback_rate_and_examples(seeded, analytics):
    result = analytics.intents(*RANGE)
    assert result["distribution"] == [
        {"intent": "none", "count": 4, "share": 0.5714}, {"intent": "media", "count": 1, "share": 0.1429},
        {"intent": "order_status", "count": 1, "share": 0.1429}, {"intent": "thanks", "count": 1, "share": 0.1429},
    ]
    assert result["fallback_rate"] == 0.5714
    examples = result["fallback_examples"]
    # Two spellings of one question, grouped by their normalised text.
    assert examples[0] == {"text": "کد تخفیف دارید", "count": 2}
    assert sorted(e["text"] for e in examples[1:]) == sorted(["really bad service", "خیلی بد بود، هنوز نرسیده"])
    assert all(e["count"] == 1 for e in examples[1:])


def test_broadcast_funnel_with_replies_and_failures_by_code(seeded, analytics):
    [funnel] = analytics.broadcasts(*RANGE)
    assert funnel == {
        "id": seeded["yalda"].id, "name": "Yalda", "status": "scheduled", "scheduled_at": "2026-11-21T06:00:00+00:00",
        "completed_at": None,
        "recipients": 9, "sent": 4, "delivered": 2, "read": 1, "replied": 3, "failed": 3, "skipped": 1,
        "unknown": 0, "pending": 1, "failed_by_code": {"131026": 2, "131049": 1},
        "rates": {"delivered": 0.5, "read": 0.25, "replied": 0.75, "failed": 0.75},
    }
    everything = analytics.broadcasts()
    assert [b["name"] for b in everything] == ["Later", "Yalda"]
    assert everything[0]["sent"] == 0 and everything[0]["rates"]["delivered"] == 0.0


def test_median_first_reply_ignores_broadcasts_reactions_and_late_sends(seeded, analytics):
    # m2 30 s, m3 120 s, m4 32450 s (R9; the campaign is no reply), m5 600 s, m9 50 s; m10's next reply
    # is 26 h later and m11 only got a campaign: unanswered. The reaction m7 needs no answer.
    assert analytics.first_reply(*RANGE) == {"median_seconds": 120.0, "samples": 5}
    assert analytics.first_reply(date(2026, 11, 20), date(2026, 11, 20)) == {"median_seconds": 75.0, "samples": 2}
    assert analytics.first_reply(date(2026, 12, 1), date(2026, 12, 2)) == {"median_seconds": None, "samples": 0}


def test_summary_has_every_section_json_ready(seeded, analytics):
    import json

    summary = analytics.summary(*RANGE)
    assert set(summary) == {"range", "messages_per_day", "messages_per_hour", "messages_by_type", "contacts",
                            "top_keywords", "sentiment", "intents", "broadcasts", "first_reply"}
    assert summary["range"] == {"from": "2026-11-20", "to": "2026-11-21", "timezone": "Asia/Tehran"}
    assert summary["messages_per_day"] == analytics.messages_per_day(*RANGE)
    assert summary["first_reply"]["samples"] == 5
    json.dumps(summary)
    assert analytics.summary()["range"] == {"from": None, "to": None, "timezone": "Asia/Tehran"}


def test_keywords_collapse_inflections_and_count_messages(session, make_contact, add_message, analytics):
    contact = make_contact()
    at = utc(11, 20, 9)
    for text in ("سفارشم کجاست؟", "سفارش‌ها رسید؟", "وضعیت سفارش من", "سفارش سفارشم رو لغو کنید",
                 "my order is late", "Where is my ORDER??", "سلام"):
        add_message(contact, at, text=text, enriched=False)
    add_message(contact, at, text="سفارش", keywords=["سفارش"], enriched=False)  # never enriched: not counted yet
    assert enrich_batch(session, rules=None, batch_size=7) == 7
    keywords = analytics.top_keywords(*RANGE)
    assert keywords[:2] == [{"keyword": "سفارش", "count": 4}, {"keyword": "order", "count": 2}]
    assert {"keyword": "late", "count": 1} in keywords
    assert all(k["keyword"] not in ("my", "is", "where", "کجاست") for k in keywords)


def test_a_range_that_ends_before_it_starts_is_refused(session):
    with pytest.raises(AnalyticsError):
        AnalyticsService(session, "Asia/Tehran").summary(date(2026, 11, 21), date(2026, 11, 20))
    with pytest.raises(AnalyticsError):
        AnalyticsService(session, "Mars/Olympus")


def test_offset_periods_follow_the_zone_rules():
    tehran = offset_periods(ZoneInfo("Asia/Tehran"), utc(1, 1, 0), utc(12, 31, 0))
    assert tehran == [(None, 12600)]
    berlin = offset_periods(ZoneInfo("Europe/Berlin"), utc(1, 1, 0), utc(12, 31, 0))
    assert berlin == [(utc(3, 29, 1), 3600), (utc(10, 25, 1), 7200), (None, 3600)]
    # Tehran still had summer time in 2021: +04:30 from 2021-03-22 00:00 local.
    old = offset_periods(ZoneInfo("Asia/Tehran"), datetime(2021, 1, 1, tzinfo=UTC), datetime(2021, 6, 1, tzinfo=UTC))
    assert old == [(datetime(2021, 3, 21, 20, 30, tzinfo=UTC), 12600), (None, 16200)]


@pytest.mark.parametrize("zone_name", ["Europe/Berlin", "Asia/Tehran"])
def test_days_and_hours_across_a_daylight_saving_change(session, make_contact, add_message, zone_name):
    """Every message lands on the local day and hour zoneinfo gives, on both sides of a change."""
    contact = make_contact()
    zone = ZoneInfo(zone_name)
    base = datetime(2026, 10, 24, 18, tzinfo=UTC) if zone_name == "Europe/Berlin" else datetime(
        2021, 3, 21, 12, tzinfo=UTC)
    instants = [base + timedelta(minutes=47 * step) for step in range(40)]
    for instant in instants:
        add_message(contact, instant)
    expected_hours: dict[int, int] = {}
    expected_days: dict[str, int] = {}
    for instant in instants:
        local = instant.astimezone(zone)
        expected_hours[local.hour] = expected_hours.get(local.hour, 0) + 1
        expected_days[local.date().isoformat()] = expected_days.get(local.date().isoformat(), 0) + 1
    service = AnalyticsService(session, zone_name)
    for start, end in ((None, None), (instants[0].astimezone(zone).date(), instants[-1].astimezone(zone).date())):
        hours = {h["hour"]: h["inbound"] for h in service.messages_per_hour(start, end) if h["inbound"]}
        days = {d["date"]: d["inbound"] for d in service.messages_per_day(start, end)}
        assert hours == expected_hours
        assert days == expected_days


def test_median_first_reply_is_bounded_to_the_latest_messages(seeded, analytics, monkeypatch):
    import analytics_service

    monkeypatch.setattr(analytics_service, "FIRST_REPLY_SAMPLE", 2)
    # The two latest answerable messages of the range: m5 (600 s) and m9 (50 s); the reaction is not one.
    assert analytics.first_reply(*RANGE) == {"median_seconds": 325.0, "samples": 2}
