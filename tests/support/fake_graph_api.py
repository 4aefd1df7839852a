"""A fake WhatsApp Cloud (Graph) API: a real HTTP server on 127.0.0.1 for tests and benchmarks.

It accepts `POST /v{version}/{phone_number_id}/messages` like Meta does (Bearer token,
body shape, Meta's success and error formats), addressed to a phone number (`to`) or to a
business-scoped user id (`recipient`; `to` wins when both are given, and the answer names
the BSUID as `contacts[].user_id`), records what it accepted, and can be
told to be slow, throttle, fail or time out. Controls are Python methods and, for other
processes (benchmarks, gunicorn apps under test), JSON endpoints under `/_control/`:

    GET  /_control/health | counts | messages | reads | stats | duplicates
    POST /_control/reset            {}
    POST /_control/latency          {"ms": 50, "jitter_ms": 10}
    POST /_control/fail_next        {"count": 3, "status": 429, "code": null}
    POST /_control/fail_random      {"probability": 0.1, "status": 503, "code": null, "seed": 0}
    POST /_control/fail_recipients  {"recipients": ["98912..."], "code": 131047, "attempts": null, "status": null}
    POST /_control/timeout_next     {"count": 1, "seconds": 12.0, "accept": false}
    POST /_control/templates        {"templates": [...], "page_size": 2}   (what GET …/message_templates lists)
    GET  /_control/uploads | template_requests

It also serves the business account's templates (`GET /v{version}/{waba_id}/message_templates`,
paged with `paging.cursors.after` and `paging.next` like Meta; `DEFAULT_TEMPLATES` until told
otherwise) and media uploads (`POST /v{version}/{phone_number_id}/media`, multipart, answered
with a numeric media id), and accepts image and document messages by uploaded `id` or `link`.

By hand: `python tests/support/fake_graph_api.py --port 8089 --token TOKEN [--latency-ms 50]`.
The control API has no authentication: the server only listens on a local address.
"""

from __future__ import annotations

import argparse
import email.parser
import email.policy
import hashlib
import itertools
import json
import logging
import random
import re
import socket
import threading
import time
import uuid
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

logger = logging.getLogger(__name__)

MESSAGES_PATH = re.compile(r"^/v\d+(?:\.\d+)?/(?P<phone_number_id>[^/]+)/messages/?$")
TEMPLATES_PATH = re.compile(r"^/v\d+(?:\.\d+)?/(?P<waba_id>[^/]+)/message_templates/?$")
MEDIA_PATH = re.compile(r"^/v\d+(?:\.\d+)?/(?P<phone_number_id>[^/]+)/media/?$")
USER_ID = re.compile(r"^[A-Z]{2}\.(?:ENT\.)?[A-Za-z0-9]{1,128}$")
MESSAGE_TYPES = frozenset(
    {"text", "template", "interactive", "image", "audio", "document", "video", "sticker", "location", "reaction"}
)
# Meta's error codes with the HTTP status and title the Cloud API answers them with.
META_ERRORS: dict[int, tuple[int, str]] = {
    4: (400, "Application request limit reached"),
    100: (400, "Invalid parameter"),
    190: (401, "Invalid OAuth access token - Cannot parse access token"),
    368: (403, "Temporarily blocked for policies violations"),
    80007: (400, "Rate limit issues"),
    130429: (400, "Rate limit hit"),
    131000: (500, "Something went wrong"),
    131016: (503, "Service unavailable"),
    131026: (400, "Message Undeliverable"),
    131047: (400, "Re-engagement message"),
    131048: (400, "Spam rate limit hit"),
    131049: (400, "This message was not delivered to maintain healthy ecosystem engagement"),
    131050: (400, "Unable to deliver the message: the user stopped marketing messages"),
    131051: (400, "Unsupported message type"),
    131056: (400, "(Business Account, Consumer Account) pair rate limit hit"),
    131057: (500, "Account in maintenance mode"),
    132000: (400, "Number of parameters does not match the expected number of params"),
    132001: (404, "Template name does not exist in the translation"),
    132015: (400, "Template is Paused"),
    132016: (400, "Template is Disabled"),
}
DEFAULT_CODE_FOR_STATUS = {429: 130429, 500: 131000, 503: 131016}
MEDIA_MAX_BYTES = {"image": 5 * 1024 * 1024, "document": 100 * 1024 * 1024}


