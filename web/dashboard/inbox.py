"""The team inbox's thread: one contact's messages and notes, the operator's replies, the handoff count.

Queries and actions on one `Session` (they never commit); the pages are
`web.dashboard.inbox_pages` and `conversation_pages`, behind the login and CSRF checks: each
action commits once, then hands the queued row to the dispatcher. The list of conversations is
`inbox_list`'s; taking, assigning, notes and the read marker are `conversations`'.
An operator's message is an ordinary row of the outbound queue (kind "operator", with the
operator's id), so it is sent, retried and tracked like any other. A reply may hold the
broadcasts' placeholders (`{first_name|fallback}`, campaigns/personalisation.py), filled in for
this contact when it is queued; an unknown or malformed one refuses the reply.
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

from campaigns.message_templates import body_text, fill
from campaigns.personalisation import (
    PlaceholderError,
    UnknownPlaceholderError,
    contact_fields,
    render_message,
    validate_placeholders,
)
from database_models import (
    DIRECTION_OUT,
    STATE_HANDOFF,
    Contact,
    ConversationNote,
    ConversationState,
    MessageTemplate,
    Operator,
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
class ThreadItem:
    """One message of a thread, inbound or outbound, or a team note."""

    direction: str  # "in", "out" or "note" (the team's, never sent)
    at: datetime
    text: str | None
    message_type: str
    status: str | None = None  # outbound only: the queue status
    kind: str | None = None  # outbound only: reply, broadcast, operator
    error: str | None = None
    template: str | None = None  # a template's name, language and, when its text is unknown, its values
    template_text: str | None = None  # the synced template's body filled with the values: what the customer read
    edited: bool = False  # stored messages: the text is its sender's newest edit
    deleted: bool = False  # revoked by its sender: kept, shown as deleted
    group_id: str | None = None
    imported: bool = False  # from the WhatsApp Business app's history
    operator: str | None = None  # who wrote it: an operator's message or a note
    key: str = ""  # "in-<id>", "out-<id>" or "note-<id>": what the live updates continue after


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


def plain_text(text: str) -> str:
    """`text` if it holds no control character but newlines and tabs; InboxError otherwise (PostgreSQL
    refuses a NUL outright, and nobody types one)."""
    if any((char < " " and char not in "\n\r\t") or char == "\x7f" for char in text):
        raise InboxError(_("The text holds a control character. Remove it and try again."))
    return text


def get_contact(session: Session, contact_id: int) -> Contact:
    """The contact, or ContactNotFound."""
    contact = session.get(Contact, contact_id)
    if contact is None:
        raise ContactNotFound(f"no contact {contact_id}")
    return contact


@dataclass(frozen=True)
class ThreadCursor:
    """The newest inbound, outbound and note ids a page shows: live updates bring what came after."""

    inbound: int = 0
    outbound: int = 0
    note: int = 0

    @classmethod
    def parse(cls, text: str) -> ThreadCursor:
        """'<in>.<out>.<note>' as the page wrote it; ValueError for anything else."""
        parts = text.split(".")
        if len(parts) != 3 or not all(part.isdigit() and len(part) <= 18 for part in parts):
            raise ValueError(f"not a thread cursor: {text[:40]!r}")
        return cls(*(int(part) for part in parts))

    def __str__(self) -> str:
        return f"{self.inbound}.{self.outbound}.{self.note}"


def thread(session: Session, contact_id: int, limit: int = THREAD_LIMIT,
           after: ThreadCursor | None = None, notes: bool = False) -> list[ThreadItem]:
    """The contact's latest messages (and with `notes` the team's notes), interleaved, oldest first
    (only those newer than `after`, when given)."""
    inbound_query = select(ReceivedMessageLog).where(ReceivedMessageLog.contact_id == contact_id)
    # A row that was sent is placed at its send time; one still waiting at its scheduled time.
    outbound_at = func.coalesce(ScheduledMessage.sent_at, ScheduledMessage.scheduled_at)
    outbound_query = select(ScheduledMessage).where(ScheduledMessage.contact_id == contact_id)
    notes_query = select(ConversationNote).where(ConversationNote.contact_id == contact_id)
    if after is None:  # the newest `limit` of each
        inbound_query = inbound_query.order_by(ReceivedMessageLog.received_at.desc(), ReceivedMessageLog.id.desc())
        outbound_query = outbound_query.order_by(outbound_at.desc(), ScheduledMessage.id.desc())
        notes_query = notes_query.order_by(ConversationNote.id.desc())
    else:  # the oldest `limit` after the cursor, in id order: the next update continues from the last
        inbound_query = inbound_query.where(ReceivedMessageLog.id > after.inbound).order_by(ReceivedMessageLog.id)
        outbound_query = outbound_query.where(ScheduledMessage.id > after.outbound).order_by(ScheduledMessage.id)
        notes_query = notes_query.where(ConversationNote.id > after.note).order_by(ConversationNote.id)
    inbound = session.scalars(inbound_query.limit(limit)).all()
    outbound = session.scalars(outbound_query.limit(limit)).all()
    notes = session.scalars(notes_query.limit(limit)).all() if notes else []
    names = operator_names(session, {row.operator_id for row in outbound} | {note.operator_id for note in notes})
    bodies = _template_bodies(session, [row for row in outbound if row.template_name])
    # Echoes and history of the WhatsApp Business app: what the business sent there is outbound ("app").
    items = [ThreadItem("out" if m.direction == DIRECTION_OUT else "in", m.wa_timestamp or m.received_at, m.text,
                        m.message_type, kind="app" if m.direction == DIRECTION_OUT else None,
                        edited=m.edited_at is not None, deleted=m.deleted_at is not None, group_id=m.group_id,
                        imported=m.imported, key=f"in-{m.id}") for m in inbound]
    for row in outbound:
        error = None
        if row.last_error_code is not None or row.last_error_title:
            error = " ".join(part for part in (f"({row.last_error_code})" if row.last_error_code else "",
                                               row.last_error_title or "") if part)
        body = _template_body(bodies, row) if row.template_name else None
        items.append(ThreadItem(
            "out", row.sent_at or row.scheduled_at, row.body, "template" if row.template_name and not row.body
            else ((row.content or {}).get("media") or {}).get("type", "text"), status=row.status, kind=row.kind,
            error=error,
            template=_describe_template(row, with_values=body is None) if row.template_name else None,
            template_text=fill(body, [str(value) for value in row.template_params or []]) if body else None,
            operator=names.get(row.operator_id), key=f"out-{row.id}",
        ))
    items += [ThreadItem("note", note.created_at, note.body, "note", operator=names.get(note.operator_id),
                         key=f"note-{note.id}") for note in notes]
    items.sort(key=lambda item: (item.at, {"in": 0, "out": 1, "note": 2}[item.direction]))
    # Each table gave `limit` rows: an update keeps whole tables' prefixes (its cursor then skips nothing).
    return items[-limit:] if after is None else items


def thread_cursor(session: Session, contact_id: int) -> ThreadCursor:
    """The newest ids of the contact's thread now (what a page just drawn shows)."""
    def newest(column, owner) -> int:
        return session.scalar(select(func.max(column)).where(owner == contact_id)) or 0

    return ThreadCursor(newest(ReceivedMessageLog.id, ReceivedMessageLog.contact_id),
                        newest(ScheduledMessage.id, ScheduledMessage.contact_id),
                        newest(ConversationNote.id, ConversationNote.contact_id))


