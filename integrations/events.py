"""One function per event type: what its payload says, built only when someone subscribed.

Each is called from one line at the place that produced the event, inside that place's
transaction (`outbox.emit`): ingestion (`messages_received`, `status_changed`), the chatbot
(`conversation_handed_off`), the campaign lifecycle (`broadcasts_completed`) and the opt-out
writes (`contacts_opting_out`, called just before the write, so it sees who was still in).
PostgreSQL's status-only statement builds the same `message.status` payload in SQL (`status_sql`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, false, func, select
from sqlalchemy.orm import Session

from database_models import Broadcast, Contact, ReceivedMessageLog, ScheduledMessage
from integrations.outbox import (
    BROADCAST_COMPLETED,
    CONTACT_OPTED_OUT,
    CONVERSATION_HANDOFF,
    MESSAGE_RECEIVED,
    MESSAGE_STATUS,
    emit,
    iso,
    wanted,
)

_CHUNK = 900  # SQLite caps the parameters of one statement
_CONTACT_COLUMNS = (Contact.id, Contact.wa_id, Contact.user_id, Contact.username,
                    Contact.display_name.label("display_name"))


def contact_data(contact: Any) -> dict[str, Any]:
    """The contact as every event shows it (a Contact, or a row with its columns)."""
    return {"id": contact.id, "wa_id": contact.wa_id, "user_id": contact.user_id, "username": contact.username,
            "name": contact.display_name}  # the operator's name, else the WhatsApp profile name


def messages_received(session: Session, message_ids: Sequence[int]) -> None:
    """`message.received` for each newly stored live inbound message."""
    if not message_ids or not wanted(session, MESSAGE_RECEIVED):
        return
    log = ReceivedMessageLog
    payloads = []
    for start in range(0, len(message_ids), _CHUNK):
        rows = session.execute(
            select(log.id.label("message_id"), log.wamid, log.message_type, log.text, log.wa_timestamp,
                   log.received_at, log.payload, *_CONTACT_COLUMNS)
            .join(Contact, Contact.id == log.contact_id)
            .where(log.id.in_(message_ids[start:start + _CHUNK])).order_by(log.id))
        payloads.extend({
            "message": {"id": row.message_id, "wamid": row.wamid, "type": row.message_type, "text": row.text,
                        "timestamp": iso(row.wa_timestamp), "received_at": iso(row.received_at),
                        "whatsapp": row.payload},
            "contact": contact_data(row),
        } for row in rows)
    emit(session, MESSAGE_RECEIVED, payloads)


def status_data(wamid: str, status: str, recipient_wa_id: str | None, recipient_user_id: str | None,
                error_code: int | None, error_title: str | None, at: datetime | None,
                message_id: int | None) -> dict[str, Any]:
    """The `message.status` payload (status_sql builds the same object in SQL)."""
    return {"message_id": message_id, "wamid": wamid, "status": status,
            "recipient": {"wa_id": recipient_wa_id, "user_id": recipient_user_id},
            "error": {"code": error_code, "title": error_title} if error_code is not None or error_title else None,
            "timestamp": iso(at)}


def status_changed(session: Session, item: Any) -> None:
    """`message.status` for one newly stored status of one of our sends (a `StatusItem`)."""
    if not wanted(session, MESSAGE_STATUS):
        return
    message_id = session.scalar(select(ScheduledMessage.id).where(ScheduledMessage.wamid == item.wamid).limit(1))
    emit(session, MESSAGE_STATUS, [status_data(item.wamid, item.status, item.recipient_wa_id, item.recipient_user_id,
                                               item.error_code, item.error_title, item.wa_timestamp, message_id)])


def conversation_handed_off(session: Session, contact: Any, message: Any, since: datetime,
                            until: datetime | None) -> None:
    """`conversation.handoff`: the bot handed `contact`'s conversation to a human after `message`."""
    if not wanted(session, CONVERSATION_HANDOFF):
        return
    emit(session, CONVERSATION_HANDOFF, [{
        "contact": contact_data(contact), "message": {"id": message.id, "wamid": message.wamid, "text": message.text},
        "since": iso(since), "expires_at": iso(until)}], since)


def broadcasts_completed(session: Session, broadcast_ids: Sequence[int]) -> None:
    """`broadcast.completed` for each campaign that just completed, with its rows counted by status."""
    if not broadcast_ids or not wanted(session, BROADCAST_COMPLETED):
        return
    counts: dict[int, dict[str, int]] = {}
    for broadcast_id, status, count in session.execute(
            select(ScheduledMessage.broadcast_id, ScheduledMessage.status, func.count())
            .where(ScheduledMessage.broadcast_id.in_(broadcast_ids))
            .group_by(ScheduledMessage.broadcast_id, ScheduledMessage.status)):
        counts.setdefault(broadcast_id, {})[status] = count
    campaigns = session.execute(select(Broadcast.id, Broadcast.name, Broadcast.scheduled_at, Broadcast.completed_at,
                                       Broadcast.recipient_count).where(Broadcast.id.in_(broadcast_ids))
                                .order_by(Broadcast.id))
    emit(session, BROADCAST_COMPLETED, [{
        "broadcast": {"id": row.id, "name": row.name, "scheduled_at": iso(row.scheduled_at),
                      "completed_at": iso(row.completed_at), "recipients": row.recipient_count},
        "counts": counts.get(row.id, {})} for row in campaigns])


def contact_opted_out(session: Session, contact: Any, source: str, opting_out: bool = True) -> None:
    """`contact.opted_out` for one contact the caller is moving from opted in to opted out (False: opting in)."""
    if opting_out and wanted(session, CONTACT_OPTED_OUT):
        emit(session, CONTACT_OPTED_OUT, [{"contact": contact_data(contact), "source": source}])


def contacts_opting_out(session: Session, which: ColumnElement[bool], source: str, opting_out: bool = True) -> None:
    """`contact.opted_out` for the contacts matching `which` not opted out yet (call just before the write).

    `source` is campaigns.opt_out's: `customer_message` (a STOP to the bot), `marketing_preference`
    (the customer stopped marketing in WhatsApp), `meta_error` (Meta's error 131050), `api` or
    `operator`. `opting_out` False (an opt-in) emits nothing.
    """
    if not opting_out or not wanted(session, CONTACT_OPTED_OUT):
        return
    rows = session.execute(select(*_CONTACT_COLUMNS).where(which, Contact.opted_out.is_(false())).order_by(Contact.id))
    emit(session, CONTACT_OPTED_OUT, [{"contact": contact_data(row), "source": source} for row in rows])
