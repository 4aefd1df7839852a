"""CPU per answered text, in one process: where the webhook's time goes, measured without gunicorn's noise.

    python bench/text_profile.py [--texts 2000] [--database URL] [--send web|processor|inline]
                                 [--profile 30] [--repeat 3] [--statements]

Each text is one signed webhook (a new contact writing "hello there", as bench/webhook_load.py's
mix b), called straight through the WSGI app (no HTTP client, no test client) on a fresh
PostgreSQL database seeded as bench/webhook_load.py seeds it (`--no-history`: empty tables),
with the fake Graph API (tests/support/fake_graph_api.py) as a process.
`--send web` answers the way a web worker does (the reply dispatcher's background thread,
drained after each batch); `inline` sends in the request's own thread (easier to profile);
`processor` only stores. It prints the process CPU (all threads) and the CPU of this app's
PostgreSQL backends (read from /proc for the backends pg_stat_activity lists on the
benchmark's database, so other users of the server add nothing) per text, for each repeat.
With --profile N it prints cProfile's top N by cumulative and by own time (the dispatcher's
threads are not profiled: use `--send inline` to see the sending). With --statements it also
prints PostgreSQL's CPU per text statement by statement: every cursor of the app's connections
reads its backend's CPU clock (/proc/<pid>/schedstat, nanoseconds) before and after each
execute, and what the backends spent outside any execute (connection start, the driver's
COMMIT and ROLLBACK) is the "outside a statement" line.
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import hmac
import io
import json
import os
import pstats
import re
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_support import free_port, migrate, recreate_database  # noqa: E402

SECRET = "bench-app-secret-0123456789abcdef"
TOKEN = "bench-graph-token"
PHONE_ID = "106540352242922"


def text_body(run: str, index: int, text: str = "hello there") -> bytes:
    """One new contact's text, as Meta sends it."""
    sender = f"98912{index:07d}"
    value = {"messaging_product": "whatsapp", "metadata": {"phone_number_id": PHONE_ID},
             "contacts": [{"profile": {"name": "Load Test"}, "wa_id": sender}],
             "messages": [{"from": sender, "id": f"wamid.PROFILE{run}x{index}", "timestamp": str(int(time.time())),
                           "type": "text", "text": {"body": text}}]}
    return json.dumps({"object": "whatsapp_business_account",
                       "entry": [{"id": "1", "changes": [{"field": "messages", "value": value}]}]}).encode()


def environ_for(body: bytes) -> dict:
    """The WSGI environ gunicorn would build for POST /webhook carrying `body`."""
    signature = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    return {"REQUEST_METHOD": "POST", "PATH_INFO": "/webhook", "QUERY_STRING": "", "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8000", "SERVER_PROTOCOL": "HTTP/1.1", "CONTENT_TYPE": "application/json",
            "CONTENT_LENGTH": str(len(body)), "HTTP_X_HUB_SIGNATURE_256": signature, "REMOTE_ADDR": "127.0.0.1",
            "wsgi.input": io.BytesIO(body), "wsgi.url_scheme": "http", "wsgi.errors": sys.stderr,
            "wsgi.multithread": False, "wsgi.multiprocess": True, "wsgi.run_once": False}


def backend_cpu(engine, database: str) -> float:
    """CPU seconds of the PostgreSQL backends connected to `database` (this process's pool)."""
    from sqlalchemy import text

    with engine.connect() as connection:
        pids = list(connection.scalars(text("SELECT pid FROM pg_stat_activity WHERE datname = :d "
                                            "AND pid <> pg_backend_pid()"), {"d": database}))
    total, ticks = 0.0, os.sysconf("SC_CLK_TCK")
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def backend_nanoseconds(pid: int) -> int:
    """CPU time a PostgreSQL backend has used, in nanoseconds (the scheduler's own clock, not 10 ms ticks)."""
    return int(Path(f"/proc/{pid}/schedstat").read_text().split()[0])


