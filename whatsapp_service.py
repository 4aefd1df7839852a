"""Outbound access to the WhatsApp Cloud API: the only module that imports pywa.

It owns sending texts, templates and read receipts through a pywa client on one
httpx client, to a phone number or to a business-scoped user id (BSUID, sent as Meta's
`recipient` field instead of `to`), turning every pywa/httpx failure into a `SendResult` classified as
retryable or permanent (`classify_error` is the single table), the dry-run sender
used when no token is configured, and the transports: one connection per sending
thread, and the redirect of every Graph API request to another base URL (the fake
Graph API in tests and benchmarks).

Importing this module creates no client and reads no environment variable.
"""

from __future__ import annotations

import logging
import re
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import httpx
from pywa import WhatsApp
from pywa.errors import WhatsAppError
from pywa.types import Button
from pywa.types.templates import BodyText, TemplateLanguage

logger = logging.getLogger(__name__)

# Pinned rather than pywa's "latest", so upgrading pywa does not silently move us.
DEFAULT_API_VERSION = "23.0"
GRAPH_API_HOST = "graph.facebook.com"

RATE_LIMITED = 130429
OUTSIDE_WINDOW = 131047
MARKETING_OPT_OUT = 131050

RETRYABLE_CODES = frozenset({RATE_LIMITED, 131056, 4, 80007, 131000, 131016, 131057})
PERMANENT_CODES = frozenset({131026, OUTSIDE_WINDOW, 131049, MARKETING_OPT_OUT, 131051, 131048, 368, 190, 100})
TEMPLATE_ERROR_CODES = range(132000, 133000)

MAX_BUTTONS = 3
MAX_BUTTON_TITLE = 20
MAX_BUTTON_ID = 256
MAX_TITLE_LENGTH = 200
_CODE_PREFIX = re.compile(r"^\(#\d+\)\s*")
# pywa 4.5 sends a BSUID as `recipient` only when it is digits after the country code (and
# ENT.); Meta allows letters too, which pywa would address as a group. Those go out here.
_PYWA_USER_ID = re.compile(r"^[A-Z]{2}\.(?:ENT\.)?\d+$")
_USER_ID = re.compile(r"^[A-Z]{2}\.(?:ENT\.)?[A-Za-z0-9]{1,128}$")


def classify_error(code: int | None, http_status: int | None) -> bool:
    """Whether a failed send may succeed when retried later (True) or never (False)."""
    if code in RETRYABLE_CODES:
        return True
    if code in PERMANENT_CODES or (code is not None and code in TEMPLATE_ERROR_CODES):
        return False
    if http_status is None:
        # No response at all (timeout, refused or reset connection) is transient;
        # an unknown code without a status cannot come from the API, so do not guess.
        return code is None
    return http_status >= 500 or http_status in (408, 429)


@dataclass(frozen=True)
class SendResult:
    """The outcome of one Graph API call; senders return it instead of raising."""

    ok: bool
    wamid: str | None
    error_code: int | None
    error_title: str | None
    retryable: bool
    http_status: int | None
    dry_run: bool = False

    @classmethod
    def success(cls, wamid: str | None, *, http_status: int | None = 200, dry_run: bool = False) -> SendResult:
        """An accepted call, with the wamid the API issued (None for read receipts)."""
        return cls(True, wamid, None, None, False, http_status, dry_run)

    @classmethod
    def failure(
        cls,
        error_code: int | None,
        error_title: str | None,
        http_status: int | None = None,
        *,
        retryable: bool | None = None,
    ) -> SendResult:
        """A failed call, classified by `classify_error` unless `retryable` is given."""
        if retryable is None:
            retryable = classify_error(error_code, http_status)
        title = error_title[:MAX_TITLE_LENGTH] if error_title else error_title
        return cls(False, None, error_code, title, retryable, http_status)

    @property
    def opted_out(self) -> bool:
        """True when the recipient has stopped marketing messages (131050)."""
        return self.error_code == MARKETING_OPT_OUT

    @property
    def outside_window(self) -> bool:
        """True when a free-form message was refused outside the 24-hour window."""
        return self.error_code == OUTSIDE_WINDOW


class Sender(Protocol):
    """What the platform needs from WhatsApp: small, fakeable, never raising."""

    def send_text(
        self, to: str, body: str, *, reply_to: str | None = None, buttons: list[str] | None = None
    ) -> SendResult: ...

    def send_template(
        self, to: str, name: str, language: str, body_parameters: list[str] | None = None
    ) -> SendResult: ...

    def mark_read(self, wamid: str) -> SendResult: ...

    def close(self) -> None: ...


