"""What the bot answers, and when it stays quiet: intents, replies, opt-out/in, handoff, business hours.

For each newly stored inbound message the chatbot decides on at most one reply and puts
it in the outbound queue inside the webhook's own transaction. The queue row is unique
per inbound message, so a webhook delivered three times still gets one reply; the row is
sent right after commit, or later by the processor if that send fails.
"""

from __future__ import annotations

import contextlib
import logging
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from campaigns.opt_out import CUSTOMER_MESSAGE, set_choice
from config import Config
from database_models import (
    DIRECTION_IN,
    STATE_BOT,
    STATE_HANDOFF,
    Contact,
    ConversationState,
    ReceivedMessageLog,
    utcnow,
)
from inbound.conversation_batch import NEW_MESSAGES, BatchStates, StateRow, store_intents
from inbound.shapes import ORDER, event_reply_key
from integrations import events as outbound_webhooks
from language.intent_cache import cached_recognizer
from language.intent_rules import IntentMatch, RuleSet
from language.nlp import detect_language
from language.reply_tone import NEUTRAL, Tone, next_negative_run, offers_person, tone_of
from language.reply_writer import ReplyWriter
from language.rules_loader import load_rules
from language.sentiment import prepare as prepare_sentiment
from orders.batch_lookups import OrderLookups
from orders.conversation import answer_order_question, may_concern_orders
from orders.rules import order_rules
from scheduler import Scheduler

logger = logging.getLogger(__name__)

TEXT_TYPES = frozenset({"text", "interactive", "button"})
MEDIA_TYPES = frozenset({"image", "video", "audio", "voice", "document", "sticker"})
AWAY_RESPONSE_KEY = "away"
LOGGED_ONE_BY_ONE = 20  # decisions of one batch logged one by one at INFO; a larger batch in one line
_WITH_EFFECTS = frozenset({"opt_out", "opt_in", "human_agent"})  # decisions that write more than the state


@dataclass(frozen=True)
class Decision:
    """The chatbot's verdict on one message: an intent and the reply text (None: stay quiet)."""

    intent: str | None
    confidence: float
    reply: str | None
    reason: str


