"""`create_app()`: the Flask app, `/webhook` GET+POST, `/healthz` and the CLI commands.

The request layer is thin: it verifies, parses, opens one session, lets the services
store and decide, commits once and only then answers 200. Replies the chatbot queued
are handed to the dispatcher after the commit. On PostgreSQL, status-only webhooks (the
bulk of the traffic during a broadcast) are stored by `status_writer` in one statement,
and `inbound.status_shortcut` answers the well-formed ones before Flask's request machinery.
"""

from __future__ import annotations

import hmac
import json
import logging
import secrets
import sys
import threading
import time
from typing import Any

import click
from flask import Blueprint, Flask, Response, current_app, g, redirect, request, url_for
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge
from werkzeug.middleware.proxy_fix import ProxyFix

from cli.commands import register_cli
from config import Config
from inbound.ingestion import EnvelopeError, Ingestor
from inbound.signatures import signature_matches
from inbound.status_shortcut import StatusWebhookShortcut, json_error
from orders.rules import OrderRulesError
from runtime.context import Platform, build_platform, configure_process_logging, load_process_config, platform
from runtime.metrics import record_webhook
from web import i18n
from web.api import admin_api
from web.api.errors import http_error as api_http_error
from web.dashboard import dashboard
from web.dashboard.page import error_page
from whatsapp_service import Sender

logger = logging.getLogger(__name__)
webhook = Blueprint("webhook", __name__)

def _plain(body: str, status: int) -> Response:
    return Response(body, status=status, mimetype="text/plain")


@webhook.get("/webhook")
def verify_subscription() -> Response:
    """Meta's subscription handshake: echo hub.challenge when the verify token matches."""
    expected = platform().config.whatsapp_verify_token
    given = request.args.get("hub.verify_token", "")
    if request.args.get("hub.mode") == "subscribe" and hmac.compare_digest(given.encode(), expected.encode()):
        # The challenge is the caller's text echoed back: plain text that no browser may sniff into HTML.
        answer = _plain(request.args.get("hub.challenge", ""), 200)
        answer.headers["X-Content-Type-Options"] = "nosniff"
        return answer
    logger.warning("webhook verification refused", extra={"event": "webhook.verify_refused"})
    return _plain("verification failed", 403)


@webhook.post("/webhook")
def receive_webhook() -> Response:
    """Verify, store every item in one transaction, queue replies, then acknowledge."""
    context = platform()
    try:
        body = request.get_data(cache=False)  # raises 413 past MAX_CONTENT_LENGTH
    except RequestEntityTooLarge:
        record_webhook("too_large")
        raise
    signature = request.headers.get("X-Hub-Signature-256")
    if not signature:
        record_webhook("unsigned")
        return json_error("missing X-Hub-Signature-256", 401)
    if not signature_matches(signature, body, context.config.whatsapp_app_secret):
        logger.warning("webhook signature mismatch", extra={"event": "webhook.bad_signature"})
        record_webhook("bad_signature")
        return json_error("invalid signature", 403)
    try:
        envelope = json.loads(body)
    except (ValueError, RecursionError):
        record_webhook("bad_json")
        return json_error("body is not valid JSON", 400)
    try:
        reply_ids = _store(context, envelope)
    except EnvelopeError as error:
        record_webhook("bad_envelope")
        return json_error(str(error), 400)
    except SQLAlchemyError:
        logger.exception("webhook not stored: database error", extra={"event": "webhook.db_error"})
        record_webhook("db_unavailable")
        return json_error("database unavailable, retry later", 503)
    record_webhook("stored")
    if reply_ids:
        context.dispatcher.dispatch(reply_ids)
    return _plain("OK", 200)


def _store(context: Platform, envelope: Any) -> list[int]:
    """Commit everything `envelope` carries; the queue ids of the replies the chatbot wrote.

    Status-only envelopes on PostgreSQL were answered by StatusWebhookShortcut already; what
    reaches this point (LOG_EVERY_REQUEST, SQLite) takes the general path, which gives the same rows.
    """
    with context.session_factory() as session:  # closing rolls back whatever was not committed
        result = Ingestor(session).ingest(envelope)
        reply_ids = context.chatbot.handle_new_messages(session, result.new_message_ids) if context.chatbot else []
        session.commit()
    return reply_ids


@webhook.get("/")
def home() -> Response:
    """Nothing lives at the root: send people to the dashboard."""
    return redirect(url_for("dashboard.overview"))


@webhook.get("/healthz")
def health() -> Response:
    """200 when the database answers, 503 otherwise."""
    try:
        with platform().engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError:
        return json_error("database unavailable", 503)
    return Response(json.dumps({"status": "ok"}), mimetype="application/json")


