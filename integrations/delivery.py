"""Delivering the outbox: claim due events, POST each signed, record what the receiver answered.

Run by the processor (cron and Celery alike, `deliver_due_events`), never by a web request.
A claim moves due rows to `delivering` under a lease in one UPDATE (PostgreSQL over a
`FOR UPDATE SKIP LOCKED` CTE, SQLite a conditional UPDATE, as the queue's claims do), so two
processors never deliver the same attempt; a row whose processor died is claimed again after
its lease (at least once). 2xx is delivered; 5xx, 408, 429, timeouts and connection errors are
retried with exponential backoff (or after the receiver's Retry-After, when longer) until a day
after the event, then failed; any other answer fails at once, as does a URL whose host is not a
public address while WEBHOOK_ALLOW_PRIVATE_URLS is off (integrations.targets). Order per
subscription is not kept.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from database_models import (
    EVENT_DELIVERED,
    EVENT_DELIVERING,
    EVENT_FAILED,
    EVENT_PENDING,
    WebhookEvent,
    WebhookSubscription,
    utcnow,
)
from integrations.signing import EVENT_ID_HEADER, EVENT_TYPE_HEADER, SIGNATURE_HEADER, signature
from integrations.targets import PrivateTarget, resolve

logger = logging.getLogger(__name__)

RETRY_FOR = timedelta(hours=24)
FIRST_RETRY_SECONDS, LONGEST_WAIT_SECONDS = 30, 3600  # 30 s, 1 min, 2 min, … then hourly: ~30 attempts a day
MAX_RETRY_AFTER_SECONDS = 6 * 3600  # a receiver asking for more is still tried within the day
LEASE_SECONDS = 120
BATCH = 50
THREADS = 8
TIMEOUT = httpx.Timeout(10.0, connect=3.0)  # a receiver should answer at once and work afterwards
USER_AGENT = "whatsapp-platform-webhooks/1"
_events = WebhookEvent.__table__


@dataclass(frozen=True)
class Delivery:
    """One claimed event with where it goes."""

    row_id: int
    event_id: str
    event_type: str
    created_at: datetime
    payload: dict[str, Any]
    attempts: int
    url: str
    secret: str

    def body(self) -> bytes:
        """The exact bytes POSTed (and signed)."""
        return json.dumps({"id": self.event_id, "type": self.event_type,
                           "created_at": self.created_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), "data": self.payload},
                          ensure_ascii=False, separators=(",", ":")).encode()


@dataclass(frozen=True)
class Attempt:
    """What one POST got: a status code, or the transport error it raised."""

    status_code: int | None
    error: str | None = None
    final: bool = False  # refused before sending (a private address): trying again cannot help
    retry_after: float | None = None  # seconds the receiver asked us to wait (429/503 with Retry-After)

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300

    @property
    def retryable(self) -> bool:
        if self.final:
            return False
        return self.status_code is None or self.status_code >= 500 or self.status_code in (408, 429)


@dataclass
class DeliverySummary:
    """What one run did."""

    delivered: int = 0
    retrying: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, int]:
        return {"webhooks_delivered": self.delivered, "webhooks_retrying": self.retrying,
                "webhooks_failed": self.failed}


def worker_name() -> str:
    """Who holds a claim: host, process and a random suffix (two runs of one process differ)."""
    return f"{socket.gethostname()[:32]}:{os.getpid()}:{secrets.token_hex(4)}"


def retry_delay(attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th failed attempt: doubling from 30 s, at most an hour."""
    return timedelta(seconds=min(FIRST_RETRY_SECONDS * 2 ** min(max(attempts - 1, 0), 20), LONGEST_WAIT_SECONDS))


def _claimable(now: datetime) -> Any:
    return or_(and_(_events.c.status == EVENT_PENDING, _events.c.next_attempt_at <= now),
               and_(_events.c.status == EVENT_DELIVERING, _events.c.lease_expires_at < now))


def claim_due(session: Session, now: datetime, worker: str, limit: int = BATCH) -> list[Delivery]:
    """Move up to `limit` due events to `delivering` under `worker`'s lease; the claimed ones (caller commits)."""
    candidates = select(_events.c.id).where(_claimable(now)).order_by(_events.c.next_attempt_at).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        chosen = select(candidates.with_for_update(skip_locked=True).cte("claimable").prefix_with("MATERIALIZED").c.id)
    else:
        chosen = candidates
    claimed = list(session.scalars(
        update(_events).where(_events.c.id.in_(chosen), _claimable(now))  # the UPDATE re-checks: it is the guard
        .values(status=EVENT_DELIVERING, claimed_by=worker, lease_expires_at=now + timedelta(seconds=LEASE_SECONDS),
                attempts=_events.c.attempts + 1)
        .returning(_events.c.id)))
    if not claimed:
        return []
    rows = session.execute(
        select(WebhookEvent.id, WebhookEvent.event_id, WebhookEvent.event_type, WebhookEvent.created_at,
               WebhookEvent.payload, WebhookEvent.attempts, WebhookSubscription.url, WebhookSubscription.secret)
        .join(WebhookSubscription, WebhookSubscription.id == WebhookEvent.subscription_id)
        .where(WebhookEvent.id.in_(claimed)).order_by(WebhookEvent.id))
    return [Delivery(*row) for row in rows]


