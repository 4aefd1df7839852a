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
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from campaign_lifecycle import complete_finished_campaigns
from config import Config
from database_models import SKIPPED, UNKNOWN, Broadcast, Contact, ScheduledMessage, utcnow
from metrics import record_batch, record_send
from personalisation import PlaceholderError, contact_fields, personalise
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
    rendered: tuple[str | None, list | None] | None = None  # body and params, when they differ from the preview


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
    campaigns_completed: list[int] = field(default_factory=list)

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

    def describe(self) -> str:
        """A short human summary, e.g. for `broadcast process`."""
        line = (f"claimed {self.claimed}: sent {self.sent}, failed {self.failed}, skipped {self.skipped}, "
                f"unknown {self.unknown}")
        later = [f"{count} {name}" for name, count in (("to retry", self.retried), ("deferred", self.deferred),
                                                       ("handed back", self.released)) if count]
        if later:
            line += f" ({', '.join(later)})"
        line += f" in {self.seconds:.1f} s"
        if self.recovered:
            line += f"\n{self.recovered} claims of a crashed processor recovered (see broadcast report)"
        done = ", ".join(f"#{number}" for number in self.campaigns_completed)
        return line + f"\ncampaigns completed: {len(self.campaigns_completed)}" + (f" ({done})" if done else "")


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
            scheduler = Scheduler(session)
            summary.recovered = scheduler.recover_expired_leases(now or self.clock(), self.config.resend_unconfirmed)
            # Campaigns a crashed run left open, or whose last claims were just recovered as unknown.
            summary.campaigns_completed += complete_finished_campaigns(session, self.clock())
            session.commit()
        if summary.recovered:
            logger.warning("claims with expired leases recovered as %s",
                           "pending (resend)" if self.config.resend_unconfirmed else "unknown",
                           extra={"event": "queue.lease_expired", "count": summary.recovered})
        # About one second of sending per claim: a crash strands little, a pause wastes little.
        batch_size = max(1, min(self.config.processor_batch_size, int(self.limiter.max_rate)))
        outstanding, done_outcomes, touched = 0, [], set()
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
                        touched.update(row.broadcast_id for row in rows if row.broadcast_id is not None)
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
        if touched:  # after the outcomes' commit (see campaign_lifecycle)
            with self.session_factory() as session:
                summary.campaigns_completed += complete_finished_campaigns(session, self.clock(), touched)
                session.commit()
        if summary.campaigns_completed:
            logger.info("%d campaigns completed", len(summary.campaigns_completed),
                        extra={"event": "processor.campaigns_completed", "broadcast_ids": summary.campaigns_completed})
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
        # One query for the batch: each row's contact as it is now and its campaign's content.
        queue, contact, campaign = ScheduledMessage.__table__.c, Contact.__table__.c, Broadcast.__table__.c
        recipients = {row.id: row for row in session.execute(
            select(queue.id, Contact.address.label("wa_id"), Contact.identifier.label("identifier"), contact.opted_out,
                   contact.last_inbound_at, contact.name,
                   contact.attributes, campaign.body.label("campaign_body"),
                   campaign.template_params.label("campaign_params"))
            .join(Contact.__table__, contact.id == queue.contact_id)
            .outerjoin(Broadcast.__table__, campaign.id == queue.broadcast_id)
            .where(queue.id.in_([row.id for row in claimed])))}
        now = self.clock()
        by_contact = {row.contact_id: recipients[row.id].wa_id for row in claimed}
        for contact_id, at in Scheduler(session).last_sent_at(
                by_contact, now - timedelta(seconds=self.pacer.interval)).items():
            self.pacer.seed(by_contact[contact_id], (now - at).total_seconds())
        send_by = time.monotonic() + self.config.send_lease_seconds - self.send_margin
        return [_ClaimedRow.of(row, recipients[row.id], send_by) for row in claimed]

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
            outcome = self._send_one(row, limited, aborted)
        except Exception as error:  # a thread boundary: the row's fate is unknown, never guessed
            logger.exception("unexpected error sending row %s", row.id, extra={"event": "processor.send_error"})
            outcome = Outcome(row.id, "unknown", reason=f"unexpected error: {type(error).__name__}")
        outcome.rendered = row.rendered
        return outcome

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
            scheduler.record_rendered([(o.row_id, *o.rendered) for o in outcomes
                                       if o.rendered is not None and o.action not in ("released", "deferred")])
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
    broadcast_id: int | None
    body: str | None
    buttons: list | None
    reply_to_wamid: str | None
    template_name: str | None
    template_language: str | None
    template_params: list | None
    attempts: int
    send_by: float  # time.monotonic() after which the row must not be sent (its lease is ending)
    rendered: tuple[str | None, list | None] | None = None  # (body, params) when they differ from the stored ones

    @property
    def is_broadcast(self) -> bool:
        """Whether the row belongs to a campaign (opted-out contacts are skipped)."""
        return self.broadcast_id is not None

    @classmethod
    def of(cls, row: Any, recipient: Any, send_by: float) -> _ClaimedRow:
        """Copy what sending needs out of a queue row and its recipient (`_load`), rendering a campaign row."""
        body, params = row.body, [str(p) for p in row.template_params or []] or None
        rendered = None
        if row.broadcast_id is not None:
            body, params = _render(row.id, body, params, recipient)
            if (body, params) != (row.body, row.template_params or None):
                rendered = (body, params)
        return cls(row.id, row.kind, recipient.wa_id, recipient.opted_out, recipient.last_inbound_at,
                   row.broadcast_id, body, row.buttons, row.reply_to_wamid, row.template_name,
                   row.template_language, params, row.attempts, send_by, rendered)


def _render(row_id: int, body: str | None, params: list | None, recipient: Any) -> tuple[str | None, list | None]:
    """A campaign row's body and template parameters for its contact's current fields.

    The campaign's placeholders were validated when it was scheduled; should one not parse
    now, the row's preview goes out rather than nothing.
    """
    try:
        rendered_body, rendered_params = personalise(
            recipient.campaign_body, recipient.campaign_params,
            contact_fields(recipient.identifier, recipient.name, recipient.attributes))
    except PlaceholderError:
        logger.warning("row %s: campaign placeholders do not parse; sending the stored text", row_id,
                       extra={"event": "processor.render_error", "row_id": row_id})
        return body, params
    return (body if rendered_body is None else rendered_body), (params if rendered_params is None else rendered_params)
