"""A webhook as large as Meta sends (3 MB) of the most expensive shape is stored whole, once.

New text messages from new contacts, each answered by the chatbot: every message is a row,
every contact is created, every message has exactly one queued reply, and delivering the same
body again changes nothing. How long it takes is bench/large_envelope.py's business (with
--gunicorn it checks the worker is not killed by its timeout); no time is asserted here.
"""

from __future__ import annotations

import json
import time

import pytest
from sqlalchemy import func, select

from campaigns.identity import profiles_of, sender_of
from config import Config
from database_models import Contact, ReceivedMessageLog, ScheduledMessage
from inbound.sample_payloads import envelope, messages_change

THREE_MIB = 3 * 1024 * 1024
# Customer texts of several intents, repeated as a real burst repeats them, and some unique ones.
TEXTS = ("سلام", "قیمت این محصول چنده؟", "بسته‌ام کی میرسه؟", "hello there", "salam, ghymt chande?",
         "میخوام با اپراتور صحبت کنم", "ممنون از راهنمایی", "ساعت کاری فروشگاه چنده؟")


@pytest.fixture
def test_config(test_config: Config) -> Config:
    """Replies left queued for the processor: the test is about what the request stores."""
    return test_config.replace(reply_sender="processor", send_replies_inline=False)


def large_envelope(max_bytes: int) -> tuple[bytes, set[str], set[str]]:
    """A body just under `max_bytes` of texts from distinct new senders; (body, wamids, senders).

    The last message is delivered twice inside the envelope (Meta may batch a retry with new items).
    """
    now, run = int(time.time()), time.time_ns() % 10**9
    messages, contacts = [], []
    size, index = 400, 0
    while True:
        sender = f"98{9100000000 + index:010d}"
        text = TEXTS[index % len(TEXTS)] if index % 5 else f"سفارش شماره {index} رو لغو نکنید، کی میرسه؟"
        message = {"from": sender, "id": f"wamid.LARGE{run}x{index:06d}", "timestamp": str(now), "type": "text",
                   "text": {"body": text}}
        contact = {"profile": {"name": f"مشتری {index}"}, "wa_id": sender}
        grown = sum(len(json.dumps(part, ensure_ascii=False).encode()) for part in (message, contact)) + 4
        if size + grown > max_bytes - 512:
            break
        messages.append(message)
        contacts.append(contact)
        size += grown
        index += 1
    messages.append(dict(messages[-1]))  # the same item twice
    body = json.dumps(envelope(messages_change(messages, contacts)), ensure_ascii=False).encode()
    return body, {m["id"] for m in messages}, {m["from"] for m in messages}


def stored(app) -> dict[str, int]:
    with app.extensions["whatsapp_platform"].session_factory() as session:
        replies = select(ScheduledMessage).where(ScheduledMessage.kind == "reply")
        return {
            "messages": session.scalar(select(func.count()).select_from(ReceivedMessageLog)),
            "contacts": session.scalar(select(func.count()).select_from(Contact)),
            "replies": session.scalar(select(func.count()).select_from(replies.subquery())),
            "answered": session.scalar(select(func.count(func.distinct(ScheduledMessage.in_reply_to_id)))),
            "pending": session.scalar(select(func.count()).select_from(
                replies.where(ScheduledMessage.status == "pending").subquery())),
            "classified": session.scalar(select(func.count()).select_from(ReceivedMessageLog)
                                         .where(ReceivedMessageLog.intent.is_not(None))),
        }


def test_a_3_mb_envelope_of_new_contacts_is_stored_and_answered_once(app, post_webhook):
    body, wamids, senders = large_envelope(THREE_MIB)
    assert THREE_MIB - 4096 < len(body) <= THREE_MIB
    assert len(wamids) > 10_000

    assert post_webhook(body).status_code == 200

    first = stored(app)
    count = len(wamids)
    assert first == {"messages": count, "contacts": len(senders), "replies": count, "answered": count,
                     "pending": count, "classified": count}
    with app.extensions["whatsapp_platform"].session_factory() as session:
        assert set(session.scalars(select(ReceivedMessageLog.wamid))) == wamids
        # Each reply answers its own message's sender.
        mismatched = session.scalar(
            select(func.count()).select_from(ScheduledMessage)
            .join(ReceivedMessageLog, ReceivedMessageLog.id == ScheduledMessage.in_reply_to_id)
            .where(ReceivedMessageLog.contact_id != ScheduledMessage.contact_id))
        assert mismatched == 0

    assert post_webhook(body).status_code == 200  # Meta's retry of the same body
    assert stored(app) == first


def test_a_batch_applies_each_contacts_messages_in_order(app, post_webhook):
    """One envelope, one contact asking for a human then greeting, another opting out twice:
    the handoff silences the greeting, the second STOP is not confirmed again, a repeated item is one row."""
    now = int(time.time())
    first, second, third = "989121110001", "989121110002", "989121110003"
    items = [
        {"from": first, "id": "wamid.ORDER1", "timestamp": str(now), "type": "text", "text": {"body": "اپراتور"}},
        {"from": second, "id": "wamid.ORDER2", "timestamp": str(now), "type": "text", "text": {"body": "STOP"}},
        {"from": first, "id": "wamid.ORDER3", "timestamp": str(now), "type": "text", "text": {"body": "سلام"}},
        {"from": second, "id": "wamid.ORDER4", "timestamp": str(now), "type": "text", "text": {"body": "STOP"}},
        {"from": third, "id": "wamid.ORDER5", "timestamp": str(now), "type": "text", "text": {"body": "سلام"}},
        {"from": third, "id": "wamid.ORDER5", "timestamp": str(now), "type": "text", "text": {"body": "سلام"}},
    ]
    contacts = [{"profile": {"name": "Sara"}, "wa_id": number} for number in (first, second, third)]
    assert post_webhook(envelope(messages_change(items, contacts))).status_code == 200

    with app.extensions["whatsapp_platform"].session_factory() as session:
        answered = set(session.scalars(
            select(ReceivedMessageLog.wamid).join(ScheduledMessage, ScheduledMessage.in_reply_to_id
                                                  == ReceivedMessageLog.id)))
        opted_out = dict(session.execute(select(Contact.wa_id, Contact.opted_out)).all())
        assert session.scalar(select(func.count()).select_from(ReceivedMessageLog)) == 5
    assert answered == {"wamid.ORDER1", "wamid.ORDER2", "wamid.ORDER5"}
    assert opted_out == {first: False, second: True, third: False}


def test_profiles_match_the_first_entry_naming_the_sender():
    profiles = profiles_of([{"user_id": "US.111", "profile": {"name": "by user id"}},
                            {"wa_id": "15550001", "user_id": "US.222", "profile": {"name": "by number"}}])
    assert sender_of({"from": "15550001", "from_user_id": "US.111"}, profiles).name == "by user id"
    assert sender_of({"from": "15550001"}, profiles).name == "by number"
    assert sender_of({"from": "15550001"}, list(profiles)).name == "by number"  # a plain list is indexed too
    assert sender_of({"from": "15550009"}, profiles).name is None
