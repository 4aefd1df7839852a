"""PostgreSQL's CPU per answered text, statement by statement, without the app around it.

    python bench/text_statements.py [--texts 3000] [--repeat 3] [--database URL] [--explain]
                                    [--revision head] [--split-commit] [--pipelined-claim]

On a fresh database (migrated to --revision, seeded with 60,000 sent broadcast rows as
bench/webhook_load.py seeds them, then VACUUM ANALYZE and CHECKPOINT) one connection runs,
for each text, exactly what the web worker sends PostgreSQL for a new contact's plain text
answered from the web tier (inbound/text_writer.py, outbound/reply_statements.py): the store
(BEGIN + EXECUTE), the decided writes (+ COMMIT), then the reply's claim, its record and the
early-status look-up, each prepared once. Around every statement it reads the backend's CPU
clock (/proc/<pid>/schedstat, nanoseconds), so the figures are the backend's own CPU per
statement: parsing the EXECUTE, the plan-cache check, execution, triggers, WAL insertion and
the commit's flush. `--split-commit` sends the COMMIT by itself to show its share; `--explain`
prints EXPLAIN (ANALYZE, BUFFERS, WAL) of each statement for one more text.

The decision is fixed (a new state, intent "greeting", a reply body), so only PostgreSQL's
part is measured; bench/text_profile.py --statements measures the same statements inside the
app. The server must run on this machine (the backend's /proc entry is read).
"""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_support import recreate_database  # noqa: E402


def backend_nanoseconds(pid: int) -> int:
    """CPU time the backend has used, in nanoseconds."""
    return int(Path(f"/proc/{pid}/schedstat").read_text().split()[0])


def migrate_to(url: str, revision: str) -> None:
    """`alembic upgrade <revision>`."""
    from alembic import command
    from alembic.config import Config as AlembicConfig

    alembic_config = AlembicConfig(str(ROOT / "alembic.ini"))
    alembic_config.attributes.update(database_url=url, skip_logging_setup=True)
    command.upgrade(alembic_config, revision)


def seed(url: str, sends: int, variants: list[str], history: bool) -> None:
    """`sends` contacts with one sent broadcast row each (bench/webhook_load.py's seed), then VACUUM and CHECKPOINT."""
    import webhook_load
    from sqlalchemy import create_engine

    engine = create_engine(url)
    webhook_load.SEEDED_SENDS = sends
    webhook_load.seed_sent_broadcast(engine, history)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        for sql in variants:
            connection.exec_driver_sql(sql)
        connection.exec_driver_sql("VACUUM ANALYZE")
        connection.exec_driver_sql("CHECKPOINT")
    engine.dispose()


class Text:
    """One new contact's text: the parameters of each statement, as the app builds them."""

    def __init__(self, run: str, index: int) -> None:
        from psycopg2.extras import Json

        from database_models import utcnow
        from inbound.conversation_batch import DECIDED, StateRow

        now = utcnow()
        sender = f"98913{index:07d}"
        self.wamid = f"wamid.STATEMENTS{run}x{index}"
        message = {"from": sender, "id": self.wamid, "timestamp": str(int(now.timestamp())), "type": "text",
                   "text": {"body": "hello there"}}
        self.store = {
            "wamid": self.wamid, "wa_id": sender, "parent_user_id": None, "username": None,
            "profile_name": "Load Test", "attributes": Json({}), "opted_out": False, "last_inbound_at": now,
            "profile_name_updated_at": now, "created_at": now, "updated_at": now, "text": "hello there",
            "payload": Json(message), "wa_timestamp": now, "received_at": now}
        self.decided_columns = dict(zip(DECIDED, StateRow(0, last_intent="greeting", language="en").values(),
                                        strict=True))
        self.now = now

    def decided(self, row: tuple) -> dict:
        from inbound.conversation_batch import DECIDED

        return {"contact_id": row[1], "message_id": row[0], "intent": "greeting", "confidence": 0.93,
                "state_is_new": True, "state_changed": True, "changed": [True] * len(DECIDED),
                **self.decided_columns, "now": self.now, "reply_id": row[-1], "body": "Hello! How can I help?"}


