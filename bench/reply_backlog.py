"""A backlog of queued chatbot replies sent by one processor run, against a plain concurrent httpx client.

    python bench/reply_backlog.py [--replies 6000] [--rounds 3] [--lifted] [--analyze] [--py-spy FILE]

What `bench/webhook_load.py`'s `REPLY_SENDER=processor` row measures, without the web tier in front of
it: it creates (and drops) its own database on BENCH_ADMIN_URL's server, seeds a shop's history
(60,000 contacts with a sent broadcast row, an earlier text and a conversation state, as
webhook_load.py does), starts the fake Graph API with no latency, and then, --rounds times, queues
--replies chatbot replies (a new contact each, an inbound text, a pending `reply` row answering it, as
the web tier stores them) and times, in this order, a plain concurrent httpx client sending as many
texts to the fake API, `run_broadcast_processor.py` sending the queued replies (WHATSAPP_MAX_MPS=1000,
its 200 threads; its run as its summary times it, not the interpreter's start-up), and the plain client
again. It prints each round's ratio and checks that every reply was sent exactly once (the fake
server's per-recipient counts).

The processor runs with WHATSAPP_MAX_MPS=1000, as webhook_load.py runs it: its token bucket then
caps it at 1,000 msg/s, so its ratio cannot exceed 1,000 / the plain client's rate. --lifted runs it
without the bucket, as broadcast_throughput.py does (what the processor itself costs). The queue is
not analysed after the replies are queued (a backlog since the last ANALYZE, as on a server whose
autovacuum has not got to it yet) unless --analyze. Each round also prints the processor's
`claim_seconds` and `record_seconds` (its main thread claiming and recording while the senders go
on) and the CPU of the database's backends per reply. --py-spy FILE records each processor run with
py-spy (raw collapsed stacks of the thread holding the GIL; --idle: every thread, waiting included)
into FILE.<round> (py-spy is not a requirement: `pip install py-spy` into the virtualenv).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from datetime import timedelta
from math import nan
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench_support import backend_pids, free_port, migrate, recreate_database  # noqa: E402
from broadcast_throughput import ceiling  # noqa: E402
from load_client import PHONE_ID, TOKEN  # noqa: E402
from webhook_load import processor_summary, seed_sent_broadcast, wait_for_port  # noqa: E402

# run_broadcast_processor.py with the rate limit lifted: Config refuses more than 1,000/s from the environment.
LIFTED = """
import dataclasses, sys
sys.argv[0] = "run_broadcast_processor.py"
import run_broadcast_processor, runtime.context
loaded = runtime.context.load_process_config
runtime.context.load_process_config = lambda: dataclasses.replace(loaded(), whatsapp_max_mps=1_000_000.0)
sys.exit(run_broadcast_processor.main())
"""


def process_cpu(pid: int) -> float:
    """One process's user+system CPU seconds (0 once it has gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class BackendWatcher:
    """The CPU of the backends that come and go on one database while it runs (sampled every 50 ms)."""

    def __init__(self, engine, database: str) -> None:
        self._seen: dict[int, float] = {}
        self._start = {pid: process_cpu(pid) for pid in backend_pids(engine, database)}
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, args=(engine, database), daemon=True)
        self._thread.start()

    def _watch(self, engine, database: str) -> None:
        with engine.connect() as connection:
            while not self._done.wait(0.05):
                pids = connection.exec_driver_sql(
                    "SELECT pid FROM pg_stat_activity WHERE datname = %(name)s AND pid <> pg_backend_pid()",
                    {"name": database}).scalars().all()
                connection.rollback()
                for pid in pids:
                    self._seen[pid] = max(self._seen.get(pid, 0.0), process_cpu(pid))

    def stop(self) -> float:
        """Seconds of CPU the backends used (the last sample of each: a backend's last 50 ms may be missed)."""
        self._done.set()
        self._thread.join()
        return sum(seconds - self._start.get(pid, 0.0) for pid, seconds in self._seen.items())


