"""The one per-process assembler: settings, logging, engine, sessions, sender, processor, chatbot.

Every process starts the same way, whatever it is: `load_process_config()` (the `.env` file
and the environment), `configure_process_logging()` (JSON logs that redact every secret of
`secret_values`), then `build_platform()`. The web app (`webhook_handler.create_app`), the
cron processor (`run_broadcast_processor.main`) and the Celery workers (`tasks`) all call
these three; nothing is built at import. Web requests reach the result through `platform()`.

It sits above everything it builds, so nothing it builds imports it except the web and CLI
layers (through `platform()`).
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass, field
from typing import IO, Any

from flask import current_app
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from chatbot_service import Chatbot
from config import Config, load_config
from database_setup import create_engine_for, create_session_factory
from inbound.status_writer import StatusWriter
from inbound.text_writer import TextWriter
from outbound.processor import MessageProcessor
from outbound.reply_dispatch import ReplyDispatcher
from runtime.app_logging import configure_logging
from runtime.process_environment import load_environment
from whatsapp_service import Sender, build_sender

logger = logging.getLogger(__name__)


@dataclass
class Platform:
    """Everything a request or a job needs, built once per process.

    The sender, the processor and the reply dispatcher are built on first use: a web worker
    builds them at start (`build_platform`), a cron run only when something is due.
    """

    config: Config
    engine: Engine
    session_factory: sessionmaker[Session]
    chatbot: Chatbot | None
    status_writer: StatusWriter | None = None  # PostgreSQL only: status-only webhooks in one statement
    text_writer: TextWriter | None = None  # PostgreSQL only: a single text stored and answered in two round trips
    given_sender: Sender | None = field(default=None, repr=False)  # a test's or a caller's sender
    _rules: Any = field(default=None, repr=False)

    @functools.cached_property
    def sender(self) -> Sender:
        """The real pywa sender when a token is configured, otherwise the dry-run sender (or the one given)."""
        return self.given_sender or build_sender_for(self.config)

    @functools.cached_property
    def processor(self) -> MessageProcessor:
        """The processor the reply dispatcher sends through."""
        return MessageProcessor(self.session_factory, self.sender, self.config)

    @functools.cached_property
    def dispatcher(self) -> ReplyDispatcher:
        """Sends the chatbot's replies right after a webhook's commit (REPLY_SENDER=web)."""
        return ReplyDispatcher(self.processor, inline=self.config.send_replies_inline,
                               enabled=self.config.reply_sender == "web")

    def new_processor(self, processor_class: type[MessageProcessor] = MessageProcessor) -> MessageProcessor:
        """A fresh processor over this process's sessions, sender and settings (one per run)."""
        return processor_class(self.session_factory, self.sender, self.config)

    def chatbot_rules(self) -> Any:
        """The chatbot's rules (the chatbot's own, or loaded once for enrichment when there is no chatbot)."""
        if self.chatbot is not None:
            return self.chatbot.rules
        if self._rules is None:
            from language.rules_loader import load_rules

            self._rules = load_rules(self.config.chatbot_rules_path)
        return self._rules

    def close(self) -> None:
        """Release what was built: the dispatcher's threads, the sender's connections, the engines' pools."""
        if "dispatcher" in self.__dict__:
            self.dispatcher.close()
        if "sender" in self.__dict__:
            self.sender.close()
        self.engine.dispose()
        if self.status_writer is not None:
            self.status_writer.engine.dispose()


def build_sender_for(config: Config) -> Sender:
    """The real pywa sender when a token is configured, otherwise the dry-run sender."""
    return build_sender(config.whatsapp_api_token, config.whatsapp_phone_number_id, config.whatsapp_api_base_url)


def secret_values(config: Config) -> list[str]:
    """Every secret the settings hold (set ones only): what the logs must never show."""
    values = (config.whatsapp_api_token, config.whatsapp_app_secret, config.whatsapp_verify_token,
              config.admin_api_token, config.flask_secret_key)
    return [value for value in values if value]


def load_process_config() -> Config:
    """The settings as they are now: `.env` beside the code (runtime.process_environment), the environment."""
    load_environment()
    return load_config()


def configure_process_logging(config: Config, stream: IO[str] | None = None) -> None:
    """JSON logs at the configured level, every secret value redacted."""
    configure_logging(config.log_level, secrets=secret_values(config), stream=stream)


def build_platform(config: Config, sender: Sender | None = None, *, with_chatbot: bool = True,
                   serves_webhooks: bool = True, train_chatbot: bool = True) -> Platform:
    """Engine, sessions, sender, processor and chatbot for `config` (pass `sender` to override it).

    A job (cron, Celery) passes `with_chatbot=False, serves_webhooks=False`: no rules loaded
    at start, no second engine for the status writer, and the sender built only when a run
    has something to send. A `flask` command passes `train_chatbot=False`: the rules are read and
    checked, and the models are trained only if the command classifies a message.
    """
    engine = create_engine_for(config.database_url)
    status_writer = None
    if serves_webhooks and engine.dialect.name == "postgresql" and config.fast_status_webhooks:
        # Its own pool of autocommit connections: a status-only webhook is one statement, a single text two.
        # Opened as needed and kept (pool_size) up to what gthread's request threads use at once: an overflow
        # connection is closed on return, and with 2 kept for 4 threads most texts (which hold theirs while
        # the chatbot decides) opened a new connection and PREPAREd its statements again.
        status_writer = StatusWriter(create_engine_for(config.database_url, isolation_level="AUTOCOMMIT",
                                                       pool_size=8, max_overflow=8))
    chatbot = Chatbot(config, prepare=train_chatbot) if with_chatbot else None
    # On the status writer's autocommit pool: its two statements run as one transaction (BEGIN … COMMIT).
    text_writer = TextWriter(status_writer.engine, chatbot) if status_writer and chatbot else None
    built = Platform(config=config, engine=engine, session_factory=create_session_factory(engine),
                     chatbot=chatbot, status_writer=status_writer, text_writer=text_writer, given_sender=sender)
    if serves_webhooks:
        built.dispatcher  # noqa: B018 - a web worker builds its sender and dispatcher at start, not on a request
    return built


def platform() -> Platform:
    """The current Flask app's platform."""
    return current_app.extensions["whatsapp_platform"]
