"""Prometheus metrics: the metric objects and the helpers that move them (a leaf: no project imports).

Counters and histograms live in prometheus-client's default registry and move in the
process that does the work (a web worker for webhooks, the processor for sends). The
queue depth is not a counter: `web.api.metrics` reads it from the database at scrape time
and serves `/metrics`.

Several processes (gunicorn workers, the cron processor) each hold their own counters.
When `PROMETHEUS_MULTIPROC_DIR` is set in their environment before they start,
prometheus-client writes every value to a file in that directory and a scrape sums
them all, so any worker answers for the whole machine. The directory must be emptied
when the server starts and gunicorn must call `mark_worker_dead(pid)` from `child_exit`.
"""

from __future__ import annotations

import logging
import os

from prometheus_client import Counter, Histogram
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.multiprocess import mark_process_dead

logger = logging.getLogger(__name__)

__all__ = ["CONTENT_TYPE_LATEST", "MULTIPROCESS_ENV", "WEBHOOK_RESULTS", "mark_worker_dead", "record_batch",
           "record_send", "record_webhook"]

MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"
WEBHOOK_RESULTS = ("stored", "bad_signature", "unsigned", "bad_json", "bad_envelope", "db_unavailable", "too_large")
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
