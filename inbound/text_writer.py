"""A webhook carrying one customer's plain text, stored and answered in two round trips (PostgreSQL).

Most webhooks that are not statuses are one person's one text. The general path
(`ingestion.Ingestor`, then `Chatbot.handle_new_messages` through the ORM session) gives it
ten round trips: BEGIN, the stored-wamid look-up, the contact upsert, the message insert, the
pending-revision look-up, the chatbot's load, the state insert or update, the intent update,
the reply insert, COMMIT; each statement parsed and planned anew (docs/scale.md §7). Here:

1. `BEGIN; EXECUTE whatsapp_text_store(…)` — one statement upserts the contact (unless the wamid
   is stored already: a redelivery touches no contact), inserts the message (`ON CONFLICT (wamid)
   DO NOTHING`), and returns the contact, its conversation state, whether an edit or revoke waits
   for this wamid, and an id for the reply row (`nextval`);
2. the chatbot decides from those rows, in Python;
3. `EXECUTE whatsapp_text_decided(…); COMMIT` — one statement writes the state (insert, or update
   of the columns the decision changed), the intent and the reply row.

One transaction, as before: the reply row commits with the message or not at all. The contact
upsert and message insert are the general path's own statements (`campaigns.identity`,
`inbound.statements`) compiled and rewritten into CTEs, so their rules are one source;
tests/unit/inbound/test_text_writer.py posts the same webhooks through both paths and compares
the rows. Anything else — another shape, a text whose decision has other effects (opt-out or
in, handoff, orders: `decider.recognize_alone`), a revision waiting for the message, outbound
webhook subscribers — returns None before writing (or after a ROLLBACK) and takes the general path.
"""

from __future__ import annotations

import functools
import logging
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from psycopg2.extras import Json
from sqlalchemy import Engine, event
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from campaigns.identity import _statements as contact_statements
from campaigns.webhook_identity import Identity, profiles_of, sender_of
from database_models import PENDING, utcnow
from inbound.conversation_batch import DECIDED, StateRow
from inbound.envelope import EnvelopeError, _list, _storable, _string, iter_changes, message_text, parse_timestamp
from inbound.shapes import LIVE
from inbound.statements import statements as message_statements
from integrations.outbox import MESSAGE_RECEIVED, cached_wanted, wanted
from models.contacts import contact_handle

ingestion_logger = logging.getLogger("inbound.ingestion")  # the general path's log lines, same names
chatbot_logger = logging.getLogger("chatbot_service")

STORE, DECIDED_WRITE = "whatsapp_text_store", "whatsapp_text_decided"


@dataclass(frozen=True)
class InboundText:
    """The one text of a webhook, as the envelope says it."""

    message: dict[str, Any]
    wamid: str
    sender: Identity
    text: str | None
    sent_at: datetime | None


@dataclass
class ContactView:
    """The stored contact, as the chatbot reads it (`Contact`'s columns and the properties it uses)."""

    id: int
    wa_id: str | None
    user_id: str | None
    username: str | None
    name: str | None
    profile_name: str | None

    @property
    def display_name(self) -> str | None:
        return self.name or self.profile_name

    @property
    def identifier(self) -> str:
        return contact_handle(self.wa_id, self.username, self.user_id).removeprefix("+")


@dataclass
class MessageView:
    """The stored message, as the chatbot reads it (`ReceivedMessageLog`'s columns)."""

    id: int
    wamid: str
    contact_id: int
    text: str | None
    wa_timestamp: datetime | None
    received_at: datetime
    message_type: str = "text"
    direction: str = LIVE.direction
    imported: bool = LIVE.imported
    group_id: str | None = None
    event_data: dict[str, Any] | None = None


class Decider(Protocol):
    """What the writer needs of the chatbot (`chatbot_service.Chatbot`)."""

    def recognize_alone(self, text: str) -> Any | None: ...

    def decide_alone(self, contact: ContactView, message: MessageView, state: Any, match: Any
                     ) -> tuple[Any, Any]: ...


