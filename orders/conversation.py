"""The order conversation: "where is my order?" answered from the shop's own orders.

`answer_order_question` is called by the chatbot for a live text message once it is known
that the bot (not a person) is answering. It returns None when the message is not about an
order, and the chatbot answers as before. Otherwise:

- The `order_status` intent without a number: with several recent orders, the bot lists them
  and asks which; else the intent's own reply asks for the number. Either way the question
  is recorded in `order_inquiries` with an expiry (rules file: `answer_minutes`).
- A message with an order number or tracking code (Persian ۱۲۳۴۵, Arabic-Indic ١٢٣٤٥ or Latin
  digits, words around it allowed), when the intent is `order_status` or while the question
  is open: the order's status, tracking code and link, expected date (Jalali in Persian).
- A single digit while a list is open picks that order of the list ("2": the second).
- Privacy: an order is described only to its own contact. An unknown number and another
  person's number get the same apology (nobody learns whether a number exists), and the
  conversation goes to a person (handoff: the inbox), as does a status in `needs_person`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from config import Config
from database_models import STATE_HANDOFF, Contact, ConversationState, Order, OrderInquiry
from language.jalali import latin_digits
from orders.batch_lookups import OrderLookups
from orders.rules import OrderRules, OrderRulesError, order_rules
from orders.wording import describe_order, list_orders, order_values

logger = logging.getLogger(__name__)

ORDER_INTENT = "order_status"
MAX_LISTED = 5
_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9\-]*[A-Za-z0-9]|[0-9]")
_LETTER = re.compile(r"[^\W\d_]")
_CHOICE = re.compile(r"\s*([1-9])\s*")
_MIN_DIGITS = 3  # "2 تا" is a quantity, "1001" an order number


@dataclass(frozen=True)
class OrderAnswer:
    """The chatbot's reply about an order, and why (for the decision log)."""

    intent: str
    reply: str
    reason: str


def order_references(text: str) -> list[str]:
    """The order numbers or tracking codes `text` may contain: tokens with at least three digits, in order."""
    found: list[str] = []
    for token in _TOKEN.findall(latin_digits(text or "")):
        if sum(character.isdigit() for character in token) >= _MIN_DIGITS:
            found.extend(candidate for candidate in (token, token.upper()) if candidate not in found)
    return found


def may_concern_orders(text: str, intent: str | None) -> bool:
    """Whether `answer_order_question` could answer this text (else it returns None without a query)."""
    return (intent == ORDER_INTENT or bool(order_references(text))
            or _CHOICE.fullmatch(latin_digits(text or "")) is not None)


def answer_order_question(session: Session, contact: Contact, text: str, intent: str | None,
                          state: ConversationState, now: datetime, language: str,
                          config: Config, lookups: OrderLookups | None = None) -> OrderAnswer | None:
    """The reply about an order for this message, with its side effects (question recorded, handoff), or None.

    `lookups`: the batch's look-ups read at once (orders.batch_lookups), instead of a query per message."""
    if not may_concern_orders(text, intent):
        return None  # the common case costs a regular expression, no query
    references = order_references(text)
    choice = _CHOICE.fullmatch(latin_digits(text or ""))  # "2": the second order of the list the bot sent
    try:
        rules = order_rules(config)
    except OrderRulesError as error:  # never a failed webhook: the bot answers as it would without orders
        logger.error("orders rules unusable", extra={"event": "orders.rules_error", "reason": str(error)})
        return None
    inquiry = lookups.inquiry(contact.id) if lookups is not None else session.get(OrderInquiry, contact.id)
    awaiting = inquiry is not None and inquiry.awaiting_until > now
    if intent != ORDER_INTENT and not awaiting:
        return None
    if not references and choice and awaiting and inquiry.choices:
        listed = inquiry.choices.split()
        references = listed[int(choice.group(1)) - 1:int(choice.group(1))]
    if not references:
        return _ask(session, contact, inquiry, rules, now, language, lookups) if intent == ORDER_INTENT else None
    if inquiry is not None:
        if awaiting and not _LETTER.search(text):
            language = inquiry.language  # "1002" alone: the language the question was asked in
        if lookups is not None:
            lookups.delete(contact.id, inquiry)
        else:
            session.delete(inquiry)
    return _answer(session, contact, references, state, now, language, rules, config)


def _answer(session: Session, contact: Contact, references: list[str], state: ConversationState, now: datetime,
            language: str, rules: OrderRules, config: Config) -> OrderAnswer:
    """The order `references` name, described to its own contact only; else an apology and a person."""
    found = session.scalars(select(Order).where(or_(Order.number.in_(references),
                                                    Order.tracking_code.in_(references)))).all()
    mine = [order for order in found if order.contact_id == contact.id]
    if not mine:
        reason = "order of another contact: nothing told" if found else "unknown order number"
        _hand_off(state, now, config)
        return OrderAnswer(ORDER_INTENT, rules.reply("not_found", language), reason + ", handed to a person")
    order = mine[0]
    if order.status in rules.needs_person:
        _hand_off(state, now, config)
        reply = rules.reply("needs_person", language).format_map(order_values(order, rules, language))
        return OrderAnswer(ORDER_INTENT, reply, f"order {order.status}: handed to a person")
    return OrderAnswer(ORDER_INTENT, describe_order(order, rules, language, config.zone), "order status")


def _ask(session: Session, contact: Contact, inquiry: OrderInquiry | None, rules: OrderRules, now: datetime,
         language: str, lookups: OrderLookups | None = None) -> OrderAnswer | None:
    """Record the open question; list the contact's recent orders when there are several."""
    recent: Sequence[Order] = []
    if lookups is None or lookups.may_have_orders(contact.id):
        recent = session.scalars(select(Order).where(Order.contact_id == contact.id,
                                                     Order.updated_at >= now - timedelta(days=rules.recent_days))
                                 .order_by(Order.updated_at.desc(), Order.id.desc()).limit(MAX_LISTED)).all()
    if inquiry is None:
        inquiry = OrderInquiry(contact_id=contact.id)
        session.add(inquiry)
        if lookups is not None:
            lookups.remember(contact.id, inquiry)
    inquiry.awaiting_until = now + timedelta(minutes=rules.answer_minutes)
    inquiry.language = language
    inquiry.choices = " ".join(order.number for order in recent)[:1000] or None
    if len(recent) < 2:
        return None  # the order_status intent's own reply asks for the number
    return OrderAnswer(ORDER_INTENT, list_orders(list(recent), rules, language), "several recent orders: listed")


def _hand_off(state: ConversationState, now: datetime, config: Config) -> None:
    state.state, state.handoff_since = STATE_HANDOFF, now
    state.expires_at = now + timedelta(hours=config.handoff_ttl_hours)
