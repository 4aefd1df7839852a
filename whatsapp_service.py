"""Outbound access to the WhatsApp Cloud API: the only module that imports pywa.

It owns sending texts, templates, media (uploaded to the media endpoint, or linked), read
receipts and reading the business account's templates through a pywa client on one
httpx client, to a phone number or to a business-scoped user id (BSUID, sent as Meta's
`recipient` field instead of `to`), turning every pywa/httpx failure into a `SendResult` classified as
retryable or permanent (`classify_error`, the single table, lives in `graph_api.errors`),
and `build_sender`'s choice of the dry-run sender (`graph_api.dry_run`) when no token is
configured; `SendResult` lives in `graph_api.results`. The transports under the client
(one connection per sending thread, the redirect of every Graph API request to another
base URL: the fake Graph API in tests and benchmarks) live in `graph_api.transports`.

Importing this module creates no client and reads no environment variable.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any, Protocol

import httpx
from pywa import WhatsApp
from pywa.errors import WhatsAppError
from pywa.types import Button
from pywa.types.templates import BodyText, TemplateLanguage

from graph_api.dry_run import DryRunSender
from graph_api.errors import (
    MARKETING_OPT_OUT,
    OUTSIDE_WINDOW,
    PERMANENT_CODES,
    RATE_LIMITED,
    RETRYABLE_CODES,
    TEMPLATE_ERROR_CODES,
    GraphApiError,
    classify_error,
)
from graph_api.media import (
    MAX_TEMPLATE_PAGES,
    TEMPLATE_FIELDS,
    TEMPLATE_PAGE_SIZE,
    media_message,
    template_components,
)
from graph_api.results import MAX_TITLE_LENGTH, SendResult
from graph_api.transports import (
    GRAPH_API_HOST,
    GraphClient,
    PerThreadTransport,
    RedirectTransport,
    graph_api_proxy,
    needs_redirect,
)

# The error table and the Graph API's host live in `graph_api`; this facade re-exports them.
__all__ = ["DEFAULT_API_VERSION", "GRAPH_API_HOST", "MARKETING_OPT_OUT", "OUTSIDE_WINDOW", "PERMANENT_CODES",
           "RATE_LIMITED", "RETRYABLE_CODES", "TEMPLATE_ERROR_CODES", "DryRunSender", "SendResult", "Sender",
           "MAX_BUTTONS", "MAX_BUTTON_ID", "MAX_BUTTON_TITLE", "MAX_TITLE_LENGTH", "WhatsAppService", "build_sender",
           "GraphApiError",
           "classify_error", "is_user_id"]

logger = logging.getLogger(__name__)

# Pinned rather than pywa's "latest", so upgrading pywa does not silently move us.
DEFAULT_API_VERSION = "23.0"

MAX_BUTTONS = 3
MAX_BUTTON_TITLE = 20
MAX_BUTTON_ID = 256
_CODE_PREFIX = re.compile(r"^\(#\d+\)\s*")
# pywa 4.5 sends a BSUID as `recipient` only when it is digits after the country code (and
# ENT.); Meta allows letters too, which pywa would address as a group. Those go out here.
_PYWA_USER_ID = re.compile(r"^[A-Z]{2}\.(?:ENT\.)?\d+$")
_USER_ID = re.compile(r"^[A-Z]{2}\.(?:ENT\.)?[A-Za-z0-9]{1,128}$")


class Sender(Protocol):
    """What the platform needs from WhatsApp: small, fakeable, never raising."""

    def send_text(
        self, to: str, body: str, *, reply_to: str | None = None, buttons: list[str] | None = None
    ) -> SendResult: ...

    def send_template(
        self, to: str, name: str, language: str, body_parameters: list[str] | None = None
    ) -> SendResult: ...

    def mark_read(self, wamid: str) -> SendResult: ...

    # Media and templates (graph_api.media): senders that never send them need not have these.
    def send_media(self, to: str, media: dict[str, Any]) -> SendResult: ...

    def upload_media(self, data: bytes, mime_type: str, filename: str) -> SendResult: ...

    def list_templates(self, business_account_id: str) -> list[dict[str, Any]]: ...

    def close(self) -> None: ...


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
        self.redirected = needs_redirect(base_url)
        # HTTPS_PROXY / NO_PROXY apply to Meta's own address only (graph_api_proxy): a shop whose
        # server cannot reach Meta directly sends through its proxy's CONNECT tunnel.
        transport: httpx.BaseTransport = PerThreadTransport(max_connections, proxy=graph_api_proxy(base_url))
        if self.redirected:
            transport = RedirectTransport(str(base_url), transport)
        self._http = GraphClient(
            transport=transport,
            timeout=httpx.Timeout(connect=connect_timeout, read=read_timeout, write=read_timeout, pool=read_timeout),
            trust_env=not self.redirected,  # httpx itself reads no proxy variable when given a transport
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

    def send_template(self, to: str, name: str, language: str, body_parameters: list[str] | None = None,
                      *, extra: dict[str, Any] | None = None) -> SendResult:
        """Send approved template `name` in `language` with positional body (and header/button) params."""
        params = None
        if body_parameters:
            params = [BodyText.params(*(str(p) for p in body_parameters))]
        known_language = _template_language(language)
        if known_language is None:
            title = f"unsupported template language {language!r}"
            return self._finish("template", to, SendResult.failure(None, title, retryable=False))
        if _beyond_pywa(to) or extra:
            # pywa's typed header and button parameters want the template's own objects; the
            # components are plain JSON here, sent through pywa's request (same client, same errors).
            template: dict[str, Any] = {"name": name, "language": {"code": language}}
            components = template_components(body_parameters, extra)
            if components:
                template["components"] = components
            return self._call("template", to, lambda: self._send_raw(to, "template", template, None))
        return self._call(
            "template", to, lambda: self._wa.send_template(to=to, name=name, language=known_language, params=params).id
        )

    def send_media(self, to: str, media: dict[str, Any]) -> SendResult:
        """Send an image or a document by media id (uploaded) or `link`, with an optional caption."""
        kind, source = media.get("type"), media.get("id") or media.get("link")
        if kind not in ("image", "document") or not source:
            return self._finish(str(kind), to, SendResult.failure(None, "media needs a type and an id or a link",
                                                                  retryable=False))
        by_pywa = not _beyond_pywa(to) and (bool(media.get("link")) or str(source).isdigit())
        if not by_pywa:
            return self._call(kind, to, lambda: self._send_raw(to, kind, media_message(media), None))
        if kind == "image":
            return self._call(kind, to, lambda: self._wa.send_image(to=to, image=source,
                                                                    caption=media.get("caption")).id)
        return self._call(kind, to, lambda: self._wa.send_document(
            to=to, document=source, filename=media.get("filename"), caption=media.get("caption")).id)

    def upload_media(self, data: bytes, mime_type: str, filename: str) -> SendResult:
        """Upload a file to `POST /{phone id}/media`; on success the result's `wamid` holds the media id."""
        return self._call("upload", None, lambda: self._wa.upload_media(
            media=data, mime_type=mime_type, filename=filename).id)

    def list_templates(self, business_account_id: str) -> list[dict[str, Any]]:
        """Every template of the business account, following Meta's `paging.cursors.after`; GraphApiError if not."""
        templates: list[dict[str, Any]] = []
        after = None
        for _page in range(MAX_TEMPLATE_PAGES):
            pagination = {"limit": TEMPLATE_PAGE_SIZE, **({"after": after} if after else {})}
            try:
                answer = self._wa.api.get_templates(waba_id=business_account_id, fields=TEMPLATE_FIELDS,
                                                    pagination=pagination)
            except WhatsAppError as exc:
                failed = _result_from_whatsapp_error(exc)
                raise GraphApiError(failed.error_title or "error", failed.error_code, failed.http_status) from None
            except httpx.HTTPError as exc:
                raise GraphApiError(f"connection error ({type(exc).__name__})") from None
            data = answer.get("data") if isinstance(answer, dict) else None
            if not isinstance(data, list):
                raise GraphApiError("the answer has no list of templates")
            templates.extend(item for item in data if isinstance(item, dict))
            paging = answer.get("paging") or {}
            after = (paging.get("cursors") or {}).get("after")
            if not paging.get("next") or not after:
                return templates
        raise GraphApiError(f"more than {MAX_TEMPLATE_PAGES} pages of templates")

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

    def _send_raw(self, to: str, kind: str, message: dict[str, Any], reply_to: str | None) -> str:
        """A message object we built, to a number or a BSUID, through pywa's request."""
        if is_user_id(to):
            return self._send_to_user_id(to, kind, message, reply_to)
        answer = self._wa.api.send_message(sender=self.phone_number_id, to=to, recipient=None,
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


def build_sender(token: str | None, phone_number_id: str | None, base_url: str | None, **timeouts: Any) -> Sender:
    """A WhatsAppService when a token is set, else a DryRunSender."""
    if not token:
        logger.warning("WHATSAPP_API_TOKEN is not set: dry run, nothing will be sent")
        return DryRunSender()
    if not phone_number_id:
        raise ValueError("WHATSAPP_PHONE_NUMBER_ID is required when WHATSAPP_API_TOKEN is set")
    return WhatsAppService(token, phone_number_id, base_url=base_url, **timeouts)