def single_text(envelope: Any) -> InboundText | None:
    """The envelope's only item when it is one live plain text from a phone number; else None."""
    try:
        changes = iter_changes(envelope)
    except EnvelopeError:
        return None  # the view answers it 400
    if len(changes) != 1 or changes[0][0] != "messages":
        return None
    value = changes[0][1]
    messages = value.get("messages")
    if value.get("statuses") or not isinstance(messages, list) or len(messages) != 1 or len(_list(messages)) != 1:
        return None
    message = messages[0]
    wamid = _string(message.get("id"))
    if message.get("type") != "text" or not wamid or len(wamid) > 128 or message.get("group_id") is not None:
        return None
    sender = sender_of(message, profiles_of(value.get("contacts")))
    if not sender.wa_id or sender.user_id:  # a BSUID too may mean a merge: the general path
        return None
    return InboundText(message, wamid, sender, message_text(message), parse_timestamp(message.get("timestamp")))


class TextWriter:
    """Stores and answers single-text webhooks through `engine` (autocommit connections, PostgreSQL)."""

    def __init__(self, engine: Engine, decider: Decider) -> None:
        if engine.dialect.name != "postgresql":
            raise ValueError("TextWriter needs PostgreSQL")
        self.engine, self.decider = engine, decider
        event.listen(engine, "connect", _prepare)

    def write(self, item: InboundText, request_id: str = "") -> list[int] | None:
        """Store `item` and the chatbot's reply in one transaction; the reply's queue ids, or None for
        "not here" (nothing written: the general path stores it). Database errors: SQLAlchemy's DBAPIError;
        any error leaves nothing written (the connection, with its transaction, is discarded)."""
        match = self.decider.recognize_alone(item.text or "")
        if match is None or self._subscribed():
            return None
        received_at = utcnow()
        seen_at = item.sent_at or received_at
        sender = item.sender
        parameters = {
            "wamid": item.wamid, "wa_id": sender.wa_id, "parent_user_id": sender.parent_user_id,
            "username": sender.username, "profile_name": sender.name, "attributes": Json({}), "opted_out": False,
            "last_inbound_at": seen_at, "profile_name_updated_at": seen_at if sender.name else None,
            "created_at": received_at, "updated_at": received_at, "text": item.text,
            "payload": Json(_storable(item.message)), "wa_timestamp": item.sent_at, "received_at": received_at,
        }
        connection = self._connect()
        try:
            with connection.cursor() as cursor:
                cursor.execute(f"BEGIN; {_execute(STORE)}", parameters)
                row = cursor.fetchone()
                if row is not None and row[0] is not None and row[-2]:  # an edit or revoke waits for it
                    cursor.execute("ROLLBACK")
                    return None
                if row is None or row[0] is None:  # stored already (or by a concurrent delivery just now)
                    cursor.execute("COMMIT")
                    ingestion_logger.info("duplicate message ignored", extra={
                        "event": "webhook.duplicate", "wamid": item.wamid, "request_id": request_id})
                    return []
                reply_id = self._decide_and_write(cursor, item, row, received_at, match, request_id)
        except BaseException as error:
            # Closed, not returned: in autocommit mode psycopg2's rollback() does nothing, and the pool would
            # hand out a connection still inside this transaction. The server rolls it back.
            connection.invalidate(error)
            dbapi_error = self.engine.dialect.loaded_dbapi.Error
            if isinstance(error, dbapi_error):
                raise DBAPIError.instance(STORE, None, error, dbapi_error) from error
            raise
        finally:
            connection.close()
        return [reply_id] if reply_id is not None else []

    def _decide_and_write(self, cursor: Any, item: InboundText, row: tuple[Any, ...], received_at: datetime,
                          match: Any, request_id: str) -> int | None:
        message_id, contact_id = row[0], row[1]
        ingestion_logger.info("message stored", extra={"event": "message.stored", "wamid": item.wamid,
                                                       "contact_id": contact_id, "message_type": "text",
                                                       "request_id": request_id})
        contact = ContactView(*row[1:7])
        stored_state = row[7:8 + len(DECIDED)]
        message = MessageView(message_id, item.wamid, contact_id, item.text, item.sent_at, received_at)
        decision, state = self.decider.decide_alone(contact, message, _StateColumns(stored_state), match)
        before = stored_state[1:] if stored_state[0] is not None else None
        if state is None:  # the decision stopped before reading the state: nothing to write (as BatchStates)
            after, is_new, changed = before or StateRow(contact_id).values(), False, [False] * len(DECIDED)
        else:
            after, is_new = state.values(), before is None
            changed = [is_new or old != new for old, new in zip(before or after, after, strict=True)]
        confidence = round(decision.confidence, 4) if decision.intent is not None else None
        chatbot_logger.info("chatbot decision", extra={"event": "chatbot.decision", "wamid": item.wamid,
                                                       "contact_id": contact_id, "intent": decision.intent,
                                                       "reason": decision.reason, "request_id": request_id})
        reply_id = row[-1] if decision.reply is not None else None
        cursor.execute(f"{_execute(DECIDED_WRITE)}; COMMIT", {
            "contact_id": contact_id, "message_id": message_id, "intent": decision.intent, "confidence": confidence,
            "state_is_new": is_new, "state_changed": any(changed), "changed": changed,
            **dict(zip(DECIDED, after, strict=True)), "now": utcnow(), "reply_id": reply_id, "body": decision.reply})
        return reply_id

    def _subscribed(self) -> bool:
        """Whether an outbound webhook subscriber wants `message.received` (the general path emits it)."""
        subscribed = cached_wanted(self.engine, MESSAGE_RECEIVED)
        if subscribed is None:  # the cache is stale (every CACHE_SECONDS): one query refreshes it
            with Session(self.engine) as session:
                subscribed = wanted(session, MESSAGE_RECEIVED)
        return subscribed

    def _connect(self) -> Any:
        dbapi_error = self.engine.dialect.loaded_dbapi.Error
        try:
            return self.engine.raw_connection()
        except dbapi_error as error:  # the server is down: the pool hands out the driver's own error
            raise DBAPIError.instance(None, None, error, dbapi_error) from error


