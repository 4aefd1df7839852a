"""Scale-out on Celery: the broadcast processor and the enrichment job as tasks, and their beat schedule.

Where one machine's cron is not enough, run any number of workers on any number of
machines (`celery -A tasks worker`) and one beat (`celery -A tasks beat`), from the code
directory (systemd's WorkingDirectory, the image's WORKDIR). The processing task calls
`run_processor`, the same function as the cron entry; rows are shared through the
PostgreSQL queue's atomic claims (`FOR UPDATE SKIP LOCKED`), so every message is sent once
however many workers run. That is why the cron's single-instance lock is off here: it
would let only one worker send at a time.

The `celery` console script puts the working directory on `sys.path` only while it loads
this module, and the tasks import what they need when they first run; so this module puts
its own directory on `sys.path` for good. `.env` beside it is loaded when Celery first reads
its settings, before any task imports prometheus-client, so PROMETHEUS_MULTIPROC_DIR
written there puts the workers' counters into `/metrics` (runtime/metrics.py); the real environment
wins over `.env`. Settings:

    CELERY_BROKER_URL        redis://127.0.0.1:6379/0 (no result backend is used)
    CELERY_QUEUE             whatsapp (give each deployment, or test run, its own)
    CELERY_PROCESS_INTERVAL  5 seconds between beat's processing tasks
    CELERY_ENRICH_INTERVAL   60 seconds between beat's enrichment tasks

Each worker process reads the platform's settings (`.env` and the `_FILE` secrets) again
before every task and rebuilds its engine and sender when they changed, so a rotated secret
reaches the workers with the next task, without a restart. A task that cannot do its work
(settings invalid, database unreachable, processor or enrichment failed) raises: Celery logs
it as failed and `whatsapp_tasks_total{outcome="failed"}` counts it; it never reports success.

Logs: every line the worker and beat write is one JSON object; runtime/celery_process.py sets that
up through Celery's signals, and counts each task's outcome.

WHATSAPP_MAX_MPS is enforced per worker process: with N processes sending, set it to the
number's limit divided by N (see docs/scale.md). A processor sends from its own threads,
so one process per worker (`--pool=solo`) is enough; add workers, not concurrency. On
SIGTERM a worker finishes the sends in flight, hands unsent claims back, then stops.
"""

from __future__ import annotations

import functools
import logging
import os
import signal
import sys
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from celery import Celery
from celery.signals import worker_process_shutdown, worker_shutdown

from config import Config, ConfigError
from runtime.celery_process import QuietBeat  # also connects the worker's and beat's logging and metrics signals

# The celery console script puts the working directory on sys.path while it imports this module
# and removes that entry afterwards; the tasks' imports (run_broadcast_processor, enrichment, …) and
# Celery's settings (process_environment) need it later, so a second entry of our own stays.
CODE_DIRECTORY = str(Path(__file__).resolve().parent)
sys.path.append(CODE_DIRECTORY)

logger = logging.getLogger(__name__)

DEFAULT_BROKER_URL = "redis://127.0.0.1:6379/0"
DEFAULT_QUEUE = "whatsapp"
PROCESS_TASK = "tasks.process_due_messages"
ENRICH_TASK = "tasks.enrich_messages"


class TaskFailed(RuntimeError):
    """A task could not do its work; the reason was logged just before."""


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
        # Our JSON logging (app_logging) stays in place, and owns stdout.
        "worker_hijack_root_logger": False,
        "worker_redirect_stdouts": False,
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


class PlatformCelery(Celery):
    """Celery whose beat writes JSON lines only."""

    @functools.cached_property
    def Beat(self) -> type:  # Celery's own attribute name
        return self.subclass_with_self(QuietBeat)