def _template(name: str, language: str, body: str, *, status: str = "APPROVED", category: str = "UTILITY",
              header: str | None = None, url_button: str | None = None) -> dict[str, Any]:
    components: list[dict[str, Any]] = []
    if header:
        components.append({"type": "HEADER", "format": "TEXT", "text": header})
    components.append({"type": "BODY", "text": body})
    if url_button:
        components.append({"type": "BUTTONS", "buttons": [{"type": "URL", "text": "Track", "url": url_button}]})
    digest = hashlib.sha256(f"{name}/{language}".encode()).hexdigest()
    return {"name": name, "language": language, "status": status, "category": category, "components": components,
            "parameter_format": "POSITIONAL", "id": str(int(digest[:12], 16))}


# Five templates, served two to a page: three pages, like a small shop's account.
DEFAULT_TEMPLATES: list[dict[str, Any]] = [
    _template("order_shipped", "fa", "سلام {{1}}، سفارش {{2}} ارسال شد."),
    _template("order_shipped", "en_US", "Hi {{1}}, your order {{2}} has shipped."),
    _template("spring_sale", "fa", "{{1}} عزیز، حراج بهاره تا {{2}} درصد تخفیف!", category="MARKETING",
              header="حراج {{1}}"),
    _template("delivery_tracking", "en_US", "Your parcel {{1}} is on its way.", url_button="https://shop.example/t/{{1}}"),
    _template("welcome_back", "fa", "خوش برگشتید!", status="PENDING", category="MARKETING"),
]


def meta_error(code: int, status: int | None = None) -> tuple[int, dict[str, Any]]:
    """The HTTP status and Meta-style error body for error `code`."""
    default_status, title = META_ERRORS.get(code, (400, "Error"))
    message = title if code == 190 else f"(#{code}) {title}"
    body = {
        "message": message,
        "type": "OAuthException",
        "code": code,
        "error_data": {"messaging_product": "whatsapp", "details": title},
        "fbtrace_id": f"Afake{uuid.uuid4().hex[:20]}",
    }
    return status or default_status, {"error": body}


class _BadRequest(Exception):
    """The request body is not a message Meta would accept (answered 400, code 100)."""


def _parse_message(body: Any) -> dict[str, Any]:
    """Validate a send body like Meta does and return the fields worth recording."""
    if not isinstance(body, dict) or body.get("messaging_product") != "whatsapp":
        raise _BadRequest("messaging_product must be 'whatsapp'")
    to, addressed_by = body.get("to"), "to"
    if not to and "recipient" in body:
        to, addressed_by = body.get("recipient"), "recipient"
        if not isinstance(to, str) or not USER_ID.match(to) or body.get("recipient_type", "individual") != "individual":
            raise _BadRequest("the parameter 'recipient' must be a business-scoped user id of an individual")
    kind = body.get("type")
    if not isinstance(to, str) or not to:
        raise _BadRequest("the parameter 'to' or 'recipient' is required")
    if kind not in MESSAGE_TYPES or not isinstance(body.get(kind), dict):
        raise _BadRequest(f"unsupported or missing message type {kind!r}")
    content = body[kind]
    record: dict[str, Any] = {"to": to, "addressed_by": addressed_by, "type": kind, "text": None, "template": None,
                              "buttons": None, "media": None}
    if kind == "text":
        if not isinstance(content.get("body"), str) or not content["body"]:
            raise _BadRequest("the parameter text['body'] is required")
        record["text"] = content["body"]
    elif kind == "template":
        language = content.get("language")
        if not isinstance(content.get("name"), str) or not isinstance(language, dict) or "code" not in language:
            raise _BadRequest("template name and language.code are required")
        parameters = [
            p.get("text")
            for component in content.get("components") or []
            if str(component.get("type", "")).lower() == "body"
            for p in component.get("parameters") or []
        ]
        record["template"] = {"name": content["name"], "language": language["code"], "body_parameters": parameters}
        record["template_components"] = content.get("components") or []
    elif kind == "interactive":
        text = (content.get("body") or {}).get("text")
        if not isinstance(content.get("type"), str) or not isinstance(content.get("action"), dict) or not text:
            raise _BadRequest("interactive type, body.text and action are required")
        record["text"] = text
        buttons = content["action"].get("buttons") or []
        record["buttons"] = [{"id": b["reply"]["id"], "title": b["reply"]["title"]} for b in buttons]
    elif kind in ("image", "document"):
        if bool(content.get("id")) == bool(content.get("link")):
            raise _BadRequest(f"{kind} needs exactly one of 'id' and 'link'")
        record["media"] = {key: content[key] for key in ("id", "link", "caption", "filename") if key in content}
        record["text"] = content.get("caption")
    record["reply_to"] = (body.get("context") or {}).get("message_id")
    return record


