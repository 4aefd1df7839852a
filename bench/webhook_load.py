"""Webhook throughput and latency under gunicorn's production config, against a bare Flask ceiling.

    python bench/webhook_load.py [--duration 8] [--connections 24] [--clients 2] [--rate 200]

In one run it creates (and drops) its own PostgreSQL database (BENCH_ADMIN_URL's server,
default postgresql+psycopg2://postgres@127.0.0.1:5432/postgres), migrates it, seeds sent
broadcast rows for status webhooks to update (and their contacts' earlier texts), starts the fake Graph API
(tests/support/fake_graph_api.py) as a process, the app under gunicorn (APP_ENV=production, real
secrets, SEND_REPLIES_INLINE=false) and bench/bare_app.py under the same gunicorn config,
and drives both from separate client processes (raw asyncio HTTP/1.1, signed bodies) with:

  a  status webhooks (one status of a sent broadcast message each)
  b  inbound texts the chatbot answers through the fake Graph API
  c  like b with 30% of the requests repeating an earlier delivery
  d  batches of 10 status items per request

For each mix: requests/s, p50/p99 latency and the ratio to the bare endpoint (closed loop,
--connections in flight per client process; with --rounds N, N alternating bare/app pairs and
the median ratio). With mix b it also runs b against a second app with REPLY_SENDER=processor
(web workers only store) and then one processor process that sends the queued replies, timed
against a plain concurrent httpx client sending as many to the same fake Graph API. Then
open-loop runs at --rate req/s of mixes a and b (latency counted from each request's
scheduled start, so a server that falls behind shows it). After every run it checks that
every request answered 200 is in the database. Client and server CPU are printed so a saturated
client shows up; with two cores everything (clients, gunicorn, PostgreSQL, fake API)
shares them, so treat the numbers as ratios, not as a server's capacity.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench_support import backend_pids, cpu_seconds, free_port, migrate, recreate_database  # noqa: E402
from load_client import PHONE_ID, SECRET, SEEDED_SENDS, TOKEN, make_body, run_client  # noqa: E402

MIXES = {"a": "status webhooks", "b": "inbound texts answered by the chatbot", "c": "b with 30% duplicates",
         "d": "batches of 10 statuses"}
TARGETS = {"a": 0.5, "b": 0.2}  # ratios to the bare endpoint (issue 17 set b's at 0.2)
# Issue 17's CPU targets per answered text (mix b): gunicorn workers' and PostgreSQL's ms; web only storing.
TEXT_TARGETS = {"app": 3.5, "PostgreSQL": 1.0, "app, REPLY_SENDER=processor": 2.0}


# --- servers -------------------------------------------------------------------------------------

def wait_for_port(port: int, process: subprocess.Popen, what: str) -> None:
    """Block until something accepts connections on `port` (two minutes: a loaded machine starts gunicorn slowly)."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{what} did not start")


def start_gunicorn(app_spec: str, env: dict[str, str], port: int, log: Path) -> subprocess.Popen:
    """gunicorn -c gunicorn.conf.py APP on `port`, with `env`, its output appended to `log`."""
    # Each arbiter its own control socket: a second one on the same path never started here.
    own = {"GUNICORN_BIND": f"127.0.0.1:{port}", "GUNICORN_CONTROL_SOCKET": f"{tempfile.mkdtemp()}/gunicorn.ctl"}
    with open(log, "ab") as output:
        process = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", app_spec], cwd=ROOT,
                                   env=env | own, stdout=output, stderr=subprocess.STDOUT)
    wait_for_port(port, process, app_spec)
    settle(process)
    return process


def settle(process: subprocess.Popen, deadline_seconds: float = 120.0) -> None:
    """Wait until gunicorn's workers have booted: the arbiter binds the port before they import the app,
    and a worker still building it (~1 s of CPU each) inside a measured run was counted as the run's CPU."""
    deadline = time.monotonic() + deadline_seconds
    before = cpu_seconds([process.pid])
    while time.monotonic() < deadline:
        time.sleep(0.5)
        now = cpu_seconds([process.pid])
        if now - before < 0.02:  # idle: every worker is waiting for requests
            return
        before = now


