"""How long one ~3 MiB webhook of the most expensive shape takes to store, per message.

    python bench/large_envelope.py [--database URL] [--bytes 3145728 | --messages N]
                                   [--unique] [--profile 25] [--gunicorn [--timeout S]]

The envelope is what Meta may send after an outage: new text messages, each from a new
contact (a `contacts` profile per message), every one answered by the chatbot. The texts are
customer messages of the repository's intent corpus (tests/data/intents_*.tsv), so their
classification costs what real ones do; with --unique each gets an order number appended,
so no two texts are alike (no decision can be shared between messages).

The body is posted signed through the Flask test client on the configured database (default:
a fresh SQLite file; a PostgreSQL URL's database is dropped and created again, so give it a
throwaway name such as .../wt_envelope_bench). Replies are queued but left to the processor
(REPLY_SENDER=processor): what is timed is the request that stores the envelope. It prints
the seconds, the cost per message, the load average, and checks that every message is a row
and every message has one queued reply. --profile N prints cProfile's top N by own time.

Both print the request's CPU seconds (this process's, or gunicorn's processes'), the figure
that survives a loaded machine: with --timeout 120 a run on a busy machine measures it
instead of being killed at the default 20 s of wall clock.

--gunicorn posts the same body to the app under gunicorn's production config (gunicorn.conf.py,
default GUNICORN_TIMEOUT) instead and checks the answer is 200 and every row is stored, i.e.
that the worker was not killed by its timeout.
"""

from __future__ import annotations

import argparse
import cProfile
import csv
import hashlib
import hmac
import io
import json
import os
import pstats
import random
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_support import backend_pids, cpu_seconds, free_port, migrate, recreate_database  # noqa: E402
from sqlalchemy import create_engine, func, select  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from inbound.sample_payloads import envelope, messages_change  # noqa: E402

SECRET = "bench-app-secret-0123456789abcdef"  # production refuses secrets under 32 characters
CORPORA = ("intents_dev.tsv", "intents_dev2.tsv", "intents_dev3.tsv")


def corpus_texts() -> list[str]:
    """The customer messages of the intent corpus (the labels are not used)."""
    texts: list[str] = []
    for name in CORPORA:
        with open(ROOT / "tests" / "data" / name, encoding="utf-8") as file:
            texts += [row["text"] for row in csv.DictReader(file, delimiter="\t") if row.get("text")]
    return texts


def build_body(max_bytes: int | None, messages: int | None, unique: bool, seed: int = 12) -> tuple[bytes, int]:
    """A signed-ready body of new-contact texts (up to `max_bytes`, or exactly `messages`); (body, count)."""
    rng = random.Random(seed)
    texts = corpus_texts()
    now = int(time.time())
    run = f"{now:x}{rng.randrange(16**6):06x}"
    items: list[dict[str, Any]] = []
    contacts: list[dict[str, Any]] = []
    size = len(json.dumps(envelope(messages_change([], [])), ensure_ascii=False).encode())
    index = 0
    while messages is None or index < messages:
        sender = f"98{9000000000 + index * 7919 % 1000000000 + rng.randrange(1000):010d}"
        text = rng.choice(texts) + (f" سفارش {index}" if unique else "")
        item = {"from": sender, "id": f"wamid.HBgMBENCH{run}{index:06d}", "timestamp": str(now), "type": "text",
                "text": {"body": text}}
        contact = {"profile": {"name": f"Customer {index}"}, "wa_id": sender}
        grown = len(json.dumps(item, ensure_ascii=False).encode()) + len(json.dumps(contact).encode()) + 4
        if max_bytes is not None and size + grown > max_bytes:
            break
        items.append(item)
        contacts.append(contact)
        size += grown
        index += 1
    senders = {item["from"] for item in items}
    assert len(senders) == len(items), "senders must be distinct (new contacts)"
    body = json.dumps(envelope(messages_change(items, contacts)), ensure_ascii=False).encode()
    while max_bytes is not None and len(body) > max_bytes:  # the estimate above misses a few separators
        items.pop(), contacts.pop()
        body = json.dumps(envelope(messages_change(items, contacts)), ensure_ascii=False).encode()
    return body, len(items)


