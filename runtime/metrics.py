"""Prometheus metrics: the metric objects, the helpers that move them, the multiprocess directory.

A leaf: it imports no project module, so every process may import it. `/metrics` itself
(the exposition and the queue depth) is `web.api.metrics`.

Counters and histograms live in prometheus-client's default registry and move in the
process that does the work (a web worker for webhooks, the processor for sends, a Celery
worker for tasks). The queue depth is not a counter: it is read from the database at
scrape time by `web.api.metrics.QueueDepthCollector` (one `GROUP BY status` over the index
`(status, scheduled_at, id)`, restricted to the statuses that make up a backlog).

Several processes (gunicorn workers, cron runs, Celery workers) each hold their own
counters. With `PROMETHEUS_MULTIPROC_DIR` in their environment *before prometheus-client is
first imported* (every entry loads `.env` first: process_environment), each process writes
its values to `<type>_<pid>.db` files in that directory and a scrape sums them all, so any
web worker answers for the whole machine.

The directory is never emptied. A cron run leaves two files a minute behind, so
`compact_dead_process_files` folds the files of exited processes into one archive file per
type (the sums are unchanged, so no counter goes backwards) and deletes the originals;
files of running processes are never touched. gunicorn's preflight, every cron run and
every Celery worker call it at start-up. A scrape reads the directory under a shared lock
and the compaction writes under an exclusive one, so a scrape never sees a value twice or
not at all. No gauge is kept in these files (the queue gauges are read at scrape time);
gauges of exited processes in `live*` modes are deleted with their files.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import struct
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

from prometheus_client import Counter, Histogram
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.mmap_dict import MmapedDict
from prometheus_client.multiprocess import mark_process_dead

logger = logging.getLogger(__name__)

__all__ = ["CONTENT_TYPE_LATEST", "MULTIPROCESS_ENV", "PROCESSOR_RESULTS", "WEBHOOK_RESULTS",
           "compact_dead_process_files", "directory_lock", "mark_worker_dead", "record_batch", "record_claims",
           "record_processor_run", "record_send", "record_task", "record_webhook"]

MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"
WEBHOOK_RESULTS = ("stored", "bad_signature", "unsigned", "bad_json", "bad_envelope", "db_unavailable", "too_large")
# One processor run (cron, `broadcast process`, a Celery task): what it came to.
PROCESSOR_RESULTS = ("idle", "busy", "done", "unconfirmed", "error")
TASK_OUTCOMES = ("succeeded", "failed")
# Files whose values are sums (counters, histograms) and so can be folded into an archive.
_ADDITIVE_PREFIXES = ("counter", "histogram")
_LOCK_FILE = ".lock"
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
    "whatsapp_processor_batch_seconds", "Duration of one processor run that claimed rows (claim, send, record).",
    buckets=(0.1, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0))
CLAIMED_MESSAGES = Counter(
    "whatsapp_processor_claimed_messages", "Queue rows claimed by the processor, counted at each claim.")
PROCESSOR_RUNS = Counter(
    "whatsapp_processor_runs", "Processor runs (cron, CLI, Celery), by result.", ["result"])
TASKS = Counter(
    "whatsapp_tasks", "Celery tasks run by a worker, by task and outcome.", ["task", "outcome"])
UNMODELLED_ITEMS = Counter(
    "whatsapp_webhook_unmodelled_items",
    "Webhook items stored although the code does not model them (kept raw), by kind (field, message_type,"
    " message) and name.", ["kind", "name"])

# Every series exists from the start, so rate() sees the first event; the children are kept
# because looking a label up again costs more than the increment, on every webhook.
_WEBHOOK_COUNTERS = {result: WEBHOOKS_RECEIVED.labels(result=result) for result in WEBHOOK_RESULTS}
_PROCESSOR_RUN_COUNTERS = {result: PROCESSOR_RUNS.labels(result=result) for result in PROCESSOR_RESULTS}


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


def record_claims(claimed: int) -> None:
    """Count rows the processor just claimed (at each claim, so a long run shows its progress)."""
    CLAIMED_MESSAGES.inc(claimed)


def record_batch(seconds: float) -> None:
    """Observe one processor run that claimed rows: how long it took (claim, send, record)."""
    BATCH_DURATION.observe(seconds)


def record_processor_run(result: str) -> None:
    """Count one processor run with its result (one of PROCESSOR_RESULTS)."""
    counter = _PROCESSOR_RUN_COUNTERS.get(result)
    if counter is None:
        raise ValueError(f"unknown processor result {result!r}")
    counter.inc()


def record_task(task: str, outcome: str) -> None:
    """Count one Celery task by its outcome (succeeded or failed)."""
    if outcome not in TASK_OUTCOMES:
        raise ValueError(f"unknown task outcome {outcome!r}")
    TASKS.labels(task=task, outcome=outcome).inc()


def mark_worker_dead(pid: int) -> None:
    """gunicorn `child_exit` hook body: drop a dead worker's live gauges in multiprocess mode."""
    if os.environ.get(MULTIPROCESS_ENV):
        mark_process_dead(pid)


# --- the multiprocess directory ------------------------------------------------------------------

@contextlib.contextmanager
def directory_lock(directory: Path, *, exclusive: bool) -> Iterator[None]:
    with open(directory / _LOCK_FILE, "a") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        try:
            yield
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)


def _process_is_running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: alive
        return True
    return True


def _fold(directory: Path, prefix: str, paths: list[Path]) -> None:
    """Add the values of `paths` to `<prefix>_archive.db`, then delete them (under the exclusive lock)."""
    archive = directory / f"{prefix}_archive.db"
    totals: dict[str, float] = defaultdict(float)
    for path in ([archive] if archive.exists() else []) + paths:
        for key, value, _timestamp, _position in MmapedDict.read_all_values_from_file(str(path)):
            totals[key] += value
    # Written aside and renamed over the archive: a crash never leaves half an archive.
    staging = directory / f"{prefix}_archive.staging"
    staging.unlink(missing_ok=True)
    merged = MmapedDict(str(staging))
    try:
        for key, value in totals.items():
            merged.write_value(key, value, 0.0)
    finally:
        merged.close()
    os.replace(staging, archive)
    for path in paths:
        path.unlink(missing_ok=True)


def compact_dead_process_files(directory: str | Path) -> int:
    """Fold the metric files of exited processes into one archive per type; returns how many files were folded."""
    directory = Path(directory)
    if not directory.is_dir():
        return 0
    folded = 0
    with directory_lock(directory, exclusive=True):
        dead: dict[str, list[Path]] = defaultdict(list)
        for path in directory.glob("*.db"):
            prefix, _, owner = path.stem.rpartition("_")
            if not owner.isdigit() or _process_is_running(int(owner)):
                continue
            if prefix in _ADDITIVE_PREFIXES:
                dead[prefix].append(path)
            elif prefix.startswith("gauge_live"):
                path.unlink(missing_ok=True)
        for prefix, paths in dead.items():
            try:
                _fold(directory, prefix, paths)
            except (OSError, ValueError, struct.error):  # housekeeping: the files stay, summed as before
                logger.exception("metric files of exited processes not folded", extra={"event": "metrics.fold_error"})
                continue
            folded += len(paths)
    if folded:
        logger.info("metric files of %d exited processes folded", folded,
                    extra={"event": "metrics.compacted", "count": folded})
    return folded
