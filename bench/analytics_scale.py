"""Analytics at 100,000 and 1,000,000 messages on PostgreSQL (a benchmark, not a test).

    python bench/analytics_scale.py [--small 100000] [--large 1000000] [--enrich 20000] [--repeat 3]

It creates (and afterwards drops) its own database, ANALYTICS_BENCH_DATABASE_URL (default
postgresql+psycopg2://postgres@127.0.0.1:5432/wa_bench_analytics), migrates it, and in one run:

1. loads --small synthetic inbound messages (COPY, already enriched: mixed Persian and
   English texts enriched by the real `enrichment.enrich_text`, so keywords, sentiment and
   intents are what production stores), the chatbot's replies and a few broadcasts;
2. times `AnalyticsService.summary()` over everything and over the last 30 days, and
   each section on its own;
3. loads older history up to --large messages (the same daily volume further back: the
   log grows with time, as a business's does) and times the same reports again;
4. prints the 1M/100k ratios (target ≤ 10; about 1 where an index bounds the work);
5. inserts --enrich un-enriched messages and times `enrich_pending` (messages per second,
   and per CPU-second of the enriching process);
6. times GET /dashboard through `time_dashboard` when a `dashboard` module exists.
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import io
import json
import os
import random
import re
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench_support import migrate, recreate_database  # noqa: E402

from analytics_service import AnalyticsService  # noqa: E402
from config import Config  # noqa: E402
from database_models import Broadcast  # noqa: E402
from database_setup import create_engine_for, create_session_factory  # noqa: E402
from language.enrichment import enrich_pending, enrich_text, resolve_rules  # noqa: E402

DEFAULT_URL = "postgresql+psycopg2://postgres@127.0.0.1:5432/wa_bench_analytics"
TIMEZONE = "Asia/Tehran"
# Today at midnight UTC, so the dashboard's "last 30 days" is the benchmark's too.
NOW = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
MESSAGES_PER_DAY = 1000
MESSAGES_PER_CONTACT = 10
CHUNK = 50_000
SECTIONS = ("messages_per_day", "messages_per_hour", "messages_by_type", "contacts", "top_keywords", "sentiment",
            "intents", "broadcasts", "first_reply")

GREETINGS = ["", "سلام ", "سلام وقت بخیر ", "hi ", "hello, ", "درود ", "salam "]
BODIES = [
    "سفارشم کجاست؟", "سفارش‌ها کی میرسه؟", "وضعیت سفارش من چیه", "کد رهگیری مرسوله رو میدید؟",
    "قیمت این کفش چنده؟", "قیمت لباس ها رو بفرستید", "هزینه ارسال به شیراز چقدره", "کد تخفیف دارید؟",
    "ساعت کاری فروشگاه تا کیه؟", "جمعه ها بازید؟", "میخوام با اپراتور صحبت کنم", "پشتیبانی جواب نمیده",
    "خیلی ممنون، عالی بود", "کیفیتش خیلی خوبه", "از خریدم راضی هستم", "مرسی از پیگیریتون",
    "خیلی بد بود، هنوز نرسیده", "بسته خراب رسید", "افتضاح بود، پولمو پس بدید", "دو هفته است منتظرم",
    "where is my order?", "my order is late", "how much is shipping to Tehran?", "do you have this in size 42?",
    "thanks, great service", "the parcel never arrived", "worst experience ever", "can I talk to a human",
    "is the store open on friday", "I want a refund", "لغو", "STOP", "اینو دارید؟", "asdf", "😡", "👍",
]
SUFFIXES = ["", "", "", " لطفا", " please", "!", "؟", " مرسی"]
TYPES = [("text", 85), ("image", 5), ("audio", 2), ("sticker", 2), ("reaction", 3), ("location", 1),
         ("interactive", 1), ("button", 1)]
REACTIONS = ["👍", "❤️", "😡", "🙏", "😂"]


class Generator:
    """Synthetic, realistic rows: texts enriched once per distinct text with the production code."""

    def __init__(self, seed: int = 7) -> None:
        self.random = random.Random(seed)
        rules = resolve_rules(None)
        self.texts = [f"{greeting}{body}{suffix}" for greeting in GREETINGS for body in BODIES for suffix in SUFFIXES]
        self.enriched = {
            (kind, message_text): enrich_text(message_text, kind, rules)
            for kind in ("text", "image", "interactive", "button") for message_text in self.texts
        }
        for emoji in REACTIONS:
            self.enriched[("reaction", emoji)] = enrich_text(emoji, "reaction", rules)
        self.kinds = [kind for kind, weight in TYPES for _ in range(weight)]
        self.next_message_id = self.next_contact_id = self.next_queue_id = 1

    def contacts(self, count: int, first_day: datetime, days: int) -> list[tuple[int, datetime]]:
        """(id, first_inbound_at) for `count` new contacts first seen in the period."""
        created = []
        for _ in range(count):
            created.append((self.next_contact_id, first_day + timedelta(seconds=self.random.uniform(0, days * 86400))))
            self.next_contact_id += 1
        return created

    def messages(self, contacts: list[tuple[int, datetime]], count: int, end: datetime) -> tuple[list, list]:
        """`count` inbound rows for these contacts, each after its contact's first message, and the replies."""
        messages, replies = [], []
        for _ in range(count):
            # A fifth of the traffic comes from the most active 2% of contacts.
            heavy = self.random.random() < 0.2
            contact_id, first_seen = contacts[self.random.randrange(max(len(contacts) // 50, 1) if heavy
                                                                    else len(contacts))]
            received_at = first_seen + (end - first_seen) * self.random.random() ** 2
            kind = self.random.choice(self.kinds)
            message_text = (self.random.choice(REACTIONS) if kind == "reaction" else None if kind in (
                "audio", "sticker", "location") else self.random.choice(self.texts))
            found = self.enriched.get((kind, message_text))
            intent = "media" if kind in ("image", "audio", "sticker") else found.intent if found else None
            message_id = self.next_message_id
            self.next_message_id += 1
            messages.append((
                message_id, f"wamid.HBgM{message_id:012d}", contact_id, kind, message_text,
                json.dumps({"from": str(989120000000 + contact_id), "type": kind, "timestamp": str(
                    int(received_at.timestamp()))}), received_at, received_at,
                found.normalized_text if found else None, json.dumps(found.keywords if found else [],
                                                                     ensure_ascii=False),
                found.sentiment if found else None, found.sentiment_score if found else None, intent,
                0.8 if intent else None, received_at + timedelta(seconds=30)))
            if kind != "location" and kind != "reaction" and self.random.random() < 0.75:
                sent_at = received_at + timedelta(seconds=self.random.lognormvariate(3, 1.2))
                replies.append((self.next_queue_id, contact_id, None, message_id, "reply", "پاسخ", sent_at,
                                self.random.choice(("delivered", "read", "read")), None, sent_at))
                self.next_queue_id += 1
        return messages, replies

    def campaign_rows(self, broadcast_id: int, contacts: list[tuple[int, datetime]], at: datetime,
                      recipients: int) -> list:
        """Queue rows of one campaign: mostly delivered/read, some failed by code, a few skipped."""
        rows = []
        for contact_id, _ in self.random.sample(contacts, min(recipients, len(contacts))):
            roll = self.random.random()
            status = ("read" if roll < 0.5 else "delivered" if roll < 0.8 else "sent" if roll < 0.88
                      else "failed" if roll < 0.97 else "skipped")
            code = self.random.choice((131026, 131026, 131049, 131047)) if status == "failed" else None
            reached = status not in ("failed", "skipped")
            sent_at = at + timedelta(seconds=self.random.uniform(0, 600)) if reached else None
            rows.append((self.next_queue_id, contact_id, broadcast_id, None, "broadcast", "حراج یلدا", at, status,
                         code, sent_at))
            self.next_queue_id += 1
        return rows


def copy_rows(connection: Any, table: str, columns: str, rows: list) -> None:
    """COPY rows into a table in chunks (psycopg2's copy_expert)."""
    cursor = connection.connection.dbapi_connection.cursor()
    for offset in range(0, len(rows), CHUNK):
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        for row in rows[offset:offset + CHUNK]:
            writer.writerow(["" if value is None else value.isoformat() if isinstance(value, datetime) else value
                             for value in row])
        buffer.seek(0)
        cursor.copy_expert(f"COPY {table} ({columns}) FROM STDIN WITH (FORMAT csv)", buffer)
    cursor.close()


def load(engine: Any, generator: Generator, messages: int, start: datetime, end: datetime,
         new_contacts: int, campaigns: int) -> float:
    """Load one period of history; returns the seconds it took."""
    started = time.perf_counter()
    days = max((end - start).days, 1)
    contacts = generator.contacts(new_contacts, start, days)
    inbound, replies = generator.messages(contacts, messages, end)
    last_seen: dict[int, datetime] = {}
    for row in inbound:
        last_seen[row[2]] = max(last_seen.get(row[2], row[6]), row[6])
    with engine.begin() as connection:
        copy_rows(connection, "contacts", "id, wa_id, name, attributes, opted_out, first_inbound_at, last_inbound_at, "
                  "created_at, updated_at",
                  [(contact_id, str(989120000000 + contact_id), f"مشتری {contact_id}", "{}", False, first_seen,
                    last_seen.get(contact_id, first_seen), first_seen, first_seen)
                   for contact_id, first_seen in contacts])
        copy_rows(connection, "received_messages", "id, wamid, contact_id, message_type, text, payload, wa_timestamp, "
                  "received_at, normalized_text, keywords, sentiment, sentiment_score, intent, intent_confidence, "
                  "enriched_at", inbound)
        queue_columns = ("id, contact_id, broadcast_id, in_reply_to_id, kind, body, scheduled_at, status, "
                         "last_error_code, sent_at, attempts, created_at, updated_at")
        copy_rows(connection, "scheduled_messages", queue_columns,
                  [(*row, 1, row[6], row[6]) for row in replies])
        for number in range(campaigns):
            at = start + (end - start) * (number + 0.5) / campaigns
            broadcast_id = connection.execute(
                Broadcast.__table__.insert().values(name=f"کمپین {at:%Y-%m-%d}", body="حراج یلدا", audience={},
                                                    scheduled_at=at, status="scheduled", recipient_count=0,
                                                    exclusions={}, created_at=at, updated_at=at)
                .returning(Broadcast.__table__.c.id)).scalar_one()
            rows = generator.campaign_rows(broadcast_id, contacts, at, 5000)
            copy_rows(connection, "scheduled_messages", queue_columns, [(*row, 1, row[6], row[6]) for row in rows])
            connection.execute(text("UPDATE broadcasts SET recipient_count = :count WHERE id = :id"),
                               {"count": len(rows), "id": broadcast_id})
        for table, column in (("contacts", "id"), ("received_messages", "id"), ("scheduled_messages", "id")):
            connection.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'), "
                                    f"(SELECT max({column}) FROM {table}))"))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE"))  # what autovacuum does after a bulk load
    return time.perf_counter() - started


