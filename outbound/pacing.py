"""Spreading outbound sends over time and threads: the messages-per-second token bucket, the
per-recipient interval, retry backoff, and the sending threads themselves.

Meta limits a business number's throughput (WHATSAPP_MAX_MPS, 80 by default, up to
1,000), answers 130429 when it is exceeded, and allows about one message every six
seconds to the same user, in short bursts (131056 otherwise). These pieces are shared by a processor's
sending threads; they know nothing of the database or of HTTP.
"""

from __future__ import annotations

import math
import queue
import random
import threading
import time
from collections.abc import Callable
from typing import Any

PAIR_RATE_INTERVAL = 6.0  # seconds per message to the same recipient on average (Meta's pair rate limit)
PAIR_RATE_BURST = 3  # messages to one recipient that may go at once (Meta tolerates up to 45)
RETRY_BASE_SECONDS = 5.0
RETRY_MAX_SECONDS = 900.0
MAX_CONCURRENCY = 200  # WhatsAppService's connection pool size


class RateLimiter:
    """A token bucket shared by the sending threads; slows down when Meta says 130429."""

    def __init__(self, rate: float, burst: float | None = None) -> None:
        self.max_rate = self.rate = float(rate)
        self.burst = burst if burst is not None else max(1.0, rate / 20)
        self._next = time.monotonic()
        self._penalised_at = 0.0
        self._lock = threading.Lock()

    def acquire(self, deadline: float | None = None) -> bool:
        """Block until one more message may be sent; False (taking nothing) if that is after `deadline`."""
        with self._lock:
            now = time.monotonic()
            if self.rate < self.max_rate and now - self._penalised_at > 10:
                self.rate = min(self.max_rate, self.rate * 1.25)  # recover gradually after a 130429
                self._penalised_at = now - 5
            start = max(self._next, now - self.burst / self.rate)
            if deadline is not None and start > deadline:
                return False
            self._next = start + 1.0 / self.rate
            delay = start - now
        if delay > 0:
            time.sleep(delay)
        return True

    def slow_down(self) -> None:
        """Halve the rate (not below 1/s) and pause briefly: the API said we are too fast."""
        with self._lock:
            self.rate = max(1.0, self.rate / 2)
            self._penalised_at = time.monotonic()
            self._next = max(self._next, self._penalised_at + 1.0)


class RecipientPacer:
    """Paces the messages to one recipient: PAIR_RATE_BURST at once, then one per PAIR_RATE_INTERVAL.

    Meta's pair rate is one message every six seconds to the same user on average, and it
    tolerates short bursts (up to 45 in six seconds, then as long a pause). A customer who
    writes "سلام" and then the question three seconds later gets both replies at once, and an
    agent's two quick messages both go; a fourth message within the burst waits its turn.
    A generic cell rate: each recipient has the moment its bucket would be empty (`due`);
    a send is allowed while that lies less than `burst - 1` intervals ahead.
    """

    def __init__(self, interval: float = PAIR_RATE_INTERVAL, burst: int = PAIR_RATE_BURST,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = interval
        self.burst = max(1, burst)
        self._clock = clock
        self._due: dict[str, float] = {}
        self._lock = threading.Lock()

    def reserve(self, wa_id: str) -> tuple[float, float | None]:
        """(0, previous) when `wa_id` may be sent to now (and is booked), else (seconds to wait, None)."""
        with self._lock:
            now = self._clock()
            previous = self._due.get(wa_id)
            due = now if previous is None else max(previous, now)
            ahead = due - now - (self.burst - 1) * self.interval
            if ahead > 0:
                return ahead, None
            self._due[wa_id] = due + self.interval
            if len(self._due) > 100_000:
                self._due = {key: value for key, value in self._due.items() if value > now}
            return 0.0, previous

    def unbook(self, wa_id: str, previous: float | None) -> None:
        """Undo a booking whose send was not accepted."""
        with self._lock:
            if previous is None:
                self._due.pop(wa_id, None)
            else:
                self._due[wa_id] = previous

    @property
    def window(self) -> float:
        """How far back earlier sends still count: older ones cannot hold a send back."""
        return self.burst * self.interval

    def seed(self, wa_id: str, *seconds_ago: float) -> None:
        """Remember sends made `seconds_ago` (by another run or process), replayed oldest first."""
        with self._lock:
            now, due = self._clock(), None
            for age in sorted((max(0.0, age) for age in seconds_ago), reverse=True):
                at = now - age
                due = (at if due is None else max(due, at)) + self.interval
            if due is not None:
                self._due[wa_id] = max(due, self._due.get(wa_id, due))


def backoff_delay(attempt: int, rng: random.Random | None = None, base: float = RETRY_BASE_SECONDS,
                  cap: float = RETRY_MAX_SECONDS) -> float:
    """Seconds before retry number `attempt` (1-based): exponential, capped, jittered over its upper half."""
    ceiling = min(cap, base * 2 ** max(0, attempt - 1))
    return (rng or random).uniform(ceiling / 2, ceiling)


def default_concurrency(max_mps: float) -> int:
    """Sending threads for a rate: enough for ~0.5 s API latency, within the connection pool."""
    return int(min(MAX_CONCURRENCY, max(8, math.ceil(max_mps * 0.5))))


class SendThreads:
    """A fixed set of sending threads fed through queues: no Future, lock or set per message."""

    def __init__(self, size: int, send: Callable[[Any], Any]) -> None:
        self._tasks: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._results: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._threads = [threading.Thread(target=self._run, args=(send,), name=f"send-{n}", daemon=True)
                         for n in range(size)]
        for thread in self._threads:
            thread.start()

    def _run(self, send: Callable[[Any], Any]) -> None:
        while (row := self._tasks.get()) is not None:
            self._results.put(send(row))

    def submit(self, rows: list[Any]) -> None:
        """Queue rows for sending, in order (None is reserved: it stops a thread)."""
        for row in rows:
            self._tasks.put(row)

    def take(self, timeout: float) -> list[Any]:
        """The outcomes ready within `timeout` seconds: all of them, once the first one is."""
        outcomes: list[Any] = []
        try:
            outcomes.append(self._results.get(timeout=timeout) if timeout > 0 else self._results.get_nowait())
            while True:
                outcomes.append(self._results.get_nowait())
        except queue.Empty:
            return outcomes

    def close(self) -> None:
        """Let the threads finish what is queued, then stop them."""
        for _ in self._threads:
            self._tasks.put(None)
        for thread in self._threads:
            thread.join()