def run_texts(connection, texts: list[Text], split_commit: bool, clock: Counter | None, explain: bool = False,
              separate_record: bool = False, pipelined_claim: bool = False, async_record: bool = False) -> None:
    """Send each text's statements as the web worker does, timing each on the backend."""
    from inbound.text_writer import DECIDED_WRITE, STORE, _execute
    from outbound.reply_statements import _PREPARED, CLAIM_REPLY, EARLY_STATUSES, RECORD_SENT

    pid = connection.info.backend_pid
    cursor = connection.cursor()
    prefix = "EXPLAIN (ANALYZE, BUFFERS, WAL) " if explain else ""

    def timed(label: str, sql: str, parameters: dict | None = None) -> list[tuple]:
        before = backend_nanoseconds(pid)
        cursor.execute(sql, parameters)
        rows = cursor.fetchall() if cursor.description else []
        if clock is not None:
            clock[label] += backend_nanoseconds(pid) - before
        if explain and rows and isinstance(rows[0][0], str) and rows[0][0][:1].isupper() and len(rows) > 1:
            print(f"--- {label}")
            print("\n".join(row[0] for row in rows))
        return rows

    def prepared(statement: str) -> str:
        name, names, _ = _PREPARED[statement]
        return f"EXECUTE {name} ({', '.join(f'%({parameter})s' for parameter in names)})"

    for text in texts:
        rows = timed("store: BEGIN + EXECUTE whatsapp_text_store", f"BEGIN; {prefix}{_execute(STORE)}", text.store)
        if explain:  # EXPLAIN returns the plan, not the rows: read what the store wrote
            cursor.execute("SELECT id, contact_id, nextval(pg_get_serial_sequence('scheduled_messages', 'id')) "
                           "FROM received_messages WHERE wamid = %(wamid)s", text.store)
            rows = cursor.fetchall()
        row = rows[0]
        now = text.now
        claim = {"id": row[-1], "worker": "statements-bench", "now": now, "lease": now + timedelta(seconds=60),
                 "since": now - timedelta(seconds=6)}
        if pipelined_claim:  # issue 17's fifth round, candidate 1: one WAL flush for the decided writes and the claim
            timed("decided + COMMIT (synchronous_commit off) + claim (one message)",
                  f"SET LOCAL synchronous_commit = off; {prefix}{_execute(DECIDED_WRITE)}; COMMIT; "
                  f"{prefix}{prepared(CLAIM_REPLY)}", text.decided(row) | claim)
        else:
            if split_commit:
                timed("decided: EXECUTE whatsapp_text_decided", f"{prefix}{_execute(DECIDED_WRITE)}",
                      text.decided(row))
                timed("COMMIT (store + decided)", "COMMIT")
            else:
                timed("decided: EXECUTE whatsapp_text_decided + COMMIT", f"{prefix}{_execute(DECIDED_WRITE)}; COMMIT",
                      text.decided(row))
            timed("claim (autocommit)", prefix + prepared(CLAIM_REPLY), claim)
        sent = f"wamid.OUT{text.wamid}"
        record = {"id": row[-1], "worker": "statements-bench", "wamid": sent, "at": now, "dry_run": False}
        if separate_record:  # as before issue 17's fourth round: two round trips
            timed("record (autocommit)", prefix + prepared(RECORD_SENT), record)
            timed("early statuses (autocommit)", prefix + prepared(EARLY_STATUSES), {"wamids": [sent]})
        elif async_record:  # issue 17's eighth round: the record committed without waiting for its WAL flush
            timed("record + COMMIT (synchronous_commit off) + early statuses (one message)",
                  f"BEGIN; SET LOCAL synchronous_commit = off; {prefix}{prepared(RECORD_SENT)}; COMMIT; "
                  f"{prefix}{prepared(EARLY_STATUSES)}", record | {"wamids": [sent]})
        else:
            timed("record + COMMIT + early statuses (one message)",
                  f"BEGIN; {prefix}{prepared(RECORD_SENT)}; COMMIT; {prefix}{prepared(EARLY_STATUSES)}",
                  record | {"wamids": [sent]})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=3000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--database", default="postgresql+psycopg2://postgres@127.0.0.1:5432/wa_bench_text_statements")
    parser.add_argument("--revision", default="head", help="the Alembic revision to measure")
    parser.add_argument("--seed", type=int, default=60_000, help="sent broadcast rows seeded first")
    parser.add_argument("--no-history", action="store_true",
                        help="no earlier messages and states (bench/webhook_load.py before the fourth round)")
    parser.add_argument("--split-commit", action="store_true", help="send the COMMIT by itself")
    parser.add_argument("--separate-record", action="store_true",
                        help="the record and the early-status look-up in two round trips (before the fourth round)")
    parser.add_argument("--pipelined-claim", action="store_true",
                        help="the decided writes committed with synchronous_commit off and the claim after them, one "
                             "message (one WAL flush for both)")
    parser.add_argument("--async-record", action="store_true",
                        help="the record committed with synchronous_commit off (no WAL flush of its own)")
    parser.add_argument("--explain", action="store_true", help="EXPLAIN (ANALYZE, BUFFERS, WAL) one more text")
    parser.add_argument("--keep", action="store_true", help="leave the database (default: drop it)")
    parser.add_argument("--perf", metavar="FILE", help="perf record the backend during the last repeat into FILE")
    parser.add_argument("--sql", action="append", default=[], help="run this SQL after seeding (a variant to compare)")
    options = parser.parse_args()

    import psycopg2
    from sqlalchemy.engine import make_url

    from inbound.text_writer import _prepare
    from outbound.reply_statements import _PREPARED

    url = options.database
    recreate_database(url)
    try:
        migrate_to(url, options.revision)
        seed(url, options.seed, options.sql, not options.no_history)
        target = make_url(url)
        connection = psycopg2.connect(host=target.host, port=target.port or 5432, user=target.username,
                                      password=target.password, dbname=target.database)
        connection.autocommit = True
        _prepare(connection, None)
        with connection.cursor() as cursor:
            for statement, (name, names, types) in _PREPARED.items():
                numbered = statement
                for position, parameter in enumerate(names, start=1):
                    numbered = numbered.replace(f"%({parameter})s", f"${position}")
                cursor.execute(f"PREPARE {name} ({', '.join(types)}) AS {numbered}")
        run = str(int(time.time()))
        run_texts(connection, [Text(run + "w", n) for n in range(200)], options.split_commit, None,
                  separate_record=options.separate_record, pipelined_claim=options.pipelined_claim,
                  async_record=options.async_record)  # warm-up
        print(f"{options.texts} texts a repeat on {target.database} (revision {options.revision}); "
              "PostgreSQL backend CPU per text, microseconds")
        for repeat in range(options.repeat):
            texts = [Text(f"{run}r{repeat}", 1_000_000 * (repeat + 1) + n) for n in range(options.texts)]
            clock: Counter = Counter()
            load_before = Path("/proc/loadavg").read_text().split()[0]
            perf = None
            if options.perf and repeat == options.repeat - 1:
                perf = subprocess.Popen(["perf", "record", "-e", "cpu-clock", "-g", "-o", options.perf, "-p",
                                         str(connection.info.backend_pid)], stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)
                time.sleep(1.0)
            started = time.perf_counter()
            run_texts(connection, texts, options.split_commit, clock, separate_record=options.separate_record,
                      pipelined_claim=options.pipelined_claim, async_record=options.async_record)
            wall = time.perf_counter() - started
            if perf:
                perf.send_signal(signal.SIGINT)
                perf.wait(timeout=60)
            total = sum(clock.values())
            print(f"  repeat {repeat + 1}: {total / 1000 / options.texts:.0f} us a text "
                  f"(wall {wall * 1e6 / options.texts:.0f} us; load {load_before} before)")
            for label, nanoseconds in clock.most_common():
                print(f"    {nanoseconds / 1000 / options.texts:6.0f} us  {label}")
        if options.explain:
            run_texts(connection, [Text(run + "x", 9_000_000)], options.split_commit, None, explain=True,
                      separate_record=True)
        with connection.cursor() as cursor:
            cursor.execute("SELECT relname, n_tup_ins, n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables "
                           "WHERE relname IN ('contacts', 'received_messages', 'conversation_states', "
                           "'scheduled_messages') ORDER BY relname")
            print("table: inserts, updates, of which HOT")
            for name, inserts, updates, hot in cursor.fetchall():
                print(f"  {name}: {inserts}, {updates}, {hot}")
        connection.close()
    finally:
        if not options.keep:
            recreate_database(url, drop_only=True)


if __name__ == "__main__":
    main()
