"""PostgreSQL: a chatbot reply claimed, loaded and recorded in two autocommitted round trips.

`MessageProcessor.send_now` claims a reply in a transaction (BEGIN, the claim, the recipient,
the pair-rate look-up, COMMIT) and records it in another plus an early-status look-up: about
nine round trips and 4 ms of a web worker's CPU per reply, more than storing the text
(docs/scale.md). Here the claim is one statement — the same UPDATE (pending → sending under
this worker's lease, attempts + 1), joined to the contact and to its recent sends for the pacer —
and the record one more (the same UPDATE as `queueing.claims.sent_bulk`), each alone in
autocommit mode, so each is atomic and commits by itself; a dispatch runs them all on one
connection (`ReplyConnection`). The look-up of statuses that raced the send stays after the
record's commit, as in `outbound.recording`, but travels with it: `BEGIN; record; COMMIT;
look-up` is one message to the server, which runs the look-up in a transaction of its own
after the COMMIT (PostgreSQL's simple-query protocol), so it still sees any status committed
before the record was — one round trip where there were two.

Only reply rows without a campaign take this path (replies never have one): a campaign row
needs rendering and its campaign's status, which `send_now` handles.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from database_models import PENDING, SENDING, SENT, UNKNOWN

# The row is found by its id alone. Written plainly, `status = 'pending'` and `broadcast_id IS NULL` could
# each be answered from an index, and a cached generic plan made while statistics saw almost no pending
# rows walked ix_scheduled_messages_status_lease_expires_at through every pending row instead: with a
# 50,000-recipient broadcast queued and no ANALYZE since, 4.5 ms a claim against 0.3 (bench/reply_claim_plan.py).
# `IS TRUE` leaves them filters on the primary key's one row (neither column is ever NULL, so it means the same).
_CLAIM = f"""
WITH claimed AS (
    UPDATE scheduled_messages AS queue SET status = '{SENDING}', claimed_by = %(worker)s,
        lease_expires_at = %(lease)s, attempts = queue.attempts + 1, updated_at = %(now)s
    WHERE <rows> AND (queue.status = '{PENDING}') IS TRUE AND (queue.broadcast_id IS NULL) IS TRUE
    RETURNING queue.id, queue.kind, queue.contact_id, queue.body, queue.buttons, queue.reply_to_wamid,
        queue.template_name, queue.template_language, queue.template_params, queue.attempts, queue.scheduled_at,
        queue.content
)
SELECT claimed.id, claimed.kind, coalesce(contact.wa_id, contact.user_id) AS wa_id, contact.opted_out,
    contact.last_inbound_at, claimed.body, claimed.buttons, claimed.reply_to_wamid, claimed.template_name,
    claimed.template_language, claimed.template_params, claimed.attempts, claimed.content,
    ARRAY(SELECT earlier.sent_at FROM scheduled_messages AS earlier
          WHERE earlier.contact_id = claimed.contact_id AND earlier.sent_at >= %(since)s) AS recent_sends
FROM claimed JOIN contacts AS contact ON contact.id = claimed.contact_id
ORDER BY claimed.scheduled_at, claimed.id
"""
# One reply (nearly every dispatch) by `id = $1`: its generic plan is estimated as cheap as a custom one, so
# PostgreSQL keeps it; with `id = ANY($1)` it assumes ten ids and plans every execution anew (+0.1 ms).
CLAIM_REPLY = _CLAIM.replace("<rows>", "queue.id = %(id)s")
CLAIM_REPLIES = _CLAIM.replace("<rows>", "queue.id = ANY(%(ids)s)")

RECORD_SENT = f"""
UPDATE scheduled_messages SET status = '{SENT}', wamid = %(wamid)s, sent_at = %(at)s, updated_at = %(at)s,
    dry_run = %(dry_run)s, lease_expires_at = NULL, last_error_code = NULL, last_error_title = NULL