def drive(port: int, mix: str, options: argparse.Namespace, server_pids: list[int], rate: float = 0.0,
          fake_pid: int | None = None, replies: bool = False) -> dict:
    """Run the clients against `port`; throughput, percentiles, status codes and CPU use.

    With `replies` (the web tier sends them) the CPU is read once every reply is sent: when the closed loop
    outruns the reply threads, replies still queue in the workers after the last 200, and CPU read then
    left their sends out (docs/scale.md §7, seventh round)."""
    clients = 1 if rate else options.clients
    now = int(time.time())
    jobs = [{"port": port, "mix": mix, "client": n, "seconds": options.fixed_seconds if rate else options.duration,
             "warmup": options.warmup, "connections": options.connections, "rate": rate / clients, "now": now}
            for n in range(clients)]
    postmaster, fake = options.database_pids(), [fake_pid] if fake_pid else []
    server_cpu, database_cpu, fake_cpu = cpu_seconds(server_pids), cpu_seconds(postmaster), cpu_seconds(fake)
    with multiprocessing.get_context("spawn").Pool(clients) as pool:
        results = pool.map(run_client, jobs)
    unsent, waited = (options.unsent_replies(), time.monotonic()) if replies else (0, time.monotonic())
    if unsent:
        deadline = waited + 60
        while options.unsent_replies() and time.monotonic() < deadline:
            time.sleep(0.05)
    postmaster = sorted(set(postmaster) | set(options.database_pids()))  # backends opened during the run count too
    server_cpu, database_cpu = cpu_seconds(server_pids) - server_cpu, cpu_seconds(postmaster) - database_cpu
    fake_cpu = cpu_seconds(fake) - fake_cpu
    latencies = sorted(value for result in results for value in result["latencies"])
    wall = max(result["wall"] for result in results)
    statuses = sum((Counter(result["statuses"]) for result in results), Counter())
    requests = sum(statuses.values())  # warm-up included, like the CPU counters
    return {
        "rps": len(latencies) / wall, "p50": percentile(latencies, 50), "p99": percentile(latencies, 99),
        "statuses": dict(statuses), "client_cpu": sum(r["cpu"] for r in results) / wall,
        "server_ms": server_cpu * 1000 / requests, "database_ms": database_cpu * 1000 / requests,
        "unsent": unsent, "drained_seconds": time.monotonic() - waited if unsent else 0.0,
        "fake_ms": fake_cpu * 1000 / requests, "client_ms": sum(r["cpu"] for r in results) * 1000 / requests,
        "acknowledged": [(job["client"], index) for job, r in zip(jobs, results, strict=True)
                         for index in r["acknowledged"]], "now": now,
    }


def percentile(sorted_values: list[float], pct: float) -> float:
    """The pct-th percentile of already sorted values (nearest rank)."""
    if not sorted_values:
        return float("nan")
    return sorted_values[min(len(sorted_values) - 1, int(len(sorted_values) * pct / 100))]


def verify(engine: Any, mix: str, run: dict) -> int:
    """Every row an acknowledged request carried is in the database; returns how many were checked."""
    from sqlalchemy import text

    keys = {key for client, index in run["acknowledged"] for key in make_body(mix, client, index, run["now"])[1]}
    with engine.connect() as connection:
        messages = set(connection.scalars(text("SELECT wamid FROM received_messages")))
        statuses = {tuple(row) for row in connection.execute(text("SELECT wamid, status FROM message_status_events"))}
    missing = [key for key in keys if (key[1] not in messages if key[0] == "m" else key[1:] not in statuses)]
    if missing:
        raise SystemExit(f"GUARANTEE BROKEN: {len(missing)} acknowledged rows missing, e.g. {missing[:3]}")
    return len(keys)


def unsent_replies(engine: Any) -> int:
    """Reply rows not sent yet (mixes b and c answer every text with one; none waits for the pair rate)."""
    from sqlalchemy import text

    with engine.connect() as connection:
        return connection.execute(text("SELECT count(*) FROM scheduled_messages WHERE kind = 'reply' "
                                       "AND status IN ('pending', 'sending')")).scalar_one()


