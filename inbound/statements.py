"""The idempotent statements ingestion runs for each webhook item, per dialect.

Contacts are upserted (a profile name replaces the stored one only when its message is not
older), messages inserted keyed by `wamid`, statuses keyed by (`wamid`, status) — each with
`ON CONFLICT`, so a retried webhook inserts nothing new. SQLite and PostgreSQL share them.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

from sqlalchemy import BindParameter, Table, and_, bindparam, case, func, or_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.dml import Insert

from database_models import Contact, MessageStatusEvent, ReceivedMessageLog


class Statements(NamedTuple):
    """The four statements every webhook item runs one of, for one dialect."""

    contact_upsert: Insert
    contact_ensure: Insert
    message_insert: Insert
    status_insert: Insert


@functools.cache
def statements(dialect: str) -> Statements:
    """This dialect's statements, built once (bind parameters, so SQLAlchemy reuses their cache keys)."""
    # Every webhook item runs one of these. Built once per dialect with bind parameters
    # (not per item with values), SQLAlchemy skips rebuilding each statement and its cache
    # key: a quarter to a third of a status webhook's CPU time (docs/scale.md).
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    contacts = Contact.__table__
    new_contact = insert(contacts).values(
        {name: _param(contacts, name) for name in ("wa_id", "name", "attributes", "created_at", "updated_at")}
        | {"opted_out": False, "last_inbound_at": _param(contacts, "last_inbound_at"),
           "first_inbound_at": _param(contacts, "last_inbound_at"),
           "name_updated_at": _param(contacts, "name_updated_at")}
    )
    known = contacts.c
    # A profile name replaces the stored one only if its message is not older than the one that set it.
    newer_name = and_(new_contact.excluded.name.is_not(None), or_(
        known.name_updated_at.is_(None), new_contact.excluded.name_updated_at >= known.name_updated_at))
    contact_upsert = new_contact.on_conflict_do_update(
        index_elements=[known.wa_id],
        set_={
            "name": case((newer_name, new_contact.excluded.name), else_=known.name),
            "name_updated_at": case((newer_name, new_contact.excluded.name_updated_at), else_=known.name_updated_at),
            "last_inbound_at": case(
                (known.last_inbound_at.is_(None), new_contact.excluded.last_inbound_at),
                (new_contact.excluded.last_inbound_at > known.last_inbound_at, new_contact.excluded.last_inbound_at),
                else_=known.last_inbound_at,
            ),
            "first_inbound_at": func.coalesce(known.first_inbound_at, new_contact.excluded.first_inbound_at),
            "updated_at": new_contact.excluded.updated_at,
        },
    ).returning(known.id)
    passive_contact = insert(contacts).values(
        {name: _param(contacts, name) for name in ("wa_id", "name", "attributes", "created_at", "updated_at")}
        | {"opted_out": False})
    contact_ensure = passive_contact.on_conflict_do_update(  # an update (not "do nothing") so it returns the id
        index_elements=[known.wa_id], set_={"name": func.coalesce(known.name, passive_contact.excluded.name)},
    ).returning(known.id)
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
                 ("wamid", "status", "recipient_wa_id", "error_code", "error_title", "wa_timestamp", "received_at")})
        .on_conflict_do_nothing(index_elements=["wamid", "status"])
        .returning(events.c.id)
    )
    return Statements(contact_upsert, contact_ensure, message_insert, status_insert)


def _param(table: Table, column: str, name: str | None = None) -> BindParameter:
    # Typed like its column, so UTCDateTime and JSON still process the value.
    return bindparam(name or column, type_=table.c[column].type)
