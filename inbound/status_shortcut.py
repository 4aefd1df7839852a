"""The WSGI shortcut for well-formed, correctly signed status-only webhooks (PostgreSQL).

`webhook_handler.create_app()` installs it in front of Flask when the status writer exists;
everything it does not answer goes to the `/webhook` view unchanged, body put back.
"""

from __future__ import annotations

import io
import json
import logging
import secrets
from typing import Any, Protocol

from flask import Flask, Response
from sqlalchemy.exc import SQLAlchemyError

from config import Config
from inbound.ingestion import status_only_items
from inbound.signatures import signature_matches
from inbound.status_writer import StatusWriter
from inbound.text_writer import InboundText, TextWriter, single_text
from runtime.metrics import record_webhook

logger = logging.getLogger("webhook_handler")  # the webhook's log lines keep their logger name


class WriterHolder(Protocol):
    """What the shortcut needs of the process's context (`runtime.context.Platform`)."""

    config: Config
    status_writer: StatusWriter
    text_writer: TextWriter | None
    dispatcher: Any  # outbound.reply_dispatch.ReplyDispatcher: sends the replies after the commit


def json_error(message: str, status: int) -> Response:
    """The webhook's (and the app's) error body: `{"error": message}` with `status`."""
    return Response(json.dumps({"error": message}), status=status, mimetype="application/json")


class StatusWebhookShortcut:
    """WSGI middleware: a correctly signed status-only webhook, stored without Flask's request machinery.

    Under a broadcast almost every webhook is one of these (about three per message sent), and
    once its write is a single statement (status_writer), Flask's request context, hooks and
    response object are a third of what is left of its CPU cost. This answers exactly that
    case: POST /webhook with a length within MAX_WEBHOOK_BYTES, a valid signature, JSON that
    `status_only_items` accepts; a database error gets the view's 503 from here. Anything
    else goes to the Flask view with the body put back, which checks, logs and answers it.
    """

    def __init__(self, app: Flask, wsgi_app: Any, context: WriterHolder) -> None:
        self.app, self.wsgi_app, self.context = app, wsgi_app, context  # the writer is read per request
        self.secret = context.config.whatsapp_app_secret.encode()
        self.max_bytes = context.config.max_webhook_bytes

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        if (environ.get("REQUEST_METHOD") != "POST" or environ.get("PATH_INFO") != "/webhook"
                or self.app.config.get("LOG_EVERY_REQUEST")):
            return self.wsgi_app(environ, start_response)
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if not 0 < length <= self.max_bytes:
            return self.wsgi_app(environ, start_response)
        body = environ["wsgi.input"].read(length)
        environ["wsgi.input"] = io.BytesIO(body)  # for Flask, if it gets the request after all
        signature = environ.get("HTTP_X_HUB_SIGNATURE_256", "")
        if len(body) != length or not signature_matches(signature, body, self.secret):
            return self.wsgi_app(environ, start_response)
        try:
            envelope = json.loads(body)
            statuses = status_only_items(envelope)
        except (ValueError, RecursionError):  # not JSON, not an envelope: the view answers 400
            return self.wsgi_app(environ, start_response)
        text = single_text(envelope) if statuses is None and self.context.text_writer is not None else None
        if statuses is None and text is None:
            return self.wsgi_app(environ, start_response)
        request_id = environ.get("HTTP_X_REQUEST_ID", "")[:64] or secrets.token_hex(16)
        reply_ids: list[int] | None = []
        try:
            if text is not None:
                reply_ids = self._write_text(text, request_id)
                if reply_ids is None:  # not a text the writer answers alone: the general path
                    return self.wsgi_app(environ, start_response)
            else:
                self.context.status_writer.write(statuses)
        except SQLAlchemyError:  # answered here: the view would only try the unreachable database again
            logger.exception("webhook not stored: database error",
                             extra={"event": "webhook.db_error", "request_id": request_id})
            record_webhook("db_unavailable")
            response = json_error("database unavailable, retry later", 503)
            response.headers["X-Request-ID"] = request_id
            return response(environ, start_response)
        record_webhook("stored")
        if reply_ids:
            self.context.dispatcher.dispatch(reply_ids)
        # What _plain("OK", 200) would send, without building a Response (a third of this path's CPU).
        start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", "2"),
                                  ("X-Request-ID", request_id)])
        return [b"OK"]

    def _write_text(self, text: InboundText, request_id: str) -> list[int] | None:
        """The text writer's answer; None (the general path) also when it failed on something not the database's:
        it wrote nothing, and the view stores the text and answers as for any other webhook."""
        try:
            return self.context.text_writer.write(text, request_id)
        except SQLAlchemyError:
            raise
        except Exception:
            logger.exception("text fast path failed; taking the general path",
                             extra={"event": "webhook.text_path_error", "request_id": request_id})
            return None