def seed_sent_broadcast(engine: Any, history: bool = True) -> None:
    """SEEDED_SENDS contacts each with one sent broadcast row, wamid.BENCHOUT<n>, for status webhooks, and
    with one earlier text and a conversation state: a shop's history, which the text path looks up by key.

    Without that history the first texts' statements find received_messages and conversation_states
    nearly empty, the plan each connection caches for its prepared statements scans them in full, and
    that plan stays for the whole run on a server without autovacuum (docs/scale.md §7, fourth round)."""
    from sqlalchemy import insert, select

    from database_models import Broadcast, Contact, ConversationState, ReceivedMessageLog, ScheduledMessage, utcnow

    now = utcnow()
    with engine.begin() as connection:
        connection.execute(insert(Contact.__table__), [
            {"wa_id": f"98918{n:07d}", "attributes": {}, "opted_out": False, "created_at": now, "updated_at": now}
            for n in range(SEEDED_SENDS)])
        broadcast_id = connection.execute(insert(Broadcast.__table__).values(
            name="load", body="hi", audience={}, scheduled_at=now, status="scheduled", recipient_count=SEEDED_SENDS,
            exclusions={}, created_at=now, updated_at=now).returning(Broadcast.__table__.c.id)).scalar_one()
        ids = dict(connection.execute(select(Contact.wa_id, Contact.id)).all())
        connection.execute(insert(ScheduledMessage.__table__), [
            {"contact_id": ids[f"98918{n:07d}"], "broadcast_id": broadcast_id, "kind": "broadcast", "body": "hi",
             "scheduled_at": now, "status": "sent", "wamid": f"wamid.BENCHOUT{n}", "sent_at": now, "attempts": 1,
             "dry_run": False, "unconfirmed_sends": 0, "created_at": now, "updated_at": now}
            for n in range(SEEDED_SENDS)])
        if not history:
            return
        earlier = now - timedelta(days=1)
        connection.execute(insert(ReceivedMessageLog.__table__), [
            {"wamid": f"wamid.BENCHHISTORY{n}", "contact_id": ids[f"98918{n:07d}"], "message_type": "text",
             "text": "hi", "payload": {}, "received_at": earlier, "direction": "in", "imported": False}
            for n in range(SEEDED_SENDS)])
        connection.execute(insert(ConversationState.__table__), [
            {"contact_id": ids[f"98918{n:07d}"], "state": "bot", "negative_in_a_row": 0, "updated_at": earlier}
            for n in range(SEEDED_SENDS)])


