"""Scale-out on Celery: the broadcast processor and the enrichment job as tasks, and their beat schedule.

Where one machine's cron is not enough, run any number of workers on any number of
machines (`celery -A tasks worker`) and one beat (`celery -A tasks beat`). The processing
task calls `run_processor`, the same function as the cron entry; rows are shared through
the PostgreSQL queue's atomic claims (`FOR UPDATE SKIP LOCKED`), so every message is sent
once however many workers run. That is why the cron's single-instance lock is off here:
it would let only one worker send at a time.

Each worker process builds its objects once, on its first task, with the same assembler as
the web app and the cron job (`runtime.context`; never at import: the CLI imports this module
to find the app). Settings are
read when Celery configures the app:

    CELERY_BROKER_URL        redis://127.0.0.1:6379/0 (no result backend is used)
    CELERY_QUEUE             whatsapp (give each deployment, or test run, its own)
    CELERY_PROCESS_INTERVAL  5 seconds between beat's processing tasks
    CELERY_ENRICH_INTERVAL   60 seconds between beat's enrichment tasks

WHATSAPP_MAX_MPS is enforced per worker process: with N processes sending, set it to the
number's limit divided by N (see docs/scale.md). A processor sends from its own threads,
so one process per worker (`--pool=solo`) is enough; add workers, not concurrency. On
SIGTERM a worker finishes the sends in flight, hands unsent claims back, then stops.
"""

from __future__ import annotations

import importlib
import logging
import os
import signal
import threading
from collections.abc import Callable, Mapping
from typing import Any

from celery import Celery
from celery.signals import worker_process_shutdown, worker_shutdown

from config import Config, ConfigError
from outbound.processor import MessageProcessor
from runtime.context import Platform, build_platform, configure_process_logging, load_process_config

logger = logging.getLogger(__name__)

DEFAULT_BROKER_URL = "redis://127.0.0.1:6379/0"
DEFAULT_QUEUE = "whatsapp"
PROCESS_TASK = "tasks.process_due_messages"
ENRICH_TASK = "tasks.enrich_messages"


def _seconds(environ: Mapping[str, str], name: str, default: float) -> float:
    raw = environ.get(name)
    if raw in (None, ""):
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number of seconds, got {raw!r}") from None
    if value <= 0:
        raise ConfigError(f"{name} must be positive, got {raw!r}")
    return value


def celery_settings(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Celery's settings from `environ` (default: the process environment)."""
    environ = os.environ if environ is None else environ
    process_every = _seconds(environ, "CELERY_PROCESS_INTERVAL", 5.0)
    enrich_every = _seconds(environ, "CELERY_ENRICH_INTERVAL", 60.0)
    return {
        "broker_url": environ.get("CELERY_BROKER_URL") or DEFAULT_BROKER_URL,
        "broker_connection_retry_on_startup": True,
        "task_default_queue": environ.get("CELERY_QUEUE") or DEFAULT_QUEUE,
        "task_ignore_result": True,
        # One task at a time per process, fetched when it can start: a busy worker must
        # not hold tasks another worker could run.
        "worker_prefetch_multiplier": 1,
        # Our JSON logging (app_logging) stays in place in the worker.
        "worker_hijack_root_logger": False,
        "timezone": "UTC",
        "beat_schedule": {
            # `expires`: a task still queued when the next one is due is dropped, so a
            # stalled or slow worker pool never finds a pile of processing tasks waiting.
            "process-due-messages": {"task": PROCESS_TASK, "schedule": process_every,
                                     "options": {"expires": process_every}},
            "enrich-messages": {"task": ENRICH_TASK, "schedule": enrich_every,
                                "options": {"expires": enrich_every}},
        },
    }


def create_celery_app(**settings: Any) -> Celery:
    """A Celery app configured from the environment when first used; `settings` override it."""
    celery_app = Celery("tasks", set_as_current=False)
    celery_app.add_defaults(lambda: celery_settings() | settings)
    return celery_app


app = create_celery_app()


# --- the per-process context ---------------------------------------------------------------

_context: Platform | None = None
_context_pid: int | None = None
_context_lock = threading.Lock()


def build_worker_context(config: Config | None = None) -> Platform:
    """This worker's objects, from `runtime.context` like every other process (no chatbot, no webhooks)."""
    config = config or load_process_config()
    configure_process_logging(config)
    return build_platform(config, with_chatbot=False, serves_webhooks=False)


def worker_context() -> Platform:
    """This process's context, built on first use (and again in a forked child)."""
    global _context, _context_pid
    with _context_lock:
        if _context is None or _context_pid != os.getpid():
            _context, _context_pid = build_worker_context(), os.getpid()
        return _context


@worker_process_shutdown.connect
@worker_shutdown.connect
def close_worker_context(**_: Any) -> None:
    """Close this process's context when its worker stops."""
    global _context
    with _context_lock:
        if _context is not None and _context_pid == os.getpid():
            _context.close()
        _context = None


# --- tasks ------------------------------------------------------------------------------------

class _WorkerProcessor(MessageProcessor):
    """A MessageProcessor that remembers a SIGTERM, so the worker can be told afterwards."""

    stop_requested = False

    def request_stop(self) -> None:
        """Stop sending, and remember why."""
        self.stop_requested = True
        super().request_stop()


@app.task(name=PROCESS_TASK, ignore_result=True)
def process_due_messages(time_budget: float | None = None, limit: int | None = None) -> dict[str, Any]:
    """Send due queue rows, like one cron run; returns the exit code and the summary."""
    from run_broadcast_processor import run_processor

    context = worker_context()
    made: list[MessageProcessor] = []

    def make_processor() -> MessageProcessor:
        made.append(context.new_processor(_WorkerProcessor))
        return made[-1]

    code, summary = run_processor(context.config, context.session_factory, make_processor,
                                  time_budget=time_budget, limit=limit, guard=False)
    if any(getattr(processor, "stop_requested", False) for processor in made):
        # run_processor took SIGTERM over while it sent (finish in-flight sends, hand the
        # rest back) and has put Celery's handler back: pass the signal on to it, so the
        # worker still shuts down.
        signal.raise_signal(signal.SIGTERM)
    return {"exit_code": code, **(summary.as_dict() if summary is not None else {})}


@app.task(name=ENRICH_TASK, ignore_result=True)
def enrich_messages(time_budget: float | None = None) -> int:
    """Enrich stored messages not enriched yet (analytics' job), one committed batch at a time."""
    enrich_pending = find_enrich_pending()
    if enrich_pending is None:
        logger.info("no enrich_pending function installed; nothing to do", extra={"event": "enrichment.missing"})
        return 0
    context = worker_context()
    budget = context.config.processor_time_budget_seconds if time_budget is None else time_budget
    try:
        return enrich_pending(context.session_factory, time_budget=budget, rules=context.chatbot_rules())
    except Exception:  # the job boundary: committed batches stay, the next run continues
        logger.exception("enrichment failed", extra={"event": "enrichment.error"})
        return 0


def find_enrich_pending() -> Callable[..., int] | None:
    """Analytics' `enrichment.enrich_pending`, or None in a deployment without it."""
    try:
        module = importlib.import_module("language.enrichment")
    except ModuleNotFoundError as error:
        if error.name not in ("language", "language.enrichment"):
            raise  # the module exists but something it imports does not
        return None
    function = getattr(module, "enrich_pending", None)
    return function if callable(function) else None