class ChatbotService(ReplyWriter):
    """Decides and queues replies through one session; never commits."""

    def __init__(self, session: Session, rules: RuleSet, config: Config, rng: random.Random | None = None,
                 clock: Callable[[], datetime] = utcnow) -> None:
        self.session = session
        self.rules = rules
        self.config = config
        self.rng = rng or random.Random()
        self.clock = clock
        # contact id -> its conversation state, or None for "no row yet", when the caller loaded them
        self.known_states: dict[int, ConversationState | None] = {}
        # Or, for a webhook's batch, states as detached rows written at the end (inbound.conversation_batch).
        self.batch_states: BatchStates | None = None
        self._order_lookups: OrderLookups | None = None  # a batch's order look-ups, read when first needed
        self._batch_contacts: set[int] = set()
        self._matches: dict[str, IntentMatch] = {}  # text -> its intent, for this service's batch
        self._tones: dict[str, Tone] = {}  # text -> its tone, likewise
        self._languages: dict[str, str] = {}  # text -> detect_language's verdict, likewise
        self._hours: dict[str, str] = {}
        self.language = "fa"  # of the message being answered: "fa" (also Finglish) or "en"
        self._decision_level = logging.INFO

    def process_message(self, contact: Contact, message: ReceivedMessageLog) -> int | None:
        """Decide on `message` and queue the reply; returns the queue row id or None."""
        reply = self._decide_and_record(contact, message)
        if reply is None:
            return None
        return Scheduler(self.session).add(contact.id, **reply).id

    def process_messages(self, messages: Sequence[ReceivedMessageLog]) -> list[int]:
        """`process_message` for a batch, in order; the queue ids of the replies, in message order.

        The same decisions as one by one (the same rng draws, the same state changes, a
        contact's second message seeing what its first changed); only the writes are
        gathered: one flush for states, intents and opt-outs, one multi-row INSERT for the
        replies, instead of a flush per reply (a fifth of a 3 MB envelope's time before).
        """
        replies, intents = [], []
        # A large batch (a 3 MB envelope) logs its decisions in one INFO line, one a message at DEBUG.
        self._decision_level = logging.INFO if len(messages) <= LOGGED_ONE_BY_ONE else logging.DEBUG
        self._batch_contacts = {message.contact_id for message in messages} if len(messages) > 1 else set()
        # With the states detached and the order questions kept by OrderLookups, nothing the decisions
        # query is something they change (orders, subscriptions): the session is flushed once, below,
        # instead of before each query (an opt-out's contact UPDATE, an order question's INSERT).
        with self.session.no_autoflush if self.batch_states is not None else contextlib.nullcontext():
            for message in messages:
                reply = self._decide_and_record(message.contact, message, intents)
                if reply is not None:
                    replies.append(reply | {"contact_id": message.contact_id})
        if self._decision_level != logging.INFO:
            logger.info("chatbot decisions", extra={"event": "chatbot.decisions", "count": len(messages),
                                                    "replies": len(replies)})
        if self.batch_states is not None:
            self.batch_states.write()
        self.session.flush()
        store_intents(self.session, intents)
        return Scheduler(self.session).add_replies(replies)

    def _decide_and_record(self, contact: Contact, message: ReceivedMessageLog,
                           intents: list[dict[str, Any]] | None = None) -> dict[str, Any] | None:
        """Decide, store the intent on the message (or gather it in `intents`), log; the reply's fields or None."""
        decision = self.decide(contact, message)
        if decision.intent is not None and intents is None:
            message.intent, message.intent_confidence = decision.intent, round(decision.confidence, 4)
        elif decision.intent is not None:
            # Seen on the object at once, written by store_intents in one statement, not one UPDATE a message.
            set_committed_value(message, "intent", decision.intent)
            set_committed_value(message, "intent_confidence", round(decision.confidence, 4))
            intents.append({"row_id": message.id, "new_intent": decision.intent,
                            "confidence": round(decision.confidence, 4)})
        logger.log(self._decision_level, "chatbot decision", extra={"event": "chatbot.decision", "wamid": message.wamid,
                                               "contact_id": contact.id, "intent": decision.intent,
                                               "reason": decision.reason})
        if decision.reply is None:
            return None
        return {"body": decision.reply, "kind": "reply", "in_reply_to_id": message.id}

    def decide(self, contact: Contact, message: ReceivedMessageLog) -> Decision:
        """The intent and reply for `message`, applying opt-out/in and handoff as side effects."""
        now = self.clock()
        if message.direction not in (DIRECTION_IN, None) or message.imported:
            return Decision(None, 0.0, None, "not a live customer message (echo or history)")
        if message.group_id:
            return Decision(None, 0.0, None, "group message: never answered automatically")
        event_key = event_reply_key(message.event_data)
        if event_key is None and message.message_type not in TEXT_TYPES | MEDIA_TYPES:
            return Decision(None, 0.0, None, f"{message.message_type} messages get no reply")
        sent_at = message.wa_timestamp or message.received_at
        if (now - sent_at).total_seconds() > self.config.chatbot_max_message_age_seconds:
            return Decision(None, 0.0, None, "too old: part of a replayed backlog")
        state = self._state(contact, now)
        self.language = self._language(message, event_key, state)
        if event_key is not None:
            # Flows, call permissions, payments, orders: never the "did not understand" fallback. They
            # are answered (also during a handoff: an acknowledgement, not a conversation) only where
            # the rules file's `events:` says so; an order always, by default built in.
            return Decision(None, 0.0, self._event_reply(event_key, contact, message), f"{event_key} event")
        if message.message_type in MEDIA_TYPES:
            if state.state == STATE_HANDOFF:
                return Decision(None, 0.0, None, "conversation is with a human")
            return Decision("media", 1.0, self._respond("media", contact), "media message")
        match = self._recognize(message.text or "")
        intent = match.intent
        if intent == "opt_out":
            reply = self._opt_out(contact, now, message.text, self._tone(message.text))
            return Decision(intent, match.confidence, reply, "opt-out")
        if intent == "opt_in":
            set_choice(contact, False, CUSTOMER_MESSAGE, message.text, at=now)
            return Decision(intent, match.confidence, self._respond(intent, contact), "opt-in")
        if state.state == STATE_HANDOFF:
            return Decision(intent, match.confidence, None, "conversation is with a human")
        state.last_intent = intent
        tone = self._tone(message.text)
        state.negative_in_a_row = next_negative_run(tone, state.negative_in_a_row or 0)
        offer = offers_person(tone, state.negative_in_a_row, intent)
        if intent == "human_agent":
            state.state, state.handoff_since = STATE_HANDOFF, now
            state.expires_at = now + timedelta(hours=self.config.handoff_ttl_hours)
            outbound_webhooks.conversation_handed_off(self.session, contact, message, now, state.expires_at)
            key = intent if self.is_open(now) else AWAY_RESPONSE_KEY
            return Decision(intent, match.confidence, self._respond(key, contact, tone), "handoff to a human")
        # "where is my order?": orders/conversation.py
        order = answer_order_question(self.session, contact, message.text or "", intent, state, now,
                                      self.language, self.config, self._orders())
        if order is not None:
            if state.state == STATE_HANDOFF:  # an order only a person can settle: the inbox takes it
                outbound_webhooks.conversation_handed_off(self.session, contact, message, now, state.expires_at)
            return Decision(order.intent, match.confidence, order.reply, order.reason)
        reason = "answered, offering a person" if offer else "answered"
        return Decision(intent, match.confidence, self._respond(intent, contact, tone, offer), reason)

    def _orders(self) -> OrderLookups | None:
        """The batch's order look-ups (two queries for all its contacts), or None for a single message."""
        if self._order_lookups is None and self._batch_contacts:
            self._order_lookups = OrderLookups(self.session, self._batch_contacts)
        return self._order_lookups

    def is_open(self, now: datetime) -> bool:
        """Whether `now` falls inside the configured business hours (in TIMEZONE)."""
        local = now.astimezone(self.config.zone)
        return self.config.business_hours.is_open(local.weekday(), local.time())

    def _opt_out(self, contact: Contact, now: datetime, words: str | None, tone: Tone) -> str | None:
        if not set_choice(contact, True, CUSTOMER_MESSAGE, words, at=now):
            return None  # confirmed once already
        return self._respond("opt_out", contact, tone)

    def _language(self, message: ReceivedMessageLog, event_key: str | None, state: ConversationState) -> str:
        """Persian script and Finglish writers are answered in Persian, English writers in English. Media
        (whose text may be a file name) and events (a flow's text is the business's button) in the
        language of the contact's last text, else Persian; an order by its note, if it has one."""
        written = (event_key is None and message.message_type in TEXT_TYPES) or event_key == ORDER
        if message.text and written:
            detected = self._languages.get(message.text)
            if detected is None:  # a pure function of the text: once per distinct text of a batch
                detected = self._languages[message.text] = detect_language(message.text)
            state.language = "en" if detected == "en" else "fa"
            return state.language
        return state.language or "fa"

    def _recognize(self, text: str) -> IntentMatch:
        # The classifier is a pure function of the text and the rules: a batch classifies each
        # distinct text once ("سلام" a thousand times in one envelope costs one classification).
        match = self._matches.get(text)
        if match is None:  # and across texts that differ only in numbers, and across batches (intent_cache)
            match = self._matches[text] = cached_recognizer(self.rules).recognize(text)
        return match

    def _tone(self, text: str | None) -> Tone:
        # Only where the reply uses it (not for a conversation with a person): 0.27 ms a message.
        if not text:
            return NEUTRAL
        tone = self._tones.get(text)
        if tone is None:
            tone = self._tones[text] = tone_of(text)
        return tone

    def _state(self, contact: Contact, now: datetime) -> ConversationState | StateRow:
        if self.batch_states is not None:
            state = self.batch_states.get(contact.id)
        elif contact.id in self.known_states:
            state = self.known_states[contact.id]
        else:
            state = self.session.get(ConversationState, contact.id)
        if state is None:
            state = ConversationState(contact_id=contact.id, state=STATE_BOT)
            self.session.add(state)
        if self.batch_states is None:
            # A second message of the contact sees this object, also while it is only pending (not flushed).
            self.known_states[contact.id] = state
        if state.state == STATE_HANDOFF and state.expires_at is not None and state.expires_at <= now:
            state.state, state.handoff_since, state.expires_at = STATE_BOT, None, None
        return state


