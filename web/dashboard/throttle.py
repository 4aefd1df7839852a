"""Failed dashboard logins, throttled per client address (in this process) and per browser session."""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict

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
