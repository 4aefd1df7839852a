"""Sending a message through the admin API: validation, one queue row, the real processor, status webhooks."""

from __future__ import annotations

from datetime import timedelta

import pytest
from broadcast_testing import fake_sender, processor_config
from sqlalchemy import func, select, update

from database_models import Contact, ScheduledMessage, utcnow
from inbound.sample_payloads import status_envelope, status_item
from outbound.processor import MessageProcessor
from webhook_handler import create_app

TOKEN = "test-admin-token-value"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def app(test_config, engine):
    """The app with REPLY_SENDER=processor: an API send waits in the queue for the processor."""
    from conftest import clean_tables

    app = create_app(test_config.replace(reply_sender="processor"))
    app.config["TESTING"] = True
    yield app
    app.extensions["whatsapp_platform"].close()
    clean_tables(engine)


def factory_of(app):
    return app.extensions["whatsapp_platform"].session_factory


def contact(app, wa_id: str = "989121110000", *, wrote_hours_ago: float | None = 1.0, **fields) -> int:
    """Commit a contact that last wrote `wrote_hours_ago` hours ago (None: never)."""
    last = utcnow() - timedelta(hours=wrote_hours_ago) if wrote_hours_ago is not None else None
    with factory_of(app)() as session:
        row = Contact(wa_id=wa_id, last_inbound_at=last, attributes={}, **fields)
        session.add(row)
        session.commit()
        return row.id


def queued(app) -> list[ScheduledMessage]:
    with factory_of(app)() as session:
        return list(session.scalars(select(ScheduledMessage).order_by(ScheduledMessage.id)))


def process(app, fake_graph, database_url) -> None:
    sender = fake_sender(fake_graph)
    try:
        MessageProcessor(factory_of(app), sender, processor_config(database_url)).process_due(time_budget=20)
    finally:
        sender.close()


def test_a_text_sent_through_the_api_reaches_the_graph_api_once_and_follows_its_statuses(
        app, client, post_webhook, fake_graph, database_url):
    contact_id = contact(app, name="Sara Ahmadi")
    response = client.post(f"/api/contacts/{contact_id}/messages", headers=AUTH,
                           json={"text": "Hello {first_name}, your order has shipped"})
    assert response.status_code == 202, response.get_json()
    message = response.get_json()
    assert response.headers["Location"] == f"/api/messages/{message['id']}"
    assert (message["status"], message["kind"], message["text"]) == ("pending", "api",
                                                                      "Hello Sara, your order has shipped")
    assert len(queued(app)) == 1

    process(app, fake_graph, database_url)
    process(app, fake_graph, database_url)  # a second run finds nothing left to send
    sent = fake_graph.messages()
    assert [(m["to"], m["type"], m["text"]) for m in sent] == [("989121110000", "text",
                                                                "Hello Sara, your order has shipped")]
    after_send = client.get(response.headers["Location"], headers=AUTH).get_json()
    assert (after_send["status"], after_send["wamid"]) == ("sent", sent[0]["wamid"])
    assert after_send["sent_at"] is not None and after_send["delivered_at"] is None

    for status in ("delivered", "read"):
        assert post_webhook(status_envelope(status_item(sent[0]["wamid"], status, "989121110000"))).status_code == 200
    final = client.get(response.headers["Location"], headers=AUTH).get_json()
    assert final["status"] == "read"
    assert final["delivered_at"] is not None and final["read_at"] is not None


def test_a_failed_status_shows_its_error_code(app, client, post_webhook, fake_graph, database_url):
    contact_id = contact(app)
    location = client.post(f"/api/contacts/{contact_id}/messages", headers=AUTH,
                           json={"template": {"name": "order_shipped", "language": "en_US", "params": ["A-1"]}}
                           ).headers["Location"]
    process(app, fake_graph, database_url)
    wamid = fake_graph.messages()[0]["wamid"]
    post_webhook(status_envelope(status_item(wamid, "failed", "989121110000", error_code=131026,
                                             error_title="Message undeliverable")))
    failed = client.get(location, headers=AUTH).get_json()
    assert (failed["status"], failed["error_code"], failed["error_title"]) == ("failed", 131026,
                                                                               "Message undeliverable")


def test_a_template_to_an_unknown_number_creates_the_contact_and_renders_placeholders(
        app, client, fake_graph, database_url):
    response = client.post("/api/messages", headers=AUTH, json={
        "to": "+989121112222",
        "template": {"name": "order_shipped", "language": "fa", "params": ["{name|مشتری عزیز}", "A-1043"]}})
    assert response.status_code == 202, response.get_json()
    with factory_of(app)() as session:
        created = session.scalars(select(Contact).where(Contact.wa_id == "989121112222")).one()
        assert created.last_inbound_at is None and created.first_inbound_at is None  # writing to them opens nothing
    assert response.get_json()["contact_id"] == created.id
    process(app, fake_graph, database_url)
    [sent] = fake_graph.messages()
    assert sent["template"] == {"name": "order_shipped", "language": "fa",
                                "body_parameters": ["مشتری عزیز", "A-1043"]}


