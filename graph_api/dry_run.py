"""The dry-run sender: used when WHATSAPP_API_TOKEN is unset, so a fresh clone runs offline.

It records what it would have sent and logs it under the facade's logger name
(`whatsapp_service`), as it always did.
"""

from __future__ import annotations

import logging
import threading
import uuid
from typing import Any

from graph_api.errors import GraphApiError
from graph_api.results import SendResult

logger = logging.getLogger("whatsapp_service")


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

    def send_template(self, to: str, name: str, language: str, body_parameters: list[str] | None = None,
                      *, extra: dict[str, Any] | None = None) -> SendResult:
        """Record a template that would have been sent."""
        params = list(body_parameters or [])
        length = sum(len(str(p)) for p in params)
        details: dict[str, Any] = {"name": name, "language": language, "body_parameters": params}
        if extra:
            details["extra"] = extra
        return self._record("template", to, length, **details)

    def send_media(self, to: str, media: dict[str, Any]) -> SendResult:
        """Record a media message that would have been sent."""
        return self._record(str(media.get("type")), to, len(media.get("caption") or ""), media=dict(media))

    def upload_media(self, data: bytes, mime_type: str, filename: str) -> SendResult:
        """Pretend to upload: a made-up media id, nothing leaves."""
        logger.info("dry run: would upload %d bytes of %s", len(data), mime_type)
        return SendResult.success(f"dryrun-media-{uuid.uuid4().hex}", http_status=None, dry_run=True)

    def list_templates(self, business_account_id: str) -> list[dict[str, Any]]:
        """Nothing to read without a token."""
        raise GraphApiError("no WHATSAPP_API_TOKEN: the dry-run sender cannot read the account's templates")

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
