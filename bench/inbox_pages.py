"""The team inbox's pages at a small and a large message log on PostgreSQL (a benchmark, not a test).

    python bench/inbox_pages.py [--small 1000] [--large 20000] [--messages 10] [--repeat 5]

It creates (and afterwards drops) its own database, INBOX_BENCH_DATABASE_URL (default
postgresql+psycopg2://postgres@127.0.0.1:5432/wa_bench_inbox), migrates it, seeds --small contacts
with --messages inbound messages and bot replies each (a tenth of the texts negative, 2 % of the
conversations handed to a person), times each inbox page through the real app (Flask's test
client, logged in), grows to --large contacts and times them again, then prints both and the
ratio large/small. Every list page groups the whole message log by contact (newest activity
first), so it grows with the log; the search in message text reads every message.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench_support import migrate, recreate_database  # noqa: E402
from sqlalchemy import insert, select, text  # noqa: E402

from config import Config  # noqa: E402
from database_models import (  # noqa: E402
    STATE_HANDOFF,
    Contact,
    ConversationState,
    ReceivedMessageLog,
    ScheduledMessage,
)
from database_setup import create_engine_for  # noqa: E402
from webhook_handler import create_app  # noqa: E402

DEFAULT_URL = "postgresql+psycopg2://postgres@127.0.0.1:5432/wa_bench_inbox"
ADMIN_TOKEN = "bench-admin-token-0123456789abcdef"
FIRST = ["سارا", "رضا", "مریم", "علی", "ندا", "زهرا", "محمد", "لیلا", "Sara", "Omid", "Kian", "Parisa"]
LAST = ["محمدی", "کریمی", "احمدی", "رضایی", "حسینی", "Karimi", "Ahmadi", "Moradi", "Sadeghi", "نوری"]
TEXTS = [("سلام، سفارشم کجاست؟", "neutral"), ("قیمت این کفش چنده؟", "neutral"), ("ممنون، عالی بود", "positive"),
         ("رنگ آبی سایز ۳۸ موجوده؟", "neutral"), ("تخفیف یلدا تا کی هست؟", "neutral"),
         ("Thanks, great service!", "positive"), ("ساعت کاری فروشگاه چنده؟", "neutral"),
         ("سلام وقت بخیر", "positive"), ("Where is my order?", "neutral"), ("بسته‌ام خراب رسید", "negative")]
CHUNK = 2_000
PAGES = [  # (what, path)
    ("every conversation", "/dashboard/inbox"),
    ("a deep page", "/dashboard/inbox?page=30"),
    ("waiting for a person", "/dashboard/inbox?show=waiting"),
    ("negative", "/dashboard/inbox?show=negative"),
    ("unread", "/dashboard/inbox?show=unread"),
    ("24-hour window", "/dashboard/inbox?show=window"),
    ("search: part of a name", "/dashboard/inbox?q=کریمی"),
    ("search: message text", "/dashboard/inbox?q=خراب"),
    ("search: a rare word", "/dashboard/inbox?q=zzzz"),
    ("a thread", "/dashboard/inbox/{contact}"),
    ("the thread's live update", "/dashboard/inbox/{contact}/updates?after=0.0.0"),
    ("the list's live check", "/dashboard/inbox/activity"),
]


def seed(engine, start: int, stop: int, messages: int, now: datetime) -> None:
    """Contacts start..stop-1 with their messages, the bot's replies and a few handoffs."""
    with engine.begin() as connection:
        for low in range(start, stop, CHUNK):
            high = min(stop, low + CHUNK)
            rows = [{"wa_id": f"98912{i:07d}", "name": f"{FIRST[i % len(FIRST)]} {LAST[(i * 7) % len(LAST)]}",
                     "attributes": {}, "last_inbound_at": now - timedelta(minutes=i), "created_at": now,
                     "updated_at": now} for i in range(low, high)]
            ids = connection.execute(insert(Contact.__table__).returning(Contact.id), rows).scalars().all()
            inbound, replies, states = [], [], []
            for position, contact_id in enumerate(ids):
                i = low + position
                for k in range(messages):
                    at = now - timedelta(minutes=i + (messages - k) * 90)
                    body, mood = TEXTS[(i + k) % len(TEXTS)]
                    inbound.append({"wamid": f"wamid.bench.{i}.{k}", "contact_id": contact_id, "message_type": "text",
                                    "text": body, "payload": {}, "received_at": at, "wa_timestamp": at,
                                    "sentiment": mood, "direction": "in", "imported": False})
                    replies.append({"contact_id": contact_id, "kind": "reply", "body": "پاسخ ربات", "status": "read",
                                    "scheduled_at": at, "sent_at": at, "created_at": at, "updated_at": at,
                                    "attempts": 1})
                if i % 50 == 7:
                    states.append({"contact_id": contact_id, "state": STATE_HANDOFF,
                                   "handoff_since": now - timedelta(minutes=i), "updated_at": now})
            connection.execute(insert(ReceivedMessageLog.__table__), inbound)
            connection.execute(insert(ScheduledMessage.__table__), replies)
            if states:
                connection.execute(insert(ConversationState.__table__), states)
        for table in ("contacts", "received_messages", "scheduled_messages", "conversation_states"):
            connection.execute(text(f"ANALYZE {table}"))


def logged_in_client(app):
    client = app.test_client()
    client.set_cookie("lang", "fa")
    page = client.get("/dashboard/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert client.post("/dashboard/login", data={"token": ADMIN_TOKEN, "csrf_token": token}).status_code == 302
    return client


def time_pages(client, engine, repeat: int) -> dict[str, float]:
    """Median milliseconds of each page (after one warm-up request)."""
    with engine.connect() as connection:
        contact = connection.execute(select(Contact.id).order_by(Contact.id).limit(1)).scalar_one()
    times = {}
    for what, path in PAGES:
        path = path.format(contact=contact)
        answer = client.get(path)
        assert answer.status_code == 200, (path, answer.status_code)
        samples = []
        for _ in range(repeat):
            began = time.perf_counter()
            client.get(path)
            samples.append((time.perf_counter() - began) * 1000)
        times[what] = statistics.median(samples)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--small", type=int, default=1000)
    parser.add_argument("--large", type=int, default=20_000)
    parser.add_argument("--messages", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=5)
    arguments = parser.parse_args()
    url = os.environ.get("INBOX_BENCH_DATABASE_URL", DEFAULT_URL)
    recreate_database(url)
    engine = create_engine_for(url)
    now = datetime.now(UTC)
    try:
        migrate(url)
        app = create_app(Config(database_url=url, admin_api_token=ADMIN_TOKEN, log_level="WARNING"))
        client = logged_in_client(app)
        seed(engine, 0, arguments.small, arguments.messages, now)
        small = time_pages(client, engine, arguments.repeat)
        seed(engine, arguments.small, arguments.large, arguments.messages, now)
        large = time_pages(client, engine, arguments.repeat)
        app.extensions["whatsapp_platform"].close()
    finally:
        engine.dispose()
        recreate_database(url, drop_only=True)
    print(f"\n{'page (messages in the log)':30} {arguments.small * arguments.messages:>10,} "
          f"{arguments.large * arguments.messages:>10,}   ratio")
    for what in small:
        print(f"{what:30} {small[what]:>8,.1f} ms {large[what]:>8,.1f} ms {large[what] / small[what]:6.1f}")


if __name__ == "__main__":
    main()
