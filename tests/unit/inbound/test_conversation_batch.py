"""A webhook's batch decides on conversation states as rows (inbound.conversation_batch) with the
same outcome as the chatbot's one-message-at-a-time ORM path, and writes only what it changed."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from freezegun import freeze_time
from sqlalchemy import select, update

from chatbot_service import Chatbot, ChatbotService
from config import Config
from database_models import (
    STATE_BOT,
    STATE_HANDOFF,
    ConversationState,
    OrderInquiry,
    ReceivedMessageLog,
    ScheduledMessage,
)
from inbound.conversation_batch import BatchStates
from language.rules_loader import load_rules

NOW = datetime(2026, 11, 25, 6, 30, tzinfo=UTC)  # a Wednesday morning in Tehran: open
# Per customer, the texts of one webhook (several per customer, in order) and the state stored before it.
CONVERSATIONS = [
    (None, ["سلام", "قیمت این کفش چنده؟"]),
    (None, ["I want to talk to a person", "hello?"]),
    (None, ["خیلی بد بود، اصلا راضی نیستم", "بازم خرابه، افتضاحه"]),
    (None, ["سفارشم کجاست؟", "۱۰۰۲۳"]),
    ({"state": STATE_HANDOFF, "handoff_since": NOW - timedelta(hours=30), "expires_at": NOW - timedelta(hours=6)},
     ["hi, anyone there?"]),
    ({"state": STATE_HANDOFF, "handoff_since": NOW - timedelta(hours=1), "expires_at": NOW + timedelta(hours=5)},
     ["hello", "لغو"]),
    ({"state": STATE_BOT, "negative_in_a_row": 1, "language": "en", "last_intent": "greeting"},
     ["this is terrible, really bad service"]),
]


@pytest.fixture(scope="module")
def rules():
    return load_rules(Config().chatbot_rules_path)


def _conversations(session, make_contact):
    """A contact, its stored state (if any) and its new messages, for each of CONVERSATIONS."""
    made = []
    sequence = 0
    for stored, texts in CONVERSATIONS:
        contact = make_contact()
        if stored is not None:
            session.add(ConversationState(contact_id=contact.id, **stored))
        messages = []
        for text in texts:
            sequence += 1
            messages.append(ReceivedMessageLog(
                wamid=f"wamid.batch{contact.id}x{sequence}", contact_id=contact.id, message_type="text", text=text,
                payload={}, wa_timestamp=NOW - timedelta(seconds=5), received_at=NOW))
        session.add_all(messages)
        session.flush()
        made.append((contact, messages))
    return made


def _outcome(session, made):
    """What each conversation ended as: its state's columns, its open order question, intents, replies."""
    rows = []
    for contact, messages in made:
        state = session.get(ConversationState, contact.id)
        inquiry = session.get(OrderInquiry, contact.id)
        replies = session.scalar(select(ScheduledMessage.id).where(ScheduledMessage.contact_id == contact.id)
                                 .order_by(ScheduledMessage.id.desc()).limit(1))
        rows.append((
            None if state is None else (state.state, state.last_intent, state.handoff_since, state.expires_at,
                                        state.negative_in_a_row, state.language),
            None if inquiry is None else inquiry.awaiting_until,
            [session.get(ReceivedMessageLog, message.id).intent for message in messages],
            replies is not None, contact.opted_out,
        ))
    return rows


def test_a_batch_ends_where_one_message_at_a_time_ends(session, make_contact, rules, test_config):
    with freeze_time(NOW):
        batch = _conversations(session, make_contact)
        single = _conversations(session, make_contact)
        Chatbot(test_config, rules, random.Random(3)).handle_new_messages(
            session, [message.id for _, messages in batch for message in messages])
        service = ChatbotService(session, rules, test_config, random.Random(3))
        for contact, messages in single:
            for message in messages:
                service.process_message(contact, message)
        session.flush()
        session.expire_all()
        assert _outcome(session, batch) == _outcome(session, single)
    handoffs = [row[0][0] for row in _outcome(session, batch)]
    assert handoffs.count(STATE_HANDOFF) >= 2 and STATE_BOT in handoffs  # the cases above do change states


def test_only_the_columns_the_chatbot_changed_are_written(session, make_contact):
    contact = make_contact()
    session.add(ConversationState(contact_id=contact.id, state=STATE_HANDOFF, handoff_since=NOW, language="fa"))
    session.flush()
    states = BatchStates(session)
    states.load([contact.id])
    states.get(contact.id).language = "en"  # the chatbot saw an English text during the handoff
    # Meanwhile an operator hands the conversation back to the bot.
    session.execute(update(ConversationState).where(ConversationState.contact_id == contact.id)
                    .values(state=STATE_BOT, handoff_since=None))
    states.write()
    session.expire_all()
    stored = session.get(ConversationState, contact.id)
    assert (stored.state, stored.handoff_since, stored.language) == (STATE_BOT, None, "en")
