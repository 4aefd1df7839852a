"""What the admin API's per-request bookkeeping costs (a benchmark, not a test).

    python bench/api_request_costs.py [--requests 400] [--database-url URL]

Through the Flask test client on a migrated database (default: a throwaway SQLite file;
give a PostgreSQL URL to measure that), in one run it times:

1. GET /api/v1/contacts with the per-address rate counter off, then on (one upsert in its
   own transaction per request): the ratio is the counter's cost;
2. POST /api/v1/contacts without and with an `Idempotency-Key` (the key's row is inserted
   and filled in the same transaction as the contact): the ratio is the key's cost;
3. a replayed keyed POST against a fresh one: how much cheaper a retry is.

It prints requests per second and the ratios; ratios are what to compare across machines.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_support import migrate  # noqa: E402

from config import Config  # noqa: E402
from webhook_handler import create_app  # noqa: E402

TOKEN = "bench-admin-token-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def _rate(count: int, call) -> float:
    started = time.perf_counter()
    for number in range(count):
        call(number)
    return count / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--database-url")
    options = parser.parse_args()
    url = options.database_url or f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    migrate(url)
    app = create_app(Config(database_url=url, admin_api_token=TOKEN, log_level="WARNING"))
    client, count = app.test_client(), options.requests

    app.config["ADMIN_API_REQUESTS_PER_MINUTE"] = 0
    plain_reads = _rate(count, lambda _: client.get("/api/v1/contacts?limit=10", headers=AUTH))
    app.config["ADMIN_API_REQUESTS_PER_MINUTE"] = 10**9
    counted_reads = _rate(count, lambda _: client.get("/api/v1/contacts?limit=10", headers=AUTH))

    def create(number: int, key: str | None = None) -> None:
        headers = {**AUTH, "Idempotency-Key": key} if key else AUTH
        response = client.post("/api/v1/contacts", headers=headers, json={"wa_id": f"98912{number:07d}"})
        assert response.status_code == 201, response.get_json()

    plain_creates = _rate(count, create)
    keyed_creates = _rate(count, lambda n: create(count + n, f"bench-{n}"))
    replays = _rate(count, lambda n: client.post("/api/v1/contacts", headers={**AUTH, "Idempotency-Key": f"bench-{n}"},
                                                 json={"wa_id": f"98912{count + n:07d}"}))
    print(f"database: {url.split(':', 1)[0]}, {count} requests each")
    print(f"GET  /contacts  counter off {plain_reads:7.0f}/s  on {counted_reads:7.0f}/s  "
          f"ratio on/off {counted_reads / plain_reads:.2f}")
    print(f"POST /contacts  no key      {plain_creates:7.0f}/s  key {keyed_creates:7.0f}/s  "
          f"ratio key/no key {keyed_creates / plain_creates:.2f}")
    print(f"POST /contacts  replay      {replays:7.0f}/s  ratio replay/keyed create {replays / keyed_creates:.2f}")
    app.extensions["whatsapp_platform"].close()


if __name__ == "__main__":
    main()
