"""Sending the chatbot's queued replies right after the webhook's commit (REPLY_SENDER=web)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from datetime import datetime

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from outbound.claimed_rows import ClaimedRow
from outbound.outcomes import Outcome
from outbound.processor import MessageProcessor
from outbound.reply_statements import ReplyConnection, claim_replies, record_sent
from runtime.metrics import record_send
from scheduler import Scheduler

logger = logging.getLogger("runtime.context")  # its log lines keep the logger name they always had


class ReplyDispatcher:
    """Sends the chatbot's queued replies right after the webhook's commit.

    In the background by default, so Meta gets its 200 without waiting for the Graph
    API; inline when configured (tests). Either way a reply whose send fails or never
    starts is still pending in the queue, and the processor sends it. Switched off
    (REPLY_SENDER=processor) the web tier only stores: the processor (Celery beat every
    few seconds) sends every reply, and web workers spend no CPU on the Graph API.

    On PostgreSQL a reply is claimed and recorded with one autocommitted statement each
    (`reply_statements`), the send itself and every outcome but "sent" through the
    processor's own code; SQLite takes `MessageProcessor.send_now` (no round trips to save).
    """

    def __init__(self, processor: MessageProcessor, inline: bool = False, enabled: bool = True) -> None:
        self.processor = processor
        self.enabled = enabled
        self._pool = None if inline or not enabled else ThreadPoolExecutor(4, thread_name_prefix="reply")
        self._futures: set[Future] = set()
        engine = processor.session_factory.kw.get("bind")
        self._engine: Engine | None = engine if getattr(engine, "dialect", None) is not None \
            and engine.dialect.name == "postgresql" else None
        # Prepared once per connection (not behind PgBouncer's transaction pooling: FAST_STATUS_WEBHOOKS=false).
        self._prepared = bool(getattr(processor.config, "fast_status_webhooks", True))

    def dispatch(self, message_ids: Sequence[int]) -> None:
        """Send these queue rows now (inline) or soon (background); leave them to the processor when off."""
        if not self.enabled:
            return
        if self._pool is None:
            self._send(list(message_ids))
            return
        future = self._pool.submit(self._send, list(message_ids))
        self._futures.add(future)
        future.add_done_callback(self._futures.discard)

    def _send(self, message_ids: list[int]) -> None:
        try:
            if self._engine is not None:
                self._send_replies(self._engine, message_ids)
            else:
                self.processor.send_now(message_ids)
        except Exception:  # a job boundary: the rows stay in the queue for the processor
            logger.exception("reply send failed; left for the processor", extra={"event": "reply.send_error"})

    def _send_replies(self, engine: Engine, message_ids: list[int]) -> None:
        """`send_now` for reply rows in two statements per reply: claim with recipient, record the send."""
        with ReplyConnection(engine, self._prepared) as connection:
            self._claim_and_send(connection, message_ids)

    def _claim_and_send(self, connection: ReplyConnection, message_ids: list[int]) -> None:
        processor = self.processor
        now = processor.clock()
        rows = claim_replies(connection, message_ids, processor.worker_id, now, processor.config.send_lease_seconds,
                             processor.pacer.window)
        send_by = time.monotonic() + processor.config.send_lease_seconds - processor.send_margin
        for row in rows:
            processor.pacer.seed(row["wa_id"], *((now - at).total_seconds() for at in row["recent_sends"]))
            claimed = ClaimedRow(row["id"], row["kind"], row["wa_id"], row["opted_out"], row["last_inbound_at"], None,
                                 row["body"], row["buttons"], row["reply_to_wamid"], row["template_name"],
                                 row["template_language"], [str(p) for p in row["template_params"] or []] or None,
                                 row["attempts"], send_by, content=row["content"])
            outcome = processor._send_safely(claimed, False, threading.Event())
            if outcome.action == "sent":
                self._record_sent(connection, outcome, now)
            else:  # retries, failures, skips: rare, and recorded exactly as the processor records them
                processor._record([outcome])

    def _record_sent(self, connection: ReplyConnection, outcome: Outcome, now: datetime) -> None:
        at, wamid = outcome.at or now, outcome.result.wamid
        # The look-up of statuses that raced the send runs after the record's commit, in the same round trip
        # (reply_statements): a failure of either is this dispatch's failure (the row is left as it stands).
        early = record_sent(connection, outcome.row_id, self.processor.worker_id, wamid, at, outcome.result.dry_run)
        record_send("sent", None, outcome.seconds)
        try:
            if early:
                with self.processor.session_factory() as session:
                    Scheduler(session).apply_stored_statuses(early, {wamid: at})
                    session.commit()
        except SQLAlchemyError:
            logger.exception("statuses that arrived before a recorded reply were not applied",
                             extra={"event": "processor.early_status_error"})

    def drain(self, timeout: float = 30.0) -> None:
        """Wait until every dispatched send has finished."""
        wait(list(self._futures), timeout=timeout)

    def close(self) -> None:
        """Finish what was dispatched, then stop the threads."""
        if self._pool is not None:
            self._pool.shutdown(wait=True)
