"""The statements behind the queue's claims, leases and recorded outcomes; `scheduler.Scheduler` runs them.

A claim moves due pending rows to `sending` under a worker's lease in one UPDATE (on
PostgreSQL over a materialised `FOR UPDATE SKIP LOCKED` CTE, so rows another claim holds
are skipped). Outcomes are written only where the claim's worker still holds the row
(`held_by`), and rows handed back go to `pending` unless their campaign was paused or
cancelled meanwhile (`requeue_status`). The PostgreSQL bulk writes join the table to
unnest()ed arrays: psycopg2's executemany would make a round trip per row.

Imports only the models, as the rest of `queueing`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, case, func, select, text, true, update
from sqlalchemy.sql.dml import Update
from sqlalchemy.sql.elements import TextClause

from database_models import (
    CAMPAIGN_CANCELLED,
    CAMPAIGN_PAUSED,
    CANCELLED,
    PAUSED,
    PENDING,
    SENDING,
    SENT,
    UNKNOWN,
    Broadcast,
    ScheduledMessage,
)

LEASE_EXPIRED_TITLE = "lease expired before the send was confirmed"
_table = ScheduledMessage.__table__


@dataclass(frozen=True)
class SentRecord:
    """One send the API accepted, to be recorded in bulk."""

    message_id: int
    wamid: str
    sent_at: datetime
    dry_run: bool = False


def requeue_status() -> Any:
    """`pending`, unless the row's campaign was paused or cancelled meanwhile."""
    campaign = select(Broadcast.status).where(Broadcast.id == _table.c.broadcast_id).scalar_subquery()
    return case((campaign == CAMPAIGN_PAUSED, PAUSED), (campaign == CAMPAIGN_CANCELLED, CANCELLED), else_=PENDING)


def held_by(worker_id: str | None) -> Any:
    """Rows whose outcome `worker_id` may record: its claim, even after the lease was recovered."""
    if worker_id is None:
        return _table.c.status == SENDING
    # Spelled out rather than IN (…): an expanding IN cannot be part of an executemany.
    status = _table.c.status
    return (_table.c.claimed_by == worker_id) & ((status == SENDING) | (status == UNKNOWN) | (status == PENDING))


def claim_statement(candidates: Any, dialect: str, now: datetime, worker_id: str, lease_seconds: float) -> Update:
    """The UPDATE … RETURNING that moves the `candidates` (a SELECT of ids) to sending under a lease."""
    still_pending = _table.c.status == PENDING
    if dialect == "postgresql":
        # A materialised CTE runs the locking SELECT exactly once; rows another claim
        # holds are skipped instead of waited for.
        candidates = candidates.with_for_update(skip_locked=True).cte("claimable").prefix_with("MATERIALIZED")
        # The chosen rows are reached by their primary key, as an array. Written as `id IN
        # (SELECT …)` with a plain re-check, the planner, whenever its statistics predate the
        # queued rows (a backlog or a campaign queued since the last ANALYZE: it then expects
        # one pending row), walked every pending row and compared each with every chosen id:
        # 0.5 s a claim of 500 with 6,000 pending (docs/scale.md §7, sixth round). An array's
        # size is not taken from the statistics, and `IS TRUE` keeps the status out of any index.
        chosen_ids = _table.c.id == func.any(func.array(select(candidates.c.id).scalar_subquery()))
        still_pending = still_pending.is_(true())
    else:
        chosen_ids = _table.c.id.in_(candidates)
    return (
        update(_table)
        # Re-checking the status makes the UPDATE itself the guard, whatever the dialect.
        .where(chosen_ids, still_pending)
        .values(
            status=SENDING, claimed_by=worker_id, lease_expires_at=now + timedelta(seconds=lease_seconds),
            attempts=_table.c.attempts + 1, updated_at=now,
        )
        .returning(*_table.c)
    )


def recover_statement(now: datetime, resend: bool) -> Update:
    """Rows stuck in sending past their lease: `unknown`, or pending again if `resend`; the worker id is kept."""
    return (
        update(_table)
        .where(_table.c.status == SENDING, _table.c.lease_expires_at < now)
        .values(status=requeue_status() if resend else UNKNOWN, lease_expires_at=None, updated_at=now,
                unconfirmed_sends=_table.c.unconfirmed_sends + 1, last_error_code=None,
                last_error_title=LEASE_EXPIRED_TITLE + ("; resent" if resend else ""))
    )


def rendered_bulk(contents: Sequence[tuple[int, str | None, list[Any] | None]]) -> tuple[TextClause, dict[str, Any]]:
    """PostgreSQL: one statement storing what was really sent, (row id, body, template params), and its arguments."""
    statement = text(
        "UPDATE scheduled_messages AS t SET body = s.new_body, "
        "template_params = CASE WHEN s.new_params IS NULL THEN t.template_params "
        "ELSE CAST(s.new_params AS json) END "
        "FROM unnest(CAST(:ids AS bigint[]), CAST(:bodies AS text[]), CAST(:params AS text[])) "
        "AS s(row_id, new_body, new_params) WHERE t.id = s.row_id"
    )
    return statement, {"ids": [row_id for row_id, _, _ in contents], "bodies": [body for _, body, _ in contents],
                       "params": [json.dumps(params, ensure_ascii=False) if params is not None else None
                                  for _, _, params in contents]}


def sent_bulk(records: Sequence[SentRecord], worker_id: str | None) -> tuple[TextClause, dict[str, Any]]:
    """PostgreSQL: one UPDATE joined to unnest()ed arrays recording many accepted sends, and its arguments."""
    held = "t.status = 'sending'" if worker_id is None else \
        "t.claimed_by = :worker AND t.status IN ('sending', 'unknown', 'pending')"
    statement = text(
        "UPDATE scheduled_messages AS t SET status = 'sent', wamid = s.new_wamid, sent_at = s.at, "
        "updated_at = s.at, dry_run = s.is_dry_run, lease_expires_at = NULL, last_error_code = NULL, "
        "last_error_title = NULL FROM unnest(CAST(:ids AS bigint[]), CAST(:wamids AS varchar[]), "
        "CAST(:ats AS timestamptz[]), CAST(:dry AS boolean[])) AS s(row_id, new_wamid, at, is_dry_run) "
        f"WHERE t.id = s.row_id AND {held}"
    )
    return statement, {"ids": [r.message_id for r in records], "wamids": [r.wamid for r in records],
                       "ats": [r.sent_at for r in records], "dry": [r.dry_run for r in records], "worker": worker_id}


def sent_each(records: Sequence[SentRecord], worker_id: str | None) -> tuple[Update, list[dict[str, Any]]]:
    """SQLite: the same recording as an executemany (in-process, so it costs no round trips)."""
    statement = (
        update(_table).where(_table.c.id == bindparam("row_id"), held_by(worker_id))
        .values(status=SENT, wamid=bindparam("new_wamid"), sent_at=bindparam("at"), updated_at=bindparam("at"),
                dry_run=bindparam("is_dry_run"), lease_expires_at=None, last_error_code=None, last_error_title=None)
    )
    return statement, [{"row_id": r.message_id, "new_wamid": r.wamid, "at": r.sent_at, "is_dry_run": r.dry_run}
                       for r in records]