class _RedirectTransport(httpx.BaseTransport):
    """Sends every request to another scheme/host/port, keeping its path and query.

    pywa pins the session's base_url to https://graph.facebook.com/v{version}, so the
    redirect happens below the client, on each outgoing request.
    """

    def __init__(self, base_url: str, inner: httpx.BaseTransport) -> None:
        target = httpx.URL(base_url)
        self._scheme, self._host, self._port = target.scheme, target.host, target.port
        self._path_prefix = target.path.rstrip("/")
        self._inner = inner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Forward `request` to the target, with a Host header that matches it."""
        url = request.url.copy_with(
            scheme=self._scheme, host=self._host, port=self._port, path=self._path_prefix + request.url.path
        )
        headers = httpx.Headers(request.headers)
        headers["Host"] = url.netloc.decode("ascii")
        redirected = httpx.Request(
            request.method, url, headers=headers, stream=request.stream, extensions=request.extensions
        )
        return self._inner.handle_request(redirected)

    def close(self) -> None:
        """Close the wrapped transport's connection pool."""
        self._inner.close()


class _PerThreadTransport(httpx.BaseTransport):
    """A one-connection pool per thread, behind a cap on concurrent requests.

    httpcore 1.0.9's shared pool collapses when many threads wait on it (each freed
    connection is offered to every queued request, in O(n*m) passes) and can close a
    connection another thread is still using (encode/httpcore#1110): a sent message then
    looks like a connection error and invites a duplicate. A sync client sends one
    request at a time per thread, so one connection per thread needs no sharing at all.
    """

    def __init__(self, max_concurrent_requests: int) -> None:
        self._ssl_context = httpx.create_ssl_context()  # ~17 ms each: build it once, share it
        self._slots = threading.BoundedSemaphore(max_concurrent_requests)
        self._local = threading.local()
        self._pools: list[tuple[threading.Thread, httpx.HTTPTransport]] = []
        self._lock = threading.Lock()

    def _own_pool(self) -> httpx.HTTPTransport:
        pool = getattr(self._local, "pool", None)
        if pool is None:
            # No transport-level retries: without an idempotency key, retrying is the
            # caller's decision, made from the SendResult.
            limits = httpx.Limits(max_connections=1, max_keepalive_connections=1, keepalive_expiry=30.0)
            pool = self._local.pool = httpx.HTTPTransport(verify=self._ssl_context, limits=limits, retries=0)
            with self._lock:  # close the pools of threads that have ended
                ended = [p for thread, p in self._pools if not thread.is_alive()]
                self._pools = [(t, p) for t, p in self._pools if t.is_alive()]
                self._pools.append((threading.current_thread(), pool))
            for ended_pool in ended:
                ended_pool.close()
        return pool

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Send `request` on this thread's connection once a request slot is free."""
        wait = request.extensions.get("timeout", {}).get("pool")
        if not self._slots.acquire(timeout=wait):
            raise httpx.PoolTimeout("no free request slot", request=request)
        try:
            return self._own_pool().handle_request(request)
        finally:
            self._slots.release()

    def close(self) -> None:
        """Close every thread's connection."""
        with self._lock:
            pools, self._pools = self._pools, []
        for _, pool in pools:
            pool.close()


def _needs_redirect(base_url: str | None) -> bool:
    """False for no base URL or Meta's own, so production requests go straight out."""
    if not base_url:
        return False
    url = httpx.URL(base_url)
    is_meta = url.scheme == "https" and url.host == GRAPH_API_HOST and url.port is None
    return not (is_meta and url.path in ("", "/"))


def _reply_buttons(labels: list[str]) -> list[Button]:
    """pywa quick-reply buttons; titles are cut to 20 chars, ids keep the full label."""
    if len(labels) > MAX_BUTTONS:
        raise ValueError(f"at most {MAX_BUTTONS} buttons, got {len(labels)}")
    buttons: list[Button] = []
    for raw_label in labels:
        label = raw_label.strip()
        if not label:
            raise ValueError("button labels must not be empty")
        title = label
        if len(title) > MAX_BUTTON_TITLE:
            title = title[: MAX_BUTTON_TITLE - 1] + "…"
        buttons.append(Button(title=title, callback_data=label[:MAX_BUTTON_ID]))
    if len({b.title for b in buttons}) < len(buttons):
        raise ValueError("button titles must be unique (after cutting to 20 chars)")
    return buttons


def is_user_id(address: str | None) -> bool:
    """Whether `address` is a business-scoped user id (sent as `recipient`) rather than a phone number (`to`)."""
    return bool(address) and _USER_ID.match(address) is not None


def _beyond_pywa(address: str) -> bool:
    return is_user_id(address) and _PYWA_USER_ID.match(address) is None