class Chatbot:
    """The per-process chatbot: rules loaded once at start-up, a service per transaction."""

    def __init__(self, config: Config, rules: RuleSet | None = None, rng: random.Random | None = None, *,
                 prepare: bool = True) -> None:
        self.config = config
        self.rules = rules or load_rules(config.chatbot_rules_path)  # read and checked now: a bad file stops start-up
        order_rules(config)  # rules/orders.yaml, checked (and cached) now: a malformed file stops start-up
        self.rng = rng or random.Random()
        if prepare:
            self.prepare()

    def prepare(self) -> None:
        """Train the intent model and the replies' tone now (~1.5 s of CPU), not on a customer's first message.
        A web worker does it at start-up; a `flask` command that classifies nothing never does."""
        self.rules.prepare()
        prepare_sentiment()

    def recognize_alone(self, text: str) -> IntentMatch | None:
        """The intent of a plain text whose decision changes nothing but its conversation state; None for
        an opt-out or opt-in, a request for a person or a question about orders (inbound.text_writer)."""
        match = cached_recognizer(self.rules).recognize(text)
        return None if match.intent in _WITH_EFFECTS or may_concern_orders(text, match.intent) else match

    def decide_alone(self, contact: Any, message: Any, state: Any, match: IntentMatch
                     ) -> tuple[Decision, StateRow | None]:
        """`decide` on plain rows, without a session: the decision and the conversation state it read or
        changed (None: it read none). `state`: the stored state's columns as `BatchStates.known` takes them;
        `match`: what `recognize_alone` said of the message's text."""
        service = ChatbotService(None, self.rules, self.config, self.rng)  # type: ignore[arg-type]
        service.batch_states = BatchStates(None)  # type: ignore[arg-type]
        service.batch_states.known(contact.id, state)
        service._matches[message.text or ""] = match  # classified once, not again by `decide`
        return service.decide(contact, message), service.batch_states.touched(contact.id)

    def handle_new_messages(self, session: Session, message_ids: Sequence[int]) -> list[int]:
        """Run the chatbot on newly stored messages; returns the ids of queued replies."""
        if not message_ids:
            return []
        # Messages, their contacts and their conversation states in one query (a webhook's
        # texts are usually from contacts with no state row yet: that is known here too). The
        # states come as plain columns: the chatbot decides on detached objects, written at the end.
        loaded = session.execute(NEW_MESSAGES, {"ids": list(message_ids)}).all()
        service = ChatbotService(session, self.rules, self.config, self.rng)
        service.batch_states = BatchStates(session)
        for row in loaded:
            service.batch_states.known(row[0].contact_id, row)
        return service.process_messages([row[0] for row in loaded])


def release_handoff(session: Session, contact_id: int) -> bool:
    """Hand a conversation back to the bot; False when it was not in handoff."""
    state = session.get(ConversationState, contact_id)
    if state is None or state.state != STATE_HANDOFF:
        return False
    state.state, state.handoff_since, state.expires_at = STATE_BOT, None, None
    return True
