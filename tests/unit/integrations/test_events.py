"""Each event is produced once, by the write that caused it, and only for subscribers of its type.

Through the real entry points: /webhook (statuses go through PostgreSQL's one-statement
shortcut there, through the general path on SQLite), the chatbot, the processor and the API.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from broadcast_testing import fake_sender, processor_config, seed_broadcast
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from database_models import Contact, ScheduledMessage, WebhookEvent, utcnow
from inbound.ingestion import Ingestor
from inbound.sample_payloads import new_wamid, status_envelope, status_item, text_message_envelope
from integrations.subscriptions import create_subscription
from outbound.processor import MessageProcessor
from run_broadcast_processor import run_processor

AUTH = {"Authorization": "Bearer test-admin-token-value"}
RECEIVER = "https://shop.example/hooks/whatsapp"


@pytest.fixture
def factory_of(app):
    return app.extensions["whatsapp_platform"].session_factory


def subscribe(factory, *events: str) -> None:
    with factory() as session:
        create_subscription(session, RECEIVER, list(events))
        session.commit()


def payloads(factory, event_type: str) -> list[dict]:
    with factory() as session:
        return list(session.scalars(select(WebhookEvent.payload).where(WebhookEvent.event_type == event_type)
                                    .order_by(WebhookEvent.id)))


def sent_message(factory, wa_id: str) -> tuple[int, str]:
    """A message we sent to `wa_id` (committed): its queue id and wamid."""
    wamid, now = new_wamid(), utcnow()
    with factory() as session:
        contact = Contact(wa_id=wa_id, name="Reza", attributes={})
        session.add(contact)
        session.flush()
        row_id = session.execute(insert(ScheduledMessage).returning(ScheduledMessage.id), {
            "contact_id": contact.id, "kind": "reply", "body": "hi", "status": "sent", "wamid": wamid,
            "scheduled_at": now, "sent_at": now, "attempts": 1, "dry_run": False, "unconfirmed_sends": 0,
            "created_at": now, "updated_at": now}).scalar_one()
        session.commit()
    return row_id, wamid


def test_each_new_status_gives_one_message_status_event(factory_of, post_webhook):
    subscribe(factory_of, "message.status")
    row_id, wamid = sent_message(factory_of, "989121230001")
    delivered = status_envelope(status_item(wamid, "delivered", "989121230001", timestamp=1_800_000_000))
    assert post_webhook(delivered).status_code == 200
    assert post_webhook(delivered).status_code == 200  # Meta's redelivery: no second event
    failed = status_item(wamid, "failed", "989121230001", error_code=131026, error_title="Message undeliverable")
    assert post_webhook(status_envelope(failed)).status_code == 200

    first, second = payloads(factory_of, "message.status")
    assert first == {"message_id": row_id, "wamid": wamid, "status": "delivered",
                     "recipient": {"wa_id": "989121230001", "user_id": None}, "error": None,
                     "timestamp": "2027-01-15T08:00:00Z"}
    assert second["status"] == "failed"
    assert second["error"] == {"code": 131026, "title": "Message undeliverable"}


def test_both_status_paths_build_the_same_payload(factory_of, post_webhook, engine, database_url):
    """PostgreSQL's SQL payload (the shortcut) equals the general path's (Ingestor), field for field."""
    if not database_url.startswith("postgresql"):
        pytest.skip("the one-statement status path is PostgreSQL's")
    subscribe(factory_of, "message.status")
    row_id, wamid = sent_message(factory_of, "989121230002")
    item = status_item(wamid, "failed", "989121230002", timestamp=1_800_000_000, error_code=131049, error_title="x")
    assert post_webhook(status_envelope(item)).status_code == 200  # the shortcut
    with Session(engine) as session:  # the general path, for the next status of the same send
        Ingestor(session).ingest(status_envelope({**item, "status": "read"}))
        session.commit()
    fast, general = payloads(factory_of, "message.status")
    assert {**fast, "status": "read"} == general and fast["message_id"] == row_id


def test_a_handoff_gives_one_conversation_handoff_event(factory_of, post_webhook):
    subscribe(factory_of, "conversation.handoff")
    post_webhook(text_message_envelope("989121230003", "اپراتور لطفا", name="Mina"))
    post_webhook(text_message_envelope("989121230003", "اپراتور لطفا"))  # already with a human: no new handoff
    [event] = payloads(factory_of, "conversation.handoff")
    assert event["contact"]["wa_id"] == "989121230003" and event["message"]["text"] == "اپراتور لطفا"
    assert event["since"] < event["expires_at"]


def test_a_stop_message_gives_one_contact_opted_out_event(factory_of, post_webhook, client):
    subscribe(factory_of, "contact.opted_out")
    post_webhook(text_message_envelope("989121230004", "STOP"))
    post_webhook(text_message_envelope("989121230004", "STOP"))  # already out
    [event] = payloads(factory_of, "contact.opted_out")
    assert event["contact"]["wa_id"] == "989121230004" and event["source"] == "customer_message"

    contact_id = event["contact"]["id"]
    assert client.post(f"/api/contacts/{contact_id}/opt-in", headers=AUTH).status_code == 200
    assert client.post(f"/api/contacts/{contact_id}/opt-out", headers=AUTH).status_code == 200
    assert client.post(f"/api/contacts/{contact_id}/opt-out", headers=AUTH).status_code == 200
    assert [e["source"] for e in payloads(factory_of, "contact.opted_out")] == ["customer_message", "api"]


def test_error_131050_opts_out_with_one_event_on_either_status_path(factory_of, post_webhook):
    subscribe(factory_of, "contact.opted_out")
    _, wamid = sent_message(factory_of, "989121230005")
    stop = status_item(wamid, "failed", "989121230005", error_code=131050, error_title="stopped marketing")
    post_webhook(status_envelope(stop))
    post_webhook(status_envelope(stop))
    [event] = payloads(factory_of, "contact.opted_out")
    assert event["contact"]["wa_id"] == "989121230005" and event["source"] == "meta_error"


def test_a_completed_broadcast_gives_one_broadcast_completed_event(factory_of, fake_graph, database_url):
    subscribe(factory_of, "broadcast.completed")
    broadcast_id = seed_broadcast(factory_of, 3, name="Yalda sale")
    config = processor_config(database_url)
    sender = fake_sender(fake_graph)
    try:
        for _ in range(2):
            run_processor(config, factory_of, lambda: MessageProcessor(factory_of, sender, config), time_budget=10)
    finally:
        sender.close()
    [event] = payloads(factory_of, "broadcast.completed")
    assert event["broadcast"]["id"] == broadcast_id and event["broadcast"]["name"] == "Yalda sale"
    assert event["counts"] == {"sent": 3} and event["broadcast"]["recipients"] == 3


def test_events_go_only_to_subscribers_of_their_type(factory_of, post_webhook):
    subscribe(factory_of, "message.status")
    post_webhook(text_message_envelope("989121230006", "hello"))
    assert payloads(factory_of, "message.received") == []


def test_a_rolled_back_write_leaves_no_event(factory_of):
    subscribe(factory_of, "message.received")
    with factory_of() as session:
        Ingestor(session).ingest(text_message_envelope("989121230007", "hello"))
        assert session.scalar(select(WebhookEvent.id)) is not None  # written with the message …
        session.rollback()  # … and gone with it
    assert payloads(factory_of, "message.received") == []


def test_an_event_for_two_subscribers_has_one_id(factory_of, post_webhook):
    subscribe(factory_of, "message.received")
    subscribe(factory_of, "message.received", "message.status")
    post_webhook(text_message_envelope("989121230008", "hello"))
    with factory_of() as session:
        rows = session.execute(select(WebhookEvent.subscription_id, WebhookEvent.event_id)).all()
    assert len(rows) == 2 and len({event_id for _, event_id in rows}) == 1
    assert len({subscription for subscription, _ in rows}) == 2


def test_the_time_of_an_event_is_when_it_happened(factory_of, post_webhook):
    subscribe(factory_of, "message.received")
    before = utcnow()
    post_webhook(text_message_envelope("989121230009", "hello"))
    with factory_of() as session:
        created_at = session.scalar(select(WebhookEvent.created_at))
    assert before - timedelta(seconds=1) <= created_at <= utcnow()