def _content_key(message: dict[str, Any]) -> str:
    """What makes two messages 'the same body' for `duplicates()`."""
    return json.dumps([message["type"], message["text"], message["template"], message["buttons"], message["media"]],
                      sort_keys=True)


class FakeGraphAPI:
    """The fake API server; `start()` it (or use `with`) and point a sender at `.url`."""

    def __init__(
        self, token: str = "test-token", port: int = 0, host: str = "127.0.0.1", *, latency_ms: float = 0.0
    ) -> None:
        self.token = token
        self.host = host
        self.port = port
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._in_flight = 0
        self.reset()
        self._latency_ms = latency_ms

    # --- lifecycle ---------------------------------------------------------------
    @property
    def url(self) -> str:
        """The base URL to use as WHATSAPP_API_BASE_URL."""
        return f"http://{self.host}:{self.port}"

    def start(self) -> FakeGraphAPI:
        """Bind and serve in a background thread."""
        self._stopping.clear()
        self._server = _Server((self.host, self.port), _Handler)
        self._server.fake = self
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()
        logger.info("fake Graph API listening on %s", self.url)
        return self

    def stop(self) -> None:
        """Stop serving and drop every open connection, so clients see it gone."""
        if self._server is None:
            return
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._server.drop_connections()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> FakeGraphAPI:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # --- controls ----------------------------------------------------------------
    def reset(self) -> None:
        """Forget every control and everything recorded."""
        with self._lock:
            self._latency_ms, self._jitter_ms, self._jitter = 0.0, 0.0, random.Random(0)
            self._fail_next: list[tuple[int, int]] = []
            self._fail_probability, self._fail_random = 0.0, (503, 131016, random.Random(0))
            self._recipient_rules: dict[str, list[Any]] = {}
            self._timeouts: list[tuple[float, bool]] = []
            self._messages: list[dict[str, Any]] = []
            self._reads: list[str] = []
            self._templates: list[dict[str, Any]] = [dict(t) for t in DEFAULT_TEMPLATES]
            self._template_page_size = 2
            self._failing_template_page: tuple[int, int] | None = None
            self._template_requests: list[dict[str, Any]] = []
            self._uploads: dict[str, dict[str, Any]] = {}
            self._media_ids = itertools.count(1_000_000_001)
            self._outcomes: Counter[str] = Counter()
            self._max_in_flight = self._connections_opened = 0

    def set_latency(self, ms: float, jitter_ms: float = 0.0) -> None:
        """Delay every API answer by `ms` plus up to `jitter_ms` (uniform, seeded)."""
        with self._lock:
            self._latency_ms, self._jitter_ms = float(ms), float(jitter_ms)

    def fail_next(self, count: int, status: int = 429, code: int | None = None) -> None:
        """Answer the next `count` API requests with HTTP `status` (code 130429 for 429)."""
        code = code or DEFAULT_CODE_FOR_STATUS.get(status, 131000 if status >= 500 else 100)
        with self._lock:
            self._fail_next.extend([(status, code)] * count)

    def fail_random(self, probability: float, status: int = 503, code: int | None = None, seed: int = 0) -> None:
        """Fail a seeded random fraction of requests; probability 0 turns it off."""
        code = code or DEFAULT_CODE_FOR_STATUS.get(status, 131000 if status >= 500 else 100)
        with self._lock:
            self._fail_probability = float(probability)
            self._fail_random = (status, code, random.Random(seed))

    def fail_recipients(
        self, recipients: list[str], code: int, attempts: int | None = None, status: int | None = None
    ) -> None:
        """Answer sends to `recipients` with Meta error `code`, always or for `attempts` tries."""
        with self._lock:
            for recipient in recipients:
                self._recipient_rules[recipient] = [code, status, attempts]

    def timeout_next(self, count: int, seconds: float = 12.0, accept: bool = False) -> None:
        """Hold the next `count` requests for `seconds` (past the client's read timeout).

        With `accept=True` the held message still counts as accepted: Meta got it even
        though the client gave up, which is how a retry after a timeout duplicates.
        """
        with self._lock:
            self._timeouts.extend([(float(seconds), accept)] * count)

    def set_templates(self, templates: list[dict[str, Any]], page_size: int = 2, failing_page: int | None = None,
                      failure_code: int = 131000) -> None:
        """Serve `templates` (Meta's shape) from `GET …/message_templates`, `page_size` to a page; page
        `failing_page` (1 is the first) answers Meta's error `failure_code` instead."""
        with self._lock:
            self._templates, self._template_page_size = [dict(t) for t in templates], max(1, int(page_size))
            self._failing_template_page = (failing_page, failure_code) if failing_page else None

    # --- reports -----------------------------------------------------------------
    def uploads(self) -> list[dict[str, Any]]:
        """Every accepted upload: id, phone_number_id, filename, mime_type, size, sha256."""
        with self._lock:
            return [dict(u) for u in self._uploads.values()]

    def template_requests(self) -> list[dict[str, Any]]:
        """Every accepted `GET …/message_templates`: waba_id, after (the cursor asked for), limit."""
        with self._lock:
            return [dict(r) for r in self._template_requests]

    def counts(self) -> dict[str, int]:
        """Accepted messages per recipient."""
        with self._lock:
            return dict(Counter(m["to"] for m in self._messages))

    def messages(self) -> list[dict[str, Any]]:
        """Every accepted message: to, addressed_by (to / recipient), type, text, template (and its
        template_components as sent), buttons, media, reply_to, wamid, timestamp, payload."""
        with self._lock:
            return [dict(m) for m in self._messages]

    def reads(self) -> list[str]:
        """The message ids marked as read, in order."""
        with self._lock:
            return list(self._reads)

    def stats(self) -> dict[str, Any]:
        """API requests in total and by outcome, most in flight at once, API connections opened."""
        with self._lock:
            return {
                "total": sum(self._outcomes.values()),
                "by_outcome": dict(self._outcomes),
                "max_in_flight": self._max_in_flight,
                "connections_opened": self._connections_opened,
            }

    def connection_opened(self) -> None:
        """Count one TCP connection that carried API requests (keep-alive clients open few)."""
        with self._lock:
            self._connections_opened += 1

    def duplicates(self) -> list[dict[str, Any]]:
        """Recipients that got the same content more than once.

        Two accepted messages are duplicates when they go to the same recipient with the
        same type, text, template (name, language, body parameters) and buttons. Only
        accepted requests count (errors and unaccepted timeouts do not); a platform that
        sends the same text twice on purpose shows up here too, so tests use unique bodies.
        """
        groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for message in self.messages():
            groups.setdefault((message["to"], _content_key(message)), []).append(message)
        return [
            {key: same[0][key] for key in ("to", "type", "text", "template", "buttons")}
            | {"count": len(same), "wamids": [m["wamid"] for m in same]}
            for same in groups.values()
            if len(same) > 1
        ]

    # --- request handling ----------------------------------------------------------
    def handle_api(self, path: str, authorization: str | None, raw_body: bytes) -> tuple[int, dict[str, Any]]:
        """Answer one Graph API request; returns HTTP status and JSON body."""
        with self._lock:
            self._in_flight += 1
            self._max_in_flight = max(self._max_in_flight, self._in_flight)
        try:
            outcome, status, body = self._answer(path, authorization, raw_body)
        finally:
            with self._lock:
                self._in_flight -= 1
        with self._lock:
            self._outcomes[outcome] += 1
        return status, body

    def handle_other(self, method: str, path: str, query: str, authorization: str | None, content_type: str,
                     raw_body: bytes) -> tuple[int, dict[str, Any]]:
        """Answer a template list (GET) or a media upload (POST multipart); counted like messages."""
        outcome, status, body = self._answer_other(method, path, query, authorization, content_type, raw_body)
        with self._lock:
            self._outcomes[outcome] += 1
        return status, body

    def _gate(self, authorization: str | None) -> tuple[tuple[str, int, dict[str, Any]] | None, bool]:
        """Latency, the token, and the injected timeouts and failures every API request goes through."""
        with self._lock:
            delay = self._latency_ms + (self._jitter.uniform(0, self._jitter_ms) if self._jitter_ms else 0.0)
        if delay:
            self._stopping.wait(delay / 1000)
        if authorization != f"Bearer {self.token}":
            return ("unauthorized", *meta_error(190)), False
        with self._lock:
            hold = self._timeouts.pop(0) if self._timeouts else None
            injected = self._fail_next.pop(0) if self._fail_next else None
        if hold is not None:
            self._stopping.wait(hold[0])
            if not hold[1]:  # a client still waiting after all gets a retryable 503
                return ("timeout", *meta_error(131016)), True
        if injected is not None:
            return ("failed_next", *meta_error(injected[1], injected[0])), hold is not None
        return None, hold is not None

    def _answer_other(self, method: str, path: str, query: str, authorization: str | None, content_type: str,
                      raw_body: bytes) -> tuple[str, int, dict[str, Any]]:
        templates, media = TEMPLATES_PATH.match(path), MEDIA_PATH.match(path)
        if (method, bool(templates), bool(media)) not in (("GET", True, False), ("POST", False, True)):
            return "not_found", 404, {"error": {"message": "Unknown path components", "code": 2500}}
        refused, _held = self._gate(authorization)
        if refused is not None:
            return refused
        if templates:
            return self._template_page(templates["waba_id"], parse_qs(query))
        return self._upload(media["phone_number_id"], content_type, raw_body)

    def _template_page(self, waba_id: str, query: dict[str, list[str]]) -> tuple[str, int, dict[str, Any]]:
        after = (query.get("after") or [None])[0]
        with self._lock:
            size = min(self._template_page_size, int((query.get("limit") or ["100"])[0] or 100))
            start = int(after.removeprefix("cursor-")) if after and after.startswith("cursor-") else 0
            page = [dict(t) for t in self._templates[start:start + size]]
            more = start + size < len(self._templates)
            self._template_requests.append({"waba_id": waba_id, "after": after, "limit": size})
            failing = self._failing_template_page
        if failing is not None and start // size + 1 == failing[0]:
            return "template_page_failed", *meta_error(failing[1])
        answer: dict[str, Any] = {"data": page, "paging": {"cursors": {"before": f"cursor-{start}",
                                                                        "after": f"cursor-{start + size}"}}}
        if more:
            answer["paging"]["next"] = (f"https://graph.facebook.com/v23.0/{waba_id}/message_templates"
                                        f"?limit={size}&after=cursor-{start + size}")
        return "templates", 200, answer

    def _upload(self, phone_number_id: str, content_type: str, raw_body: bytes) -> tuple[str, int, dict[str, Any]]:
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + raw_body)
        fields: dict[str, Any] = {}
        for part in message.iter_parts() if message.is_multipart() else ():
            name = part.get_param("name", header="content-disposition")
            fields[name] = (part.get_filename(), part.get_content_type(), part.get_payload(decode=True) or b"")
        upload, product, declared = fields.get("file"), fields.get("messaging_product"), fields.get("type")
        if upload is None or product is None or product[2] != b"whatsapp" or declared is None:
            status, error = meta_error(100)
            error["error"]["error_data"]["details"] = "file, messaging_product=whatsapp and type are required"
            return "bad_request", status, error
        kind = "image" if declared[2].decode().startswith("image/") else "document"
        if len(upload[2]) > MEDIA_MAX_BYTES[kind]:
            status, error = meta_error(100)
            error["error"]["error_data"]["details"] = f"{kind} is larger than {MEDIA_MAX_BYTES[kind]} bytes"
            return "bad_request", status, error
        with self._lock:
            media_id = str(next(self._media_ids))
            self._uploads[media_id] = {"id": media_id, "phone_number_id": phone_number_id, "filename": upload[0],
                                       "mime_type": declared[2].decode(), "size": len(upload[2]),
                                       "sha256": hashlib.sha256(upload[2]).hexdigest()}
        return "uploaded", 200, {"id": media_id}

    def _answer(self, path: str, authorization: str | None, raw_body: bytes) -> tuple[str, int, dict[str, Any]]:
        match = MESSAGES_PATH.match(path)
        if match is None:
            return "not_found", 404, {"error": {"message": "Unknown path components", "code": 2500}}
        refused, hold = self._gate(authorization)
        if refused is not None:
            return refused
        try:
            body = json.loads(raw_body or b"null")
            if isinstance(body, dict) and "status" in body:
                return self._mark_read(body)
            message = _parse_message(body)
            media_id = (message["media"] or {}).get("id")
            with self._lock:
                if media_id is not None and media_id not in self._uploads:
                    raise _BadRequest(f"no uploaded media {media_id!r}")
        except (ValueError, LookupError, TypeError, AttributeError, _BadRequest) as exc:
            status, error = meta_error(100)
            error["error"]["error_data"]["details"] = str(exc)
            return "bad_request", status, error
        with self._lock:
            rule = self._recipient_rules.get(message["to"])
            if rule is not None and rule[2] is not None:
                rule[2] -= 1
                if rule[2] <= 0:
                    del self._recipient_rules[message["to"]]
            status, code, rng = self._fail_random
            random_failure = self._fail_probability > 0 and rng.random() < self._fail_probability
        if rule is not None:
            return "recipient_error", *meta_error(rule[0], rule[1])
        if random_failure:
            return "failed_random", *meta_error(code, status)
        wamid = f"wamid.FAKE{uuid.uuid4().hex}"
        message.update(
            wamid=wamid, timestamp=time.time(), phone_number_id=match["phone_number_id"], path=path, payload=body
        )
        with self._lock:
            self._messages.append(message)
        key = "user_id" if message["addressed_by"] == "recipient" else "wa_id"
        answer = {"messaging_product": "whatsapp", "contacts": [{"input": message["to"], key: message["to"]}]}
        return ("accepted_after_timeout" if hold else "accepted"), 200, answer | {"messages": [{"id": wamid}]}

    def _mark_read(self, body: dict[str, Any]) -> tuple[str, int, dict[str, Any]]:
        if body.get("messaging_product") != "whatsapp" or body.get("status") != "read":
            raise _BadRequest("status must be 'read'")
        if not isinstance(body.get("message_id"), str) or not body["message_id"]:
            raise _BadRequest("the parameter message_id is required")
        with self._lock:
            self._reads.append(body["message_id"])
        return "read", 200, {"success": True}

    def handle_control(self, method: str, name: str, raw_body: bytes) -> tuple[int, Any]:
        """Answer one `/_control/{name}` request."""
        reports = {"counts": self.counts, "messages": self.messages, "reads": self.reads, "stats": self.stats}
        reports |= {"duplicates": self.duplicates, "health": lambda: {"ok": True}, "uploads": self.uploads,
                    "template_requests": self.template_requests}
        controls = {"latency": self.set_latency, "fail_next": self.fail_next, "fail_random": self.fail_random}
        controls |= {"fail_recipients": self.fail_recipients, "timeout_next": self.timeout_next, "reset": self.reset,
                     "templates": self.set_templates}
        if method == "GET" and name in reports:
            return 200, reports[name]()
        if method == "POST" and name in controls:
            try:
                arguments = json.loads(raw_body or b"{}")
                controls[name](**arguments)
            except (TypeError, ValueError) as exc:
                return 400, {"error": f"bad arguments for {name}: {exc}"}
            return 200, {"ok": True}
        return 404, {"error": f"no control {method} {name}"}


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024
    allow_reuse_address = True
    fake: FakeGraphAPI

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler]) -> None:
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        logger.debug("fake Graph API: connection from %s failed", client_address, exc_info=True)

    def drop_connections(self) -> None:
        """Close kept-alive connections whose handler threads would otherwise keep serving."""
        with self._connections_lock:
            connections, self._connections = self._connections, set()
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, so the client's connection pool is used
    disable_nagle_algorithm = True  # headers and body go out as separate writes: no 40 ms stalls
    timeout = 120  # idle kept-alive connections are closed after this many seconds
    server: _Server
    carried_api_request = False

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def _dispatch(self) -> None:
        raw_body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        path = self.path.split("?", 1)[0]
        fake = self.server.fake
        if path.startswith("/_control/"):
            status, body = fake.handle_control(self.command, path.removeprefix("/_control/").strip("/"), raw_body)
        elif TEMPLATES_PATH.match(path) or MEDIA_PATH.match(path):
            query = self.path.split("?", 1)[1] if "?" in self.path else ""
            status, body = fake.handle_other(self.command, path, query, self.headers.get("Authorization"),
                                             self.headers.get("Content-Type") or "", raw_body)
        elif self.command == "POST":
            if not self.carried_api_request:  # one handler per connection, kept alive across requests
                self.carried_api_request = True
                fake.connection_opened()
            status, body = fake.handle_api(path, self.headers.get("Authorization"), raw_body)
        else:
            status, body = 404, {"error": {"message": "Unsupported get request", "code": 100}}
        payload = json.dumps(body).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except OSError:
            self.close_connection = True  # the client gave up (a timeout) or the server stopped

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s %s", self.address_string(), format % args)


def main() -> None:
    """Run the fake API in the foreground until interrupted."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8089)
    parser.add_argument("--token", required=True, help="the Bearer token to accept")
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--jitter-ms", type=float, default=0.0)
    options = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    fake = FakeGraphAPI(token=options.token, port=options.port, host=options.host)
    fake.set_latency(options.latency_ms, options.jitter_ms)
    fake.start()
    print(f"fake Graph API on {fake.url} (control API under {fake.url}/_control/)", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        fake.stop()


if __name__ == "__main__":
    main()
