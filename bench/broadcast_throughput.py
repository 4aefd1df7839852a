"""Broadcast throughput on PostgreSQL against the fake Graph API (a benchmark, not a test).

    python bench/broadcast_throughput.py [--messages 20000] [--limited-messages 2000] [--latency-ms 50]

It creates (and afterwards drops) its own database, BENCH_DATABASE_URL (default
postgresql+psycopg2://postgres@127.0.0.1:5432/wa_bench_throughput), starts the fake Graph
API (tests/support/fake_graph_api.py) in a separate process so the server does not share this
process's GIL, and measures in one run:

1. scheduling: `schedule_broadcast` for --schedule-recipients personalised recipients;
2. the processor with the rate limit lifted on a --messages campaign, against the ceiling:
   a plain concurrent httpx client posting as many messages (the two alternate in
   --rounds slices, so a shared machine's drifting load hits both alike);
3. the processor with WHATSAPP_MAX_MPS=80 (--limited-messages), against 80/s;

and checks every recipient's count on the fake server: zero duplicates, zero losses.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from sqlalchemy import insert, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench_support import free_port, migrate, recreate_database  # noqa: E402

from broadcast_service import Audience, schedule_broadcast  # noqa: E402
from config import Config  # noqa: E402
from database_models import Contact, ScheduledMessage, utcnow  # noqa: E402
from database_setup import create_engine_for, create_session_factory  # noqa: E402
from outbound.processor import MessageProcessor  # noqa: E402
from whatsapp_service import DEFAULT_API_VERSION, WhatsAppService  # noqa: E402

DEFAULT_URL = "postgresql+psycopg2://postgres@127.0.0.1:5432/wa_bench_throughput"
TOKEN = "bench-token"
PHONE_ID = "106540352242922"
CONCURRENCY = 100  # --concurrency: the ceiling's threads and the unlimited processor's senders


class FakeServer:
    """tests/support/fake_graph_api.py in its own process, driven through its control API."""

    def __init__(self, latency_ms: float) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [sys.executable, str(ROOT / "tests" / "support" / "fake_graph_api.py"), "--port", str(self.port),
             "--token", TOKEN,
             "--latency-ms", str(latency_ms)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.control = httpx.Client(base_url=f"{self.url}/_control", timeout=60)
        for _ in range(200):
            try:
                if self.control.get("/health").status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.05)
        raise RuntimeError("the fake Graph API did not start")

    def reset(self, latency_ms: float) -> None:
        self.control.post("/reset", json={})
        self.control.post("/latency", json={"ms": latency_ms})

    def counts(self) -> dict[str, int]:
        return self.control.get("/counts").json()

    def sustained_rate(self) -> float:
        stamps = sorted(message["timestamp"] for message in self.control.get("/messages").json())
        return (len(stamps) - 1) / (stamps[-1] - stamps[0]) if len(stamps) > 1 else 0.0

    def stop(self) -> None:
        self.control.close()
        self.process.terminate()
        self.process.wait(10)


def seed_contacts(factory, prefix: str, count: int) -> list[str]:
    now = utcnow()
    wa_ids = [f"{prefix}{i:07d}" for i in range(count)]
    with factory() as session:
        for start in range(0, count, 5000):
            session.execute(insert(Contact.__table__), [
                {"wa_id": wa_id, "name": f"Customer {wa_id[-5:]}", "attributes": {"city": "Tehran"},
                 "opted_out": False, "last_inbound_at": now, "created_at": now, "updated_at": now}
                for wa_id in wa_ids[start:start + 5000]])
        session.commit()
    return wa_ids


def schedule(factory, wa_ids: list[str] | None, name: str) -> tuple[int, float]:
    """Schedule a personalised text to these numbers (None: to every contact); recipients and seconds."""
    audience = Audience.everyone() if wa_ids is None else Audience.of_numbers(wa_ids)
    started = time.perf_counter()
    with factory() as session:
        report = schedule_broadcast(session, name=name, audience=audience,
                                    body="سلام {first_name|دوست عزیز}، تخفیف ویژه {city} 🎁 ({wa_id})")
        session.commit()
    return report.recipients, time.perf_counter() - started


def ceiling(fake: FakeServer, first: int, count: int, concurrency: int, token: str = TOKEN) -> float:
    """Seconds a plain concurrent httpx client takes to send `count` texts: what the fake server can take.

    One httpx.Client per thread: a single client shared by many threads collapses in
    httpcore 1.0.9's pool (see graph_api.transports.PerThreadTransport), which would make
    the ceiling, and every ratio against it, meaningless.
    """
    path = f"{fake.url}/v{DEFAULT_API_VERSION}/{PHONE_ID}/messages"
    local = threading.local()
    clients: list[httpx.Client] = []
    ssl_context = httpx.create_ssl_context()  # ~17 ms to build: once, not once per thread

    def send(i: int) -> int:
        client = getattr(local, "client", None)
        if client is None:
            client = local.client = httpx.Client(timeout=30, trust_env=False, verify=ssl_context,
                                                 headers={"Authorization": f"Bearer {token}"})
            clients.append(client)
        body = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": f"98930{i:07d}",
                "type": "text", "text": {"body": f"سلام {i} 🎁", "preview_url": False}}
        return client.post(path, json=body).status_code

    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        statuses = list(pool.map(send, range(first, first + count)))
    elapsed = time.perf_counter() - started
    for client in clients:
        client.close()
    assert statuses.count(200) == count, "the ceiling run had errors"
    return elapsed


def make_processor(factory, fake: FakeServer, url: str, max_mps: float, concurrency: int | None):
    # "Lifted" means no token bucket at all: Config's validation (≤ 1,000) is for operators.
    config = Config(database_url=url, whatsapp_max_mps=max_mps, processor_batch_size=500, send_lease_seconds=120)
    sender = WhatsAppService(TOKEN, PHONE_ID, base_url=fake.url, read_timeout=30, max_connections=concurrency or 200)
    return MessageProcessor(factory, sender, config, concurrency=concurrency), sender


def delivery_check(factory, fake: FakeServer, wa_ids: list[str]) -> dict:
    """Per-recipient counts on the fake server and row statuses in the database."""
    counts = fake.counts()
    with factory() as session:
        statuses = dict(session.execute(text("SELECT status, count(*) FROM scheduled_messages "
                                             "WHERE broadcast_id = (SELECT max(id) FROM broadcasts) "
                                             "GROUP BY status")).all())
    return {"duplicates": sum(1 for wa_id in wa_ids if counts.get(wa_id, 0) > 1),
            "losses": sum(1 for wa_id in wa_ids if counts.get(wa_id, 0) == 0), "row_statuses": statuses}


def lifted_run(factory, fake: FakeServer, url: str, messages: int, rounds: int, concurrency: int) -> dict:
    """One campaign of `messages`, sent in `rounds` slices that alternate with equal slices of the ceiling.

    The machine is shared, so its load drifts; alternating puts the processor and the
    ceiling under the same conditions, and each total is messages / summed seconds.
    """
    wa_ids = seed_contacts(factory, "98920", messages)
    schedule(factory, wa_ids, "lifted")
    processor, sender = make_processor(factory, fake, url, 1_000_000.0, concurrency)
    per_round = messages // rounds
    ceiling_seconds = processor_seconds = 0.0
    sent, ratios = 0, []
    try:
        for round_number in range(rounds):
            size = per_round if round_number < rounds - 1 else messages - per_round * (rounds - 1)
            plain = ceiling(fake, round_number * per_round, size, concurrency)
            summary = processor.process_due(limit=size, time_budget=600)
            ceiling_seconds += plain
            processor_seconds += summary.seconds
            sent += summary.sent
            ratios.append(round((summary.sent / summary.seconds) / (size / plain), 3))
            print(f"  round {round_number + 1}: ceiling {size / plain:.0f} msg/s, "
                  f"processor {summary.sent / summary.seconds:.0f} msg/s", flush=True)
    finally:
        sender.close()
    return {"sent": sent, "seconds": round(processor_seconds, 3), "rate": sent / processor_seconds,
            "ceiling_rate": messages / ceiling_seconds, "round_ratios": ratios,
            **delivery_check(factory, fake, wa_ids)}


def limited_run(factory, fake: FakeServer, url: str, messages: int) -> dict:
    """A campaign of `messages` at WHATSAPP_MAX_MPS=80 with the default sizing."""
    wa_ids = seed_contacts(factory, "98940", messages)
    schedule(factory, wa_ids, "limited")
    processor, sender = make_processor(factory, fake, url, 80.0, None)
    try:
        summary = processor.process_due(time_budget=600)
    finally:
        sender.close()
    return {"sent": summary.sent, "seconds": summary.seconds, "rate": summary.sent / summary.seconds,
            "sustained_rate": fake.sustained_rate(), **delivery_check(factory, fake, wa_ids)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--limited-messages", type=int, default=2_000)
    parser.add_argument("--schedule-recipients", type=int, default=100_000)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--concurrency", type=int, default=CONCURRENCY)
    parser.add_argument("--rounds", type=int, default=4, help="alternating slices of ceiling and processor")
    parser.add_argument("--keep-database", action="store_true")
    options = parser.parse_args()
    concurrency = options.concurrency
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    recreate_database(url)
    engine = create_engine_for(url, pool_size=20)
    migrate(url)
    factory = create_session_factory(engine)
    fake = FakeServer(options.latency_ms)
    results: dict = {"database": make_url(url).render_as_string(hide_password=True), "cpus": os.cpu_count(),
                     "load_average_at_start": os.getloadavg(), "latency_ms": options.latency_ms,
                     "concurrency": concurrency, "fake_server": "separate process"}
    try:
        if options.schedule_recipients:
            seed_contacts(factory, "98910", options.schedule_recipients)
            recipients, seconds = schedule(factory, None, "scheduling benchmark")
            results["scheduling"] = {"recipients": recipients, "seconds": round(seconds, 2),
                                     "rows_per_second": round(recipients / seconds)}
            with factory() as session:
                session.execute(ScheduledMessage.__table__.delete())
                session.execute(Contact.__table__.delete())
                session.commit()
            print(f"scheduling: {recipients} personalised recipients in {seconds:.2f} s", flush=True)

        lifted = lifted_run(factory, fake, url, options.messages, options.rounds, concurrency)
        results["ceiling_rate"] = lifted.pop("ceiling_rate")
        results["processor_lifted"] = lifted
        print(f"ceiling (plain httpx, {concurrency} threads): {results['ceiling_rate']:.0f} msg/s; "
              f"processor, limit lifted: {lifted['rate']:.0f} msg/s", flush=True)

        fake.reset(options.latency_ms)
        limited = limited_run(factory, fake, url, options.limited_messages)
        results["processor_80"] = limited
        print(f"processor, WHATSAPP_MAX_MPS=80: {limited['rate']:.1f} msg/s", flush=True)
    finally:
        fake.stop()
        engine.dispose()
        if not options.keep_database:
            recreate_database(url, drop_only=True)

    results["ratio_lifted_to_ceiling"] = lifted["rate"] / results["ceiling_rate"]
    results["ratio_80_to_limit"] = limited["rate"] / 80.0
    checks = {
        "lifted >= 0.7 x ceiling": results["ratio_lifted_to_ceiling"] >= 0.7,
        "lifted >= 1000 msg/s": lifted["rate"] >= 1000,
        "limited within 5% of 80": abs(results["ratio_80_to_limit"] - 1) <= 0.05,
        "zero duplicates": lifted["duplicates"] == limited["duplicates"] == 0,
        "zero losses": lifted["losses"] == limited["losses"] == 0,
    }
    results["checks"] = checks
    print(json.dumps(results, indent=2, default=lambda value: round(value, 3) if isinstance(value, float) else value))
    print(f"\nprocessor / ceiling = {results['ratio_lifted_to_ceiling']:.2f}   "
          f"(processor {lifted['rate']:.0f} msg/s, ceiling {results['ceiling_rate']:.0f} msg/s)")
    print(f"limited / 80        = {results['ratio_80_to_limit']:.3f}  ({limited['rate']:.1f} msg/s)")
    print(f"duplicates {lifted['duplicates'] + limited['duplicates']}, losses {lifted['losses'] + limited['losses']}")
    print(f"load average at start {results['load_average_at_start']} on {results['cpus']} CPUs "
          "(fake server, PostgreSQL and the processor share them)")
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
