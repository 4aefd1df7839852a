"""The handoff inbox: who is waiting for a human, one contact's thread, the operator's replies.

Queries and actions on one `Session` (they never commit); the pages are
`web.dashboard.inbox_pages`, behind the login and CSRF checks: each action commits once,
then hands the queued row to the dispatcher.
An operator's message is an ordinary row of the outbound queue (kind "operator"), so it
is sent, retried and tracked like any other.
Free text is only allowed inside WhatsApp's 24-hour customer-service window (Meta
refuses it outside with error 131047); outside it the operator sends an approved template.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from database_models import (
    DIRECTION_OUT,
    STATE_HANDOFF,
    Contact,
    ConversationState,
    ReceivedMessageLog,
    ScheduledMessage,
)
from scheduler import Scheduler
from web.i18n import format_number

logger = logging.getLogger(__name__)

CUSTOMER_SERVICE_WINDOW = timedelta(hours=24)
OPERATOR_KIND = "operator"
MAX_BODY_CHARS = 4096  # the Cloud API's limit for a text message body
MAX_TEMPLATE_PARAMS = 20
THREAD_LIMIT = 200


class InboxError(ValueError):
    """An operator action that cannot be done; the message says why."""


class ContactNotFound(InboxError):
    """No contact with that id."""


class OutsideWindow(InboxError):
    """Free text asked for after the 24-hour customer-service window closed."""


@dataclass(frozen=True)
class WaitingConversation:
    """One conversation in handoff, as the inbox lists it."""

    contact_id: int
    name: str | None
    wa_id: str | None
    handoff_since: datetime | None
    waited: timedelta
    window_open: bool
    window_closes_at: datetime | None
    handoff_expired: bool
    last_text: str | None
    last_type: str | None
    last_operator_reply_at: datetime | None
    handle: str = ""  # +number, else @username, else the BSUID


@dataclass(frozen=True)
class ThreadItem:
    """One message of a thread, inbound or outbound."""

    direction: str  # "in" or "out"
    at: datetime
    text: str | None
    message_type: str
    status: str | None = None  # outbound only: the queue status
    kind: str | None = None  # outbound only: reply, broadcast, operator
    error: str | None = None
    template: str | None = None
    edited: bool = False  # stored messages: the text is its sender's newest edit
    deleted: bool = False  # revoked by its sender: kept, shown as deleted
    group_id: str | None = None
    imported: bool = False  # from the WhatsApp Business app's history


def window_closes_at(last_inbound_at: datetime | None) -> datetime | None:
    """When the customer-service window opened by the last inbound message closes."""
    return last_inbound_at + CUSTOMER_SERVICE_WINDOW if last_inbound_at else None


def is_window_open(contact: Contact, now: datetime) -> bool:
    """Whether free text may be sent to `contact` at `now`."""
    closes = window_closes_at(contact.last_inbound_at)
    return closes is not None and now < closes


def handoff_count(session: Session) -> int:
    """How many conversations wait for a human."""
    return session.scalar(select(func.count()).select_from(ConversationState)
                          .where(ConversationState.state == STATE_HANDOFF)) or 0


def waiting_conversations(session: Session, now: datetime) -> list[WaitingConversation]:
    """Conversations in handoff, the longest-waiting first."""
    rows = session.execute(
        select(ConversationState, Contact).join(Contact, Contact.id == ConversationState.contact_id)
        .where(ConversationState.state == STATE_HANDOFF)
        .order_by(ConversationState.handoff_since.asc().nulls_first(), ConversationState.contact_id)
    ).all()
    ids = [contact.id for _state, contact in rows]
    last_messages = _last_inbound(session, ids)
    last_replies = dict(session.execute(
        select(ScheduledMessage.contact_id, func.max(ScheduledMessage.created_at))
        .where(ScheduledMessage.contact_id.in_(ids), ScheduledMessage.kind == OPERATOR_KIND)
        .group_by(ScheduledMessage.contact_id)
    ).all()) if ids else {}
    waiting = []
    for state, contact in rows:
        since = state.handoff_since
        closes = window_closes_at(contact.last_inbound_at)
        last = last_messages.get(contact.id)
        waiting.append(WaitingConversation(
            contact_id=contact.id, name=contact.display_name, wa_id=contact.wa_id, handle=contact.handle,
            handoff_since=since,
            waited=max(now - since, timedelta(0)) if since else timedelta(0),
            window_open=closes is not None and now < closes, window_closes_at=closes,
            handoff_expired=state.expires_at is not None and state.expires_at <= now,
            last_text=last.text if last else None, last_type=last.message_type if last else None,
            last_operator_reply_at=last_replies.get(contact.id),
        ))
    return waiting


def _last_inbound(session: Session, contact_ids: list[int]) -> dict[int, ReceivedMessageLog]:
    """The newest inbound message of each contact (one query, a window function)."""
    if not contact_ids:
        return {}
    ranked = select(
        ReceivedMessageLog.id,
        func.row_number().over(partition_by=ReceivedMessageLog.contact_id,
                               order_by=(ReceivedMessageLog.received_at.desc(), ReceivedMessageLog.id.desc()))
        .label("position"),
    ).where(ReceivedMessageLog.contact_id.in_(contact_ids)).subquery()
    messages = session.scalars(select(ReceivedMessageLog).join(ranked, ranked.c.id == ReceivedMessageLog.id)
                               .where(ranked.c.position == 1)).all()
    return {message.contact_id: message for message in messages}


def get_contact(session: Session, contact_id: int) -> Contact:
    """The contact, or ContactNotFound."""
    contact = session.get(Contact, contact_id)
    if contact is None:
        raise ContactNotFound(f"no contact {contact_id}")
    return contact


def conversation_state(session: Session, contact_id: int) -> str:
    """'handoff' or 'bot' for this contact."""
    state = session.get(ConversationState, contact_id)
    return state.state if state is not None else "bot"


def thread(session: Session, contact_id: int, limit: int = THREAD_LIMIT) -> list[ThreadItem]:
    """The contact's latest inbound and outbound messages, interleaved, oldest first."""
    inbound = session.scalars(
        select(ReceivedMessageLog).where(ReceivedMessageLog.contact_id == contact_id)
        .order_by(ReceivedMessageLog.received_at.desc(), ReceivedMessageLog.id.desc()).limit(limit)
    ).all()
    # A row that was sent is placed at its send time; one still waiting at its scheduled time.
    outbound_at = func.coalesce(ScheduledMessage.sent_at, ScheduledMessage.scheduled_at)
    outbound = session.scalars(
        select(ScheduledMessage).where(ScheduledMessage.contact_id == contact_id)
        .order_by(outbound_at.desc(), ScheduledMessage.id.desc()).limit(limit)
    ).all()
    # Echoes and history of the WhatsApp Business app: what the business sent there is outbound ("app").
    items = [ThreadItem("out" if m.direction == DIRECTION_OUT else "in", m.wa_timestamp or m.received_at, m.text,
                        m.message_type, kind="app" if m.direction == DIRECTION_OUT else None,
                        edited=m.edited_at is not None, deleted=m.deleted_at is not None, group_id=m.group_id,
                        imported=m.imported) for m in inbound]
    for row in outbound:
        error = None
        if row.last_error_code is not None or row.last_error_title:
            error = " ".join(part for part in (f"({row.last_error_code})" if row.last_error_code else "",
                                               row.last_error_title or "") if part)
        items.append(ThreadItem(
            "out", row.sent_at or row.scheduled_at, row.body, "template" if row.template_name and not row.body
            else ((row.content or {}).get("media") or {}).get("type", "text"), status=row.status, kind=row.kind,
            error=error,
            template=_describe_template(row) if row.template_name else None,
        ))
    items.sort(key=lambda item: (item.at, 0 if item.direction == "in" else 1))
    return items[-limit:]


