"""Structured logging: one JSON object per line on stdout, for the app and the jobs.

Fields passed with `extra=` (event, wamid, contact_id, request_id, …) become keys.
Secrets never reach a log line: nothing here logs configuration values, and the
formatter masks any configured secret that slips into a message.

The same format everywhere, so `jq` reads every line of every process: the app and the
jobs (`configure_logging`), gunicorn's own error and access logs (its logger class in
gunicorn.conf.py uses `JsonFormatter`), Celery's workers and beat (tasks.py configures
logging through Celery's `setup_logging` signal), and the one-line errors a process prints
before logging is set up (`json_line`).
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TextIO

# Attributes every LogRecord has; anything else came in through `extra=`.
_STANDARD_ATTRIBUTES = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}


class JsonFormatter(logging.Formatter):
    """Formats a record as one JSON line, masking the given secret values."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets = tuple(s for s in secrets if s and len(s) >= 6)

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "event": getattr(record, "event", None) or record.getMessage(),
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRIBUTES and key != "event":
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        line = json.dumps(entry, ensure_ascii=False, default=str)
        for secret in self.secrets:
            line = line.replace(secret, "[redacted]")
        return line


class RequestIdFilter(logging.Filter):
    """Adds the current request's id to records logged while serving a request."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            from flask import g, has_request_context

            if has_request_context():
                record.request_id = g.get("request_id")
        return True


def configure_logging(level: str = "INFO", secrets: Iterable[str] = (), stream: TextIO | None = None) -> None:
    """Send every log record as JSON at `level` to `stream` (default stdout; idempotent)."""
    root = logging.getLogger()
    handler = next((h for h in root.handlers if getattr(h, "_whatsapp_platform", False)), None)
    if handler is not None:
        handler.setStream(stream or sys.stdout)
    else:
        handler = logging.StreamHandler(stream or sys.stdout)
        handler._whatsapp_platform = True  # type: ignore[attr-defined]
        handler.addFilter(RequestIdFilter())
        root.addHandler(handler)
    handler.setFormatter(JsonFormatter(secrets))
    root.setLevel(level)
    # httpx logs every request URL at INFO: it adds nothing to our own send log lines.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    # pywa warns about client settings on every timeout and logs request bodies at DEBUG;
    # our sender already logs each failure once, without the body.
    logging.getLogger("pywa").setLevel(logging.ERROR)


def json_line(level: str, event: str, message: str, logger_name: str = "whatsapp_platform") -> str:
    """One line in the JSON log format, for the errors a process prints before (or instead of) configuring logging."""
    record = logging.makeLogRecord({"name": logger_name, "levelname": level, "levelno": logging.getLevelName(level),
                                    "msg": message, "event": event})
    return JsonFormatter().format(record)
