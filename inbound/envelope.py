"""Reading Meta's webhook envelope: its changes, a message's text, a status item, clean values.

Pure parsing, no database: `ingestion` writes what this reads, `status_writer` and
`status_shortcut` take the status-only shape from here. A value is bounded and cleaned
(no NUL, no lone surrogate, no NaN) before any column sees it.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, NamedTuple

from campaigns.identity import is_user_id
from database_models import READ

MARKETING_OPT_OUT_CODE = 131050
STATUS_ALIASES = {"played": READ}  # a played voice message has been read
MEDIA_TYPES = frozenset({"image", "video", "audio", "voice", "document", "sticker"})
# Message types the code interprets; any other is stored all the same and counted as unmodelled.
MODELLED_MESSAGE_TYPES = MEDIA_TYPES | {
    "text", "location", "contacts", "interactive", "button", "reaction", "order", "system", "unsupported",
    "request_welcome",
}


class EnvelopeError(ValueError):
    """The body is JSON but not a WhatsApp webhook envelope."""



def message_text(message: dict[str, Any]) -> str | None:
    """The human-readable content of a message of any type (None when it has none)."""
    kind = message.get("type")
    if not isinstance(kind, str):
        return None  # a list or object as the type: no text, and unhashable below
    body = message.get(kind)
    if not isinstance(body, dict):
        body = {}
    if kind == "text":
        return _string(body.get("body"))
    if kind in MEDIA_TYPES:
        return _string(body.get("caption")) or _string(body.get("filename"))
    if kind == "location":
        return _string(body.get("name")) or _string(body.get("address"))
    if kind == "contacts" and isinstance(message.get("contacts"), list):
        names = [_string(card["name"].get("formatted_name")) for card in message["contacts"]
                 if isinstance(card, dict) and isinstance(card.get("name"), dict)]
        return ", ".join(n for n in names if n) or None
    if kind == "interactive":
        for reply_key in ("button_reply", "list_reply"):
            reply = body.get(reply_key)
            if isinstance(reply, dict):
                return _string(reply.get("title"))
        flow = body.get("nfm_reply")
        if isinstance(flow, dict):
            return _string(flow.get("body")) or _string(flow.get("name"))
        return None
    if kind == "button":
        return _string(body.get("text"))
    if kind == "reaction":
        return _string(body.get("emoji"))
    if kind == "order":
        return _string(body.get("text"))
    if kind == "system":
        return _string(body.get("body"))
    return None


def _string(value: Any) -> str | None:
    # PostgreSQL text refuses NUL and UTF-8 refuses lone surrogates (JSON can carry both).
    if not isinstance(value, str) or not value:
        return None
    if "\x00" in value or not value.isascii():
        value = value.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")
    return value or None


def parse_timestamp(value: Any) -> datetime | None:
    """Meta's Unix-seconds timestamp (a string or a number) as aware UTC, or None."""
    try:
        seconds = int(value)
        return datetime.fromtimestamp(seconds, UTC) if 0 < seconds < 32503680000 else None
    except (TypeError, ValueError, OverflowError):
        return None


def iter_changes(envelope: Any) -> list[tuple[str, dict[str, Any]]]:
    """(field, value) for every change of every entry; EnvelopeError for a non-envelope."""
    if not isinstance(envelope, dict) or envelope.get("object") != "whatsapp_business_account":
        raise EnvelopeError("not a WhatsApp Business Account webhook (object must be whatsapp_business_account)")
    entries = envelope.get("entry")
    if not isinstance(entries, list):
        raise EnvelopeError("entry must be a list")
    changes = []
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("changes"), list):
            continue
        for change in entry["changes"]:
            if isinstance(change, dict) and isinstance(change.get("value"), dict):
                changes.append((str(change.get("field") or ""), change["value"]))
    return changes



class StatusItem(NamedTuple):
    """One status of one of our sends, cleaned and bounded to its columns."""

    wamid: str
    status: str
    recipient_wa_id: str | None
    error_code: int | None
    error_title: str | None
    wa_timestamp: datetime | None
    recipient_user_id: str | None = None  # the BSUID, from recipient_user_id or a BSUID-shaped recipient_id


def parse_status(status: Any) -> StatusItem | None:
    """A status item of an envelope as a StatusItem, or None when it has no clean id and status."""
    wamid, name = _string(_get(status, "id")), _string(_get(status, "status"))
    if not wamid or not name or len(wamid) > 128:
        return None
    errors = status.get("errors")
    error = errors[0] if isinstance(errors, list) and errors and isinstance(errors[0], dict) else {}
    title = _string(error.get("title")) or _string(error.get("message"))
    recipient = _string(status.get("recipient_id"))
    user_id = _string(status.get("recipient_user_id"))
    if recipient and is_user_id(recipient):  # a send addressed to a BSUID is reported under it
        user_id, recipient = user_id or recipient, None
    return StatusItem(
        wamid=wamid, status=STATUS_ALIASES.get(name, name)[:16], recipient_wa_id=recipient[:32] if recipient else None,
        error_code=error.get("code") if _is_int32(error.get("code")) else None,
        error_title=title[:512] if title else None, wa_timestamp=parse_timestamp(status.get("timestamp")),
        recipient_user_id=user_id[:160] if user_id else None,
    )


def status_only_items(envelope: Any) -> list[StatusItem] | None:
    """The statuses when `envelope` carries nothing but statuses of distinct sends, else None.

    That is the shape of nearly every webhook during a broadcast; `status_writer` stores it
    in one statement. Anything else (a message, another field, two statuses of one send,
    which must be applied in order) goes through `Ingestor`. EnvelopeError as there. The
    `contacts` array that statuses carry since BSUIDs (delivered/read name the user) is
    not stored by either path.
    """
    items: list[StatusItem] = []
    for field_name, value in iter_changes(envelope):
        if field_name != "messages" or value.get("messages"):
            return None
        for status in _list(value.get("statuses")):
            item = parse_status(status)
            if item is not None:  # skipped, as Ingestor skips it
                items.append(item)
    if not items or len({item.wamid for item in items}) < len(items):
        return None
    return items



def _is_int32(value: Any) -> bool:
    # An error code column holds a 32-bit int: JSON's true is not a code, 2**70 does not fit.
    return isinstance(value, int) and not isinstance(value, bool) and -(2**31) <= value < 2**31


def _storable(message: dict[str, Any]) -> dict[str, Any]:
    # Python's json reads NaN and Infinity, which are not JSON and which PostgreSQL refuses:
    # they are stored as null. Most messages pass the C-speed check unchanged.
    try:
        json.dumps(message, allow_nan=False)
        return message
    except ValueError:
        return json.loads(json.dumps(message), parse_constant=lambda _: None)


def _list(value: Any) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _get(mapping: Any, key: str) -> Any:
    return mapping.get(key) if isinstance(mapping, dict) else None