def queue_replies(engine, round_number: int, count: int, analyze: bool) -> list[str]:
    """`count` new contacts, each with an inbound text and a pending reply to it; their numbers."""
    from sqlalchemy import insert, select

    from database_models import Contact, ReceivedMessageLog, ScheduledMessage, utcnow

    now = utcnow()
    numbers = [f"98935{round_number:02d}{n:05d}" for n in range(count)]
    with engine.begin() as connection:
        connection.execute(insert(Contact.__table__), [
            {"wa_id": number, "attributes": {}, "opted_out": False, "last_inbound_at": now, "created_at": now,
             "updated_at": now} for number in numbers])
        ids = dict(connection.execute(select(Contact.wa_id, Contact.id).where(Contact.wa_id.in_(numbers))).all())
        connection.execute(insert(ReceivedMessageLog.__table__), [
            {"wamid": f"wamid.BACKLOG{round_number}x{n}", "contact_id": ids[number], "message_type": "text",
             "text": "سلام، قیمت این محصول چنده؟", "payload": {}, "received_at": now, "direction": "in",
             "imported": False} for n, number in enumerate(numbers)])
        messages = dict(connection.execute(
            select(ReceivedMessageLog.contact_id, ReceivedMessageLog.id)
            .where(ReceivedMessageLog.wamid.like(f"wamid.BACKLOG{round_number}x%"))).all())
        connection.execute(insert(ScheduledMessage.__table__), [
            {"contact_id": ids[number], "in_reply_to_id": messages[ids[number]], "kind": "reply",
             "body": "سلام! قیمت‌ها در کاتالوگ هست؛ اگر سؤالی دارید بپرسید 🌷",
             "scheduled_at": now - timedelta(seconds=1),
             "status": "pending", "attempts": 0, "dry_run": False, "unconfirmed_sends": 0, "created_at": now,
             "updated_at": now} for number in numbers])
    if analyze:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM ANALYZE scheduled_messages")
    return numbers


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replies", type=int, default=6000, help="queued replies per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=200, help="the plain client's threads (the processor's)")
    parser.add_argument("--py-spy", metavar="FILE", help="record each processor run with py-spy into FILE.<round>")
    parser.add_argument("--idle", action="store_true", help="py-spy also samples threads that wait")
    parser.add_argument("--lifted", action="store_true",
                        help="the processor without its token bucket, as broadcast_throughput.py runs it")
    parser.add_argument("--analyze", action="store_true", help="ANALYZE the queue after queueing each round's replies")
    parser.add_argument("--database-name", default=f"wa_bench_backlog_{os.getpid()}")
    options = parser.parse_args()

    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    admin_url = make_url(os.environ.get("BENCH_ADMIN_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"))
    url = admin_url.set(database=options.database_name).render_as_string(hide_password=False)
    recreate_database(url)
    fake = None
    try:
        migrate(url)
        engine = create_engine(url)
        seed_sent_broadcast(engine)
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM ANALYZE")
            connection.exec_driver_sql("CHECKPOINT")
        port = free_port()
        fake = subprocess.Popen([sys.executable, str(ROOT / "tests" / "support" / "fake_graph_api.py"),
                                 "--port", str(port), "--token", TOKEN],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for_port(port, fake, "the fake Graph API")
        server = SimpleNamespace(url=f"http://127.0.0.1:{port}")
        env = os.environ | {
            "APP_ENV": "production", "WHATSAPP_APP_SECRET": "bench-app-secret-0123456789abcdef",
            "WHATSAPP_VERIFY_TOKEN": "bench-verify-token", "FLASK_SECRET_KEY": "bench-flask-secret-0123456789abcdef",
            "SQLALCHEMY_DATABASE_URL": url, "WHATSAPP_API_TOKEN": TOKEN, "WHATSAPP_PHONE_NUMBER_ID": PHONE_ID,
            "WHATSAPP_API_BASE_URL": server.url, "LOG_LEVEL": "INFO", "WHATSAPP_MAX_MPS": "1000",
        }
        print(f"load average {os.getloadavg()[0]:.1f} at start; {options.replies} replies a round, "
              f"{options.concurrency} threads", flush=True)
        ratios, first = [], 0
        for round_number in range(options.rounds):
            numbers = queue_replies(engine, round_number, options.replies, options.analyze)
            load = os.getloadavg()[0]
            plain_before = options.replies / ceiling(server, first, options.replies, options.concurrency, token=TOKEN)
            first += options.replies
            command = [sys.executable, *(["-c", LIFTED] if options.lifted else ["run_broadcast_processor.py"]),
                       "--no-guard", "--no-enrich", "--time-budget", "300"]
            if options.py_spy:
                spy = ["--idle"] if options.idle else ["--gil"]
                command = [str(Path(sys.executable).parent / "py-spy"), "record", "--format", "raw", "--threads",
                           *spy, "--rate", "200", "--nonblocking", "-o", f"{options.py_spy}.{round_number}",
                           "--", *command]
            watcher = BackendWatcher(engine, options.database_name)
            started = time.monotonic()
            finished = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
            seconds = time.monotonic() - started
            database_seconds = watcher.stop()
            plain_after = options.replies / ceiling(server, first, options.replies, options.concurrency, token=TOKEN)
            first += options.replies
            summary = processor_summary(finished.stdout + finished.stderr)
            if not summary:
                print(finished.stdout[-3000:], finished.stderr[-3000:])
                raise SystemExit("the processor logged no summary")
            rate = summary["sent"] / summary["seconds"]
            plain = (plain_before + plain_after) / 2
            ratios.append(rate / plain)
            with engine.connect() as connection:
                sent = connection.execute(text(
                    "SELECT count(*) FROM scheduled_messages s JOIN contacts c ON c.id = s.contact_id "
                    "WHERE s.kind = 'reply' AND s.status = 'sent' AND c.wa_id LIKE :prefix"),
                    {"prefix": f"98935{round_number:02d}%"}).scalar_one()
            counts = json.loads(subprocess.run(
                [sys.executable, "-c", f"import httpx; print(httpx.get('{server.url}/_control/counts').text)"],
                capture_output=True, text=True, check=True).stdout)
            twice = sum(1 for number in numbers if counts.get(number, 0) > 1)
            lost = sum(1 for number in numbers if counts.get(number, 0) == 0)
            print(f"round {round_number + 1} (load {load:.1f}): plain {plain_before:.0f} / {plain_after:.0f} msg/s, "
                  f"processor {rate:.0f} msg/s in {summary['seconds']:.2f} s ({summary['sent'] / seconds:.0f} with its "
                  f"start-up), ratio {rate / plain:.2f}; {sent} rows sent, {twice} sent twice, {lost} lost; "
                  f"PostgreSQL {1000 * database_seconds / options.replies:.2f} ms a reply; "
                  f"{summary['batches']} batches, {summary.get('claim_seconds', nan):.2f} s claiming and "
                  f"{summary.get('record_seconds', nan):.2f} s recording in the main thread", flush=True)
            if twice or lost or sent != options.replies:
                raise SystemExit("GUARANTEE BROKEN")
        print(f"ratios {', '.join(f'{r:.2f}' for r in ratios)}; median {sorted(ratios)[len(ratios) // 2]:.2f}; "
              f"load average {os.getloadavg()[0]:.1f} at the end")
        engine.dispose()
    finally:
        if fake is not None:
            fake.terminate()
            fake.wait(10)
        recreate_database(url, drop_only=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
