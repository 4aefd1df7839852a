"""A web reply's claim while a broadcast waits in the queue: the plan PostgreSQL caches for it.

    python bench/reply_claim_plan.py [--database URL] [--queued 50000] [--claims 20]

On a fresh database (migrated to head; 60,000 contacts, each with a broadcast message sent the
day before; ANALYZE) one connection prepares the claim of outbound/reply_statements.py, claims
a few replies so PostgreSQL settles on a generic plan, then times `--claims` more (the best
one counts), once with a quiet queue and once after `--queued` broadcast rows were queued with
no ANALYZE since — the hour before a shop's campaign, on a server whose autovacuum has not
looked yet (it analyses a table after a tenth of its rows changed: a 50,000-recipient campaign
in a million-row queue never triggers it). Three statements are compared: the claim as it was
before 2026-12-06 (`status = 'pending' AND broadcast_id IS NULL` written plainly, by an array of
ids), and today's by one id and by an array. Prints milliseconds of wall time per claim (one
local connection, so mostly PostgreSQL's CPU) and the plan of the last claim of each.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_support import migrate, recreate_database  # noqa: E402

DEFAULT_DATABASE = "postgresql+psycopg2://postgres@127.0.0.1:5432/whatsapp_bench_claim_plan"
PLAIN_FILTER = "queue.status = 'pending' AND queue.broadcast_id IS NULL"


def statements() -> dict[str, tuple[str, str, str]]:
    """Label -> (PREPARE text, parameter types, the id argument's SQL given a row id as {id})."""
    from outbound.reply_statements import _PREPARED, CLAIM_REPLIES, CLAIM_REPLY

    hidden = "(queue.status = 'pending') IS TRUE AND (queue.broadcast_id IS NULL) IS TRUE"
    before = CLAIM_REPLIES.replace(hidden, PLAIN_FILTER)
    assert before != CLAIM_REPLIES, "the claim's filter changed: update this benchmark"
    chosen = {"before (plain filter, array)": (before, CLAIM_REPLIES, "ARRAY[{id}]::bigint[]"),
              "today, one id": (CLAIM_REPLY, CLAIM_REPLY, "{id}::bigint"),
              "today, array": (CLAIM_REPLIES, CLAIM_REPLIES, "ARRAY[{id}]::bigint[]")}
    prepared = {}
    for label, (sql, key, argument) in chosen.items():
        _, names, types = _PREPARED[key]
        for position, parameter in enumerate(names, start=1):
            sql = sql.replace(f"%({parameter})s", f"${position}")
        prepared[label] = (sql, ", ".join(types), argument)
    return prepared


def seed(cursor, contacts: int) -> None:
    cursor.execute("INSERT INTO contacts (wa_id, attributes, opted_out, created_at, updated_at) "
                   "SELECT '98912' || lpad(g::text, 7, '0'), '{}', false, now(), now() "
                   "FROM generate_series(1, %s) g", (contacts,))
    cursor.execute("INSERT INTO broadcasts (name, audience, scheduled_at, status, recipient_count, exclusions, "
                   "created_at, updated_at) VALUES ('sent', '{}', now(), 'completed', 0, '{}', now(), now()), "
                   "('queued', '{}', now(), 'scheduled', 0, '{}', now(), now())")
    cursor.execute("INSERT INTO scheduled_messages (contact_id, broadcast_id, kind, body, scheduled_at, status, "
                   "attempts, created_at, updated_at, sent_at, wamid) SELECT g, 1, 'broadcast', 'x', "
                   "now() - interval '1 day', 'sent', 1, now(), now(), now() - interval '1 day', 'wamid.' || g "
                   "FROM generate_series(1, %s) g", (contacts,))
    cursor.execute("ANALYZE")


def claim_seconds(cursor, name: str, argument: str, explain: bool = False) -> float | str:
    """Queue one reply row and claim it with the prepared statement `name`."""
    cursor.execute("INSERT INTO scheduled_messages (contact_id, kind, body, scheduled_at, status, attempts, "
                   "created_at, updated_at) VALUES (7, 'reply', 'r', now(), 'pending', 0, now(), now()) RETURNING id")
    row_id = cursor.fetchone()[0]
    call = (f"EXECUTE {name} ({argument.format(id=row_id)}, 'bench', now(), now() + interval '1 minute', "
            "now() - interval '18 seconds')")
    if explain:
        cursor.execute(f"EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) {call}")
        return "\n".join(line for (line,) in cursor.fetchall())
    started = time.perf_counter()
    cursor.execute(call)
    cursor.fetchall()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default=DEFAULT_DATABASE)
    parser.add_argument("--queued", type=int, default=50_000)
    parser.add_argument("--claims", type=int, default=20)
    arguments = parser.parse_args()

    import psycopg2
    from sqlalchemy.engine import make_url

    recreate_database(arguments.database)
    try:
        migrate(arguments.database)
        url = make_url(arguments.database)
        connection = psycopg2.connect(dbname=url.database, user=url.username, host=url.host, port=url.port or 5432)
        connection.autocommit = True
        with connection.cursor() as cursor:
            seed(cursor, 60_000)
            prepared = statements()
            for number, (sql, types, _) in enumerate(prepared.values()):
                cursor.execute(f"PREPARE claim_{number} ({types}) AS {sql}")
            results: dict[str, list[float]] = {label: [] for label in prepared}
            plans: dict[str, str] = {}
            for phase in ("quiet queue", f"{arguments.queued:,} broadcast rows queued"):
                if phase != "quiet queue":
                    cursor.execute("INSERT INTO scheduled_messages (contact_id, broadcast_id, kind, body, "
                                   "scheduled_at, status, attempts, created_at, updated_at) SELECT g %% 60000 + 1, 2, "
                                   "'broadcast', 'x', now() + interval '1 hour', 'pending', 0, now(), now() "
                                   "FROM generate_series(1, %s) g", (arguments.queued,))
                for number, (label, (_, _, argument)) in enumerate(prepared.items()):
                    for _ in range(8):  # past the five custom plans PostgreSQL tries first
                        claim_seconds(cursor, f"claim_{number}", argument)
                    best = min(claim_seconds(cursor, f"claim_{number}", argument) for _ in range(arguments.claims))
                    results[label].append(best * 1000)
                    plans[label] = claim_seconds(cursor, f"claim_{number}", argument, explain=True)
            print(f"{'claim':32} {'quiet queue':>12} {'queued':>12}   ms per claim, best of {arguments.claims}")
            for label, (quiet, queued) in results.items():
                print(f"{label:32} {quiet:12.3f} {queued:12.3f}")
            for label, plan in plans.items():
                scan = next((line.strip(" ->") for line in plan.splitlines()
                             if "Scan" in line and "scheduled_messages queue" in line), "?")
                print(f"{label}: {scan}")
        connection.close()
    finally:
        recreate_database(arguments.database, drop_only=True)


if __name__ == "__main__":
    main()