def signature(body: bytes) -> str:
    """Meta's X-Hub-Signature-256 for `body`."""
    return "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()


def prepare_database(url: str | None) -> str:
    """A migrated empty database: a temporary SQLite file, or `url` dropped, created and migrated."""
    if url is None:
        url = f"sqlite:///{tempfile.mkdtemp(prefix='large-envelope-')}/bench.db"
    elif url.startswith("postgresql"):
        recreate_database(url)
    migrate(url)
    return url


def stored_counts(url: str) -> tuple[int, int, int]:
    """(inbound messages, contacts, queued replies) in the database."""
    from database_models import Contact, ReceivedMessageLog, ScheduledMessage

    engine = create_engine(url)
    with engine.connect() as connection:
        counts = tuple(connection.execute(select(func.count()).select_from(table)).scalar_one()
                       for table in (ReceivedMessageLog, Contact, ScheduledMessage))
    engine.dispose()
    return counts  # type: ignore[return-value]


def post_in_process(url: str, body: bytes, profile_top: int) -> tuple[int, float]:
    """Post through the Flask test client; (status, seconds)."""
    from config import Config
    from webhook_handler import create_app

    config = Config(database_url=url, whatsapp_app_secret=SECRET, whatsapp_verify_token="bench-verify",
                    admin_api_token="bench-admin-token-value", flask_secret_key="bench-flask-secret",
                    log_level="INFO", reply_sender="processor")  # INFO: production logs every message
    app = create_app(config)
    client = app.test_client()
    # Warm up (rules trained, connections open) on a status-free tiny envelope of nothing new.
    client.post("/webhook", data=b'{"object":"whatsapp_business_account","entry":[]}',
                headers={"X-Hub-Signature-256": signature(b'{"object":"whatsapp_business_account","entry":[]}'),
                         "Content-Type": "application/json"})
    headers = {"X-Hub-Signature-256": signature(body), "Content-Type": "application/json"}
    profiler = cProfile.Profile() if profile_top else None
    started, cpu_started = time.perf_counter(), time.process_time()
    if profiler:
        profiler.enable()
    response = client.post("/webhook", data=body, headers=headers)
    if profiler:
        profiler.disable()
    seconds = time.perf_counter() - started
    print(f"request CPU {time.process_time() - cpu_started:.2f} s (this process)")
    if profiler:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(profile_top)
        print(out.getvalue())
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(profile_top)
        print(out.getvalue())
    app.extensions["whatsapp_platform"].close()
    return response.status_code, seconds


