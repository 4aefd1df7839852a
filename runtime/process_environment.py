"""The `.env` file next to the code, loaded into the process environment by every entry point.

Every entry calls `load_environment()` before it imports anything that reads the environment
at import time — gunicorn.conf.py (before its own settings), the cron script, `celery -A tasks`
(when Celery first reads its settings), alembic's env.py and gunicorn's preflight; the `flask`
command loads `.env` itself before it imports the app. That order matters: prometheus-client
chooses single- or multi-process mode when it is first imported, by looking for
PROMETHEUS_MULTIPROC_DIR, so a `.env` read later is too late for it.

Precedence: a variable set in the real environment (systemd's EnvironmentFile=, compose's
`environment:`, the shell) wins over `.env`. A variable that came from `.env` is refreshed
from the file on every call, and dropped when the file no longer sets it, so a process that
calls this again (gunicorn on SIGHUP, a Celery worker before each task) sees the file as it
is now rather than as it was at start-up. Which variables came from the file is remembered in
the environment itself (DOTENV_KEYS_VARIABLE), so forked and spawned children agree.

This module is a leaf: it imports python-dotenv and the standard library only.
"""

from __future__ import annotations

import os
from collections.abc import MutableMapping
from pathlib import Path

from dotenv import dotenv_values

BASE_DIR = Path(__file__).resolve().parents[1]  # the code directory: this file lives in runtime/
DOTENV_PATH = BASE_DIR / ".env"
# Names of the variables this process (or its parent) took from `.env`, comma-separated.
DOTENV_KEYS_VARIABLE = "WHATSAPP_PLATFORM_DOTENV_KEYS"


def load_environment(path: Path | str = DOTENV_PATH, environ: MutableMapping[str, str] | None = None) -> list[str]:
    """Apply `path` (default: `.env` beside the code) to `environ`; the names now taken from the file."""
    environ = os.environ if environ is None else environ
    previous = set(filter(None, environ.get(DOTENV_KEYS_VARIABLE, "").split(",")))
    values = dotenv_values(path) if Path(path).is_file() else {}
    taken = []
    for name, value in values.items():
        if value is None or name == DOTENV_KEYS_VARIABLE:
            continue
        if name in environ and name not in previous:
            continue  # set by the real environment: it wins
        environ[name] = value
        taken.append(name)
    for name in previous - set(taken):
        environ.pop(name, None)  # the file no longer sets it
    if taken:
        environ[DOTENV_KEYS_VARIABLE] = ",".join(sorted(taken))
    else:
        environ.pop(DOTENV_KEYS_VARIABLE, None)
    return sorted(taken)


def ensure_metrics_directory(environ: MutableMapping[str, str] | None = None) -> None:
    """Create PROMETHEUS_MULTIPROC_DIR when it is set but missing: prometheus-client cannot start without it."""
    environ = os.environ if environ is None else environ
    directory = environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        os.makedirs(directory, exist_ok=True)
