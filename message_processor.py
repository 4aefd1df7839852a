"""Sending what the queue holds: claim due rows, send them concurrently at the API's rate, record each outcome.

The cron script, the `broadcast process` command, the Celery task and the webhook's
after-commit reply all come through `MessageProcessor`. A claim is committed before any
request leaves; outcomes are committed in small groups moments after their responses,
so a processor killed at any instant leaves only the rows it was sending in `sending`,
and those become `unknown` (or pending again with RESEND_UNCONFIRMED) once their lease
expires. A row whose lease is about to run out is handed back instead of being sent.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from config import Config
from database_models import SKIPPED, UNKNOWN, Contact, utcnow
from metrics import record_batch, record_send
from scheduler import Scheduler, SentRecord, stored_statuses
from send_pacing import (
    RETRY_BASE_SECONDS,
    RETRY_MAX_SECONDS,
    RateLimiter,
    RecipientPacer,
    SendThreads,
    backoff_delay,
    default_concurrency,
)
from whatsapp_service import MARKETING_OPT_OUT, OUTSIDE_WINDOW, RATE_LIMITED, Sender, SendResult

logger = logging.getLogger(__name__)

CUSTOMER_SERVICE_WINDOW = timedelta(hours=24)
RECORD_EVERY = 0.25  # seconds an outcome may wait before it is committed (what a crash can leave unconfirmed)
SEND_MARGIN_SECONDS = 30.0  # a send must start this long before its lease ends (request timeouts fit inside)


@dataclass
class Outcome:
    """What became of one claimed row."""

    row_id: int
    action: str  # sent, failed, skipped, retry, deferred, released, unknown
    result: SendResult | None = None
    retry_at: datetime | None = None
    reason: str | None = None
    recipient: str | None = None
    at: datetime | None = None
    seconds: float | None = None  # how long the Graph API call(s) took


@dataclass
class ProcessSummary:
    """Counts of one processing run, logged as JSON by the cron entry."""

    claimed: int = 0
    sent: int = 0
    failed: int = 0
    retried: int = 0
    skipped: int = 0
    deferred: int = 0
    released: int = 0
    unknown: int = 0
    recovered: int = 0
    batches: int = 0
    seconds: float = 0.0
    failed_by_code: dict[str, int] = field(default_factory=dict)

    _FIELDS = {"sent": "sent", "failed": "failed", "retry": "retried", "skipped": "skipped",
               "deferred": "deferred", "released": "released", "unknown": "unknown"}

    def add(self, outcome: Outcome) -> None:
        """Count one outcome."""
        name = self._FIELDS[outcome.action]
        setattr(self, name, getattr(self, name) + 1)
        if outcome.action == "failed" and outcome.result is not None:
            key = str(outcome.result.error_code)
            self.failed_by_code[key] = self.failed_by_code.get(key, 0) + 1

    def as_dict(self) -> dict:
        """The summary as a JSON-ready dict."""
        data = asdict(self)
        data["messages_per_second"] = round(self.sent / self.seconds, 1) if self.seconds else 0.0
        return data


class MessageProcessor:
    """Claims, sends and records queue rows with one sender and one rate limit per process."""

    def __init__(self, session_factory: sessionmaker[Session], sender: Sender, config: Config, *,
                 concurrency: int | None = None, clock: Callable[[], datetime] = utcnow,
                 retry_base_seconds: float = RETRY_BASE_SECONDS, retry_max_seconds: float = RETRY_MAX_SECONDS,
                 rng: random.Random | None = None) -> None:
        self.session_factory = session_factory
        self.sender = sender
        self.config = config
        self.clock = clock
        self.worker_id = f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.limiter = RateLimiter(config.whatsapp_max_mps)
        self.pacer = RecipientPacer()
        self.concurrency = concurrency or default_concurrency(config.whatsapp_max_mps)
        self.retry_base_seconds, self.retry_max_seconds = retry_base_seconds, retry_max_seconds
        self.rng = rng or random.Random()
        lease = config.send_lease_seconds
        self.send_margin = min(SEND_MARGIN_SECONDS, lease / 2)
        self._stop = threading.Event()

    def request_stop(self) -> None:
        """Stop claiming and sending (SIGTERM): what was claimed but not started is handed back."""
        self._stop.set()

    # --- entry points -----------------------------------------------------------------

    def process_due(self, now: datetime | None = None, limit: int | None = None,
                    time_budget: float | None = None) -> ProcessSummary:
        """Send due rows until none is due, `limit` rows were claimed or the budget is spent.

        Without a fixed `now`, rows falling due within the remaining budget (retries,
        deferred sends) are waited for, so one cron run finishes what it can.
        """
        started = time.monotonic()
        deadline = started + (self.config.processor_time_budget_seconds if time_budget is None else time_budget)
        summary = ProcessSummary()
        with self.session_factory() as session:
            summary.recovered = Scheduler(session).recover_expired_leases(now or self.clock(),
                                                                          self.config.resend_unconfirmed)
            session.commit()
        if summary.recovered:
            logger.warning("claims with expired leases recovered as %s",
                           "pending (resend)" if self.config.resend_unconfirmed else "unknown",
                           extra={"event": "queue.lease_expired", "count": summary.recovered})
        # About one second of sending per claim: a crash strands little, a pause wastes little.
        batch_size = max(1, min(self.config.processor_batch_size, int(self.limiter.max_rate)))
        outstanding, done_outcomes = 0, []
        last_record, exhausted, next_claim = time.monotonic(), False, 0.0
        aborted = threading.Event()  # set on an error: queued sends hand their rows back
        threads = SendThreads(self.concurrency, lambda row: self._send_safely(row, True, aborted))
        try:
            while True:
                may_claim = (not exhausted and not self._stop.is_set() and time.monotonic() < deadline
                             and (limit is None or summary.claimed < limit))
                if may_claim and outstanding <= batch_size // 2 and (not outstanding or time.monotonic() >= next_claim):
                    size = batch_size if limit is None else min(batch_size, limit - summary.claimed)  # refill early
                    rows = self._claim(now, size)
                    next_claim = 0.0 if rows else time.monotonic() + RECORD_EVERY  # nothing due: ask less often
                    if rows:
                        summary.claimed += len(rows)
                        summary.batches += 1
                        outstanding += len(rows)
                        threads.submit(rows)
                        logger.info("batch %d: %d claimed, %d sent so far", summary.batches, len(rows), summary.sent,
                                    extra={"event": "processor.batch", "batch": summary.batches,
                                           "claimed": len(rows), "sent_total": summary.sent,
                                           "failed_total": summary.failed, "retried_total": summary.retried})
                    elif not outstanding and not (now is None and self._wait_for_next_due(deadline)):
                        exhausted = True
                elif not may_claim and not outstanding:
                    break
                if not outstanding:
                    if exhausted:
                        break
                    continue
                arrived = threads.take(RECORD_EVERY)
                outstanding -= len(arrived)
                done_outcomes += arrived
                if done_outcomes and (time.monotonic() - last_record >= RECORD_EVERY or not outstanding):
                    self._record(done_outcomes)
                    for outcome in done_outcomes:
                        summary.add(outcome)
                    done_outcomes, last_record = [], time.monotonic()
        except BaseException:
            aborted.set()
            raise
        finally:
            threads.close()
            leftovers = done_outcomes + threads.take(0)
            if leftovers:
                self._record_safely(leftovers)
        summary.seconds = round(time.monotonic() - started, 3)
        if summary.claimed:
            record_batch(summary.seconds, summary.claimed)
        return summary

    def send_now(self, message_ids: Sequence[int]) -> ProcessSummary:
        """Claim and send specific rows at once (the chatbot's replies, right after commit)."""
        summary = ProcessSummary()
        with self.session_factory() as session:
            rows = self._load(session, Scheduler(session).claim_messages(
                message_ids, self.clock(), self.worker_id, self.config.send_lease_seconds))
            session.commit()
        summary.claimed = len(rows)
        for row in rows:
            outcome = self._send_safely(row, False, threading.Event())
            summary.add(outcome)
            self._record([outcome])
        return summary

    # --- claiming ---------------------------------------------------------------------

    def _claim(self, now: datetime | None, size: int) -> list[_ClaimedRow]:
        with self.session_factory() as session:
            claimed = Scheduler(session).claim_due_rows(now or self.clock(), size, self.worker_id,
                                                        self.config.send_lease_seconds)
            rows = self._load(session, claimed)
            session.commit()
        return rows

    def _load(self, session: Session, claimed: Sequence[Any]) -> list[_ClaimedRow]:
        if not claimed:
            return []
        contacts = {row.id: row for row in session.execute(
            select(Contact.id, Contact.address.label("wa_id"), Contact.opted_out, Contact.last_inbound_at)
            .where(Contact.id.in_({row.contact_id for row in claimed})))}
        now = self.clock()
        for contact_id, at in Scheduler(session).last_sent_at(
                contacts, now - timedelta(seconds=self.pacer.interval)).items():
            self.pacer.seed(contacts[contact_id].wa_id, (now - at).total_seconds())
        send_by = time.monotonic() + self.config.send_lease_seconds - self.send_margin
        return [_ClaimedRow.of(row, contacts[row.contact_id], send_by) for row in claimed]

    def _wait_for_next_due(self, deadline: float) -> bool:
        """Sleep until the next pending row falls due, if that is within the budget."""
        with self.session_factory() as session:
            next_due = Scheduler(session).next_due_at()
            session.commit()
        if next_due is None:
            return False
        wait_seconds = max(0.0, (next_due - self.clock()).total_seconds()) + 0.05
        if time.monotonic() + wait_seconds >= deadline:
            return False
        return not self._stop.wait(wait_seconds)

    # --- sending ----------------------------------------------------------------------

    def _send_safely(self, row: _ClaimedRow, limited: bool, aborted: threading.Event) -> Outcome:
        try:
            if aborted.is_set() or self._stop.is_set():
                return Outcome(row.id, "released")
            return self._send_one(row, limited, aborted)
        except Exception as error:  # a thread boundary: the row's fate is unknown, never guessed
            logger.exception("unexpected error sending row %s", row.id, extra={"event": "processor.send_error"})
            return Outcome(row.id, "unknown", reason=f"unexpected error: {type(error).__name__}")

    def _send_one(self, row: _ClaimedRow, limited: bool, aborted: threading.Event) -> Outcome:
        now = self.clock()
        if row.is_broadcast and row.opted_out:
            return Outcome(row.id, "skipped", reason="contact opted out")
        in_window = row.kind == "reply" or (row.last_inbound_at is not None
                                            and now - row.last_inbound_at < CUSTOMER_SERVICE_WINDOW)
        use_text = bool(row.body) and in_window
        if not use_text and not row.template_name:
            return Outcome(row.id, "skipped", reason="outside the 24-hour window and no template")
        wait_seconds, previous = self.pacer.reserve(row.wa_id)
        if wait_seconds > 0:
            return Outcome(row.id, "deferred", retry_at=now + timedelta(seconds=wait_seconds))
        if (limited and not self.limiter.acquire(row.send_by)) or aborted.is_set() or self._stop.is_set() \
                or time.monotonic() > row.send_by:
            self.pacer.unbook(row.wa_id, previous)
            return Outcome(row.id, "released")
        started = time.monotonic()
        result = self._deliver(row, use_text=use_text)
        if not result.ok and result.error_code == OUTSIDE_WINDOW and use_text and row.template_name:
            if limited:  # the window closed under us: the template still may go
                self.limiter.acquire()
            result = self._deliver(row, use_text=False)
        if not result.ok:
            self.pacer.unbook(row.wa_id, previous)
        outcome = self._outcome(row, result)
        outcome.seconds = time.monotonic() - started
        return outcome

    def _deliver(self, row: _ClaimedRow, *, use_text: bool) -> SendResult:
        if use_text:
            return self.sender.send_text(row.wa_id, row.body or "", reply_to=row.reply_to_wamid, buttons=row.buttons)
        return self.sender.send_template(row.wa_id, row.template_name or "", row.template_language or "en_US",
                                         row.template_params)

    def _outcome(self, row: _ClaimedRow, result: SendResult) -> Outcome:
        at = self.clock()
        if result.ok:
            return Outcome(row.id, "sent", result, at=at)
        if result.error_code == RATE_LIMITED:
            self.limiter.slow_down()
        if result.error_code == OUTSIDE_WINDOW:
            return Outcome(row.id, "skipped", result, reason="outside the 24-hour window (131047) and no template")
        if result.retryable and row.attempts < self.config.send_max_attempts:
            delay = backoff_delay(row.attempts, self.rng, self.retry_base_seconds, self.retry_max_seconds)
            return Outcome(row.id, "retry", result, retry_at=at + timedelta(seconds=delay))
        return Outcome(row.id, "failed", result, recipient=row.wa_id, at=at)

    # --- recording --------------------------------------------------------------------

    def _record(self, outcomes: list[Outcome]) -> None:
        now, worker = self.clock(), self.worker_id
        with self.session_factory() as session:
            scheduler = Scheduler(session)
            scheduler.mark_sent_many([SentRecord(o.row_id, o.result.wamid, o.at or now, o.result.dry_run)
                                      for o in outcomes if o.action == "sent"], worker)
            handed_back = [o.row_id for o in outcomes if o.action == "released"]
            scheduler.release(handed_back, worker_id=worker)
            for outcome in outcomes:
                result = outcome.result
                if outcome.action == "retry":
                    scheduler.mark_retry(outcome.row_id, outcome.retry_at, result.error_code, result.error_title,
                                         worker_id=worker)
                elif outcome.action == "deferred":
                    scheduler.release([outcome.row_id], worker_id=worker, at=outcome.retry_at)
                elif outcome.action in ("skipped", "unknown"):
                    scheduler.mark_failed(outcome.row_id, now, result.error_code if result else None,
                                          outcome.reason, status=SKIPPED if outcome.action == "skipped" else UNKNOWN,
                                          worker_id=worker)
                elif outcome.action == "failed":
                    scheduler.mark_failed(outcome.row_id, outcome.at or now, result.error_code, result.error_title,
                                          worker_id=worker)
                    if result.error_code == MARKETING_OPT_OUT and outcome.recipient:
                        session.execute(update(Contact).where(or_(Contact.wa_id == outcome.recipient,
                                                                 Contact.user_id == outcome.recipient))
                                        .values(opted_out=True, opted_out_at=now))
            session.commit()
        for outcome in outcomes:
            if outcome.action != "released":
                record_send(outcome.action, outcome.result.error_code if outcome.result else None, outcome.seconds)
        sent_at = {o.result.wamid: o.at or now for o in outcomes if o.action == "sent"}
        if sent_at:
            self._apply_early_statuses(sent_at)

    def _apply_early_statuses(self, sent_at: dict[str, datetime]) -> None:
        # After the recording's commit, so a status that raced it is seen (Scheduler.apply_early_statuses).
        # The look-up is one autocommitted SELECT; a transaction only when a status beat the record.
        # The sends are recorded already: a failure here must not stop the run, only be seen.
        try:
            with self.session_factory() as session:  # no I/O: only to learn the engine
                engine = session.get_bind()
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                early = stored_statuses(connection, sent_at)
            if early:
                with self.session_factory() as session:
                    Scheduler(session).apply_stored_statuses(early, sent_at)
                    session.commit()
        except SQLAlchemyError:
            logger.exception("statuses that arrived before %d recorded sends were not applied", len(sent_at),
                             extra={"event": "processor.early_status_error"})

    def _record_safely(self, outcomes: list[Outcome]) -> None:
        try:
            self._record(outcomes)
        except Exception:  # already failing: these rows stay in sending and their lease decides
            logger.exception("could not record %d outcomes", len(outcomes), extra={"event": "processor.record_error"})


@dataclass(frozen=True)
class _ClaimedRow:
    """The plain values a sending thread needs, detached from any session."""

    id: int
    kind: str
    wa_id: str
    opted_out: bool
    last_inbound_at: datetime | None
    is_broadcast: bool
    body: str | None
    buttons: list | None
    reply_to_wamid: str | None
    template_name: str | None
    template_language: str | None
    template_params: list | None
    attempts: int
    send_by: float  # time.monotonic() after which the row must not be sent (its lease is ending)

    @classmethod
    def of(cls, row: Any, contact: Any, send_by: float) -> _ClaimedRow:
        """Copy what sending needs out of a queue row (ORM object or plain row) and its contact."""
        return cls(row.id, row.kind, contact.wa_id, contact.opted_out, contact.last_inbound_at,
                   row.broadcast_id is not None, row.body, row.buttons, row.reply_to_wamid, row.template_name,
                   row.template_language, [str(p) for p in row.template_params or []] or None, row.attempts, send_by)