def timed(function: Callable[[], Any], repeat: int) -> float:
    """Median seconds of `repeat` runs after one warm-up run."""
    function()
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        runs.append(time.perf_counter() - started)
    return statistics.median(runs)


def time_reports(session_factory: Any, repeat: int) -> dict[str, float]:
    """Seconds for the full summary (everything, last 30 days) and for each section over everything."""
    last_30 = ((NOW - timedelta(days=30)).date(), (NOW - timedelta(days=1)).date())
    results = {}
    with session_factory() as session:
        service = AnalyticsService(session, TIMEZONE)
        results["summary, everything"] = timed(service.summary, repeat)
        results["summary, last 30 days"] = timed(lambda: service.summary(*last_30), repeat)
        for section in SECTIONS:
            results[f"  {section}, everything"] = timed(getattr(service, section), repeat)
        for section in SECTIONS:
            results[f"  {section}, last 30 days"] = timed(lambda s=section: getattr(service, s)(*last_30), repeat)
    return results


def time_dashboard(client_or_base_url: Any, admin_token: str | None = None, repeat: int = 3,
                   query: str = "") -> float | None:
    """Median seconds of GET /dashboard{query} (a Flask test client or a base URL); None when there is no dashboard.

    With `admin_token` it logs in first through the login form (CSRF token included).
    """
    if importlib.util.find_spec("web.dashboard") is None:
        print("dashboard: skipped (no `dashboard` module yet)")
        return None
    if isinstance(client_or_base_url, str):
        import httpx

        client = httpx.Client(base_url=client_or_base_url.rstrip("/"), timeout=120)

        def get(path: str) -> tuple[int, str]:
            response = client.get(path)
            return response.status_code, response.text

        def post(path: str, form: dict[str, str]) -> int:
            return client.post(path, data=form).status_code
    else:
        def get(path: str) -> tuple[int, str]:
            response = client_or_base_url.get(path)
            return response.status_code, response.get_data(as_text=True)

        def post(path: str, form: dict[str, str]) -> int:
            return client_or_base_url.post(path, data=form).status_code
    status, _page = get(f"/dashboard{query}")
    if status != 200 and admin_token:
        _status, page = get("/dashboard/login")
        found = re.search(r'name="csrf_token" value="([^"]+)"', page)
        post("/dashboard/login", {"token": admin_token, "csrf_token": found.group(1) if found else ""})
        status, _page = get(f"/dashboard{query}")
    if status != 200:
        print(f"GET /dashboard{query}: HTTP {status} (not logged in?), not timed")
        return None
    seconds = timed(lambda: get(f"/dashboard{query}"), repeat)
    print(f"GET /dashboard{query}: {seconds * 1000:,.0f} ms (median of {repeat})")
    return seconds


