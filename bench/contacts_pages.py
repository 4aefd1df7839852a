"""The dashboard's contacts pages at 1,000 and 100,000 contacts on PostgreSQL (a benchmark, not a test).

    python bench/contacts_pages.py [--small 1000] [--large 100000] [--repeat 5]

It creates (and afterwards drops) its own database, CONTACTS_BENCH_DATABASE_URL (default
postgresql+psycopg2://postgres@127.0.0.1:5432/wa_bench_contacts), migrates it, seeds --small
contacts (Persian and Latin names, a third tagged, 1 % opted out, 2 % inside the 24-hour
window), times each page through the real app (Flask's test client, logged in), grows the table
to --large contacts and times the same pages again, then prints both and the ratio large/small
(about 1 where an index bounds the work; the search by part of a name reads every row).
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
from database_models import Contact, ContactTag  # noqa: E402
from database_setup import create_engine_for  # noqa: E402
from webhook_handler import create_app  # noqa: E402

DEFAULT_URL = "postgresql+psycopg2://postgres@127.0.0.1:5432/wa_bench_contacts"
ADMIN_TOKEN = "bench-admin-token-0123456789abcdef"
FIRST = ["سارا", "رضا", "مریم", "علی", "ندا", "زهرا", "محمد", "لیلا", "Sara", "Omid", "Kian", "Parisa"]
LAST = ["محمدی", "کریمی", "احمدی", "رضایی", "حسینی", "Karimi", "Ahmadi", "Moradi", "Sadeghi", "نوری"]
TAGS = ["vip", "tehran", "shiraz", "yalda-1405", "wholesale"]
CHUNK = 10_000
PAGES = [  # (what, query string)
    ("first page", ""),
    ("a deep page (before=)", "?before={deep}"),
    ("search: part of a name", "?q=کریمی"),
    ("search: part of a number", "?q=0912 345"),
    ("search: a whole tag", "?q=wholesale"),
    ("filter: tag", "?tag=vip"),
    ("filter: rare tag", "?tag=rare"),
    ("filter: opted out", "?opted_out=yes"),
    ("filter: inside the window", "?window=open"),
    ("a contact's page", "/{contact}"),
]


def seed(engine, start: int, stop: int, now: datetime) -> None:
    """Contacts start..stop-1, with their tags, in chunks (plain multi-row INSERTs)."""
    with engine.begin() as connection:
        for low in range(start, stop, CHUNK):
            high = min(stop, low + CHUNK)
            rows = [{"wa_id": f"98912{i:07d}", "name": f"{FIRST[i % len(FIRST)]} {LAST[(i * 7) % len(LAST)]}",
                     "attributes": {"city": "Tehran"} if i % 5 == 0 else {}, "opted_out": i % 100 == 7,
                     "opted_out_at": now if i % 100 == 7 else None,
                     "last_inbound_at": now - timedelta(hours=2 if i % 50 == 3 else 24 * (1 + i % 300)),
                     "created_at": now, "updated_at": now} for i in range(low, high)]
            connection.execute(insert(Contact.__table__), rows)
            ids = connection.execute(select(Contact.id, Contact.wa_id).where(
                Contact.wa_id.in_([row["wa_id"] for row in rows]))).all()
            tags = [{"contact_id": contact_id, "tag": TAGS[int(wa_id) % len(TAGS)]}
                    for contact_id, wa_id in ids if int(wa_id) % 3 == 0]
            tags += [{"contact_id": contact_id, "tag": "rare"} for contact_id, wa_id in ids if int(wa_id) % 5000 == 1]
            if tags:
                connection.execute(insert(ContactTag.__table__), tags)
        connection.execute(text("ANALYZE contacts"))
        connection.execute(text("ANALYZE contact_tags"))


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
        ids = connection.execute(select(Contact.id).order_by(Contact.id)).scalars().all()
    values = {"deep": ids[len(ids) // 10], "contact": ids[len(ids) // 2]}
    times = {}
    for what, query in PAGES:
        path = "/dashboard/contacts" + query.format(**values)
        answer = client.get(path)
        assert answer.status_code == 200, (path, answer.status_code)
        samples = []
        for _ in range(repeat):
            began = time.perf_counter()
            client.get(path)
            samples.append((time.perf_counter() - began) * 1000)
        times[what] = statistics.median(samples)
    began = time.perf_counter()
    exported = client.get("/dashboard/contacts/export.csv?tag=vip")
    times["export: tag vip (every page)"] = (time.perf_counter() - began) * 1000
    times["  (rows exported)"] = float(exported.data.count(b"\n") - 1)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--small", type=int, default=1000)
    parser.add_argument("--large", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    arguments = parser.parse_args()
    url = os.environ.get("CONTACTS_BENCH_DATABASE_URL", DEFAULT_URL)
    recreate_database(url)
    engine = create_engine_for(url)
    now = datetime.now(UTC)
    try:
        migrate(url)
        app = create_app(Config(database_url=url, admin_api_token=ADMIN_TOKEN, log_level="WARNING"))
        client = logged_in_client(app)
        seed(engine, 0, arguments.small, now)
        small = time_pages(client, engine, arguments.repeat)
        seed(engine, arguments.small, arguments.large, now)
        large = time_pages(client, engine, arguments.repeat)
        app.extensions["whatsapp_platform"].close()
    finally:
        engine.dispose()
        recreate_database(url, drop_only=True)
    print(f"\n{'page':34} {arguments.small:>10,} {arguments.large:>10,}   ratio")
    for what in small:
        unit = "" if what.startswith(" ") else " ms"
        ratio = large[what] / small[what] if small[what] else float("nan")
        print(f"{what:34} {small[what]:>8,.1f}{unit:3} {large[what]:>8,.1f}{unit:3} {ratio:6.1f}")


if __name__ == "__main__":
    main()
