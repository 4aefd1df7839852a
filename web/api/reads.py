"""The reads integrators sync from: conversations by latest activity, a campaign's recipients, `updated_since`.

A conversation is a contact with activity: a stored message (from the customer, a
coexistence echo of what the business sent from the WhatsApp Business app, or a
history-imported one) or a non-campaign send (chatbot reply, operator, API). Only the
customer's own live messages move `last_customer_message_at` and open the 24-hour window
(`Contact.last_inbound_at`, which ingestion sets for those alone); echoes and history count
as activity only. Pages are keyset pages with opaque cursors, like every list here.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select, union_all
from sqlalchemy.orm import Session

from database_models import STATE_BOT, STATE_HANDOFF, Contact, ConversationState, ReceivedMessageLog, ScheduledMessage
from web.api.queries import BIG_INTEGER_IDS, CursorError, Page, _row_id, decode_cursor, encode_cursor, get_broadcast

CUSTOMER_SERVICE_WINDOW = timedelta(hours=24)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _moment_cursor(cursor: str) -> tuple[datetime, int]:
    raw_at, raw_id = decode_cursor(cursor, 2)
    try:
        at = datetime.fromisoformat(raw_at)
    except ValueError:
        raise CursorError("not a cursor this API issued") from None
    if at.tzinfo is None:
        raise CursorError("not a cursor this API issued")
    return at, _row_id(raw_id)


def _activity() -> Any:
    """(contact_id, last_activity_at) of every contact with a stored message or a non-campaign send."""
    received = select(ReceivedMessageLog.contact_id.label("contact_id"), ReceivedMessageLog.received_at.label("at"))
    sent = select(ScheduledMessage.contact_id, ScheduledMessage.created_at).where(
        ScheduledMessage.broadcast_id.is_(None))
    both = union_all(received, sent).subquery()
    return (select(both.c.contact_id, func.max(both.c.at).label("last_activity_at"))
            .group_by(both.c.contact_id).subquery())


def list_conversations(session: Session, now: datetime, *, state: str | None = None, in_window: bool | None = None,
                       updated_since: datetime | None = None, limit: int = 50, cursor: str | None = None) -> Page:
    """Conversations, newest activity first, filtered by state (handoff: waiting for a person; bot) and window."""
    activity = _activity()
    last = activity.c.last_activity_at
    current_state = func.coalesce(ConversationState.state, STATE_BOT)
    query = (select(Contact, last, current_state.label("state"), ConversationState.handoff_since)
             .join(activity, activity.c.contact_id == Contact.id)
             .outerjoin(ConversationState, ConversationState.contact_id == Contact.id)
             .order_by(last.desc(), Contact.id.desc()).limit(limit + 1))
    if state is not None:
        query = query.where(current_state == state)
    if in_window is not None:
        opened = Contact.last_inbound_at > now - CUSTOMER_SERVICE_WINDOW
        query = query.where(opened if in_window else or_(Contact.last_inbound_at.is_(None), ~opened))
    if updated_since is not None:
        query = query.where(last >= updated_since)
    if cursor is not None:
        at, contact_id = _moment_cursor(cursor)
        query = query.where(or_(last < at, and_(last == at, Contact.id < contact_id)))
    rows = session.execute(query).all()
    more = len(rows) > limit
    rows = rows[:limit]
    items = [_conversation(contact, at, row_state, since, now) for contact, at, row_state, since in rows]
    return Page(items, encode_cursor(rows[-1][1].isoformat(), rows[-1][0].id) if more else None)


def _conversation(contact: Contact, at: datetime, state: str, since: datetime | None, now: datetime) -> dict[str, Any]:
    closes = contact.last_inbound_at + CUSTOMER_SERVICE_WINDOW if contact.last_inbound_at else None
    if at.tzinfo is None:  # SQLite hands an aggregate back as naive UTC (the column type is not applied)
        at = datetime.fromisoformat(str(at)).replace(tzinfo=now.tzinfo)
    return {"contact_id": contact.id, "handle": contact.handle, "name": contact.display_name, "wa_id": contact.wa_id,
            "user_id": contact.user_id, "state": state, "waiting_for_person": state == STATE_HANDOFF,
            "handoff_since": _iso(since) if state == STATE_HANDOFF else None, "last_activity_at": at.isoformat(),
            "last_customer_message_at": _iso(contact.last_inbound_at),
            "window_open": closes is not None and now < closes, "window_closes_at": _iso(closes)}


def list_recipients(session: Session, broadcast_id: int, *, status: str | None = None,
                    updated_since: datetime | None = None, limit: int = 50, cursor: str | None = None) -> Page:
    """A campaign's queue rows in order, each with its contact and delivery status."""
    get_broadcast(session, broadcast_id)
    query = (select(ScheduledMessage, Contact.handle).join(Contact, Contact.id == ScheduledMessage.contact_id)
             .where(ScheduledMessage.broadcast_id == broadcast_id).order_by(ScheduledMessage.id).limit(limit + 1))
    if status is not None:
        query = query.where(ScheduledMessage.status == status)
    if updated_since is not None:
        query = query.where(ScheduledMessage.updated_at >= updated_since)
    if cursor is not None:
        [raw] = decode_cursor(cursor, 1)
        query = query.where(ScheduledMessage.id > _row_id(raw, BIG_INTEGER_IDS))
    rows = session.execute(query).all()
    more = len(rows) > limit
    rows = rows[:limit]
    items = [{"message_id": row.id, "contact_id": row.contact_id, "handle": handle, "status": row.status,
              "wamid": row.wamid, "error_code": row.last_error_code, "error_title": row.last_error_title,
              "sent_at": _iso(row.sent_at), "delivered_at": _iso(row.delivered_at), "read_at": _iso(row.read_at),
              "failed_at": _iso(row.failed_at), "updated_at": _iso(row.updated_at)} for row, handle in rows]
    return Page(items, encode_cursor(rows[-1][0].id) if more else None)