def operator_names(session: Session, ids: set[int | None]) -> dict[int, str]:
    """The shown name of each operator in `ids` (one query)."""
    wanted = {operator_id for operator_id in ids if operator_id is not None}
    if not wanted:
        return {}
    return {operator.id: operator.shown_name
            for operator in session.scalars(select(Operator).where(Operator.id.in_(wanted)))}


def _describe_template(row: ScheduledMessage, with_values: bool) -> str:
    params = ", ".join(str(p) for p in row.template_params or []) if with_values else ""
    language = f" ({row.template_language})" if row.template_language else ""
    return f"{row.template_name}{language}" + (f": {params}" if params else "")


def _template_bodies(session: Session, rows: list[ScheduledMessage]) -> dict[tuple[str, str], str]:
    """The body texts of the synced templates `rows` name, by (name, language): one query for a thread."""
    if not rows:
        return {}
    found = session.scalars(select(MessageTemplate).where(
        MessageTemplate.name.in_({row.template_name for row in rows}))).all()
    return {(template.name, template.language): text for template in found if (text := body_text(template))}


def _template_body(bodies: dict[tuple[str, str], str], row: ScheduledMessage) -> str | None:
    """The body of the template `row` sent; with no language recorded, the name's only synced one."""
    if row.template_language:
        return bodies.get((row.template_name, row.template_language))
    named = [text for (name, _language), text in bodies.items() if name == row.template_name]
    return named[0] if len(named) == 1 else None