def measure_enrichment(engine: Any, session_factory: Any, generator: Generator, count: int) -> None:
    """Insert `count` un-enriched messages and time `enrich_pending` on them."""
    contacts = generator.contacts(1000, NOW - timedelta(days=1), 1)
    inbound, _ = generator.messages(contacts, count, NOW)
    with engine.begin() as connection:
        copy_rows(connection, "contacts", "id, wa_id, name, attributes, opted_out, first_inbound_at, created_at, "
                  "updated_at", [(cid, str(989120000000 + cid), "x", "{}", False, seen, seen, seen)
                                 for cid, seen in contacts])
        # Half arrive with the chatbot's intent (live traffic), half without (backfilled history).
        copy_rows(connection, "received_messages", "id, wamid, contact_id, message_type, text, payload, received_at, "
                  "intent", [(row[0], row[1], row[2], row[3], row[4], row[5], row[7],
                              row[12] if row[0] % 2 else None) for row in inbound])
    rules = resolve_rules(None)
    wall, cpu = time.perf_counter(), time.process_time()
    enriched = enrich_pending(session_factory, 500, rules=rules)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(f"\nenrichment: {enriched} messages in {wall:.1f} s = {enriched / wall:,.0f} messages/s "
          f"(one process; {enriched / cpu:,.0f} messages per CPU-second of the enricher, "
          f"{os.cpu_count()} cores on this machine)")