def tree_cpu_seconds(root: int) -> float:
    """User+system CPU seconds of `root` and its children (Linux /proc): gunicorn's arbiter and worker."""
    total, ticks = 0.0, os.sysconf("SC_CLK_TCK")
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(entry) == root or int(fields[1]) == root:
            total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def post_to_gunicorn(url: str, body: bytes, timeout: int | None = None) -> tuple[int, float]:
    """Post to the app under gunicorn's production config (default timeout); (status, seconds)."""
    port = free_port()
    env = os.environ | {
        "APP_ENV": "production", "SQLALCHEMY_DATABASE_URL": url, "WHATSAPP_APP_SECRET": SECRET,
        "WHATSAPP_VERIFY_TOKEN": "bench-verify-token", "ADMIN_API_TOKEN": "bench-admin-token-0123456789abcdef",
        "FLASK_SECRET_KEY": "bench-flask-secret-0123456789abcdef", "WHATSAPP_API_TOKEN": "bench-graph-token",
        "WHATSAPP_PHONE_NUMBER_ID": "106540352242922", "WHATSAPP_API_BASE_URL": "http://127.0.0.1:9",
        "REPLY_SENDER": "processor", "GUNICORN_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "1",
    }
    env.pop("GUNICORN_TIMEOUT", None)
    if timeout:  # to measure CPU on a machine too loaded for the production timeout's wall clock
        env["GUNICORN_TIMEOUT"] = str(timeout)
    env["GUNICORN_CONTROL_SOCKET"] = f"{tempfile.mkdtemp(prefix='large-envelope-')}/gunicorn.ctl"
    # tests/conftest.py's GUNICORN_COMMAND: the production config, its default 20 s worker timeout.
    command = [str(Path(sys.executable).parent / "gunicorn"), "-c", "gunicorn.conf.py", "webhook_handler:create_app()"]
    log = tempfile.TemporaryFile(mode="w+")  # a pipe would fill up with the INFO lines and stall the worker
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2).read()
                break
            except urllib.error.HTTPError:  # answering at all is up (health may report the absent Graph API)
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    server.terminate()
                    server.wait(timeout=30)
                    log.seek(0)
                    raise SystemExit("gunicorn did not start:\n" + log.read()[-3000:]) from None
                time.sleep(0.3)
        request = urllib.request.Request(f"http://127.0.0.1:{port}/webhook", data=body, method="POST", headers={
            "Content-Type": "application/json", "X-Hub-Signature-256": signature(body)})
        database = make_url(url).database if url.startswith("postgresql") else None
        engine = create_engine(url) if database else None
        backends = backend_pids(engine, database) if engine is not None else []  # the worker's, opened at start
        started, cpu_before = time.perf_counter(), tree_cpu_seconds(server.pid)
        database_before = cpu_seconds(backends)
        try:
            with urllib.request.urlopen(request, timeout=300) as response:
                status = response.status
        except urllib.error.HTTPError as error:
            status = error.code
        except OSError as error:  # a killed worker closes the connection without an answer
            print(f"no answer: {error}")
            status = 0
        seconds = time.perf_counter() - started
        print(f"request CPU {tree_cpu_seconds(server.pid) - cpu_before:.2f} s (gunicorn's processes)")
        if engine is not None:
            # The backends that were there before (pool connections opened by the health check) and
            # any opened during the request (whose CPU before it was nil).
            backends = sorted(set(backends) | set(backend_pids(engine, database)))
            print(f"PostgreSQL CPU {cpu_seconds(backends) - database_before:.2f} s (this database's backends)")
            engine.dispose()
        log.seek(0)
        killed = [line for line in log if "WORKER TIMEOUT" in line or "was sent SIGKILL" in line]
        if killed:
            print("worker killed:", *killed)
            status = 0
        return status, seconds
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", help="database URL (default: a fresh SQLite file)")
    parser.add_argument("--bytes", type=int, default=3 * 1024 * 1024, help="fill the body up to this size")
    parser.add_argument("--messages", type=int, help="exactly this many messages instead of --bytes")
    parser.add_argument("--unique", action="store_true", help="make every text distinct")
    parser.add_argument("--profile", type=int, default=0, metavar="N", help="print cProfile's top N functions")
    parser.add_argument("--gunicorn", action="store_true", help="post to gunicorn instead of the test client")
    parser.add_argument("--timeout", type=int, help="GUNICORN_TIMEOUT (default: the production config's)")
    arguments = parser.parse_args()
    body, count = build_body(None if arguments.messages else arguments.bytes, arguments.messages, arguments.unique)
    url = prepare_database(arguments.database)
    backend = url.split(":", 1)[0]
    load = os.getloadavg()
    if arguments.gunicorn:
        status, seconds = post_to_gunicorn(url, body, arguments.timeout)
    else:
        status, seconds = post_in_process(url, body, arguments.profile)
    messages, contacts, replies = stored_counts(url)
    print(f"{backend}: {count} messages, {len(body)} bytes, status {status}, {seconds:.2f} s, "
          f"{seconds / count * 1000:.2f} ms per message; stored {messages} messages, {contacts} contacts, "
          f"{replies} queued replies; load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    complete = status == 200 and messages == count and contacts == count and replies == count
    if arguments.database and arguments.database.startswith("postgresql"):
        recreate_database(url, drop_only=True)
    if not complete:
        raise SystemExit("FAILED: not every message was stored and answered")


if __name__ == "__main__":
    main()
