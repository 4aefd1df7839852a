"""Sending what the queue holds: claim due rows, send them concurrently at the API's rate, record each outcome.

The cron script, the `broadcast process` command, the Celery task and the webhook's
after-commit reply all come through `MessageProcessor`. A claim is committed before any
request leaves; outcomes are committed in small groups moments after their responses,
so a processor killed at any instant leaves only the rows it was sending in `sending`,
and those become `unknown` (or pending again with RESEND_UNCONFIRMED) once their lease
expires. A row whose lease is about to run out is handed back instead of being sent.

Campaign rows are personalised here, at send time: the claim loads each row with its
contact's current name and attributes and its campaign's text and template parameters
(one query per batch), renders them (`personalisation`), and where the result differs
from the row's preview, records what was sent. Other rows (chatbot replies, single
messages) go out as stored. After a run, the campaigns it touched are completed if
nothing is left to send (`campaign_lifecycle`).
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
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from campaigns.estimate import TEMPLATE, TEXT, in_service_window, send_route
from campaigns.lifecycle import complete_finished_campaigns
from config import Config
from database_models import Broadcast, Contact, ScheduledMessage, utcnow
from outbound.claimed_rows import ClaimedRow
from outbound.outcomes import Outcome, ProcessSummary
from outbound.pacing import (
    RETRY_BASE_SECONDS,
    RETRY_MAX_SECONDS,
    RateLimiter,
    RecipientPacer,
    SendThreads,
    backoff_delay,
    default_concurrency,
)
from outbound.recording import record_outcomes
from runtime.metrics import record_batch, record_claims
from scheduler import Scheduler
from whatsapp_service import OUTSIDE_WINDOW, RATE_LIMITED, Sender, SendResult

logger = logging.getLogger(__name__)

RECORD_EVERY = 0.25  # seconds an outcome may wait before it is committed (what a crash can leave unconfirmed)
SEND_MARGIN_SECONDS = 30.0  # a send must start this long before its lease ends (request timeouts fit inside)


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
        summary = ProcessSummary()
        self._recover_expired_claims(now, summary)
        run = _Run(summary, now, limit,
                   deadline=started + (self.config.processor_time_budget_seconds if time_budget is None
                                       else time_budget),
                   # About one second of sending per claim: a crash strands little, a pause wastes little.
                   batch_size=max(1, min(self.config.processor_batch_size, int(self.limiter.max_rate))))
        aborted = threading.Event()  # set on an error: queued sends hand their rows back
        threads = SendThreads(self.concurrency, lambda row: self._send_safely(row, True, aborted))
        try:
            while self._step(run, threads):
                pass
        except BaseException:
            aborted.set()
            raise
        finally:
            threads.close()
            leftovers = run.done + threads.take(0)
            if leftovers:
                self._record_safely(leftovers)
        self._complete_campaigns(run.touched, summary)
        summary.seconds = round(time.monotonic() - started, 3)
        summary.claim_seconds = round(summary.claim_seconds, 3)
        summary.record_seconds = round(summary.record_seconds, 3)
        if summary.claimed:
            record_batch(summary.seconds)
        return summary

    def _recover_expired_claims(self, now: datetime | None, summary: ProcessSummary) -> None:
        """Step 1: claims of a crashed run whose lease ended become unknown (or pending, to resend)."""
        with self.session_factory() as session:
            scheduler = Scheduler(session)
            summary.recovered = scheduler.recover_expired_leases(now or self.clock(), self.config.resend_unconfirmed)
            # Campaigns a crashed run left open, or whose last claims were just recovered as unknown.
            summary.campaigns_completed += complete_finished_campaigns(session, self.clock())
            session.commit()
        if summary.recovered:
            logger.warning("claims with expired leases recovered as %s",
                           "pending (resend)" if self.config.resend_unconfirmed else "unknown",
                           extra={"event": "queue.lease_expired", "count": summary.recovered})

    def _step(self, run: _Run, threads: SendThreads) -> bool:
        """Step 2, repeated: claim more when the pipeline runs low, then record what was sent; False when done."""
        may_claim = (not run.exhausted and not self._stop.is_set() and time.monotonic() < run.deadline
                     and (run.limit is None or run.summary.claimed < run.limit))
        if may_claim and run.outstanding <= run.batch_size // 2 and (
                not run.outstanding or time.monotonic() >= run.next_claim):
            self._claim_batch(run, threads)
        elif not may_claim and not run.outstanding:
            return False
        if not run.outstanding:
            return not run.exhausted
        self._collect(run, threads)
        return True

    def _claim_batch(self, run: _Run, threads: SendThreads) -> None:
        """Claim the next batch (refilling early) and hand it to the sending threads; note when nothing is due."""
        summary = run.summary
        size = run.batch_size if run.limit is None else min(run.batch_size, run.limit - summary.claimed)
        started = time.monotonic()
        rows = self._claim(run.now, size)
        summary.claim_seconds += time.monotonic() - started
        run.next_claim = 0.0 if rows else time.monotonic() + RECORD_EVERY  # nothing due: ask less often
        if rows:
            run.touched.update(row.broadcast_id for row in rows if row.broadcast_id is not None)
            summary.claimed += len(rows)
            record_claims(len(rows))
            summary.batches += 1
            run.outstanding += len(rows)
            threads.submit(rows)
            logger.info("batch %d: %d claimed, %d sent so far", summary.batches, len(rows), summary.sent,
                        extra={"event": "processor.batch", "batch": summary.batches,
                               "claimed": len(rows), "sent_total": summary.sent,
                               "failed_total": summary.failed, "retried_total": summary.retried})
        elif not run.outstanding and not (run.now is None and self._wait_for_next_due(run.deadline)):
            run.exhausted = True

    def _collect(self, run: _Run, threads: SendThreads) -> None:
        """Take the outcomes that arrived; commit them at most every RECORD_EVERY seconds (or when none is left)."""
        arrived = threads.take(RECORD_EVERY)
        run.outstanding -= len(arrived)
        run.done += arrived
        if run.done and (time.monotonic() - run.last_record >= RECORD_EVERY or not run.outstanding):
            started = time.monotonic()
            self._record(run.done)
            for outcome in run.done:
                run.summary.add(outcome)
            run.done, run.last_record = [], time.monotonic()
            run.summary.record_seconds += run.last_record - started

    def _complete_campaigns(self, touched: set[int], summary: ProcessSummary) -> None:
        """Step 3: campaigns this run sent for that have no row left to send (after the outcomes' commit)."""
        if touched:
            with self.session_factory() as session:
                summary.campaigns_completed += complete_finished_campaigns(session, self.clock(), touched)
                session.commit()
        if summary.campaigns_completed:
            logger.info("%d campaigns completed", len(summary.campaigns_completed),
                        extra={"event": "processor.campaigns_completed", "broadcast_ids": summary.campaigns_completed})

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

    def _claim(self, now: datetime | None, size: int) -> list[ClaimedRow]:
        with self.session_factory() as session:
            claimed = Scheduler(session).claim_due_rows(now or self.clock(), size, self.worker_id,
                                                        self.config.send_lease_seconds)
            rows = self._load(session, claimed)
            session.commit()
        return rows

    def _load(self, session: Session, claimed: Sequence[Any]) -> list[ClaimedRow]:
        if not claimed:
            return []
        # One query for the batch: each row's contact as it is now and its campaign's content.
        queue, contact, campaign = ScheduledMessage.__table__.c, Contact.__table__.c, Broadcast.__table__.c
        recipients = {row.id: row for row in session.execute(
            select(queue.id, Contact.address.label("wa_id"), Contact.identifier.label("identifier"), contact.opted_out,
                   contact.last_inbound_at, Contact.display_name.label("name"),
                   contact.attributes, campaign.body.label("campaign_body"),
                   campaign.template_params.label("campaign_params"))
            .join(Contact.__table__, contact.id == queue.contact_id)
            .outerjoin(Broadcast.__table__, campaign.id == queue.broadcast_id)
            .where(queue.id.in_([row.id for row in claimed])))}
        now = self.clock()
        by_contact = {row.contact_id: recipients[row.id].wa_id for row in claimed}
        for contact_id, sends in Scheduler(session).recent_sends(
                by_contact, now - timedelta(seconds=self.pacer.window)).items():
            self.pacer.seed(by_contact[contact_id], *((now - at).total_seconds() for at in sends))
        send_by = time.monotonic() + self.config.send_lease_seconds - self.send_margin
        return [ClaimedRow.of(row, recipients[row.id], send_by) for row in claimed]

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

    def _send_safely(self, row: ClaimedRow, limited: bool, aborted: threading.Event) -> Outcome:
        try:
            if aborted.is_set() or self._stop.is_set():
                return Outcome(row.id, "released")
            outcome = self._send_one(row, limited, aborted)
        except Exception as error:  # a thread boundary: the row's fate is unknown, never guessed
            logger.exception("unexpected error sending row %s", row.id, extra={"event": "processor.send_error"})
            outcome = Outcome(row.id, "unknown", reason=f"unexpected error: {type(error).__name__}")
        outcome.rendered = row.rendered
        return outcome

    def _send_one(self, row: ClaimedRow, limited: bool, aborted: threading.Event) -> Outcome:
        now = self.clock()
        # The campaign builder's estimate applies the same rule (campaigns.estimate.send_route).
        in_window = row.kind == "reply" or in_service_window(row.last_inbound_at, now)
        route = send_route(opted_out=row.is_broadcast and row.opted_out, in_window=in_window,
                           has_text=bool(row.body or row.media), has_template=bool(row.template_name))
        if route not in (TEXT, TEMPLATE):
            return Outcome(row.id, "skipped", reason=route)
        use_text = route == TEXT
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

    def _deliver(self, row: ClaimedRow, *, use_text: bool) -> SendResult:
        # A media message is free-form like a text: the same window rule routes it (send_route).
        if use_text and row.media:
            return self.sender.send_media(row.wa_id, row.media)
        if not use_text and row.template_extra:
            return self.sender.send_template(row.wa_id, row.template_name or "", row.template_language or "en_US",
                                             row.template_params, extra=row.template_extra)
        if use_text:
            return self.sender.send_text(row.wa_id, row.body or "", reply_to=row.reply_to_wamid, buttons=row.buttons)
        return self.sender.send_template(row.wa_id, row.template_name or "", row.template_language or "en_US",
                                         row.template_params)

    def _outcome(self, row: ClaimedRow, result: SendResult) -> Outcome:
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
        record_outcomes(self.session_factory, outcomes, self.clock(), self.worker_id)

    def _record_safely(self, outcomes: list[Outcome]) -> None:
        try:
            self._record(outcomes)
        except Exception:  # already failing: these rows stay in sending and their lease decides
            logger.exception("could not record %d outcomes", len(outcomes), extra={"event": "processor.record_error"})


@dataclass
class _Run:
    """The state of one `process_due` loop: rows in flight, outcomes not yet committed, campaigns touched."""

    summary: ProcessSummary
    now: datetime | None
    limit: int | None
    deadline: float
    batch_size: int
    outstanding: int = 0
    done: list[Outcome] = field(default_factory=list)
    touched: set[int] = field(default_factory=set)
    last_record: float = field(default_factory=time.monotonic)
    exhausted: bool = False
    next_claim: float = 0.0
