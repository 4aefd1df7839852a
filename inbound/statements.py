"""The idempotent statements ingestion runs for each webhook item, per dialect.

Messages are inserted keyed by `wamid`, statuses keyed by (`wamid`, status), unmodelled
items kept raw — each with `ON CONFLICT DO NOTHING`, so a retried webhook inserts nothing
new (contacts: `campaigns.identity`; queue rows: `queueing.status_moves`).
"""

from __future__ import annotations

import functools
from typing import NamedTuple

from sqlalchemy import BindParameter, Table, bindparam
from sqlalchemy.sql.dml import Insert

from database_models import MessageStatusEvent, ReceivedMessageLog, UnmodelledItem
from database_setup import dialect_insert


class Statements(NamedTuple):
    """The statements every webhook item runs one of, for one dialect."""

    message_insert: Insert
    status_insert: Insert
    unmodelled_insert: Insert


@functools.cache
def statements(dialect: str) -> Statements:
    """This dialect's statements, built once."""
    # Every webhook item runs one of these. Built once per dialect with bind parameters
    # (not per item with values), SQLAlchemy skips rebuilding each statement and its cache
    # key: a quarter to a third of a status webhook's CPU time (docs/scale.md).
    insert = dialect_insert(dialect)
    messages = ReceivedMessageLog.__table__
    message_insert = (
        insert(messages)
        .values({name: _param(messages, name) for name in
                 ("wamid", "contact_id", "message_type", "text", "payload", "wa_timestamp", "received_at",
                  "direction", "imported", "group_id", "event_data")})
        .on_conflict_do_nothing(index_elements=["wamid"])
        .returning(messages.c.id)
    )
    events = MessageStatusEvent.__table__
    status_insert = (
        insert(events)
        .values({name: _param(events, name) for name in
                 ("wamid", "status", "recipient_wa_id", "recipient_user_id", "error_code", "error_title",
                  "wa_timestamp", "received_at")})
        .on_conflict_do_nothing(index_elements=["wamid", "status"])
        .returning(events.c.id)
    )
    unmodelled = UnmodelledItem.__table__
    unmodelled_insert = (
        insert(unmodelled)
        .values({name: _param(unmodelled, name) for name in ("field", "digest", "payload", "received_at")})
        .on_conflict_do_nothing(index_elements=["digest"])
        .returning(unmodelled.c.id)
    )
    return Statements(message_insert, status_insert, unmodelled_insert)


@functools.cache
def new_message_insert(dialect: str) -> Insert:
    """The message insert returning the wamid too: a multi-row insert's rows come back in any order."""
    return statements(dialect).message_insert.returning(ReceivedMessageLog.__table__.c.wamid)


def _param(table: Table, column: str, name: str | None = None) -> BindParameter:
    # Typed like its column, so UTCDateTime and JSON still process the value.
    return bindparam(name or column, type_=table.c[column].type)