def main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--small", type=int, default=100_000)
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--enrich", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="Keep the database afterwards.")
    arguments = parser.parse_args()
    url = os.environ.get("ANALYTICS_BENCH_DATABASE_URL", DEFAULT_URL)
    recreate_database(url)
    engine = create_engine_for(url)
    try:
        migrate(url)
        session_factory = create_session_factory(engine)
        generator = Generator()
        small_days = arguments.small // MESSAGES_PER_DAY
        large_days = arguments.large // MESSAGES_PER_DAY
        seconds = load(engine, generator, arguments.small, NOW - timedelta(days=small_days), NOW,
                       arguments.small // MESSAGES_PER_CONTACT, 3)
        print(f"loaded {arguments.small:,} messages ({small_days} days) in {seconds:.1f} s")
        small = time_reports(session_factory, arguments.repeat)
        older = arguments.large - arguments.small
        seconds = load(engine, generator, older, NOW - timedelta(days=large_days), NOW - timedelta(days=small_days),
                       older // MESSAGES_PER_CONTACT, 27)
        print(f"loaded {older:,} more ({large_days} days in all) in {seconds:.1f} s")
        large = time_reports(session_factory, arguments.repeat)
        print(f"\n{'report':<40}{arguments.small:>12,}{arguments.large:>12,}{'ratio':>8}")
        for name in small:
            print(f"{name:<40}{small[name] * 1000:>10.0f}ms{large[name] * 1000:>10.0f}ms"
                  f"{large[name] / small[name]:>8.1f}")
        measure_enrichment(engine, session_factory, generator, arguments.enrich)
        print()
        try:
            from webhook_handler import create_app

            app = create_app(Config(database_url=url, admin_api_token="bench-admin-token", log_level="WARNING"))
        except Exception as error:  # the app is someone else's work in progress: report, keep the figures above
            print(f"dashboard: skipped (the app does not start: {error!r})")
        else:
            for query in ("", "?range=all"):
                time_dashboard(app.test_client(), "bench-admin-token", arguments.repeat, query)
            app.extensions["whatsapp_platform"].close()
    finally:
        engine.dispose()
        if not arguments.keep:
            recreate_database(url, drop_only=True)


if __name__ == "__main__":
    main()