def test_a_message_to_a_bsuid_goes_to_that_user(app, client, fake_graph, database_url):
    response = client.post("/api/messages", headers=AUTH, json={
        "to": "US.13491208655302741918", "template": {"name": "order_shipped", "language": "en_US"}})
    assert response.status_code == 202, response.get_json()
    process(app, fake_graph, database_url)
    [sent] = fake_graph.messages()
    assert (sent["to"], sent["addressed_by"]) == ("US.13491208655302741918", "recipient")


def test_free_text_outside_the_window_is_refused_with_a_hint_to_use_a_template(app, client):
    contact_id = contact(app, wrote_hours_ago=30)
    response = client.post(f"/api/contacts/{contact_id}/messages", headers=AUTH, json={"text": "hi"})
    assert response.status_code == 422
    body = response.get_json()
    assert (body["code"], body["field"]) == ("outside_window", "text")
    assert "template" in body["error"]
    never = client.post("/api/messages", headers=AUTH, json={"to": "989121119999", "text": "hi"})
    assert never.get_json()["code"] == "outside_window"
    both = client.post(f"/api/contacts/{contact_id}/messages", headers=AUTH, json={
        "text": "hi", "template": {"name": "order_shipped", "language": "en_US"}})
    assert both.status_code == 202  # the template goes when the window is closed
    assert len(queued(app)) == 1


@pytest.mark.parametrize(("body", "status", "code", "field"), [
    ({"text": "Hi {nickname}"}, 422, "unknown_placeholder", "text"),
    ({"text": "Hi {name"}, 422, "invalid_placeholder", "text"),
    ({"template": {"name": "t", "language": "en", "params": ["ok", "{city}"]}}, 422, "unknown_placeholder",
     "template.params[1]"),
    ({}, 400, "invalid_input", "body"),
    ({"text": ""}, 400, "invalid_input", "text"),
    ({"template": {"name": "t"}}, 400, "invalid_input", "template.language"),
    ({"text": "hi", "media": {"url": "x"}}, 400, "invalid_input", "media.type"),  # media needs its type first
])
def test_bad_messages_are_refused_with_a_code_and_field_and_queue_nothing(app, client, body, status, code, field):
    contact_id = contact(app)
    response = client.post(f"/api/contacts/{contact_id}/messages", headers=AUTH, json=body)
    assert response.status_code == status, response.get_json()
    assert (response.get_json()["code"], response.get_json()["field"]) == (code, field)
    assert queued(app) == []


def test_a_fallback_placeholder_and_a_known_attribute_are_accepted(app, client):
    contact_id = contact(app, name=None)
    with factory_of(app)() as session:
        session.execute(update(Contact).where(Contact.id == contact_id).values(attributes={"city": "Tabriz"}))
        session.commit()
    response = client.post(f"/api/contacts/{contact_id}/messages", headers=AUTH,
                           json={"text": "{name|Friend} in {city}"})
    assert response.get_json()["text"] == "Friend in Tabriz"


@pytest.mark.parametrize("to", ["12", "not-a-number", "US."])
def test_a_bad_recipient_is_refused(app, client, to):
    response = client.post("/api/messages", headers=AUTH, json={"to": to, "text": "hi"})
    assert response.status_code == 400
    assert response.get_json()["field"] == "to"
    with factory_of(app)() as session:
        assert session.scalar(select(func.count()).select_from(Contact)) == 0


def test_unknown_contacts_and_messages_are_404(app, client):
    assert client.post("/api/contacts/999999/messages", headers=AUTH, json={"text": "x"}).status_code == 404
    missing = client.get("/api/messages/999999", headers=AUTH)
    assert (missing.status_code, missing.get_json()["code"]) == (404, "not_found")


def test_with_reply_sender_web_the_message_goes_out_right_after_the_request(test_config, engine, fake_graph):
    from conftest import clean_tables

    sender = fake_sender(fake_graph)
    web_app = create_app(test_config.replace(reply_sender="web", send_replies_inline=True), sender=sender)
    try:
        contact_id = contact(web_app)
        response = web_app.test_client().post(f"/api/contacts/{contact_id}/messages", headers=AUTH,
                                              json={"text": "right away"})
        assert response.status_code == 202
        assert [m["text"] for m in fake_graph.messages()] == ["right away"]
        location = response.headers["Location"]
        assert web_app.test_client().get(location, headers=AUTH).get_json()["status"] == "sent"
    finally:
        web_app.extensions["whatsapp_platform"].close()
        sender.close()
        clean_tables(engine)
