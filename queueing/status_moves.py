"""How status webhooks move the outbound queue's rows: forward only, keyed by the sent message's wamid.

`STATUS_MOVES_FROM` is the one table of allowed moves: `apply_status` applies it row by row
(ingestion, and the processor for statuses that arrived before its send was recorded), and
`inbound.status_writer` generates its single PostgreSQL statement from it.
`scheduler` re-exports all of this; this module imports only the models.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, case, func, select, update
from sqlalchemy.engine import Connection, Row
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import Update

from database_models import (
    DELIVERED,
    FAILED,
    PENDING,
    READ,
    SENDING,
    SENT,
    UNKNOWN,
    MessageStatusEvent,
    ScheduledMessage,
    utcnow,
)

_table = ScheduledMessage.__table__

# Which queue statuses each status webhook may move a row from: never backwards. Ingestion
# applies it row by row (`apply_status`); inbound.status_writer generates its SQL from it.
STATUS_MOVES_FROM = {
    SENT: (PENDING, SENDING, UNKNOWN),
    DELIVERED: (PENDING, SENDING, SENT, UNKNOWN, FAILED),
    READ: (PENDING, SENDING, SENT, DELIVERED, UNKNOWN, FAILED),
    FAILED: (PENDING, SENDING, SENT, UNKNOWN),
}
STATUS_TIMESTAMP_COLUMN = {SENT: "sent_at", DELIVERED: "delivered_at", READ: "read_at", FAILED: "failed_at"}


def stored_statuses(executor: Session | Connection, wamids: Iterable[str]) -> list[Row]:
    """(wamid, status, wa_timestamp, error_code, error_title) of every status event stored for `wamids`."""
    wamids = list(wamids)
    if not wamids:
        return []
    return list(executor.execute(
        select(MessageStatusEvent.wamid, MessageStatusEvent.status, MessageStatusEvent.wa_timestamp,
               MessageStatusEvent.error_code, MessageStatusEvent.error_title)
        .where(MessageStatusEvent.wamid.in_(wamids))))


def apply_status(session: Session, wamid: str, status: str, at: datetime, code: int | None = None,
                 title: str | None = None) -> None:
    """Move the queue row sent as `wamid` forward to `status`; never backwards."""
    statement = _status_moves().get(status)
    if statement is None:
        return
    parameters: dict[str, Any] = {"sent_wamid": wamid, "at": at, "now": utcnow()}
    if status == FAILED:
        parameters.update(code=code, title=title[:512] if title else None)
    session.execute(statement, parameters)


@functools.cache
def _status_moves() -> dict[str, Update]:
    # Built once with bind parameters, so SQLAlchemy reuses each statement's cache key: every
    # status webhook runs one of these (docs/scale.md).
    status_moves = {}
    for status, moves_from in STATUS_MOVES_FROM.items():
        movable = _table.c.status.in_(moves_from)
        column = _table.c[STATUS_TIMESTAMP_COLUMN[status]]
        values: dict[str, Any] = {
            "status": case((movable, status), else_=_table.c.status),
            column.name: func.coalesce(column, bindparam("at", type_=column.type)),
            "updated_at": bindparam("now", type_=_table.c.updated_at.type),
        }
        if status == FAILED:
            values["last_error_code"] = case(
                (movable, bindparam("code", type_=_table.c.last_error_code.type)), else_=_table.c.last_error_code)
            values["last_error_title"] = case(
                (movable, bindparam("title", type_=_table.c.last_error_title.type)), else_=_table.c.last_error_title)
        status_moves[status] = update(_table).where(_table.c.wamid == bindparam("sent_wamid")).values(**values)
    return status_moves