def queued_replies(options: argparse.Namespace, env: dict[str, str], log: Path, bare: subprocess.Popen,
                   engine: Any, fake_pid: int, processes: list[subprocess.Popen]) -> dict:
    """Mix b against an app with REPLY_SENDER=processor, then one processor run sending the queued replies."""
    from sqlalchemy import text

    port = free_port()
    queued = start_gunicorn("webhook_handler:create_app()", env | {"REPLY_SENDER": "processor"}, port, log)
    processes.append(queued)
    ceiling = drive(options.bare_port, "b", options, [bare.pid])
    web = drive(port, "b", options, [queued.pid], fake_pid=fake_pid)
    verify(engine, "b", web)
    fixed = drive(port, "b", options, [queued.pid], rate=options.rate)
    verify(engine, "b", fixed)
    count = text("SELECT count(*) FROM scheduled_messages s JOIN received_messages m ON m.id = s.in_reply_to_id "
                 "WHERE (m.wamid LIKE :closed OR m.wamid LIKE :open) AND s.status = :status")
    run = {"closed": f"wamid.BENCHIN{web['now']}x%", "open": f"wamid.BENCHIN{fixed['now']}x%"}
    with engine.connect() as connection:
        pending = connection.execute(count, run | {"status": "pending"}).scalar_one()
    from broadcast_throughput import ceiling as ceiling_seconds  # here: the client processes need none of the app

    from outbound.pacing import default_concurrency

    concurrency = default_concurrency(1000)  # the processor's sending threads at WHATSAPP_MAX_MPS=1000
    fake = SimpleNamespace(url=f"http://127.0.0.1:{options.fake_port}")
    plain_before = pending / ceiling_seconds(fake, 0, pending, concurrency, token=TOKEN)
    started = time.monotonic()
    processor = [sys.executable, "run_broadcast_processor.py", "--no-guard", "--no-enrich", "--time-budget", "300"]
    finished = subprocess.run(processor, cwd=ROOT, env=env | {"WHATSAPP_MAX_MPS": "1000"}, capture_output=True,
                              text=True, check=False)
    seconds = time.monotonic() - started
    with engine.connect() as connection:
        sent = connection.execute(count, run | {"status": "sent"}).scalar_one()
    plain_after = pending / ceiling_seconds(fake, pending, pending, concurrency, token=TOKEN)
    summary = processor_summary(finished.stdout + finished.stderr)
    sending = summary.get("seconds") or seconds
    plain = (plain_before + plain_after) / 2
    print(f"b, REPLY_SENDER=processor (web workers only store): {web['rps']:.0f} req/s = "
          f"{web['rps'] / ceiling['rps']:.2f} of bare ({ceiling['rps']:.0f}), p99 {web['p99']:.1f} ms, app CPU "
          f"{web['server_ms']:.2f} ms/req, PostgreSQL {web['database_ms']:.2f}; then one processor process sent "
          f"{sent} of the {pending} queued replies in {sending:.1f} s of its run ({seconds:.1f} s with its start-up: "
          f"{sent / seconds:.0f} msg/s), {sent / sending:.0f} msg/s, WHATSAPP_MAX_MPS=1000, {concurrency} threads\n"
          f"  a plain concurrent httpx client ({concurrency} threads, one client each) sending as many to the same "
          f"fake Graph API just before and just after it: {plain_before:.0f} and {plain_after:.0f} msg/s\n"
          f"target b, REPLY_SENDER=processor: processor / plain client = {sent / sending / plain:.2f} >= 0.7 "
          f"{'MET' if sent / sending / plain >= 0.7 else 'MISSED'} (WHATSAPP_MAX_MPS=1000 caps the processor: "
          f"at most {min(1.0, 1000 / plain):.2f} against this plain client; of its run "
          f"{summary.get('claim_seconds', 0):.2f} s claiming, {summary.get('record_seconds', 0):.2f} s recording)\n"
          f"  open loop at {options.rate:.0f} req/s against it: "
          f"achieved {fixed['rps']:.0f} req/s, p50 {fixed['p50']:.1f} ms, p99 {fixed['p99']:.1f} ms")
    return web


def processor_summary(output: str) -> dict:
    """The JSON summary the processor logs at the end of its run ({} if it logged none)."""
    for line in reversed(output.splitlines()):
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict) and record.get("event") == "processor.summary":
            return record
    return {}