WHERE id = %(id)s AND claimed_by = %(worker)s AND status IN ('{SENDING}', '{UNKNOWN}', '{PENDING}')
"""

EARLY_STATUSES = ("SELECT wamid, status, wa_timestamp, error_code, error_title FROM message_status_events "
                  "WHERE wamid = ANY(%(wamids)s)")


# Each statement's name, parameters (in order) and their PostgreSQL types, for PREPARE.
_PREPARED = {
    CLAIM_REPLY: ("whatsapp_reply_claim_one", ("id", "worker", "now", "lease", "since"),
                  ("bigint", "varchar", "timestamptz", "timestamptz", "timestamptz")),
    CLAIM_REPLIES: ("whatsapp_reply_claim", ("ids", "worker", "now", "lease", "since"),
                    ("bigint[]", "varchar", "timestamptz", "timestamptz", "timestamptz")),
    RECORD_SENT: ("whatsapp_reply_record", ("id", "worker", "wamid", "at", "dry_run"),
                  ("bigint", "varchar", "varchar", "timestamptz", "boolean")),
    EARLY_STATUSES: ("whatsapp_reply_early_statuses", ("wamids",), ("varchar[]",)),
}
_PREPARED_KEY = "whatsapp_reply_statements_prepared"


class ReplyConnection:
    """One pooled connection in autocommit mode for a dispatch's statements (claim, then per reply record and
    early statuses), checked out once instead of once a statement; a fresh one after a failed statement."""

    def __init__(self, engine: Engine, prepared: bool = False) -> None:
        self.engine, self.prepared = engine, prepared
        self._connection: Any = None

    def __enter__(self) -> ReplyConnection:
        return self

    def __exit__(self, *_: object) -> None:
        self._release()

    def run(self, sql: str, parameters: dict[str, Any], fetch: bool = False, then: str | None = None
            ) -> list[dict[str, Any]]:
        """`sql` alone, committed by itself; its rows as dicts when `fetch`. Errors as SQLAlchemy's DBAPIError.

        With `then`, that statement follows in the same message after `sql`'s COMMIT (its own transaction,
        its own snapshot), and the rows are its rows; `parameters` holds both statements' parameters."""
        dbapi_error = self.engine.dialect.loaded_dbapi.Error
        if self._connection is None:
            try:
                self._connection = self.engine.raw_connection()
            except dbapi_error as error:
                raise DBAPIError.instance(None, None, error, dbapi_error) from error
            # The DBAPI connection in autocommit mode (client-side in psycopg2: no round trip), put back
            # as the pool expects it when released.
            self._connection.dbapi_connection.autocommit = True
        try:
            with self._connection.cursor() as cursor:
                statement = _statement(cursor, self._connection, sql, self.prepared)
                if then is not None:
                    after = _statement(cursor, self._connection, then, self.prepared)
                    statement = f"BEGIN; {statement}; COMMIT; {after}"
                cursor.execute(statement, parameters)
                if not fetch:
                    return []
                names = [column[0] for column in cursor.description]
                return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        except dbapi_error as error:
            self._connection.invalidate(error)
            self._release()
            raise DBAPIError.instance(sql, parameters, error, dbapi_error) from error

    def _release(self) -> None:
        connection, self._connection = self._connection, None
        if connection is None:
            return
        if connection.dbapi_connection is not None:
            connection.dbapi_connection.autocommit = False
        connection.close()


def claim_replies(connection: ReplyConnection, ids: Sequence[int], worker: str, now: datetime,
                  lease_seconds: float, pacing_seconds: float) -> list[dict[str, Any]]:
    """Claim the pending reply rows among `ids` for `worker`; each with its recipient and recent sends."""
    parameters = {"worker": worker, "now": now, "lease": now + timedelta(seconds=lease_seconds),
                  "since": now - timedelta(seconds=pacing_seconds)}
    if len(ids) == 1:
        return connection.run(CLAIM_REPLY, {**parameters, "id": ids[0]}, fetch=True)
    return connection.run(CLAIM_REPLIES, {**parameters, "ids": list(ids)}, fetch=True)


def record_sent(connection: ReplyConnection, row_id: int, worker: str, wamid: str, at: datetime,
                dry_run: bool) -> list[tuple]:
    """Record one accepted send of a row `worker` claimed (as `Scheduler.mark_sent_many` does), then, after
    that commit, look up the statuses stored for its wamid already: (wamid, status, wa_timestamp, error_code,
    error_title) for `Scheduler.apply_stored_statuses`. One round trip; an error may come from either."""
    rows = connection.run(RECORD_SENT, {"id": row_id, "worker": worker, "wamid": wamid, "at": at, "dry_run": dry_run,
                                        "wamids": [wamid]}, fetch=True, then=EARLY_STATUSES)
    return [tuple(row.values()) for row in rows]


def _statement(cursor: Any, connection: Any, sql: str, prepared: bool) -> str:
    """`sql` as sent: itself, or with `prepared` the EXECUTE of the statement PREPAREd once on this DBAPI connection.

    Planning these statements cost PostgreSQL more than running them (the claim ~0.9 ms of
    planning against 0.15 ms of execution: scheduled_messages has ten indexes), on every reply.
    Prepared, the plan is made once per connection (a generic plan after five executions).
    Not behind PgBouncer's transaction pooling (FAST_STATUS_WEBHOOKS=false switches it off).
    """
    if not prepared:
        return sql.strip()
    if not connection.info.get(_PREPARED_KEY):  # the pool keeps `info` for the DBAPI connection's lifetime
        for statement, (name, names, types) in _PREPARED.items():
            numbered = statement
            for position, parameter in enumerate(names, start=1):
                numbered = numbered.replace(f"%({parameter})s", f"${position}")
            cursor.execute(f"PREPARE {name} ({', '.join(types)}) AS {numbered}")
        connection.info[_PREPARED_KEY] = True
    name, names, _ = _PREPARED[sql]
    return f"EXECUTE {name} ({', '.join(f'%({parameter})s' for parameter in names)})"