def _template_language(code: str) -> TemplateLanguage | None:
    """pywa's enum member for a language code like `fa` or `en_US`, None if unknown."""
    try:
        language = TemplateLanguage(code)
    except (ValueError, TypeError):
        # pywa 4.5.0 raises TypeError for unknown codes: its `_normalize = None`
        # class attribute became an enum member, so `_missing_` cannot call it.
        return None
    return language if language.value == code else None


def _result_from_whatsapp_error(error: WhatsAppError) -> SendResult:
    """Meta's error code, title and HTTP status, classified."""
    status = error.status_code
    code: int | None = error.code
    title = _CODE_PREFIX.sub("", error.message or "").strip()
    title = title or error.user_title or type(error).__name__
    if status is not None and code == status and set(error.raw) <= {"code", "message"}:
        # pywa invents {"code": <HTTP status>, "message": <body>} for non-JSON errors
        # (a proxy's 502 page, say); that status is not one of Meta's error codes.
        code, title = None, f"HTTP {status}"
    return SendResult.failure(code, title, status)


class WhatsAppService:
    """A `Sender` over pywa and one httpx client; call it from many threads at once.

    `max_connections` caps the requests in flight (each sending thread keeps its own
    kept-alive connection); the pool timeout, when all are busy, is `read_timeout`.
    """

    def __init__(
        self,
        token: str,
        phone_number_id: str,
        *,
        base_url: str | None = None,
        api_version: str = DEFAULT_API_VERSION,
        connect_timeout: float = 3.0,
        read_timeout: float = 10.0,
        max_connections: int = 200,
    ) -> None:
        if not token:
            raise ValueError("WHATSAPP_API_TOKEN is required for WhatsAppService")
        if not phone_number_id:
            raise ValueError("WHATSAPP_PHONE_NUMBER_ID is required for WhatsAppService")
        self.phone_number_id = str(phone_number_id)
        self.redirected = _needs_redirect(base_url)
        transport: httpx.BaseTransport = _PerThreadTransport(max_connections)
        if self.redirected:
            transport = _RedirectTransport(str(base_url), transport)
        self._http = httpx.Client(
            transport=transport,
            timeout=httpx.Timeout(connect=connect_timeout, read=read_timeout, write=read_timeout, pool=read_timeout),
            # Proxy variables would mount a transport for graph.facebook.com that
            # bypasses the redirect, so they only apply when talking to Meta itself.
            trust_env=not self.redirected,
        )
        # No server: pywa is used as a pure client. It sets the session's base_url
        # and Authorization header itself.
        self._wa = WhatsApp(phone_id=self.phone_number_id, token=token, session=self._http, api_version=api_version)

    def send_text(
        self, to: str, body: str, *, reply_to: str | None = None, buttons: list[str] | None = None
    ) -> SendResult:
        """Send a text, optionally quoting `reply_to` and with up to 3 reply buttons."""
        try:
            reply_buttons = _reply_buttons(buttons) if buttons else None
        except ValueError as exc:
            return self._finish("text", to, SendResult.failure(None, str(exc), retryable=False))
        if _beyond_pywa(to):
            if reply_buttons:
                message = {"type": "button", "body": {"text": body}, "action": {"buttons": [
                    {"type": "reply", "reply": {"id": b.callback_data, "title": b.title}} for b in reply_buttons]}}
                return self._call("text", to, lambda: self._send_to_user_id(to, "interactive", message, reply_to))
            return self._call("text", to, lambda: self._send_to_user_id(to, "text", {"body": body}, reply_to))
        return self._call(
            "text",
            to,
            lambda: self._wa.send_message(to=to, text=body, buttons=reply_buttons, reply_to_message_id=reply_to).id,
        )

    def send_template(self, to: str, name: str, language: str, body_parameters: list[str] | None = None) -> SendResult:
        """Send approved template `name` in `language` with positional body params."""
        params = None
        if body_parameters:
            params = [BodyText.params(*(str(p) for p in body_parameters))]
        known_language = _template_language(language)
        if known_language is None:
            title = f"unsupported template language {language!r}"
            return self._finish("template", to, SendResult.failure(None, title, retryable=False))
        if _beyond_pywa(to):
            template: dict[str, Any] = {"name": name, "language": {"code": language}}
            if body_parameters:
                template["components"] = [{"type": "body", "parameters": [
                    {"type": "text", "text": str(p)} for p in body_parameters]}]
            return self._call("template", to, lambda: self._send_to_user_id(to, "template", template, None))
        return self._call(
            "template", to, lambda: self._wa.send_template(to=to, name=name, language=known_language, params=params).id
        )

    def mark_read(self, wamid: str) -> SendResult:
        """Mark an inbound message (and those before it) as read."""

        def send() -> None:
            if not self._wa.mark_message_as_read(wamid):
                raise ValueError("the API did not confirm the read receipt")

        return self._call("read", None, send)

    def close(self) -> None:
        """Close the pooled connections."""
        self._http.close()

    def _send_to_user_id(self, user_id: str, kind: str, message: dict[str, Any], reply_to: str | None) -> str:
        """One message to a BSUID pywa does not recognise, through pywa's own request (same client, same errors)."""
        answer = self._wa.api.send_message(sender=self.phone_number_id, to=None, recipient=user_id,
                                           recipient_type="individual", typ=kind, msg=message,
                                           reply_to_message_id=reply_to)
        return answer["messages"][0]["id"]

    def _call(self, kind: str, to: str | None, send: Callable[[], str | None]) -> SendResult:
        """Run one pywa call and turn whatever happens into a SendResult."""
        try:
            result = SendResult.success(send())
        except WhatsAppError as exc:
            result = _result_from_whatsapp_error(exc)
        except httpx.TimeoutException as exc:
            result = SendResult.failure(None, f"timeout ({type(exc).__name__})")
        except httpx.TransportError as exc:
            title = f"connection error ({type(exc).__name__})"
            result = SendResult.failure(None, title)
        except (httpx.HTTPError, ValueError, KeyError, IndexError, TypeError) as exc:
            # pywa's own validation, or a 2xx answer not in Meta's shape: the message
            # may have been accepted, so a retry could duplicate it.
            title = f"invalid request or response: {type(exc).__name__}: {exc}"
            result = SendResult.failure(None, title, retryable=False)
        except Exception:  # the Sender contract: no exception reaches the caller
            logger.exception("unexpected error sending %s to %s", kind, to)
            result = SendResult.failure(None, "unexpected error", retryable=False)
        return self._finish(kind, to, result)

    @staticmethod
    def _finish(kind: str, to: str | None, result: SendResult) -> SendResult:
        """Log the outcome (ids, codes and statuses only) and return it."""
        if result.ok:
            logger.debug("sent %s to %s: %s", kind, to, result.wamid)
            return result
        level = logging.INFO if result.retryable else logging.WARNING
        code, status, title = result.error_code, result.http_status, result.error_title
        message = "%s to %s failed: code=%s status=%s retryable=%s title=%s"
        logger.log(level, message, kind, to, code, status, result.retryable, title)
        return result