def queue_text_reply(session: Session, contact_id: int, body: str, now: datetime,
                     operator_id: int | None = None) -> ScheduledMessage:
    """Queue the operator's free-text reply, its placeholders filled in for the contact; OutsideWindow
    when the window has closed, InboxError for an unknown or malformed placeholder."""
    contact = get_contact(session, contact_id)
    text = plain_text(body).strip()
    if not text:
        raise InboxError(_("Write a message first."))
    if not is_window_open(contact, now):
        raise OutsideWindow(_("The 24-hour window is closed: WhatsApp only accepts an approved template now."))
    text = personalised(session, contact, text)
    if not text:
        raise InboxError(_("Write a message first."))
    if len(text) > MAX_BODY_CHARS:
        raise InboxError(_("A WhatsApp message holds at most %(count)s characters.",
                           count=format_number(MAX_BODY_CHARS)))
    return Scheduler(session).add(contact.id, body=text, kind=OPERATOR_KIND, scheduled_at=now,
                                  operator_id=operator_id)


def personalised(session: Session, contact: Contact, text: str) -> str:
    """`text` with the broadcasts' placeholders filled in for `contact` (nothing to do without a brace)."""
    if "{" not in text and "}" not in text:
        return text
    try:
        validate_placeholders(session, text)
    except UnknownPlaceholderError as error:
        raise InboxError(_("Unknown placeholder: %(names)s. Nothing was sent.",
                           names=", ".join("{" + name + "}" for name in error.names))) from error
    except PlaceholderError as error:
        raise InboxError(_("A placeholder is written wrongly: write {field} or {field|fallback}, and {{ or }} "
                           "for a brace. Nothing was sent.")) from error
    fields = contact_fields(contact.identifier, contact.display_name, contact.attributes)
    return render_message(text, fields).strip()


def queue_template_reply(session: Session, contact_id: int, template_name: str, language: str,
                         params: list[str], now: datetime, operator_id: int | None = None) -> ScheduledMessage:
    """Queue an approved template for the contact (allowed inside and outside the window)."""
    contact = get_contact(session, contact_id)
    name, language = plain_text(template_name).strip(), plain_text(language).strip() or "en_US"
    if not name:
        raise InboxError(_("Give the template's name."))
    if len(name) > 512 or len(language) > 16:
        raise InboxError(_("The template name or language is too long."))
    cleaned = [plain_text(param).strip() for param in params if param.strip()]
    if len(cleaned) > MAX_TEMPLATE_PARAMS:
        raise InboxError(_("At most %(count)s template parameters.", count=format_number(MAX_TEMPLATE_PARAMS)))
    return Scheduler(session).add(contact.id, template_name=name, template_language=language,
                                  template_params=cleaned or None, kind=OPERATOR_KIND, scheduled_at=now,
                                  operator_id=operator_id)