class _StateColumns:
    """The stored state as `BatchStates.known` reads it (state_contact_id None: no stored state)."""

    def __init__(self, values: tuple[Any, ...]) -> None:
        self.state_contact_id = values[0]
        for name, value in zip(DECIDED, values[1:], strict=True):
            setattr(self, name, value)


# Each statement's parameters in order, with their PostgreSQL types, for PREPARE and EXECUTE.
_STORE_PARAMETERS = {
    "wamid": "varchar", "wa_id": "varchar", "parent_user_id": "varchar", "username": "varchar",
    "profile_name": "varchar", "attributes": "json", "opted_out": "boolean", "last_inbound_at": "timestamptz",
    "profile_name_updated_at": "timestamptz", "created_at": "timestamptz", "updated_at": "timestamptz",
    "text": "text", "payload": "json", "wa_timestamp": "timestamptz", "received_at": "timestamptz",
}
_DECIDED_PARAMETERS = {
    "contact_id": "integer", "message_id": "bigint", "intent": "varchar", "confidence": "float8",
    "state_is_new": "boolean", "state_changed": "boolean", "changed": "boolean[]", "state": "varchar",
    "last_intent": "varchar", "handoff_since": "timestamptz", "expires_at": "timestamptz",
    "negative_in_a_row": "integer", "language": "varchar", "now": "timestamptz", "reply_id": "bigint",
    "body": "text",
}
_PARAMETERS = {STORE: _STORE_PARAMETERS, DECIDED_WRITE: _DECIDED_PARAMETERS}


def _execute(name: str) -> str:
    return f"EXECUTE {name} ({', '.join(f'%({parameter})s' for parameter in _PARAMETERS[name])})"


