"""The campaign pages on 100,000 contacts and a 100,000-recipient campaign, on PostgreSQL (a benchmark, not a test).

    python bench/campaign_pages.py [--contacts 100000] [--repeat 5]

It creates (and afterwards drops) its own database, CAMPAIGN_BENCH_DATABASE_URL (default
postgresql+psycopg2://postgres@127.0.0.1:5432/wa_bench_campaigns), migrates it, loads
--contacts contacts (a third tagged, 2 % opted out, a fifth inside the 24-hour window), one
campaign to all of them with realistic outcomes, one of 1,000 recipients and 60 small ones,
then requests each page through Flask's test client (routing, queries and Jinja rendering,
no network) and prints the median time of --repeat requests, and the ratios that say whether
the pages stay flat as a campaign grows: the big campaign's page over the small one's, and
the last page of its recipients over the first.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_support import migrate, recreate_database  # noqa: E402

from config import Config  # noqa: E402

DEFAULT_URL = "postgresql+psycopg2://postgres@127.0.0.1:5432/wa_bench_campaigns"
TOKEN = "bench-admin-token-0123456789abcdef0123"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def seed(url: str, contacts: int) -> dict[str, int]:
    """Contacts, tags, the big and small campaigns and their rows, in a few set-based statements."""
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("""
            INSERT INTO contacts (wa_id, name, attributes, opted_out, last_inbound_at, created_at, updated_at)
            SELECT '98912' || lpad(n::text, 7, '0'), 'مشتری ' || n, '{"city": "تهران"}'::json, n % 50 = 0,
                   CASE WHEN n % 5 = 0 THEN now() - interval '3 hours' WHEN n % 5 = 1 THEN NULL
                        ELSE now() - (n % 90) * interval '1 day' END, now(), now()
            FROM generate_series(1, :count) AS n"""), {"count": contacts})
        connection.execute(text("INSERT INTO contact_tags (contact_id, tag) SELECT id, 'vip' FROM contacts "
                                "WHERE id % 3 = 0"))
        ids = {}
        for name, size in (("Big campaign", contacts), ("Small campaign", 1000)):
            ids[name] = connection.execute(text("""
                INSERT INTO broadcasts (name, body, template_name, template_language, audience, scheduled_at, status,
                                        recipient_count, exclusions, created_at, updated_at)
                VALUES (:name, 'سلام {first_name}', 'yalda_sale', 'fa', '{"kind": "all"}', now(), 'sending', :size,
                        '{}', now(), now()) RETURNING id"""), {"name": name, "size": size}).scalar_one()
            connection.execute(text("""
                INSERT INTO scheduled_messages (contact_id, broadcast_id, kind, body, template_name, template_language,
                    scheduled_at, status, attempts, dry_run, unconfirmed_sends, sent_at, last_error_code,
                    last_error_title, created_at, updated_at)
                SELECT id, :campaign, 'broadcast', 'سلام', 'yalda_sale', 'fa', now(),
                       (ARRAY['read','read','read','delivered','delivered','sent','failed','skipped','pending',
                              'unknown'])[1 + id % 10],
                       1, false, 0, CASE WHEN id % 10 < 6 THEN now() END,
                       CASE WHEN id % 10 = 6 THEN 131026 END,
                       CASE WHEN id % 10 = 6 THEN 'Message Undeliverable'
                            WHEN id % 10 = 7 THEN 'outside the 24-hour window and no template' END,
                       now(), now()
                FROM contacts WHERE id <= :size"""), {"campaign": ids[name], "size": size})
        connection.execute(text("""
            INSERT INTO broadcasts (name, body, audience, scheduled_at, status, recipient_count, exclusions,
                                    created_at, updated_at)
            SELECT 'Campaign ' || n, 'x', '{"kind": "all"}', now() - n * interval '1 day', 'completed', 0, '{}',
                   now(), now() FROM generate_series(1, 60) AS n"""))
        connection.execute(text("ANALYZE"))
    engine.dispose()
    return ids


def timed(action: Callable[[], object], repeat: int) -> float:
    """Median seconds of `repeat` calls (after one warm-up call)."""
    action()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    options = parser.parse_args()
    url = os.environ.get("CAMPAIGN_BENCH_DATABASE_URL", DEFAULT_URL)
    recreate_database(url)
    try:
        migrate(url)
        started = time.perf_counter()
        ids = seed(url, options.contacts)
        print(f"seeded {options.contacts:,} contacts and a {options.contacts:,}-recipient campaign "
              f"in {time.perf_counter() - started:.1f} s")
        run(url, ids, options)
    finally:
        recreate_database(url, drop_only=True)


def run(url: str, ids: dict[str, int], options: argparse.Namespace) -> None:
    from webhook_handler import create_app

    app = create_app(Config(database_url=url, admin_api_token=TOKEN, flask_secret_key="bench-secret-key",
                            whatsapp_app_secret="bench-app-secret", whatsapp_verify_token="bench-verify-token",
                            log_level="WARNING"))
    client = app.test_client()
    client.set_cookie("lang", "fa")
    token = CSRF.search(client.get("/dashboard/login").get_data(as_text=True)).group(1)
    client.post("/dashboard/login", data={"csrf_token": token, "token": TOKEN})
    token = CSRF.search(client.get("/dashboard/campaigns/new").get_data(as_text=True)).group(1)  # a new session's
    big, small = ids["Big campaign"], ids["Small campaign"]
    last_after = options.contacts - 20

    def get(path: str) -> Callable[[], object]:
        def request() -> object:
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)
            return response
        return request

    def estimate() -> object:
        response = client.post("/dashboard/campaigns/new", data={
            "csrf_token": token, "name": "bench", "body": "سلام {first_name}", "template_name": "t",
            "language": "fa", "audience": "all", "when": "now", "action": "estimate"})
        assert response.status_code == 200 and 'id="estimate"' in response.get_data(as_text=True)
        return response

    pages = {
        "campaigns list, page 1": get("/dashboard/campaigns"),
        "campaigns list, page 3": get("/dashboard/campaigns?page=3"),
        "small campaign's page (1,000 recipients)": get(f"/dashboard/campaigns/{small}"),
        f"big campaign's page ({options.contacts:,} recipients)": get(f"/dashboard/campaigns/{big}"),
        "big campaign, last page of recipients": get(f"/dashboard/campaigns/{big}?after={last_after}"),
        "big campaign, failed recipients": get(f"/dashboard/campaigns/{big}?status=failed"),
        "big campaign, search 'مشتری 99999'": get(f"/dashboard/campaigns/{big}?q=%D9%85%D8%B4%D8%AA%D8%B1%DB%8C+99999"),
        f"builder estimate and preview, everyone ({options.contacts:,})": estimate,
    }
    figures = {}
    for name, action in pages.items():
        figures[name] = timed(action, options.repeat)
        print(f"{name:<58} {figures[name] * 1000:8.1f} ms")
    export = timed(get(f"/dashboard/campaigns/{big}/results.csv"), 1)
    print(f"{'CSV export of the big campaign (once)':<58} {export * 1000:8.1f} ms")
    big_page, small_page = figures[list(pages)[3]], figures[list(pages)[2]]
    print(f"ratio big / small campaign page: {big_page / small_page:.2f}")
    print(f"ratio last / first page of recipients: {figures['big campaign, last page of recipients'] / big_page:.2f}")


if __name__ == "__main__":
    main()