class _CookieSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, without building a signer for requests that carry no cookie.

    Meta's webhooks never do; for them Flask's own interface spent ~45 µs a request on a
    serializer it would not use. With a cookie, nothing changes.
    """

    def open_session(self, app: Flask, request: Any) -> SecureCookieSession | None:
        if app.secret_key and not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()
        return super().open_session(app, request)


def _start_request() -> None:
    g.request_id = request.headers.get("X-Request-ID", "")[:64] or secrets.token_hex(16)
    g.started = time.perf_counter()


def _finish_request(response: Response) -> Response:
    response.headers["X-Request-ID"] = g.get("request_id", "")
    if response.status_code >= 400 or current_app.config.get("LOG_EVERY_REQUEST"):
        logger.info(
            "request finished",
            extra={
                "event": "http.request", "request_id": g.get("request_id"), "method": request.method,
                "path": request.path, "status": response.status_code,
                "remote_addr": request.remote_addr, "scheme": request.scheme,
                "duration_ms": round((time.perf_counter() - g.get("started", time.perf_counter())) * 1000, 2),
            },
        )
    return response


def _http_error(error: HTTPException) -> Any:
    if request.path.startswith("/api/"):  # the admin API's errors carry a stable code (and Allow on 405)
        return api_http_error(error)
    if request.path == "/dashboard" or request.path.startswith("/dashboard/"):  # a person: a page, translated
        return error_page(error)
    return json_error(error.description or error.name, error.code or 500)


def _unexpected_error(error: Exception) -> Response:
    logger.exception("unhandled error", extra={"event": "http.unhandled", "request_id": g.get("request_id")})
    return json_error("internal error", 500)


def create_app(config: Config | None = None, sender: Sender | None = None, **overrides: Any) -> Flask:
    """Build the app: settings, logging, database, sender, chatbot, routes and CLI."""
    if config is None:
        config = load_process_config()
    if overrides:
        config = config.replace(**overrides)
    # Under the `flask` command, stdout is the command's output (JSON lines, reports): log to stderr.
    in_cli = click.get_current_context(silent=True) is not None
    configure_process_logging(config, stream=sys.stderr if in_cli else None)
    app = Flask(__name__, instance_relative_config=True)
    # Behind nginx (deploy/nginx.conf) TRUSTED_PROXY_HOPS=1: the client's address and scheme come from exactly
    # that many X-Forwarded-For / -Proto entries; 0 (development) trusts none. Host is nginx's $host, not trusted.
    hops = config.trusted_proxy_hops
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=0, x_port=0, x_prefix=0)
    app.config.update(
        SECRET_KEY=config.flask_secret_key,
        MAX_CONTENT_LENGTH=config.max_webhook_bytes,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=config.is_production,
    )
    app.session_interface = _CookieSessions()
    try:
        # A web worker trains the chatbot now; a `flask` command (users, imports, reports) only if it classifies.
        context = app.extensions["whatsapp_platform"] = build_platform(config, sender, train_chatbot=not in_cli)
    except OrderRulesError as error:
        if in_cli:  # `flask orders import …` and every other command: the reason and exit 1, not a traceback
            raise click.ClickException(f"orders rules error: {error}") from None
        raise  # gunicorn: runtime.preflight names it and refuses to start
    if context.status_writer is not None:
        app.wsgi_app = StatusWebhookShortcut(app, app.wsgi_app, context)
    i18n.init_app(app, config.zone)
    app.register_blueprint(webhook)
    app.register_blueprint(dashboard)
    app.register_blueprint(admin_api)
    app.before_request(_start_request)
    app.after_request(_finish_request)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected_error)
    register_cli(app)
    if config.used_development_defaults:  # one line per process: make run starts several workers
        names = ", ".join(config.used_development_defaults)
        logger.warning("development values in use for %s (never do this in production)", names,
                       extra={"event": "config.development_default"})
    return app


_lazy_app: Flask | None = None
_lazy_app_lock = threading.Lock()


def __getattr__(name: str) -> Any:
    """`webhook_handler:app` for servers given an object (`gunicorn webhook_handler:app`): built on first use.

    Importing this module still builds nothing and reads no setting; the first access of `app`
    calls create_app() once and keeps the result. create_app() stays the documented form.
    """
    global _lazy_app
    if name != "app":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    with _lazy_app_lock:
        if _lazy_app is None:
            try:
                _lazy_app = create_app()
            except AttributeError as error:  # getattr() would report it as "no attribute 'app'" and hide it
                raise RuntimeError(f"building the app failed: {error!r}") from error
    return _lazy_app