def create_celery_app(*, read_dotenv: bool = False, **settings: Any) -> Celery:
    """A Celery app configured from the environment (and `.env` with `read_dotenv`) when first used; `settings` win."""

    def defaults() -> dict[str, Any]:
        if read_dotenv:
            from runtime.process_environment import ensure_metrics_directory, load_environment

            load_environment()
            ensure_metrics_directory()
        return celery_settings() | settings

    celery_app = PlatformCelery("tasks", set_as_current=False)
    celery_app.add_defaults(defaults)
    return celery_app


# What `celery -A tasks` runs: it reads `.env` when Celery first reads its settings.
app = create_celery_app(read_dotenv=True)


# --- the per-process context ---------------------------------------------------------------

_context: Any = None  # this process's runtime.context.Platform, built on its first task
_context_pid: int | None = None
_context_lock = threading.Lock()


def current_settings() -> Config:
    """The platform's settings as they are now: `.env` and the `_FILE` secrets read again."""
    from runtime.context import load_process_config

    return load_process_config()


def build_worker_context(config: Config | None = None) -> Any:
    """This worker's objects for `config` (default: current settings), from the one assembler (runtime.context)."""
    from runtime.context import build_platform, configure_process_logging

    config = current_settings() if config is None else config
    configure_process_logging(config)
    return build_platform(config, with_chatbot=False, serves_webhooks=False)


def worker_context() -> Any:
    """This process's context for the settings of now: rebuilt when they changed (a rotated secret) or after a fork.

    Invalid settings raise ConfigError: the task fails, loudly, and is counted.
    """
    global _context, _context_pid
    with _context_lock:
        try:
            config = current_settings()
        except ConfigError as error:
            logger.error("configuration error: %s", error, extra={"event": "celery.config_error"})
            raise
        if _context is not None and (_context_pid != os.getpid() or _context.config != config):
            if _context_pid == os.getpid():
                logger.info("settings changed; rebuilding the worker's sender and engine",
                            extra={"event": "celery.settings_changed"})
                _context.close()
            _context = None
        if _context is None:
            _context, _context_pid = build_worker_context(config), os.getpid()
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

@functools.cache
def _worker_processor_class() -> type:
    """A MessageProcessor that remembers a SIGTERM, so the worker can be told afterwards (imported on first use)."""
    from outbound.processor import MessageProcessor

    class WorkerProcessor(MessageProcessor):
        stop_requested = False

        def request_stop(self) -> None:
            """Stop sending, and remember why."""
            self.stop_requested = True
            super().request_stop()

    return WorkerProcessor


@app.task(name=PROCESS_TASK, ignore_result=True)
def process_due_messages(time_budget: float | None = None, limit: int | None = None) -> dict[str, Any]:
    """Send due queue rows, like one cron run; returns the summary, raises TaskFailed when the run failed."""
    from run_broadcast_processor import EXIT_CONFIG, EXIT_ERROR, run_processor

    context = worker_context()
    made: list[Any] = []

    def make_processor() -> Any:
        made.append(context.new_processor(_worker_processor_class()))
        return made[-1]

    code, summary = run_processor(context.config, context.session_factory, make_processor,
                                  time_budget=time_budget, limit=limit, guard=False)
    if any(processor.stop_requested for processor in made):
        # run_processor took SIGTERM over while it sent (finish in-flight sends, hand the
        # rest back) and has put Celery's handler back: pass the signal on to it, so the
        # worker still shuts down.
        signal.raise_signal(signal.SIGTERM)
    if code in (EXIT_ERROR, EXIT_CONFIG):
        raise TaskFailed(f"the processor run failed (exit code {code}); its error is logged above")
    return {"exit_code": code, **(summary.as_dict() if summary is not None else {})}


@app.task(name=ENRICH_TASK, ignore_result=True)
def enrich_messages(time_budget: float | None = None) -> int:
    """Enrich stored messages not enriched yet (analytics' job), one committed batch at a time; errors fail the task."""
    from language.enrichment import enrich_pending

    context = worker_context()
    budget = context.config.processor_time_budget_seconds if time_budget is None else time_budget
    return enrich_pending(context.session_factory, time_budget=budget, rules=context.chatbot_rules())
