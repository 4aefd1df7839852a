"""The queue's bulk inserts: the chatbot's replies to a large envelope, and a campaign's rows.

`scheduler.Scheduler.add_replies` and `add_many` call these; `QueueError` (re-exported by
`scheduler`) is the error every queue operation raises for what a row's status or its fields
do not allow. Imports only the models, as the rest of `queueing`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from database_models import PENDING, ScheduledMessage, utcnow

_table = ScheduledMessage.__table__


class QueueError(ValueError):
    """An operation the row's current status does not allow."""


def insert_replies(session: Session, replies: Sequence[dict[str, Any]]) -> list[int]:
    """One multi-row INSERT … RETURNING of `replies` (pending, due now unless given); their ids, in order."""
    if not replies:
        return []
    now = utcnow()
    defaults = {"kind": "reply", "status": PENDING, "attempts": 0, "dry_run": False, "unconfirmed_sends": 0,
                "scheduled_at": now, "created_at": now, "updated_at": now, "in_reply_to_id": None}
    rows = [defaults | reply for reply in replies]
    if len({frozenset(row) for row in rows}) > 1:
        raise QueueError("add_replies needs the same fields in every row")
    if any(row.get("body") is None and not row.get("template_name") for row in rows):
        raise QueueError("a scheduled message needs a body or a template")
    statement = insert(_table).returning(_table.c.id, sort_by_parameter_order=True)
    return list(session.scalars(statement, rows))


def insert_many(session: Session, rows: Iterable[dict[str, Any]], chunk_size: int) -> int:
    """Insert campaign rows (dicts of column values) `chunk_size` at a time; how many."""
    now = utcnow()
    defaults = {"kind": "broadcast", "status": PENDING, "attempts": 0, "dry_run": False, "unconfirmed_sends": 0,
                "created_at": now, "updated_at": now, "body": None, "template_name": None,
                "template_language": None, "template_params": None, "broadcast_id": None}
    total, chunk = 0, []
    for row in rows:
        chunk.append(defaults | row)
        if len(chunk) >= chunk_size:
            session.execute(insert(_table), chunk)
            total, chunk = total + len(chunk), []
    if chunk:
        session.execute(insert(_table), chunk)
        total += len(chunk)
    return total