class DryRunSender:
    """A `Sender` that only logs and records: used when WHATSAPP_API_TOKEN is unset."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    def send_text(
        self, to: str, body: str, *, reply_to: str | None = None, buttons: list[str] | None = None
    ) -> SendResult:
        """Record a text that would have been sent."""
        return self._record("text", to, len(body), body=body, reply_to=reply_to, buttons=buttons)

    def send_template(self, to: str, name: str, language: str, body_parameters: list[str] | None = None) -> SendResult:
        """Record a template that would have been sent."""
        params = list(body_parameters or [])
        length = sum(len(str(p)) for p in params)
        details = {"name": name, "language": language, "body_parameters": params}
        return self._record("template", to, length, **details)

    def mark_read(self, wamid: str) -> SendResult:
        """Record a read receipt that would have been sent."""
        with self._lock:
            self.sent.append({"kind": "read", "to": None, "message_id": wamid})
        logger.info("dry run: would mark %s as read", wamid)
        return SendResult.success(None, http_status=None, dry_run=True)

    def close(self) -> None:
        """Nothing to close."""

    def _record(self, kind: str, to: str, length: int, **details: Any) -> SendResult:
        wamid = f"dryrun.{uuid.uuid4().hex}"
        with self._lock:
            self.sent.append({"kind": kind, "to": to, "wamid": wamid, **details})
        logger.info("dry run: %s to %s, %d chars, %s", kind, to, length, wamid)
        logger.debug("dry run %s content: %r", wamid, details)
        return SendResult.success(wamid, http_status=None, dry_run=True)


def build_sender(token: str | None, phone_number_id: str | None, base_url: str | None, **timeouts: Any) -> Sender:
    """A WhatsAppService when a token is set, else a DryRunSender."""
    if not token:
        logger.warning("WHATSAPP_API_TOKEN is not set: dry run, nothing will be sent")
        return DryRunSender()
    if not phone_number_id:
        raise ValueError("WHATSAPP_PHONE_NUMBER_ID is required when WHATSAPP_API_TOKEN is set")
    return WhatsAppService(token, phone_number_id, base_url=base_url, **timeouts)
