"""Send one message and follow it: `POST /api/contacts/{id}/messages`, `POST /api/messages`, `GET /api/messages/{id}`.

A send is validated and queued as one outbound-queue row (`sending.queue_message`), the
request commits once, and the row is handed to the reply dispatcher as the dashboard's
operator messages are (REPLY_SENDER=web sends it right after the commit; otherwise the
processor does within its next run). The answer is 202 with the queued message and a
`Location` to poll; status webhooks move it on (sent, delivered, read, failed).
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, Response
from sqlalchemy.orm import Session

from database_models import Contact, ScheduledMessage
from runtime.context import platform
from web.api.idempotency import idempotent, respond_once
from web.api.queries import NotFoundError, get_contact
from web.api.sending import Outgoing, contact_for_address, message_as_dict, queue_message
from web.api.support import api_url, db, json_body, json_response

logger = logging.getLogger("web.api")
messages = Blueprint("messages", __name__)


def _queued(session: Session, contact: Contact, body: dict[str, Any]) -> Response:
    message = queue_message(session, contact, Outgoing.from_body(body))
    response = json_response(message_as_dict(message), 202, {"Location": api_url(f"/messages/{message.id}")})
    respond_once(session, response)
    logger.info("message queued through the API", extra={"event": "api.message_queued", "message_id": message.id,
                                                        "contact_id": contact.id})
    platform().dispatcher.dispatch([message.id])
    return response


@messages.post("/contacts/<int:contact_id>/messages")
@idempotent
def send_to_contact_view(contact_id: int) -> Response:
    """Queue a text and/or template for a contact (202; text only inside the 24-hour window)."""
    body = json_body()
    session = db()
    return _queued(session, get_contact(session, contact_id), body)


@messages.post("/messages")
@idempotent
def send_message_view() -> Response:
    """Queue a message to a phone number or BSUID (`to`); an unknown one becomes a contact."""
    body = json_body()
    session = db()
    return _queued(session, contact_for_address(session, body["to"]), body)


@messages.get("/messages/<int:message_id>")
def get_message_view(message_id: int) -> Response:
    """A queued message's lifecycle: status, timestamps, error code."""
    message = db().get(ScheduledMessage, message_id) if 0 < message_id < 2**63 else None
    if message is None:
        raise NotFoundError(f"no message {message_id}")
    return json_response(message_as_dict(message))
