"""The objects one running process shares: settings, engine, session factory, sender, chatbot.

`build_platform()` is called once per process by `create_app()` or a job script; nothing
is built at import. Web requests reach it through `platform()`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from chatbot_service import Chatbot
from config import Config
from database_setup import create_engine_for, create_session_factory
from inbound.status_writer import StatusWriter
from outbound.processor import MessageProcessor
from whatsapp_service import Sender, build_sender

logger = logging.getLogger(__name__)


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


@dataclass
class Platform:
    """Everything a request or a job needs, built once per process."""

    config: Config
    engine: Engine
    session_factory: sessionmaker[Session]
    sender: Sender
    processor: MessageProcessor
    chatbot: Chatbot | None
    dispatcher: ReplyDispatcher
    status_writer: StatusWriter | None = None  # PostgreSQL only: status-only webhooks in one statement

    def close(self) -> None:
        """Release the sender's connections and the engines' pools."""
        self.dispatcher.close()
        self.sender.close()
        self.engine.dispose()
        if self.status_writer is not None:
            self.status_writer.engine.dispose()


def build_sender_for(config: Config) -> Sender:
    """The real pywa sender when a token is configured, otherwise the dry-run sender."""
    return build_sender(config.whatsapp_api_token, config.whatsapp_phone_number_id, config.whatsapp_api_base_url)


def build_platform(config: Config, sender: Sender | None = None, *, with_chatbot: bool = True) -> Platform:
    """Engine, sessions, sender, processor and chatbot for `config` (pass `sender` to override it)."""
    engine = create_engine_for(config.database_url)
    session_factory = create_session_factory(engine)
    sender = sender or build_sender_for(config)
    processor = MessageProcessor(session_factory, sender, config)
    status_writer = None
    if engine.dialect.name == "postgresql" and config.fast_status_webhooks:
        # Its own small pool of autocommit connections: a status-only webhook is one statement.
        status_writer = StatusWriter(create_engine_for(config.database_url, isolation_level="AUTOCOMMIT",
                                                       pool_size=2, max_overflow=8))
    return Platform(
        config=config,
        engine=engine,
        session_factory=session_factory,
        sender=sender,
        processor=processor,
        chatbot=Chatbot(config) if with_chatbot else None,
        dispatcher=ReplyDispatcher(processor, inline=config.send_replies_inline,
                                   enabled=config.reply_sender == "web"),
        status_writer=status_writer,
    )


def platform() -> Platform:
    """The current Flask app's platform."""
    return current_app.extensions["whatsapp_platform"]