class StatementClock:
    """PostgreSQL CPU per statement, summed over every cursor of every connection the app opens."""

    def __init__(self) -> None:
        self.nanoseconds: Counter[str] = Counter()
        self.calls: Counter[str] = Counter()
        self.lock = threading.Lock()

    def reset(self) -> None:
        with self.lock:
            self.nanoseconds.clear()
            self.calls.clear()

    def add(self, label: str, nanoseconds: int) -> None:
        if label.startswith("SELECT pid FROM pg_stat_activity"):  # the benchmark's own look-up
            return
        with self.lock:
            self.nanoseconds[label] += nanoseconds
            self.calls[label] += 1

    def cursor_class(self):
        """A psycopg2 cursor that times each execute on its backend."""
        import psycopg2.extensions

        clock = self

        class TimedCursor(psycopg2.extensions.cursor):
            def execute(self, query, variables=None):
                pid = self.connection.info.backend_pid
                before = backend_nanoseconds(pid)
                try:
                    return super().execute(query, variables)
                finally:
                    clock.add(statement_label(query), backend_nanoseconds(pid) - before)

        return TimedCursor

    def report(self, texts: int, total_seconds: float) -> None:
        """The statements by CPU, per text."""
        timed = sum(self.nanoseconds.values()) / 1e9
        in_all = total_seconds * 1e6 / texts
        print(f"    PostgreSQL CPU per text by statement (schedstat; {in_all:.0f} us a text in all):")
        for label, nanoseconds in self.nanoseconds.most_common():
            print(f"    {nanoseconds / 1000 / texts:8.0f} us  {self.calls[label] / texts:5.2f} calls  {label}")
        print(f"    {(total_seconds - timed) * 1e6 / texts:8.0f} us              outside a statement")


def statement_label(query) -> str:
    """A short name for a statement: the prepared statement's name for EXECUTE, else its first words."""
    sql = query.decode() if isinstance(query, bytes) else str(query)
    names = re.findall(r"EXECUTE (\w+)", sql)
    flat = " ".join(sql.split())
    if names:
        return " + ".join(names) + (" (+COMMIT)" if "COMMIT" in flat else "") + (" (BEGIN+)" if flat.startswith(
            "BEGIN") else "")
    return flat[:90]


def database_nanoseconds(engine, database: str) -> int:
    """CPU nanoseconds of the PostgreSQL backends connected to `database`."""
    from sqlalchemy import text

    with engine.connect() as connection:
        pids = list(connection.scalars(text("SELECT pid FROM pg_stat_activity WHERE datname = :d "
                                            "AND pid <> pg_backend_pid()"), {"d": database}))
    total = 0
    for pid in pids:
        try:
            total += backend_nanoseconds(pid)
        except OSError:
            continue
    return total