def main() -> None:
    """Set everything up, measure every mix against the bare app, print, verify, tear down."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=8.0, help="measured seconds per closed-loop run")
    parser.add_argument("--warmup", type=float, default=1.5)
    parser.add_argument("--clients", type=int, default=2, help="client processes")
    parser.add_argument("--connections", type=int, default=24, help="requests in flight per client process")
    parser.add_argument("--workers", type=int, default=0, help="WEB_CONCURRENCY (default: gunicorn.conf.py's)")
    parser.add_argument("--threads", type=int, default=0,
                        help="GUNICORN_THREADS: above 1, gthread workers with this many threads (default: sync)")
    parser.add_argument("--rate", type=float, default=200.0, help="the open-loop run's requests per second")
    parser.add_argument("--fixed-seconds", type=float, default=10.0)
    parser.add_argument("--mixes", default="abcd", help="closed-loop mixes to run")
    parser.add_argument("--rounds", type=int, default=1,
                        help="bare/app pairs per mix, alternating; the round with the median ratio is printed")
    parser.add_argument("--fixed-mixes", default="ab", help="mixes for the open-loop run at --rate")
    parser.add_argument("--database-setting", action="append", default=[], metavar="NAME=VALUE",
                        help="ALTER DATABASE … SET for the benchmark's database (e.g. commit_delay=100)")
    parser.add_argument("--database-name", default=f"wa_bench_webhook_{os.getpid()}",
                        help="the database it creates and drops on BENCH_ADMIN_URL's server")
    options = parser.parse_args()

    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    admin_url = make_url(os.environ.get("BENCH_ADMIN_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"))
    database = options.database_name
    url = admin_url.set(database=database).render_as_string(hide_password=False)
    recreate_database(url)
    processes: list[subprocess.Popen] = []
    try:
        migrate(url)
        engine = create_engine(url)
        seed_sent_broadcast(engine)
        options.database_pids = lambda: backend_pids(engine, database)
        options.unsent_replies = lambda: unsent_replies(engine)
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            # Otherwise autovacuum and the first checkpoint after 60,000 fresh rows land in the first run.
            connection.exec_driver_sql("VACUUM ANALYZE")
            connection.exec_driver_sql("CHECKPOINT")
            for setting in options.database_setting:  # an experiment on this database only (its own sessions)
                name, value = setting.split("=", 1)
                connection.exec_driver_sql(f'ALTER DATABASE "{database}" SET {name} = {value}')

        fake_port, app_port, bare_port = free_port(), free_port(), free_port()
        fake_server = ROOT / "tests" / "support" / "fake_graph_api.py"
        fake = subprocess.Popen([sys.executable, str(fake_server), "--port", str(fake_port), "--token", TOKEN],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        processes.append(fake)
        wait_for_port(fake_port, fake, "the fake Graph API")
        env = os.environ | {
            "APP_ENV": "production", "WHATSAPP_APP_SECRET": SECRET, "WHATSAPP_VERIFY_TOKEN": "bench-verify-token",
            "FLASK_SECRET_KEY": "bench-flask-secret-0123456789abcdef",
            "SQLALCHEMY_DATABASE_URL": url, "WHATSAPP_API_TOKEN": TOKEN,
            "WHATSAPP_PHONE_NUMBER_ID": PHONE_ID, "WHATSAPP_API_BASE_URL": f"http://127.0.0.1:{fake_port}",
            "SEND_REPLIES_INLINE": "false", "LOG_LEVEL": "INFO",  # production's default: logging is part of the cost
        } | ({"WEB_CONCURRENCY": str(options.workers)} if options.workers else {}) \
            | ({"GUNICORN_THREADS": str(options.threads)} if options.threads else {})
        log = Path(tempfile.gettempdir()) / f"{database}.log"
        print(f"server logs: {log}")
        app = start_gunicorn("webhook_handler:create_app()", env, app_port, log)
        processes.append(app)
        bare = start_gunicorn("bench.bare_app:create_app()", env, bare_port, log)
        options.bare_port, options.fake_port = bare_port, fake_port
        processes.append(bare)
        workers = options.workers or int(os.environ.get("WEB_CONCURRENCY", min(2 * os.cpu_count() + 1, 8)))
        threads = int(env.get("GUNICORN_THREADS", "1"))
        kind = f"gthread workers x {threads} threads" if threads > 1 else "sync workers"
        print(f"{os.cpu_count()} CPUs; gunicorn: {workers} {kind} each for the app and the bare endpoint; "
              f"{options.clients} client processes x {options.connections} connections; "
              f"{options.duration:.0f} s per run after {options.warmup:.1f} s warm-up\n")
        print("CPU ms/req: gunicorn workers' CPU per request (app and bare), PostgreSQL backends' CPU per request"
              " (the benchmark database's backends only), the fake Graph API's and the clients' (app run);"
              " client CPU: cores the client processes used\n")
        header = (f"{'mix':<44}{'bare req/s':>11}{'app req/s':>10}{'ratio':>7}{'p50 ms':>8}{'p99 ms':>8}"
                  f"{'bare p99':>9}{'CPU ms/req app':>15}{'bare':>6}{'PG':>6}{'fake':>6}{'client':>7}"
                  f"{'client CPU':>11}  non-200")
        print(header)
        results = {}
        for mix in options.mixes:
            rounds, checked = [], 0
            for _ in range(max(1, options.rounds)):
                ceiling = drive(bare_port, mix, options, [bare.pid])
                measured = drive(app_port, mix, options, [app.pid], fake_pid=fake.pid, replies=mix in "bc")
                checked += verify(engine, mix, measured)
                rounds.append((measured["rps"] / ceiling["rps"], measured, ceiling))
            rounds.sort(key=lambda entry: entry[0])
            if len(rounds) > 1:
                print(f"{mix}: ratios of the {len(rounds)} rounds: {', '.join(f'{r[0]:.2f}' for r in rounds)}")
            _, measured, ceiling = rounds[len(rounds) // 2]
            results[mix] = (measured, ceiling)
            others = {code: n for code, n in measured["statuses"].items() if code != 200}
            print(f"{mix} {MIXES[mix]:<42}{ceiling['rps']:>11.0f}{measured['rps']:>10.0f}"
                  f"{measured['rps'] / ceiling['rps']:>7.2f}{measured['p50']:>8.1f}{measured['p99']:>8.1f}"
                  f"{ceiling['p99']:>9.1f}{measured['server_ms']:>15.2f}{ceiling['server_ms']:>6.2f}"
                  f"{measured['database_ms']:>6.2f}{measured['fake_ms']:>6.2f}{measured['client_ms']:>7.2f}"
                  f"{measured['client_cpu']:>11.2f}  "
                  f"{others or '-'}  ({checked} acknowledged rows verified, all rounds)"
                  + (f"; {measured['unsent']} replies still queued at the last answer, CPU counted until sent "
                     f"({measured['drained_seconds']:.1f} s)" if measured["unsent"] else ""))
        if "b" in options.mixes:
            stored_only = queued_replies(options, env, log, bare, engine, fake.pid, processes)
            figures = {"app": results["b"][0]["server_ms"], "PostgreSQL": results["b"][0]["database_ms"],
                       "app, REPLY_SENDER=processor": stored_only["server_ms"]}
            for name, target in TEXT_TARGETS.items():
                print(f"target b, {name} CPU per answered text: {figures[name]:.2f} ms <= {target} ms "
                      f"{'MET' if figures[name] <= target else 'MISSED'}")
        print()
        for mix in options.fixed_mixes:
            fixed = drive(app_port, mix, options, [app.pid], rate=options.rate, fake_pid=fake.pid, replies=mix in "bc")
            verify(engine, mix, fixed)
            print(f"open loop, mix {mix} at {options.rate:.0f} req/s for {options.fixed_seconds:.0f} s: achieved "
                  f"{fixed['rps']:.0f} req/s, p50 {fixed['p50']:.1f} ms, p99 {fixed['p99']:.1f} ms (target p99 < 250 "
                  f"ms: {'MET' if fixed['p99'] < 250 else 'MISSED'}); CPU ms/req: app {fixed['server_ms']:.2f}, "
                  f"PostgreSQL {fixed['database_ms']:.2f}; non-200: "
                  f"{ {c: n for c, n in fixed['statuses'].items() if c != 200} or '-'}")
        for mix, target in TARGETS.items():
            if mix in results:
                ratio = results[mix][0]["rps"] / results[mix][1]["rps"]
                print(f"target {mix}: ratio {ratio:.2f} >= {target} {'MET' if ratio >= target else 'MISSED'}")
        for mix, items in (("a", 1), ("d", 10)):
            if mix in results:
                measured = results[mix][0]
                app_cores = 3000 / items * measured["server_ms"] / 1000 / 0.7  # at 70% busy
                database_cores = 3000 / items * measured["database_ms"] / 1000 / 0.7
                workers = max(1, round(2 * app_cores))
                print(f"3,000 statuses/s as mix {mix} ({items} per request): {app_cores:.1f} cores of gunicorn workers"
                      f" (about {workers} sync workers at 2 per core) + {database_cores:.1f} cores of PostgreSQL,"
                      f" at 70% CPU, from this run's CPU per request")
        engine.dispose()
    finally:
        for process in reversed(processes):
            process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        recreate_database(url, drop_only=True)


if __name__ == "__main__":
    main()