def _prepare(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    for name, sql in ((STORE, store_statement()), (DECIDED_WRITE, decided_statement())):
        cursor.execute(f"PREPARE {name} ({', '.join(_PARAMETERS[name].values())}) AS {sql}")
    cursor.close()
    dbapi_connection.commit()  # a no-op in autocommit mode; otherwise ends the transaction PREPARE opened


def _positional(sql: str, parameters: dict[str, str]) -> str:
    """`%(name)s` (SQLAlchemy's compiled form for psycopg2) as PREPARE's `$n`."""
    position = {name: index for index, name in enumerate(parameters, start=1)}
    return re.sub(r"%\((\w+)\)s", lambda found: f"${position[found.group(1)]}", sql)


def _compiled(statement: Any) -> tuple[str, str, str]:
    """An `INSERT … VALUES (…) ON CONFLICT …` split into its head, its values and its tail."""
    sql = str(statement.compile(dialect=postgresql.dialect()))
    head, rest = sql.split(" VALUES (", 1)
    values, tail = rest.split(") ON CONFLICT ", 1)
    return head, values, "ON CONFLICT " + tail.split(" RETURNING ", 1)[0]


@functools.cache
def store_statement() -> str:
    """The contact upsert and the message insert of `ingestion` as CTEs, returning what the chatbot reads."""
    contact_head, contact_values, contact_tail = _compiled(contact_statements("postgresql").upsert_by_wa_id)
    message_head, message_values, message_tail = _compiled(message_statements("postgresql").message_insert)
    contact_values = contact_values.replace("%(user_id)s::VARCHAR", "NULL")  # a phone number only (single_text)
    message_values = (message_values.replace("%(contact_id)s::INTEGER", "contact.id")
                      .replace("%(message_type)s::VARCHAR", "'text'").replace("%(direction)s::VARCHAR", "'in'")
                      .replace("%(imported)s", "false").replace("%(group_id)s::VARCHAR", "NULL")
                      .replace("%(event_data)s::JSON", "NULL"))
    state_columns = ", ".join(f"state.{name}" for name in DECIDED)
    sql = f"""
WITH stored AS (SELECT 1 FROM received_messages WHERE wamid = %(wamid)s),
contact AS (
    {contact_head} SELECT {contact_values} WHERE NOT EXISTS (SELECT 1 FROM stored) {contact_tail}
    RETURNING contacts.id, contacts.wa_id, contacts.user_id, contacts.username, contacts.name, contacts.profile_name
), message AS (
    {message_head} SELECT {message_values} FROM contact {message_tail}
    RETURNING received_messages.id
)
SELECT message.id, contact.id, contact.wa_id, contact.user_id, contact.username, contact.name, contact.profile_name,
    state.contact_id, {state_columns},
    EXISTS (SELECT 1 FROM message_revisions WHERE original_wamid = %(wamid)s AND message_id IS NULL),
    CASE WHEN message.id IS NOT NULL THEN nextval(pg_get_serial_sequence('scheduled_messages', 'id')) END
FROM contact LEFT JOIN message ON true LEFT JOIN conversation_states AS state ON state.contact_id = contact.id
"""
    return _positional(sql, _STORE_PARAMETERS)  # a KeyError if the general path's statements gained a parameter


@functools.cache
def decided_statement() -> str:
    """The decision's writes: the state (a new row, or the changed columns), the intent, the reply row."""
    updates = ",\n        ".join(f"{name} = CASE WHEN %(changed)s[{index}] THEN %({name})s ELSE {name} END"
                                   for index, name in enumerate(DECIDED, start=1))
    columns = ", ".join(DECIDED)
    values = ", ".join(f"%({name})s" for name in DECIDED)
    sql = f"""
WITH new_state AS (
    INSERT INTO conversation_states (contact_id, {columns}, updated_at)
    SELECT %(contact_id)s, {values}, %(now)s WHERE %(state_is_new)s
), changed_state AS (
    UPDATE conversation_states SET
        {updates},
        updated_at = %(now)s
    WHERE contact_id = %(contact_id)s AND NOT %(state_is_new)s AND %(state_changed)s
), intent AS (
    UPDATE received_messages SET intent = %(intent)s, intent_confidence = %(confidence)s
    WHERE id = %(message_id)s AND %(intent)s IS NOT NULL
), reply AS (
    INSERT INTO scheduled_messages (id, contact_id, in_reply_to_id, kind, body, scheduled_at, status, attempts,
                                    dry_run, unconfirmed_sends, created_at, updated_at)
    SELECT %(reply_id)s, %(contact_id)s, %(message_id)s, 'reply', %(body)s, %(now)s, '{PENDING}', 0, false, 0,
        %(now)s, %(now)s
    WHERE %(body)s IS NOT NULL
)
SELECT 1
"""
    return _positional(sql, _DECIDED_PARAMETERS)


