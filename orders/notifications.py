"""Status notifications: when an order reaches a status the rules file has a message for, that
message is queued to its customer through the outbound queue, once per (order, status).

The unique key on `order_notifications (order_id, status)` keeps it to once even when two
imports or API calls race: the second insert fails inside a savepoint and queues nothing.
It is written in the language the customer last wrote in (Persian when they never wrote).
The row's kind is `order_update`: sent as text inside the customer's 24-hour window, and
outside it as the approved template the rules name for that status (`template:`); without
one the processor skips it there, as it does any text without a template.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import tzinfo

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from database_models import DIRECTION_IN, Order, OrderNotification, ReceivedMessageLog
from language.nlp import detect_language
from orders.rules import OrderRules
from orders.wording import order_values
from scheduler import Scheduler

logger = logging.getLogger(__name__)

KIND = "order_update"


def notify_status(session: Session, order: Order, rules: OrderRules, language: str | None = None,
                  zone: tzinfo | None = None) -> bool:
    """Queue the notification for the order's current status unless there is none or it went already.

    In `language`, by default the one the customer last wrote in (Persian when they never wrote).
    """
    if not rules.notifications.get(order.status):
        return False
    known = select(OrderNotification.id).where(OrderNotification.order_id == order.id,
                                               OrderNotification.status == order.status)
    if session.scalar(known) is not None:
        return False
    return _queue(session, order, rules, language or customer_language(session, order.contact_id), zone)


def notify_statuses(session: Session, orders: Sequence[Order], rules: OrderRules, zone: tzinfo | None = None) -> int:
    """`notify_status` for many orders (an import): what went already and the customers' languages are read
    once for all of them; the number of notifications queued."""
    due = [order for order in orders if rules.notifications.get(order.status)]
    if not due:
        return 0
    sent = {tuple(row) for row in session.execute(select(OrderNotification.order_id, OrderNotification.status)
                                                  .where(OrderNotification.order_id.in_([order.id for order in due])))}
    languages = customer_languages(session, {order.contact_id for order in due})
    return sum(_queue(session, order, rules, languages.get(order.contact_id, "fa"), zone)
               for order in due if (order.id, order.status) not in sent)


def _queue(session: Session, order: Order, rules: OrderRules, language: str, zone: tzinfo | None) -> bool:
    """Record the (order, status) and queue its message, in a savepoint; False when another writer was first."""
    template = rules.notification(order.status, language)
    try:
        with session.begin_nested():
            record = OrderNotification(order_id=order.id, status=order.status)
            session.add(record)
            session.flush()
            values = order_values(order, rules, language, zone)
            approved = rules.templates.get(order.status)
            template_fields = {"template_name": approved.name, "template_language": approved.language,
                               "template_params": [str(values[name]) for name in approved.params]} if approved else {}
            record.queue_id = Scheduler(session).add(order.contact_id, body=template.format_map(values), kind=KIND,
                                                     **template_fields).id
    except IntegrityError:  # another writer queued it first
        return False
    logger.info("order notification queued", extra={"event": "orders.notify", "order_id": order.id,
                                                    "status": order.status})
    return True


def customer_language(session: Session, contact_id: int) -> str:
    """"en" when the contact's last text was English, else "fa" (the chatbot's rule for replies)."""
    last = session.scalar(select(ReceivedMessageLog.text).where(
        ReceivedMessageLog.contact_id == contact_id, ReceivedMessageLog.direction == DIRECTION_IN,
        ReceivedMessageLog.text.is_not(None))
        .order_by(ReceivedMessageLog.received_at.desc(), ReceivedMessageLog.id.desc()).limit(1))
    return _language_of(last)


def customer_languages(session: Session, contact_ids: Iterable[int]) -> dict[int, str]:
    """`customer_language` of many contacts in one query (those who never wrote are left out: Persian)."""
    log = ReceivedMessageLog
    newest = func.row_number().over(partition_by=log.contact_id,
                                    order_by=(log.received_at.desc(), log.id.desc())).label("newest")
    texts = select(log.contact_id, log.text, newest).where(
        log.contact_id.in_(list(contact_ids)), log.direction == DIRECTION_IN, log.text.is_not(None)).subquery()
    return {contact_id: _language_of(text) for contact_id, text in session.execute(
        select(texts.c.contact_id, texts.c.text).where(texts.c.newest == 1))}


def _language_of(text: str | None) -> str:
    return "en" if text and detect_language(text) == "en" else "fa"
