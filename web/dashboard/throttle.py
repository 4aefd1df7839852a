"""Failed dashboard logins, throttled per client address (in this process), per browser session and per account."""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from database_models import AuditEvent

logger = logging.getLogger("web.dashboard")


MAX_FAILED_LOGINS = 5
FAILED_LOGIN_WINDOW = 15 * 60  # seconds


class LoginThrottle:
    """Recent failed logins per client address, in this process (bounded: the oldest clients are forgotten)."""

    def __init__(self, max_clients: int = 10_000) -> None:
        self.max_clients = max_clients
        self._failures: OrderedDict[str, list[float]] = OrderedDict()
        self._lock = threading.Lock()

    def recent(self, client: str, now: float) -> list[float]:
        """The client's failures within the window."""
        with self._lock:
            return [t for t in self._failures.get(client, []) if now - t < FAILED_LOGIN_WINDOW]

    def record(self, client: str, now: float, failed: bool) -> None:
        """Count a failure, or forget the client's failures after a success."""
        with self._lock:
            history = self._failures.pop(client, [])
            if failed:
                self._failures[client] = [t for t in history if now - t < FAILED_LOGIN_WINDOW][-MAX_FAILED_LOGINS:]
                self._failures[client].append(now)
                while len(self._failures) > self.max_clients:
                    self._failures.popitem(last=False)


def retry_after(failures: list[float], now: float) -> float:
    """Seconds until the oldest of the last MAX_FAILED_LOGINS failures leaves the window (0: may try now)."""
    if len(failures) < MAX_FAILED_LOGINS:
        return 0.0
    return max(0.0, sorted(failures)[-MAX_FAILED_LOGINS] + FAILED_LOGIN_WINDOW - now)


def account_failures(db: Session, operator_id: int, now: float) -> list[float]:
    """Failed logins of one account within the window and since its last login (from the audit trail).

    Kept in the database, not in a worker's memory: guesses spread over workers and addresses
    all count against the account.
    """
    since = datetime.fromtimestamp(now - FAILED_LOGIN_WINDOW, UTC)
    subject = str(operator_id)
    last_login = db.scalar(select(func.max(AuditEvent.at)).where(
        AuditEvent.action == "login.succeeded", AuditEvent.subject_type == "operator",
        AuditEvent.subject_id == subject, AuditEvent.at >= since))
    failed = db.scalars(select(AuditEvent.at).where(
        AuditEvent.action == "login.failed", AuditEvent.subject_type == "operator", AuditEvent.subject_id == subject,
        AuditEvent.at >= (last_login or since)).order_by(AuditEvent.at.desc()).limit(MAX_FAILED_LOGINS))
    return [moment.timestamp() for moment in failed]