def _describe_template(row: ScheduledMessage) -> str:
    params = ", ".join(str(p) for p in row.template_params or [])
    language = f" ({row.template_language})" if row.template_language else ""
    return f"{row.template_name}{language}" + (f": {params}" if params else "")


def queue_text_reply(session: Session, contact_id: int, body: str, now: datetime) -> ScheduledMessage:
    """Queue the operator's free-text reply; OutsideWindow when the window has closed."""
    contact = get_contact(session, contact_id)
    text = body.strip()
    if not text:
        raise InboxError(_("Write a message first."))
    if len(text) > MAX_BODY_CHARS:
        raise InboxError(_("A WhatsApp message holds at most %(count)s characters.",
                           count=format_number(MAX_BODY_CHARS)))
    if not is_window_open(contact, now):
        raise OutsideWindow(_("The 24-hour window is closed: WhatsApp only accepts an approved template now."))
    return Scheduler(session).add(contact.id, body=text, kind=OPERATOR_KIND, scheduled_at=now)


def queue_template_reply(session: Session, contact_id: int, template_name: str, language: str,
                         params: list[str], now: datetime) -> ScheduledMessage:
    """Queue an approved template for the contact (allowed inside and outside the window)."""
    contact = get_contact(session, contact_id)
    name, language = template_name.strip(), language.strip() or "en_US"
    if not name:
        raise InboxError(_("Give the template's name."))
    if len(name) > 512 or len(language) > 16:
        raise InboxError(_("The template name or language is too long."))
    cleaned = [param.strip() for param in params if param.strip()]
    if len(cleaned) > MAX_TEMPLATE_PARAMS:
        raise InboxError(_("At most %(count)s template parameters.", count=format_number(MAX_TEMPLATE_PARAMS)))
    return Scheduler(session).add(contact.id, template_name=name, template_language=language,
                                  template_params=cleaned or None, kind=OPERATOR_KIND, scheduled_at=now)
