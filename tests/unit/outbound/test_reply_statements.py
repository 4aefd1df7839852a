"""The web worker's reply path (two autocommitted statements on PostgreSQL) against the processor's.

On PostgreSQL `ReplyDispatcher` claims and records a reply with `outbound.reply_statements`;
on SQLite it calls `MessageProcessor.send_now`. Both must leave the same row: sent once, the
fake Graph API's wamid recorded, one attempt, this worker's claim, no lease — and a status
webhook that arrives while the send is in flight (before it is recorded) must still move the
row forward. A second dispatch of a sent row sends nothing.
"""

from __future__ import annotations

import json

import pytest
from conftest import APP_SECRET, GRAPH_TOKEN, PHONE_NUMBER_ID, clean_tables
from sqlalchemy import select

from config import parse_business_hours
from database_models import ScheduledMessage
from inbound.ingestion import Ingestor
from inbound.sample_payloads import status_envelope, status_item, text_message_envelope
from inbound.signatures import sign_payload
from webhook_handler import create_app
from whatsapp_service import WhatsAppService

CUSTOMER = "989121230017"


@pytest.fixture
def reply_app(test_config, fake_graph, engine):
    """The app answering inline through pywa and the fake Graph API."""
    sender = WhatsAppService(GRAPH_TOKEN, PHONE_NUMBER_ID, base_url=fake_graph.url, read_timeout=2.0)
    config = test_config.replace(business_hours=parse_business_hours("mon-sun 00:00-24:00"),
                                 send_replies_inline=True)
    app = create_app(config, sender=sender)
    yield app
    app.extensions["whatsapp_platform"].close()
    clean_tables(engine)


def post(app, payload: dict) -> int:
    body = json.dumps(payload, ensure_ascii=False).encode()
    return app.test_client().post("/webhook", data=body, headers={
        "Content-Type": "application/json", "X-Hub-Signature-256": sign_payload(body, APP_SECRET)}).status_code


def only_reply(app) -> ScheduledMessage:
    with app.extensions["whatsapp_platform"].session_factory() as session:
        [row] = session.scalars(select(ScheduledMessage))
        return row


def test_a_reply_is_recorded_as_the_processor_records_it(reply_app, fake_graph):
    assert post(reply_app, text_message_envelope(CUSTOMER, "سلام", name="Sara")) == 200
    row, platform = only_reply(reply_app), reply_app.extensions["whatsapp_platform"]
    [sent] = fake_graph.messages()
    assert (row.status, row.wamid, row.attempts, row.claimed_by) == ("sent", sent["wamid"], 1,
                                                                     platform.processor.worker_id)
    assert row.lease_expires_at is None and row.sent_at is not None and row.last_error_code is None
    platform.dispatcher.dispatch([row.id])  # a second dispatch (a redelivered webhook racing): nothing more
    assert fake_graph.counts() == {CUSTOMER: 1} and only_reply(reply_app).status == "sent"


def test_a_status_that_beats_the_record_still_moves_the_reply(reply_app, fake_graph, mocker):
    platform = reply_app.extensions["whatsapp_platform"]
    send_text = platform.sender.send_text

    def send_then_status_arrives(*args, **kwargs):
        result = send_text(*args, **kwargs)
        with platform.session_factory() as session:  # Meta's "delivered" stored before the send is recorded
            Ingestor(session).ingest(status_envelope(status_item(result.wamid, "delivered", CUSTOMER)))
            session.commit()
        return result

    mocker.patch.object(platform.sender, "send_text", side_effect=send_then_status_arrives)
    assert post(reply_app, text_message_envelope(CUSTOMER, "سلام")) == 200
    row = only_reply(reply_app)
    assert row.status == "delivered" and row.delivered_at is not None and row.wamid


def test_a_refused_send_stays_pending_for_the_processor(reply_app, fake_graph):
    fake_graph.fail_next(1, status=503)
    assert post(reply_app, text_message_envelope(CUSTOMER, "سلام")) == 200
    row = only_reply(reply_app)
    assert (row.status, row.attempts, row.last_error_code is not None or row.last_error_title is not None) == \
        ("pending", 1, True)
    assert fake_graph.counts() == {}
