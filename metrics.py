"""Prometheus metrics: the metric objects, the helpers that move them, and the `/metrics` exposition.

Counters and histograms live in prometheus-client's default registry and move in the
process that does the work (a web worker for webhooks, the processor for sends). The
queue depth is not a counter: it is read from the database at scrape time by
`QueueDepthCollector` (one `GROUP BY status` over the index `(status, scheduled_at, id)`,
restricted to the statuses that make up a backlog).

Several processes (gunicorn workers, the cron processor) each hold their own counters.
When `PROMETHEUS_MULTIPROC_DIR` is set in their environment before they start,
prometheus-client writes every value to a file in that directory and a scrape sums
them all, so any worker answers for the whole machine. The directory must be emptied
when the server starts and gunicorn must call `mark_worker_dead(pid)` from `child_exit`.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from datetime import datetime

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from database_models import PAUSED, PENDING, SENDING, UNKNOWN, ScheduledMessage, utcnow

logger = logging.getLogger(__name__)

__all__ = ["CONTENT_TYPE_LATEST", "WEBHOOK_RESULTS", "QueueDepthCollector", "mark_worker_dead", "record_batch",
           "record_send", "record_webhook", "render_metrics"]

MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"
WEBHOOK_RESULTS = ("stored", "bad_signature", "unsigned", "bad_json", "bad_envelope", "db_unavailable", "too_large")
# Statuses that make up the backlog; terminal ones (sent, failed, …) only grow and are counted by the send counter.
BACKLOG_STATUSES = (PENDING, SENDING, PAUSED, UNKNOWN)
_MAX_ERROR_CODE_LENGTH = 8

WEBHOOKS_RECEIVED = Counter(
    "whatsapp_webhooks_received", "Webhook POSTs received, by outcome.", ["result"])
MESSAGES_SENT = Counter(
    "whatsapp_messages_sent", "Send attempts to the Graph API, by outcome and Meta error code.",
    ["status", "error_code"])
SEND_LATENCY = Histogram(
    "whatsapp_send_latency_seconds", "Duration of one Graph API send call.",
    buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0))
BATCH_DURATION = Histogram(
    "whatsapp_processor_batch_seconds", "Duration of one processor batch (claim, send, record).",
    buckets=(0.1, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0))
CLAIMED_MESSAGES = Counter(
    "whatsapp_processor_claimed_messages", "Queue rows claimed by the processor.")
UNMODELLED_ITEMS = Counter(
    "whatsapp_webhook_unmodelled_items",
    "Webhook items stored although the code does not model them (kept raw), by kind (field, message_type,"
    " message) and name.", ["kind", "name"])

# Every series exists from the start, so rate() sees the first event; the children are kept
# because looking a label up again costs more than the increment, on every webhook.
_WEBHOOK_COUNTERS = {result: WEBHOOKS_RECEIVED.labels(result=result) for result in WEBHOOK_RESULTS}


def record_webhook(result: str) -> None:
    """Count one webhook POST with its outcome (one of WEBHOOK_RESULTS)."""
    counter = _WEBHOOK_COUNTERS.get(result)
    if counter is None:
        raise ValueError(f"unknown webhook result {result!r}")
    counter.inc()


def record_send(status: str, error_code: int | str | None, seconds: float | None) -> None:
    """Count one send outcome (sent, failed, retry, skipped, …) and observe its API latency when it made a call."""
    code = "none" if error_code in (None, "") else str(error_code)
    if code != "none" and not (code.isdigit() and len(code) <= _MAX_ERROR_CODE_LENGTH):
        code = "other"  # the label's values stay a small set whatever the API answers
    MESSAGES_SENT.labels(status=status, error_code=code).inc()
    if seconds is not None:
        SEND_LATENCY.observe(seconds)


def record_batch(seconds: float, claimed: int) -> None:
    """Observe one processor batch: how long it took and how many rows it claimed."""
    BATCH_DURATION.observe(seconds)
    CLAIMED_MESSAGES.inc(claimed)


def mark_worker_dead(pid: int) -> None:
    """gunicorn `child_exit` hook body: drop a dead worker's live gauges in multiprocess mode."""
    if os.environ.get(MULTIPROCESS_ENV):
        mark_process_dead(pid)


class QueueDepthCollector:
    """Reads the outbound backlog by status from `scheduled_messages` at scrape time."""

    def __init__(self, session_factory: sessionmaker[Session], clock: Callable[[], datetime] = utcnow) -> None:
        self.session_factory = session_factory
        self.clock = clock

    def collect(self) -> Iterator[Metric]:
        """One gauge per backlog status, the age of the oldest due pending row, and whether the read worked."""
        depth = GaugeMetricFamily("whatsapp_queue_messages", "Outbound queue rows by backlog status.",
                                  labels=["status"])
        oldest = GaugeMetricFamily("whatsapp_queue_oldest_due_seconds",
                                   "How long the oldest due pending row has been waiting (0 when none).")
        up = GaugeMetricFamily("whatsapp_queue_scrape_ok", "1 when the queue depth could be read.")
        try:
            counts, oldest_due = self._read()
        except SQLAlchemyError:
            logger.exception("queue depth not readable", extra={"event": "metrics.queue_error"})
            up.add_metric([], 0)
            yield up
            return
        for status in BACKLOG_STATUSES:
            depth.add_metric([status], counts.get(status, 0))
        now = self.clock()
        oldest.add_metric([], max(0.0, (now - oldest_due).total_seconds()) if oldest_due else 0.0)
        up.add_metric([], 1)
        yield from (depth, oldest, up)

    def _read(self) -> tuple[dict[str, int], datetime | None]:
        rows = ScheduledMessage.__table__.c
        with self.session_factory() as session:
            counts = dict(session.execute(
                select(rows.status, func.count()).where(rows.status.in_(BACKLOG_STATUSES)).group_by(rows.status)
            ).all())
            # min over the index's second column within status = 'pending': one index probe
            oldest_due = session.scalar(
                select(func.min(rows.scheduled_at)).where(rows.status == PENDING, rows.scheduled_at <= self.clock()))
            session.rollback()
        return counts, oldest_due


class _Forward:
    """Exposes another registry's metrics inside a per-scrape registry."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry

    def collect(self) -> Iterator[Metric]:
        return self.registry.collect()


def render_metrics(session_factory: sessionmaker[Session]) -> bytes:
    """The Prometheus text exposition of this process (or, in multiprocess mode, of all of them) plus the queue."""
    registry = CollectorRegistry(auto_describe=False)
    if os.environ.get(MULTIPROCESS_ENV):
        MultiProcessCollector(registry)
    else:
        registry.register(_Forward(REGISTRY))
    registry.register(QueueDepthCollector(session_factory))
    return generate_latest(registry)