def post(client: httpx.Client, delivery: Delivery, allow_private: bool = False) -> Attempt:
    """POST the signed event once to a checked address (integrations.targets); never raises for what the
    network or the receiver did."""
    body = delivery.body()
    headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT, EVENT_ID_HEADER: delivery.event_id,
               EVENT_TYPE_HEADER: delivery.event_type, SIGNATURE_HEADER: signature(body, delivery.secret)}
    try:
        target = resolve(delivery.url, allow_private)
    except PrivateTarget as refusal:
        return Attempt(None, f"refused: {refusal} (WEBHOOK_ALLOW_PRIVATE_URLS is off)"[:300], final=True)
    except (OSError, UnicodeError, ValueError) as error:  # the name does not resolve (now): like a refused connection
        return Attempt(None, f"cannot resolve the host: {error}"[:300])
    try:
        response = client.post(target.url, content=body, headers=headers | target.headers,
                               extensions=target.extensions)
    except httpx.HTTPError as error:  # timeouts, refused connections, bad TLS, invalid URLs …
        return Attempt(None, f"{type(error).__name__}: {error}"[:300])
    if 200 <= response.status_code < 300:
        return Attempt(response.status_code)
    return Attempt(response.status_code, response.reason_phrase[:300],
                   retry_after=retry_after_seconds(response.headers.get("Retry-After")))


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """A Retry-After header's wait in seconds (delay-seconds or an HTTP date), None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:
        return None
    return max(0.0, (moment - (now or utcnow())).total_seconds())


def record(session: Session, delivery: Delivery, attempt: Attempt, worker: str, now: datetime) -> str:
    """Write the attempt's outcome where `worker` still holds the claim; the new status."""
    values: dict[str, Any] = {"last_attempt_at": now, "last_status_code": attempt.status_code,
                              "last_error": attempt.error, "claimed_by": None, "lease_expires_at": None}
    # The receiver's Retry-After is kept when it asks for longer than our backoff (at most 6 hours).
    asked = timedelta(seconds=min(attempt.retry_after or 0, MAX_RETRY_AFTER_SECONDS))
    retry_at = now + max(retry_delay(delivery.attempts), asked)
    if attempt.delivered:
        values |= {"status": EVENT_DELIVERED, "delivered_at": now, "next_attempt_at": None}
    elif attempt.retryable and retry_at <= delivery.created_at + RETRY_FOR:
        values |= {"status": EVENT_PENDING, "next_attempt_at": retry_at}
    else:
        values |= {"status": EVENT_FAILED, "next_attempt_at": None}
    session.execute(update(_events).where(_events.c.id == delivery.row_id, _events.c.claimed_by == worker,
                                          _events.c.status == EVENT_DELIVERING).values(**values))
    return values["status"]


def deliver_due_events(session_factory: sessionmaker[Session], *, time_budget: float = 30.0,
                       client: httpx.Client | None = None, allow_private: bool = False) -> DeliverySummary:
    """Deliver what is due, batch by batch, until nothing is due or `time_budget` seconds are spent."""
    summary, worker, started = DeliverySummary(), worker_name(), time.monotonic()
    own_client = client is None
    pool = None
    try:
        while time.monotonic() - started < time_budget:
            with session_factory() as session:
                batch = claim_due(session, utcnow(), worker)
                session.commit()
            if not batch:
                break
            if pool is None:  # built only when something is due: an idle run makes one query and nothing else
                pool = ThreadPoolExecutor(max_workers=THREADS, thread_name_prefix="webhook")
                client = client or httpx.Client(timeout=TIMEOUT, follow_redirects=False)
            attempts = list(pool.map(post, [client] * len(batch), batch, [allow_private] * len(batch)))
            _record_batch(session_factory, batch, attempts, worker, summary)
    finally:
        if pool is not None:
            pool.shutdown()
        if own_client and client is not None:
            client.close()
    return summary


def _record_batch(session_factory: sessionmaker[Session], batch: list[Delivery], attempts: list[Attempt],
                  worker: str, summary: DeliverySummary) -> None:
    now = utcnow()
    with session_factory() as session:
        outcomes = [record(session, delivery, attempt, worker, now) for delivery, attempt in zip(batch, attempts,
                                                                                               strict=True)]
        session.commit()
    for delivery, attempt, status in zip(batch, attempts, outcomes, strict=True):
        summary.delivered += status == EVENT_DELIVERED
        summary.retrying += status == EVENT_PENDING
        summary.failed += status == EVENT_FAILED
        log = logger.info if status == EVENT_DELIVERED else logger.warning
        log("webhook %s", status, extra={"event": "webhook.delivery", "event_id": delivery.event_id,
                                          "delivery_status": status, "status_code": attempt.status_code,
                                          "attempts": delivery.attempts})


def deliver_webhooks(session_factory: sessionmaker[Session], time_budget: float = 20.0, *,
                     allow_private: bool = False) -> DeliverySummary | None:
    """The processor's webhook step: deliver what is due; a failure is logged and never stops the run."""
    try:
        summary = deliver_due_events(session_factory, time_budget=time_budget, allow_private=allow_private)
    except Exception:  # the step's boundary: the events stay in the outbox for the next run
        logger.exception("webhook delivery failed", extra={"event": "webhook.delivery_error"})
        return None
    if summary.delivered or summary.retrying or summary.failed:
        logger.info("webhooks delivered", extra={
            "event": "webhook.summary", "webhooks_delivered": summary.delivered, "webhooks_retrying": summary.retrying,
            "webhooks_failed": summary.failed})
    return summary
