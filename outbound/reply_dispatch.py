"""Sending the chatbot's queued replies right after the webhook's commit (REPLY_SENDER=web)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait

from outbound.processor import MessageProcessor

logger = logging.getLogger("runtime.context")  # its log lines keep the logger name they always had


class ReplyDispatcher:
    """Sends the chatbot's queued replies right after the webhook's commit.

    In the background by default, so Meta gets its 200 without waiting for the Graph
    API; inline when configured (tests). Either way a reply whose send fails or never
    starts is still pending in the queue, and the processor sends it. Switched off
    (REPLY_SENDER=processor) the web tier only stores: the processor (Celery beat every
    few seconds) sends every reply, and web workers spend no CPU on the Graph API.
    """

    def __init__(self, processor: MessageProcessor, inline: bool = False, enabled: bool = True) -> None:
        self.processor = processor
        self.enabled = enabled
        self._pool = None if inline or not enabled else ThreadPoolExecutor(4, thread_name_prefix="reply")
        self._futures: set[Future] = set()

    def dispatch(self, message_ids: Sequence[int]) -> None:
        """Send these queue rows now (inline) or soon (background); leave them to the processor when off."""
        if not self.enabled:
            return
        if self._pool is None:
            self._send(list(message_ids))
            return
        future = self._pool.submit(self._send, list(message_ids))
        self._futures.add(future)
        future.add_done_callback(self._futures.discard)

    def _send(self, message_ids: list[int]) -> None:
        try:
            self.processor.send_now(message_ids)
        except Exception:  # a job boundary: the rows stay in the queue for the processor
            logger.exception("reply send failed; left for the processor", extra={"event": "reply.send_error"})

    def drain(self, timeout: float = 30.0) -> None:
        """Wait until every dispatched send has finished."""
        wait(list(self._futures), timeout=timeout)

    def close(self) -> None:
        """Finish what was dispatched, then stop the threads."""
        if self._pool is not None:
            self._pool.shutdown(wait=True)
