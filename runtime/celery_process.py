"""The Celery worker and beat processes as the platform needs them: JSON logs only, metrics of every task.

tasks.py imports this module, so `celery -A tasks worker|beat` connects these handlers:

- logging goes through Celery's `setup_logging` signal to app_logging's JSON lines on
  stdout; stdout is not redirected into the log (`worker_redirect_stdouts` is off in
  tasks.py), which used to wrap each JSON line in a second `WARNING/MainProcess {…}` line;
- the worker's plain-text banner and beat's are off, Python warnings become log records,
  and the notices the worker prints itself ('worker: Warm shutdown (MainProcess)') are
  printed as JSON lines;
- each task's outcome is counted in `whatsapp_tasks_total` and each worker folds the metric
  files of exited processes when it is ready (runtime/metrics.py).

Everything is imported inside the handlers: by the time they run, tasks.py has loaded `.env`,
so prometheus-client sees PROMETHEUS_MULTIPROC_DIR when first imported.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Mapping
from typing import Any

from celery.apps.beat import Beat
from celery.signals import celeryd_init, setup_logging, task_failure, task_success, worker_ready


class QuietBeat(Beat):
    """`celery beat` without its plain-text banner: its JSON log line 'beat: Starting...' says it started."""

    def run(self) -> None:
        self.quiet = True
        super().run()


@setup_logging.connect
def configure_celery_logging(loglevel: int | str | None = None, **_: Any) -> None:
    """JSON lines on stdout for Celery's own records and ours (connecting here stops Celery's own set-up)."""
    from runtime.app_logging import configure_logging

    level = logging.getLevelName(loglevel) if isinstance(loglevel, int) else (loglevel or "INFO")
    configure_logging(str(level).upper())


@celeryd_init.connect
def make_the_worker_write_json(instance: Any = None, options: Mapping[str, Any] | None = None, **_: Any) -> None:
    """Before the worker says anything: JSON logging, warnings as log records, no banner, JSON shutdown lines.

    The start-up banner is plain text (the 'ready' log line says the same in JSON), and the
    worker prints its shutdown notices ('worker: Warm shutdown (MainProcess)') with its own
    `safe_say`, outside logging: they are printed as JSON lines here instead.
    """
    import celery.apps.worker

    configure_celery_logging((options or {}).get("loglevel"))
    logging.captureWarnings(True)  # e.g. Celery's warning about running as root, checked right after this signal
    if instance is not None:
        instance.quiet = True
    celery.apps.worker.safe_say = _say_as_json


def _say_as_json(message: str, f: Any = None) -> None:
    from runtime.app_logging import json_line

    try:
        print(json_line("WARNING", "celery.worker_notice", str(message), "celery.apps.worker"),
              file=f or sys.__stdout__, flush=True)
    except (OSError, ValueError):  # a closed stream at exit: nothing to tell it
        pass


@worker_ready.connect
def compact_metric_files(**_: Any) -> None:
    """Fold the metric files of exited processes (runtime/metrics.py), as gunicorn and each cron run do."""
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        from runtime.metrics import compact_dead_process_files

        compact_dead_process_files(directory)


@task_success.connect
def count_succeeded_task(sender: Any = None, **_: Any) -> None:
    """whatsapp_tasks_total{outcome="succeeded"}."""
    from runtime.metrics import record_task

    record_task(getattr(sender, "name", "unknown"), "succeeded")


@task_failure.connect
def count_failed_task(sender: Any = None, **_: Any) -> None:
    """whatsapp_tasks_total{outcome="failed"}: alert on it (docs/operations.md, metrics)."""
    from runtime.metrics import record_task

    record_task(getattr(sender, "name", "unknown"), "failed")