def post_all(app, bodies: list[bytes], dispatcher) -> list[str]:
    """Call the app for each body; the statuses that were not 200."""
    wrong = []

    def start_response(status, headers, exc_info=None):
        if not status.startswith("200"):
            wrong.append(status)

    for body in bodies:
        for _ in app(environ_for(body), start_response):
            pass
    dispatcher.drain(120)
    return wrong


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--texts", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--database", default="postgresql+psycopg2://postgres@127.0.0.1:5432/wa_bench_text_profile")
    parser.add_argument("--send", choices=("web", "inline", "processor"), default="web")
    parser.add_argument("--profile", type=int, default=0, metavar="N")
    parser.add_argument("--no-history", action="store_true",
                        help="start from empty tables (before issue 17's fourth round), not webhook_load's seed")
    parser.add_argument("--statements", action="store_true", help="PostgreSQL's CPU per text, statement by statement")
    options = parser.parse_args()

    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    url, database = options.database, make_url(options.database).database
    recreate_database(url)
    migrate(url)
    if not options.no_history:  # bench/webhook_load.py's seed: a shop's history, so the plans are production's
        import webhook_load

        seeding = create_engine(url)
        webhook_load.seed_sent_broadcast(seeding)
        with seeding.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM ANALYZE")
            connection.exec_driver_sql("CHECKPOINT")
        seeding.dispose()
    port = free_port()
    fake = subprocess.Popen([sys.executable, str(ROOT / "tests" / "support" / "fake_graph_api.py"), "--port",
                             str(port), "--token", TOKEN], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        from sqlalchemy import Engine, event

        from config import Config
        from webhook_handler import create_app

        clock = StatementClock() if options.statements else None
        if clock:
            timed_cursor = clock.cursor_class()

            @event.listens_for(Engine, "connect")
            def _timed(dbapi_connection, _record):  # before any listener of the app's engines runs a statement
                dbapi_connection.cursor_factory = timed_cursor

        time.sleep(1.0)
        config = Config(database_url=url, whatsapp_app_secret=SECRET, whatsapp_verify_token="bench-verify",
                        admin_api_token="bench-admin-token-value", flask_secret_key="bench-flask-secret",
                        whatsapp_api_token=TOKEN, whatsapp_phone_number_id=PHONE_ID,
                        whatsapp_api_base_url=f"http://127.0.0.1:{port}", log_level="INFO",
                        reply_sender="processor" if options.send == "processor" else "web",
                        send_replies_inline=options.send == "inline")
        app = create_app(config)
        context = app.extensions["whatsapp_platform"]
        monitor = create_engine(url)
        run = f"{int(time.time())}"
        post_all(app, [text_body(run + "w", n) for n in range(50)], context.dispatcher)  # warm-up
        print(f"{options.texts} texts per repeat, replies: {options.send}; CPU ms per answered text")
        for repeat in range(options.repeat):
            bodies = [text_body(f"{run}r{repeat}", 100000 * (repeat + 1) + n) for n in range(options.texts)]
            profiler = cProfile.Profile(time.thread_time) if options.profile and repeat == options.repeat - 1 else None
            database_before, cpu_before, wall_before = backend_cpu(monitor, database), time.process_time(), \
                time.perf_counter()
            if clock:
                clock.reset()
                nanoseconds_before = database_nanoseconds(monitor, database)
            if profiler:
                profiler.enable()
            wrong = post_all(app, bodies, context.dispatcher)
            if profiler:
                profiler.disable()
            cpu, wall = time.process_time() - cpu_before, time.perf_counter() - wall_before
            database_cpu = backend_cpu(monitor, database) - database_before
            print(f"  repeat {repeat + 1}: app {cpu * 1000 / options.texts:.2f} ms, PostgreSQL "
                  f"{database_cpu * 1000 / options.texts:.2f} ms, wall {wall * 1000 / options.texts:.2f} ms"
                  f"{' (profiled)' if profiler else ''}; non-200: {len(wrong)}; load {os.getloadavg()[0]:.1f}")
            if clock:
                clock.report(options.texts, (database_nanoseconds(monitor, database) - nanoseconds_before) / 1e9)
            if profiler:
                for key in ("cumulative", "tottime"):
                    out = io.StringIO()
                    pstats.Stats(profiler, stream=out).sort_stats(key).print_stats(options.profile)
                    print(out.getvalue())
        with monitor.connect() as connection:
            from sqlalchemy import text
            sent = connection.execute(text("SELECT count(*) FROM scheduled_messages WHERE status = 'sent'")).scalar()
            pending = connection.execute(text("SELECT count(*) FROM scheduled_messages WHERE status = 'pending'"))\
                .scalar()
        print(f"replies sent {sent}, pending {pending}")
        context.close()
        monitor.dispose()
    finally:
        fake.terminate()
        fake.wait(timeout=10)
        recreate_database(url, drop_only=True)


if __name__ == "__main__":
    main()
