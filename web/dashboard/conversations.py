"""Who has a conversation: taking it from the bot, assigning it, handing it back, notes, the read marker.

Actions on one `Session` (they never commit); each records itself with `record_action` in the
same transaction. The rules:
- Taking a conversation hands it to a person (state "handoff") and to the one who took it; the
  bot stays silent until someone hands it back (a taken conversation has no expiry: the bot's
  own handoffs time out after HANDOFF_TTL_HOURS, a person's decision does not).
- Assigning gives it to an active operator (admins only; agents take) and takes it from the bot.
- Handing back returns it to the bot and clears the assignee, so the bot's next handoff lands
  unassigned.
- A note is the team's: stored and shown in the thread, never sent.
- The read marker is the team's (one per conversation): opening or answering the thread sets it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from chatbot_service import release_handoff
from database_models import STATE_BOT, STATE_HANDOFF, ConversationNote, ConversationState, Operator
from web.dashboard.inbox import InboxError, get_contact, plain_text
from web.dashboard.operators import current_operator, record_action
from web.i18n import format_number

MAX_NOTE_CHARS = 4000


class NotAllowed(InboxError):
    """An action the operator's role does not allow."""


@dataclass(frozen=True)
class Holder:
    """Who has the conversation now, for the thread's header."""

    state: str  # "bot" or "handoff"
    assigned_operator_id: int | None
    assignee: str | None
    taken_by: str | None


def _state(session: Session, contact_id: int) -> ConversationState:
    get_contact(session, contact_id)
    state = session.get(ConversationState, contact_id)
    if state is None:
        state = ConversationState(contact_id=contact_id, state=STATE_BOT)
        session.add(state)
    return state


def may_assign_others() -> bool:
    """Admins assign to anyone; agents only take."""
    operator = current_operator()
    return operator is not None and operator.is_admin


def holder(session: Session, contact_id: int) -> Holder:
    """Who has the conversation: the bot or a person, and which operator."""
    state = session.get(ConversationState, contact_id)
    if state is None:
        return Holder(STATE_BOT, None, None, None)
    wanted = {state.assigned_operator_id, state.taken_by_operator_id} - {None}
    names = {operator.id: operator.shown_name
             for operator in session.scalars(select(Operator).where(Operator.id.in_(wanted)))} if wanted else {}
    return Holder(state.state, state.assigned_operator_id, names.get(state.assigned_operator_id),
                  names.get(state.taken_by_operator_id))


def assignable_operators(session: Session) -> list[Operator]:
    """Active operators, by name."""
    return list(session.scalars(select(Operator).where(Operator.disabled_at.is_(None)).order_by(Operator.username)))


def take(session: Session, contact_id: int, now: datetime) -> ConversationState:
    """The acting operator takes the conversation from the bot (or from its assignee)."""
    state = _state(session, contact_id)
    operator = current_operator()
    if state.state != STATE_HANDOFF:
        state.handoff_since = now
    state.state, state.expires_at = STATE_HANDOFF, None
    state.taken_by_operator_id = operator.id if operator is not None else None
    if operator is not None:
        state.assigned_operator_id, state.assigned_at = operator.id, now
    record_action(session, "conversation.taken", "contact", contact_id)
    return state


def assign(session: Session, contact_id: int, operator_id: int | None, now: datetime) -> ConversationState:
    """Give the conversation to an active operator (None: to nobody); NotAllowed for an agent."""
    if not may_assign_others():
        raise NotAllowed(_("Only an admin assigns conversations to others; take it yourself instead."))
    state = _state(session, contact_id)
    if operator_id is not None:
        operator = session.get(Operator, operator_id)
        if operator is None or operator.disabled_at is not None:
            raise InboxError(_("Choose an active operator."))
        if state.state != STATE_HANDOFF:
            state.handoff_since = now
        state.state, state.expires_at = STATE_HANDOFF, None
    state.assigned_operator_id, state.assigned_at = operator_id, now if operator_id is not None else None
    record_action(session, "conversation.assigned", "contact", contact_id, operator_id=operator_id)
    return state


def release(session: Session, contact_id: int) -> bool:
    """Hand the conversation back to the bot; False when no person had it."""
    if not release_handoff(session, contact_id):
        return False
    state = session.get(ConversationState, contact_id)
    state.assigned_operator_id = state.assigned_at = state.taken_by_operator_id = None
    record_action(session, "conversation.released", "contact", contact_id)
    return True


def add_note(session: Session, contact_id: int, body: str, now: datetime) -> ConversationNote:
    """Keep a team note on the conversation."""
    get_contact(session, contact_id)
    text = plain_text(body).strip()
    if not text:
        raise InboxError(_("Write the note first."))
    if len(text) > MAX_NOTE_CHARS:
        raise InboxError(_("A note holds at most %(count)s characters.", count=format_number(MAX_NOTE_CHARS)))
    operator = current_operator()
    note = ConversationNote(contact_id=contact_id, operator_id=operator.id if operator is not None else None,
                            body=text, created_at=now)
    session.add(note)
    session.flush()
    record_action(session, "note.added", "contact", contact_id, note_id=note.id)
    return note


def mark_read(session: Session, contact_id: int, now: datetime) -> None:
    """The team has seen the conversation up to now."""
    state = _state(session, contact_id)
    contact = get_contact(session, contact_id)
    seen = max(now, contact.last_inbound_at) if contact.last_inbound_at else now
    if state.read_at is None or state.read_at < seen:
        state.read_at = seen
