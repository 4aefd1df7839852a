"""The outbound queue: add, read, change and cancel scheduled messages; claim due ones atomically.

Every message the platform sends is a `ScheduledMessage` row. A processor claims a batch
(pending → sending, with a lease) and commits the claim before it sends anything, so two
processors never hold the same row: PostgreSQL skips rows another claim has locked
(`FOR UPDATE SKIP LOCKED`); SQLite takes the write lock at `BEGIN IMMEDIATE`, so its
conditional UPDATE runs alone. Every query here is backed by an index whose leading
column is the status (claims walk `(status, scheduled_at, id)` in order and stop after
`limit` rows, so their cost does not grow with the number of future rows).

Outcomes are recorded only by the worker that holds the claim (`worker_id`); a claim
whose lease expired is recovered as `unknown` (or pending again with RESEND_UNCONFIRMED)
and still accepts its own worker's late confirmation, so a slow send is not resent.

Campaigns follow their rows: the claim that takes a campaign's first row moves it to
`sending` (`campaign_lifecycle`, which also completes campaigns after a processor run).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import exists, select, update
from sqlalchemy.engine import Row
from sqlalchemy.orm import Session

from campaigns import lifecycle
from database_models import (
    CAMPAIGN_CANCELLED,
    CAMPAIGN_PAUSED,
    CANCELLED,
    FAILED,
    PAUSED,
    PENDING,
    SENDING,
    SKIPPED,
    Broadcast,
    ScheduledMessage,
    utcnow,
)
from queueing.claims import (  # re-exported: SentRecord and the lease's title
    LEASE_EXPIRED_TITLE,
    SentRecord,
    claim_statement,
    held_by,
    recover_statement,
    rendered_bulk,
    requeue_status,
    sent_bulk,
    sent_each,
)
from queueing.inserts import QueueError, insert_many, insert_replies  # re-exported: QueueError
from queueing.status_moves import (  # re-exported: the queue's status rules
    STATUS_MOVES_FROM,
    STATUS_TIMESTAMP_COLUMN,
    apply_status,
    stored_statuses,
)

EDITABLE_FIELDS = frozenset(
    {"body", "buttons", "template_name", "template_language", "template_params", "scheduled_at"}
)
# The kind of a row an integrator queued through the admin API (`POST /api/messages`): sent like an
# operator's message, as text only inside the 24-hour window.
API_KIND = "api"
# Status webhooks that may have arrived before the send was recorded, oldest first.
_STATUS_ORDER = ("sent", "delivered", "read", "failed")
__all__ = ["API_KIND", "LEASE_EXPIRED_TITLE", "STATUS_MOVES_FROM", "STATUS_TIMESTAMP_COLUMN", "QueueError", "Scheduler",
           "SentRecord", "apply_status", "stored_statuses"]
_table = ScheduledMessage.__table__
_campaigns = Broadcast.__table__


class Scheduler:
    """Queue operations on one session; the caller commits."""

    def __init__(self, session: Session) -> None:
        self.session = session

    # --- adding and editing -----------------------------------------------------------

    def add(self, contact_id: int, *, body: str | None = None, scheduled_at: datetime | None = None,
            **fields: Any) -> ScheduledMessage:
        """Queue one message (text body and/or template, or media in `content`) for `contact_id`."""
        if body is None and not fields.get("template_name") and not (fields.get("content") or {}).get("media"):
            raise QueueError("a scheduled message needs a body or a template (or media in its content)")
        message = ScheduledMessage(contact_id=contact_id, body=body, scheduled_at=scheduled_at or utcnow(), **fields)
        self.session.add(message)
        self.session.flush()
        return message

    def add_replies(self, replies: Sequence[dict[str, Any]]) -> list[int]:
        """Queue many rows at once (dicts with contact_id, body and any other column); their ids, in order.

        One multi-row INSERT … RETURNING (SQLAlchemy's insertmanyvalues, pages of up to a
        thousand rows) instead of `add`'s flush per row: the chatbot's replies to a large
        envelope. Defaults as `add` gives them: pending, due now.
        """
        return insert_replies(self.session, replies)

    def add_many(self, rows: Iterable[dict[str, Any]], chunk_size: int = 5000) -> int:
        """Bulk-insert queue rows (dicts of column values) in multi-row INSERTs; returns how many."""
        return insert_many(self.session, rows, chunk_size)

    def get(self, message_id: int) -> ScheduledMessage | None:
        """The queue row `message_id`, or None."""
        return self.session.get(ScheduledMessage, message_id)

    def update(self, message_id: int, **changes: Any) -> ScheduledMessage:
        """Change a message that has not been claimed yet."""
        unknown = set(changes) - EDITABLE_FIELDS
        if unknown:
            raise QueueError(f"cannot change {', '.join(sorted(unknown))}")
        message = self._require(message_id)
        if message.status not in (PENDING, PAUSED):
            raise QueueError(f"message {message_id} is {message.status}; only pending messages can change")
        for name, value in changes.items():
            setattr(message, name, value)
        self.session.flush()
        return message

    def cancel(self, message_id: int) -> bool:
        """Cancel a message not yet claimed; False when it is already on its way."""
        result = self.session.execute(
            update(_table)
            .where(_table.c.id == message_id, _table.c.status.in_((PENDING, PAUSED)))
            .values(status=CANCELLED, updated_at=utcnow())
        )
        self.session.expire_all()
        return result.rowcount == 1

    def delete(self, message_id: int) -> bool:
        """Delete a message that was never handed to the API (pending, paused, cancelled, skipped)."""
        message = self._require(message_id)
        if message.status not in (PENDING, PAUSED, CANCELLED, SKIPPED):
            raise QueueError(f"message {message_id} is {message.status}; its history is kept")
        self.session.delete(message)
        self.session.flush()
        return True

    def _require(self, message_id: int) -> ScheduledMessage:
        message = self.get(message_id)
        if message is None:
            raise QueueError(f"no scheduled message {message_id}")
        return message

    # --- due messages and claims ------------------------------------------------------

    def get_pending_messages(self, now: datetime, limit: int = 100) -> list[ScheduledMessage]:
        """Due pending messages, oldest first (read only; use claim_due_messages to send)."""
        return list(self.session.scalars(
            select(ScheduledMessage)
            .where(ScheduledMessage.status == PENDING, ScheduledMessage.scheduled_at <= now)
            .order_by(ScheduledMessage.scheduled_at, ScheduledMessage.id)
            .limit(limit)
        ))

    def has_work(self, now: datetime) -> bool:
        """Whether any row is due, any claim's lease has expired or an open campaign has nothing left to send.

        The last probe is for a run that died between recording its final outcomes and
        completing their campaign: the next cron run then has work, and completes it.
        """
        due = exists().where(_table.c.status == PENDING, _table.c.scheduled_at <= now)
        expired = exists().where(_table.c.status == SENDING, _table.c.lease_expires_at < now)
        finished = lifecycle.finished_campaign_left_open()
        return bool(self.session.execute(select(due | expired | finished)).scalar())

    def next_due_at(self) -> datetime | None:
        """When the earliest pending row falls due (None when nothing is pending)."""
        return self.session.execute(
            select(ScheduledMessage.scheduled_at).where(ScheduledMessage.status == PENDING)
            .order_by(ScheduledMessage.scheduled_at).limit(1)
        ).scalar()

    def claim_due_messages(self, now: datetime, limit: int, worker_id: str,
                           lease_seconds: float) -> list[ScheduledMessage]:
        """Atomically move up to `limit` due pending rows to sending under `worker_id`'s lease, oldest first."""
        return self._as_messages(self.claim_due_rows(now, limit, worker_id, lease_seconds))

    def claim_due_rows(self, now: datetime, limit: int, worker_id: str, lease_seconds: float) -> list[Row]:
        """`claim_due_messages` returning plain rows instead of ORM objects (the processor's hot path)."""
        due = (
            select(_table.c.id)
            .where(_table.c.status == PENDING, _table.c.scheduled_at <= now)
            .order_by(_table.c.scheduled_at, _table.c.id)
            .limit(limit)
        )
        return self._claim(due, now, worker_id, lease_seconds)

    def claim_messages(self, message_ids: Sequence[int], now: datetime, worker_id: str,
                       lease_seconds: float) -> list[Row]:
        """Claim specific pending rows (the reply sent right after a webhook's commit), as plain rows."""
        if not message_ids:
            return []
        chosen = select(_table.c.id).where(_table.c.id.in_(list(message_ids)), _table.c.status == PENDING)
        return self._claim(chosen, now, worker_id, lease_seconds)

    def _as_messages(self, rows: list[Row]) -> list[ScheduledMessage]:
        if not rows:
            return []
        loaded = {message.id: message for message in self.session.scalars(
            select(ScheduledMessage).where(ScheduledMessage.id.in_([row.id for row in rows]))
            .execution_options(populate_existing=True))}
        return [loaded[row.id] for row in rows]

    def _claim(self, candidates: Any, now: datetime, worker_id: str, lease_seconds: float) -> list[Row]:
        dialect = self.session.get_bind().dialect.name
        statement = claim_statement(candidates, dialect, now, worker_id, lease_seconds)
        claimed = list(self.session.execute(statement))
        campaigns = self._campaign_statuses(claimed)
        held = {row.id for row in claimed if campaigns.get(row.broadcast_id) in (CAMPAIGN_PAUSED, CAMPAIGN_CANCELLED)}
        if held:  # paused or cancelled after these rows were queued: hand them back at once
            self.release(list(held), worker_id=worker_id)
            claimed = [row for row in claimed if row.id not in held]
        starting = {row.broadcast_id for row in claimed
                    if campaigns.get(row.broadcast_id) in lifecycle.STARTABLE_STATUSES}
        if starting:
            lifecycle.start_campaigns(self.session, starting, now)
        claimed.sort(key=lambda row: (row.scheduled_at, row.id))
        return claimed

    def _campaign_statuses(self, rows: list[Row]) -> dict[int, str]:
        campaign_ids = {row.broadcast_id for row in rows if row.broadcast_id is not None}
        if not campaign_ids:
            return {}
        return dict(self.session.execute(
            select(_campaigns.c.id, _campaigns.c.status).where(_campaigns.c.id.in_(campaign_ids))).all())

    def record_rendered(self, contents: Sequence[tuple[int, str | None, list[Any] | None]]) -> None:
        """Store what was really sent, (row id, body, template params), where send-time rendering changed it."""
        if not contents:
            return
        if self.session.get_bind().dialect.name == "postgresql":
            self.session.execute(*rendered_bulk(contents))
            return
        for row_id, body, params in contents:
            values: dict[str, Any] = {"body": body}
            if params is not None:
                values["template_params"] = params
            self.session.execute(update(_table).where(_table.c.id == row_id).values(**values))

    def recover_expired_leases(self, now: datetime, resend: bool = False) -> int:
        """Rows stuck in sending past their lease: `unknown` for an operator, or pending again if `resend`.

        The claim's worker id is kept, so that worker's late confirmation still lands.
        """
        result = self.session.execute(recover_statement(now, resend))
        return result.rowcount

    # --- outcomes ---------------------------------------------------------------------

    def mark_sent(self, message_id: int, wamid: str, now: datetime, *, dry_run: bool = False,
                  worker_id: str | None = None) -> None:
        """Record a send the API accepted, then apply any status webhook that beat us to it (one transaction)."""
        self.mark_sent_many([SentRecord(message_id, wamid, now, dry_run)], worker_id)
        self.apply_early_statuses({wamid: now})

    def mark_sent_many(self, records: Sequence[SentRecord], worker_id: str | None = None) -> None:
        """Record many accepted sends with one batched UPDATE (the processor's hot path).

        Statuses that arrived first are not applied here: commit, then `apply_early_statuses`.
        """
        if not records:
            return
        if self.session.get_bind().dialect.name == "postgresql":
            # One UPDATE joined to unnest()ed arrays: psycopg2's executemany makes a round
            # trip per row, which would cap a processor near a thousand sends a second.
            self.session.execute(*sent_bulk(records, worker_id))
        else:  # SQLite runs in-process: executemany costs no round trips
            self.session.execute(*sent_each(records, worker_id))

    def apply_early_statuses(self, sent_at: Mapping[str, datetime]) -> int:
        """Apply status events already stored for these just-recorded wamids (wamid -> send time); how many.

        Meta's status webhook can beat the recording of the send: its event is stored but
        matched no row. Run this after the recording has committed, not inside it: a status
        committed while the recording was open could see neither the row's wamid nor be seen
        by a check made in that same transaction (the race is tests/unit/test_scheduler.py's).
        """
        early = stored_statuses(self.session, sent_at)
        self.apply_stored_statuses(early, sent_at)
        return len(early)

    def apply_stored_statuses(self, events: Sequence[Row], sent_at: Mapping[str, datetime]) -> None:
        """Apply `stored_statuses` rows in lifecycle order (sent, delivered, read, failed)."""
        order = {name: index for index, name in enumerate(_STATUS_ORDER)}
        for wamid, status, at, code, title in sorted(events, key=lambda e: order.get(e[1], 9)):
            apply_status(self.session, wamid, status, at or sent_at[wamid], code, title)

    def mark_failed(self, message_id: int, now: datetime, code: int | None, title: str | None,
                    status: str = FAILED, *, worker_id: str | None = None) -> None:
        """A permanent failure (or a skip, with `status=skipped`): never retried."""
        self.session.execute(
            update(_table)
            .where(_table.c.id == message_id, held_by(worker_id))
            .values(status=status, last_error_code=code, last_error_title=(title or "")[:512] or None,
                    failed_at=now if status == FAILED else None, lease_expires_at=None, updated_at=now)
        )

    def mark_retry(self, message_id: int, retry_at: datetime, code: int | None, title: str | None, *,
                   worker_id: str | None = None, count_attempt: bool = True) -> None:
        """A transient failure: due again at `retry_at` (paused or cancelled if its campaign is)."""
        self.session.execute(
            update(_table)
            .where(_table.c.id == message_id, held_by(worker_id))
            .values(status=requeue_status(), scheduled_at=retry_at, last_error_code=code,
                    last_error_title=(title or "")[:512] or None, claimed_by=None, lease_expires_at=None,
                    attempts=_table.c.attempts if count_attempt else _table.c.attempts - 1, updated_at=utcnow())
        )

    def release(self, message_ids: Sequence[int], *, worker_id: str | None = None,
                at: datetime | None = None) -> int:
        """Hand claimed rows back unsent (due again at `at`), without counting an attempt."""
        if not message_ids:
            return 0
        values: dict[str, Any] = {"status": requeue_status(), "claimed_by": None, "lease_expires_at": None,
                                  "attempts": _table.c.attempts - 1, "updated_at": utcnow()}
        if at is not None:
            values["scheduled_at"] = at
        result = self.session.execute(
            update(_table).where(_table.c.id.in_(list(message_ids)), held_by(worker_id)).values(**values)
        )
        return result.rowcount

    def set_status_for_broadcast(self, broadcast_id: int, from_statuses: Sequence[str], to_status: str) -> int:
        """Bulk move a campaign's rows, e.g. pending → paused; returns how many moved."""
        result = self.session.execute(
            update(_table)
            .where(_table.c.broadcast_id == broadcast_id, _table.c.status.in_(list(from_statuses)))
            .values(status=to_status, updated_at=utcnow())
        )
        return result.rowcount

    def recent_sends(self, contact_ids: Iterable[int], since: datetime) -> dict[int, list[datetime]]:
        """The sends to each of `contact_ids` after `since`, oldest first (for the per-recipient pacing)."""
        ids = list(set(contact_ids))
        if not ids:
            return {}
        sends: dict[int, list[datetime]] = {}
        for contact_id, at in self.session.execute(
                select(_table.c.contact_id, _table.c.sent_at)
                .where(_table.c.contact_id.in_(ids), _table.c.sent_at >= since)
                .order_by(_table.c.sent_at)):
            sends.setdefault(contact_id, []).append(at)
        return sends
