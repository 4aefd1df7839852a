"""Customers known by phone number, business-scoped user id (BSUID) or both, and shapes the code does not model.

The bodies in tests/data/webhooks/identity/ were written from Meta's "Business-scoped
user IDs" and system-message webhook references: `from_user_id` / `contacts[].user_id` /
`profile.username` on messages (with `from` missing or empty for a username user),
`recipient_user_id` on statuses, `user_changed_number` / `user_changed_user_id` system
messages with `previous_user_id`. Every test runs on SQLite and PostgreSQL and replays its
webhooks to show a second delivery changes nothing.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from broadcast_testing import processor_config
from conftest import APP_SECRET, GRAPH_TOKEN, PHONE_NUMBER_ID, ROOT, clean_tables
from dashboard_testing import log_in
from prometheus_client import REGISTRY
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from broadcast_service import Audience, schedule_broadcast
from config import parse_business_hours
from database_models import (
    Contact,
    ContactTag,
    MessageStatusEvent,
    ReceivedMessageLog,
    ScheduledMessage,
    UnmodelledItem,
)
from inbound.sample_payloads import status_envelope, status_item, text_message_envelope
from inbound.signatures import sign_payload
from outbound.processor import MessageProcessor
from webhook_handler import create_app
from whatsapp_service import WhatsAppService

FIXTURES = ROOT / "tests" / "data" / "webhooks" / "identity"
ADMIN = {"Authorization": "Bearer test-admin-token-value"}  # conftest's test_config
PHONE, BSUID, NEW_PHONE, NEW_BSUID = "989121110022", "IR.7301958846120533", "989359990044", "IR.4409172265508301"


def fixture(name: str) -> dict[str, Any]:
    """A fixture body with its message timestamps moved to a minute ago (the bot ignores old messages)."""
    body = json.loads((FIXTURES / f"{name}.json").read_text())
    now = int(time.time()) - 60
    for entry in body["entry"]:
        for change in entry["changes"]:
            for offset, message in enumerate(change["value"].get("messages", [])):
                message["timestamp"] = str(now + offset)
    return body


def post(app, payload: dict[str, Any]) -> int:
    body = json.dumps(payload, ensure_ascii=False).encode()
    headers = {"Content-Type": "application/json", "X-Hub-Signature-256": sign_payload(body, APP_SECRET)}
    return app.test_client().post("/webhook", data=body, headers=headers).status_code


def snapshot(app) -> dict[str, Any]:
    """Every stored row that a replay must leave alone (ids and identities included)."""
    with app.extensions["whatsapp_platform"].session_factory() as session:
        return {
            "contacts": session.execute(select(Contact.id, Contact.wa_id, Contact.user_id, Contact.parent_user_id,
                                               Contact.username, Contact.name).order_by(Contact.id)).all(),
            "messages": session.execute(select(ReceivedMessageLog.wamid, ReceivedMessageLog.contact_id)
                                        .order_by(ReceivedMessageLog.id)).all(),
            "queue": session.execute(select(ScheduledMessage.id, ScheduledMessage.contact_id, ScheduledMessage.status)
                                     .order_by(ScheduledMessage.id)).all(),
            "tags": session.execute(select(ContactTag.contact_id, ContactTag.tag).order_by(ContactTag.id)).all(),
            "unmodelled": session.scalar(select(func.count()).select_from(UnmodelledItem)),
        }


def contacts(app) -> list[Contact]:
    with app.extensions["whatsapp_platform"].session_factory() as session:
        return list(session.scalars(select(Contact).order_by(Contact.id)))




@pytest.fixture
def graph_app(test_config, fake_graph, engine):
    """The app sending through pywa to the fake Graph API (replies inline), open all week."""
    sender = WhatsAppService(GRAPH_TOKEN, PHONE_NUMBER_ID, base_url=fake_graph.url, read_timeout=2.0)
    app = create_app(test_config.replace(business_hours=parse_business_hours("mon-sun 00:00-24:00")), sender=sender)
    app.config["TESTING"] = True
    yield app
    app.extensions["whatsapp_platform"].close()
    sender.close()
    clean_tables(engine)


def test_a_bsuid_only_customer_is_stored_once_answered_and_reached_by_a_broadcast(graph_app, fake_graph,
                                                                                  database_url):
    body = fixture("bsuid_only_text")
    assert post(graph_app, body) == 200
    [contact] = contacts(graph_app)
    assert (contact.wa_id, contact.user_id, contact.username, contact.profile_name) == (
        None, BSUID, "shirin.gallery", "Shirin")
    [reply] = fake_graph.messages()
    assert (reply["to"], reply["addressed_by"]) == (BSUID, "recipient")
    assert reply["payload"].get("to") is None and reply["payload"]["recipient"] == BSUID

    before = snapshot(graph_app)
    assert post(graph_app, body) == 200
    assert snapshot(graph_app) == before
    assert len(fake_graph.messages()) == 1

    platform = graph_app.extensions["whatsapp_platform"]
    with platform.session_factory() as session:
        schedule_broadcast(session, name="یلدا", audience=Audience.everyone(), body="سلام {name} ({wa_id}) 🍉")
        session.commit()
    MessageProcessor(platform.session_factory, platform.sender, processor_config(database_url)).process_due(
        time_budget=10)
    broadcast = [m for m in fake_graph.messages() if m["text"] == "سلام Shirin (@shirin.gallery) 🍉"]
    assert [(m["to"], m["addressed_by"]) for m in broadcast] == [(BSUID, "recipient")]
    assert fake_graph.duplicates() == []

    client = graph_app.test_client()
    listed = client.get("/api/contacts", headers=ADMIN).get_json()["items"]
    assert [(c["wa_id"], c["user_id"], c["handle"]) for c in listed] == [(None, BSUID, "@shirin.gallery")]
    assert client.get("/api/contacts?q=@shirin", headers=ADMIN).get_json()["items"][0]["id"] == contact.id
    log_in(client)
    thread = client.get(f"/dashboard/inbox/{contact.id}").get_data(as_text=True)
    assert "@shirin.gallery" in thread and "+None" not in thread


def test_a_bsuid_with_letters_is_sent_as_recipient_too(graph_app, fake_graph):
    # pywa 4.5 only recognises digits after the country code; Meta allows letters.
    assert post(graph_app, fixture("bsuid_only_letters")) == 200
    [contact] = contacts(graph_app)
    assert (contact.wa_id, contact.user_id, contact.username) == (None, "DE.Zk3vQ81LmA90pX2", "kaveh_b")
    [reply] = fake_graph.messages()
    assert (reply["to"], reply["addressed_by"], reply["payload"]["recipient_type"]) == (
        "DE.Zk3vQ81LmA90pX2", "recipient", "individual")
    with graph_app.extensions["whatsapp_platform"].session_factory() as session:
        assert session.scalar(select(ScheduledMessage.status)) == "sent"


def test_phone_and_bsuid_in_one_webhook_merge_two_contacts_without_losing_history(app, engine):
    assert post(app, text_message_envelope(PHONE, "سلام", name="Shirin")) == 200
    assert post(app, fixture("bsuid_only_text")) == 200
    platform = app.extensions["whatsapp_platform"]
    with platform.session_factory() as session:
        phone_contact, bsuid_contact = session.scalars(select(Contact).order_by(Contact.id)).all()
        assert (phone_contact.wa_id, bsuid_contact.user_id) == (PHONE, BSUID)
        session.add_all([ContactTag(contact_id=phone_contact.id, tag="vip"),
                         ContactTag(contact_id=bsuid_contact.id, tag="vip"),
                         ContactTag(contact_id=bsuid_contact.id, tag="bags")])
        session.commit()
        queued = session.scalar(select(func.count()).select_from(ScheduledMessage))
    assert queued == 2  # one reply each

    merge = fixture("phone_and_bsuid_text")
    assert post(app, merge) == 200
    [contact] = contacts(app)
    assert contact.id == phone_contact.id  # the older contact survives
    assert (contact.wa_id, contact.user_id, contact.parent_user_id, contact.username) == (
        PHONE, BSUID, "IR.ENT.5518830021947760", "shirin.gallery")
    state = snapshot(app)
    assert {contact_id for _, contact_id in state["messages"]} == {contact.id} and len(state["messages"]) == 3
    assert {contact_id for _, contact_id, _ in state["queue"]} == {contact.id} and len(state["queue"]) == 3
    assert sorted(tag for _, tag in state["tags"]) == ["bags", "vip"]

    for payload in (merge, fixture("bsuid_only_text"), text_message_envelope(PHONE, "سلام", name="Shirin")):
        post(app, payload)  # the last is a new message from the known number: one more, same contact
    after = snapshot(app)
    assert after["contacts"] == state["contacts"] and len(after["messages"]) == 4


def test_a_number_change_keeps_one_thread_and_replays_change_nothing(app):
    assert post(app, fixture("phone_and_bsuid_text")) == 200
    [before] = contacts(app)
    change = fixture("user_changed_number")
    assert post(app, change) == 200
    [contact] = contacts(app)
    assert contact.id == before.id
    assert (contact.wa_id, contact.user_id) == (NEW_PHONE, NEW_BSUID)
    assert post(app, fixture("after_number_change_text")) == 200
    state = snapshot(app)
    assert [c[0] for c in state["contacts"]] == [contact.id]
    assert [contact_id for _, contact_id in state["messages"]] == [contact.id] * 3
    # Replaying everything, the number change included, moves nothing back or forth.
    for name in ("phone_and_bsuid_text", "user_changed_number", "after_number_change_text"):
        assert post(app, fixture(name)) == 200
    assert snapshot(app) == state


def test_a_user_id_change_moves_the_bsuid_and_the_conversation_continues(app):
    assert post(app, fixture("bsuid_only_text")) == 200
    [before] = contacts(app)
    assert post(app, fixture("user_changed_user_id")) == 200
    [contact] = contacts(app)
    assert (contact.id, contact.user_id, contact.username) == (before.id, "IR.8826104459917302", "shirin.gallery")
    later = fixture("bsuid_only_text")
    message = later["entry"][0]["changes"][0]["value"]["messages"][0]
    message["from_user_id"] = "IR.8826104459917302"
    message["id"] = "wamid.HBgMSURFTlRJVFkwMDA5FQIAEhgUM0JBQTAwMDAwMDAwMDAwMDAwMDkA"
    later["entry"][0]["changes"][0]["value"]["contacts"][0]["user_id"] = "IR.8826104459917302"
    assert post(app, later) == 200
    state = snapshot(app)
    assert [c[0] for c in state["contacts"]] == [contact.id] and len(state["messages"]) == 3
    assert post(app, fixture("user_changed_user_id")) == 200
    assert snapshot(app) == state


def test_statuses_naming_a_bsuid_create_no_phone_contact_and_opt_out_by_bsuid(app):
    assert post(app, fixture("bsuid_only_text")) == 200
    [contact] = contacts(app)
    delivered = fixture("status_to_bsuid")
    assert post(app, delivered) == 200
    failed = status_envelope(status_item("WAMID_OF_A_CAMPAIGN", "failed", BSUID, error_code=131050))
    assert post(app, failed) == 200
    with app.extensions["whatsapp_platform"].session_factory() as session:
        events = session.execute(select(MessageStatusEvent.status, MessageStatusEvent.recipient_wa_id,
                                        MessageStatusEvent.recipient_user_id).order_by(MessageStatusEvent.status))
        assert events.all() == [("delivered", None, BSUID), ("failed", None, BSUID)]
    [after] = contacts(app)
    assert (after.id, after.wa_id, after.opted_out) == (contact.id, None, True)


def test_unmodelled_fields_and_types_are_stored_raw_counted_and_listed(app):
    def counted(kind: str, name: str) -> float:
        return REGISTRY.get_sample_value("whatsapp_webhook_unmodelled_items_total", {"kind": kind, "name": name}) or 0

    before = {key: counted(*key) for key in (("field", "business_capability_update"),
                                             ("message_type", "hologram"), ("message", "no_id_or_sender"))}
    body = fixture("unmodelled_shapes")
    assert post(app, body) == 200
    with app.extensions["whatsapp_platform"].session_factory() as session:
        items = session.execute(select(UnmodelledItem.field, UnmodelledItem.payload).order_by(UnmodelledItem.id))
        [(field, capability), (messages_field, nameless)] = items.all()
        [hologram] = session.scalars(select(ReceivedMessageLog))
    assert (field, capability["max_daily_conversation_per_phone"]) == ("business_capability_update", 1000)
    assert (messages_field, nameless["text"]["body"]) == ("messages", "a message naming no sender at all")
    assert (hologram.message_type, hologram.payload["hologram"]["frames"]) == ("hologram", 24)
    assert {key: counted(*key) - value for key, value in before.items()} == dict.fromkeys(before, 1)

    listed = app.test_client().get("/api/unmodelled", headers=ADMIN).get_json()
    assert [item["field"] for item in listed["items"]] == ["messages", "business_capability_update"]
    assert listed["message_types"] == {"hologram": 1}

    state = snapshot(app)
    assert post(app, body) == 200
    assert snapshot(app) == state
    assert {key: counted(*key) - value for key, value in before.items()} == dict.fromkeys(before, 1)


def test_a_contact_needs_a_phone_number_or_a_bsuid(session):
    session.add(Contact(name="nobody", attributes={}))
    with pytest.raises(IntegrityError):
        session.flush()
