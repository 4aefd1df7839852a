"""Real-shaped WhatsApp Cloud API webhook envelopes, for the demo, the tests and the benchmarks."""

from __future__ import annotations

import time
import uuid
from typing import Any

BUSINESS_PHONE_NUMBER_ID = "106540352242922"


def new_wamid() -> str:
    """A unique wamid in Meta's shape."""
    return "wamid.HBgM" + uuid.uuid4().hex.upper()


def envelope(*changes: dict[str, Any], entry_id: str = "102290129340398") -> dict[str, Any]:
    """A webhook envelope with one entry holding `changes`."""
    return {"object": "whatsapp_business_account", "entry": [{"id": entry_id, "changes": list(changes)}]}


def messages_change(messages: list[dict[str, Any]], contacts: list[dict[str, Any]] | None = None,
                    statuses: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """A `messages` change carrying inbound messages and/or statuses."""
    value: dict[str, Any] = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550001111", "phone_number_id": BUSINESS_PHONE_NUMBER_ID},
    }
    if contacts is not None:
        value["contacts"] = contacts
    if messages:
        value["messages"] = messages
    if statuses:
        value["statuses"] = statuses
    return {"field": "messages", "value": value}


def inbound_message(sender: str, kind: str, content: dict[str, Any] | None = None, *,
                    wamid: str | None = None, timestamp: int | None = None) -> dict[str, Any]:
    """One inbound message item of type `kind` with its type-specific `content`."""
    message: dict[str, Any] = {
        "from": sender, "id": wamid or new_wamid(), "timestamp": str(timestamp or int(time.time())), "type": kind,
    }
    if content is not None:
        message[kind] = content
    return message


def text_message_envelope(sender: str | None, body: str, *, name: str | None = "Customer", wamid: str | None = None,
                          timestamp: int | None = None, user_id: str | None = None,
                          username: str | None = None) -> dict[str, Any]:
    """An envelope with one inbound text message from `sender` (a phone number) and/or `user_id` (a BSUID).

    As Meta sends them since BSUIDs: the BSUID as `from_user_id` and `contacts[].user_id`, a
    username in the profile, and no `from` / `wa_id` for a customer whose number is hidden.
    """
    profile = {key: value for key, value in (("name", name), ("username", username)) if value}
    contact = {"profile": profile} if profile else {}
    contact |= {"wa_id": sender} if sender else {}
    contact |= {"user_id": user_id} if user_id else {}
    message = inbound_message(sender or "", "text", {"body": body}, wamid=wamid, timestamp=timestamp)
    if not sender:
        del message["from"]
    if user_id:
        message["from_user_id"] = user_id
    return envelope(messages_change([message], [contact]))


def status_item(wamid: str, status: str, recipient: str, *, timestamp: int | None = None,
                error_code: int | None = None, error_title: str = "") -> dict[str, Any]:
    """One status item (sent, delivered, read, failed…) for a message we sent."""
    item: dict[str, Any] = {
        "id": wamid, "status": status, "timestamp": str(timestamp or int(time.time())), "recipient_id": recipient,
    }
    if error_code is not None:
        item["errors"] = [{"code": error_code, "title": error_title or "error"}]
    return item


def status_envelope(*statuses: dict[str, Any]) -> dict[str, Any]:
    """An envelope carrying status items."""
    return envelope(messages_change([], None, list(statuses)))
