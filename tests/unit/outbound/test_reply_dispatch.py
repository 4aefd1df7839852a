"""From a signed webhook to exactly one reply at the (fake) Graph API."""

from __future__ import annotations

import json
import threading
from datetime import timedelta

import pytest
from conftest import APP_SECRET, GRAPH_TOKEN, PHONE_NUMBER_ID, clean_tables
from freezegun import freeze_time
from sqlalchemy import select

from config import parse_business_hours
from database_models import ScheduledMessage, utcnow
from inbound.sample_payloads import text_message_envelope
from inbound.signatures import sign_payload
from outbound.pacing import PAIR_RATE_BURST
from webhook_handler import create_app
from whatsapp_service import WhatsAppService

CUSTOMER = "989121234567"


@pytest.fixture
def graph_app(test_config, fake_graph, engine):
    """The app sending through pywa to the fake Graph API, open all week so handoff is predictable."""
    sender = WhatsAppService(GRAPH_TOKEN, PHONE_NUMBER_ID, base_url=fake_graph.url, read_timeout=2.0)
    config = test_config.replace(business_hours=parse_business_hours("mon-sun 00:00-24:00"))
    app = create_app(config, sender=sender)
    yield app
    app.extensions["whatsapp_platform"].close()
    clean_tables(engine)


def post(app, payload: dict) -> int:
    body = json.dumps(payload, ensure_ascii=False).encode()
    headers = {"Content-Type": "application/json", "X-Hub-Signature-256": sign_payload(body, APP_SECRET)}
    return app.test_client().post("/webhook", data=body, headers=headers).status_code


def replies(app) -> list[ScheduledMessage]:
    with app.extensions["whatsapp_platform"].session_factory() as session:
        return list(session.scalars(select(ScheduledMessage).order_by(ScheduledMessage.id)))


def test_text_gets_one_reply_with_the_wamid_recorded(graph_app, fake_graph):
    assert post(graph_app, text_message_envelope(CUSTOMER, "سلام", name="Sara")) == 200
    assert fake_graph.counts() == {CUSTOMER: 1}
    [row] = replies(graph_app)
    [sent] = fake_graph.messages()
    assert row.status == "sent" and row.wamid == sent["wamid"]
    assert sent["type"] == "text"


def test_three_concurrent_deliveries_get_one_reply(graph_app, fake_graph):
    payload = text_message_envelope(CUSTOMER, "قیمت این محصول چقدره؟")
    codes: list[int] = []
    barrier = threading.Barrier(3)

    def deliver() -> None:
        barrier.wait()
        codes.append(post(graph_app, payload))

    threads = [threading.Thread(target=deliver) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert codes == [200, 200, 200]
    assert fake_graph.counts() == {CUSTOMER: 1}
    assert len(replies(graph_app)) == 1


def test_sequential_redelivery_gets_one_reply(graph_app, fake_graph):
    payload = text_message_envelope(CUSTOMER, "hello")
    for _ in range(3):
        assert post(graph_app, payload) == 200
    assert fake_graph.counts() == {CUSTOMER: 1}


def test_a_customers_quick_follow_ups_are_answered_at_once_until_the_pair_rate_burst_is_used(graph_app, fake_graph):
    # "سلام" and then the question a second later: both answers go now, not at the next cron run.
    for text in ("سلام", "قیمت این محصول چنده؟", "ساعت کاری فروشگاه چیه؟"):
        assert post(graph_app, text_message_envelope(CUSTOMER, text)) == 200
    assert fake_graph.counts() == {CUSTOMER: PAIR_RATE_BURST}
    # One more within the burst's seconds waits its turn in the queue (Meta's pair rate).
    assert post(graph_app, text_message_envelope(CUSTOMER, "ممنون از راهنمایی")) == 200
    assert fake_graph.counts() == {CUSTOMER: PAIR_RATE_BURST}
    assert [row.status for row in replies(graph_app)] == ["sent"] * PAIR_RATE_BURST + ["pending"]


def test_failed_first_send_is_retried_by_the_processor_once(graph_app, fake_graph):
    fake_graph.fail_next(1, status=503)
    assert post(graph_app, text_message_envelope(CUSTOMER, "سلام")) == 200
    [row] = replies(graph_app)
    assert row.status == "pending" and row.attempts == 1 and fake_graph.counts() == {}
    processor = graph_app.extensions["whatsapp_platform"].processor
    with freeze_time(utcnow() + timedelta(minutes=5)):
        summary = processor.process_due()
    assert summary.sent == 1
    assert fake_graph.counts() == {CUSTOMER: 1}
    assert replies(graph_app)[0].status == "sent"
    assert processor.process_due().claimed == 0


def test_process_stopped_between_commit_and_send_still_replies_once(graph_app, fake_graph, monkeypatch):
    platform = graph_app.extensions["whatsapp_platform"]
    # The webhook process dies right after its commit: the dispatch never happens.
    monkeypatch.setattr(platform.dispatcher, "dispatch", lambda ids: None)
    assert post(graph_app, text_message_envelope(CUSTOMER, "سلام")) == 200
    assert fake_graph.counts() == {}
    assert replies(graph_app)[0].status == "pending"
    assert platform.processor.process_due().sent == 1
    assert platform.processor.process_due().claimed == 0
    assert fake_graph.counts() == {CUSTOMER: 1}


def test_status_webhooks_move_the_reply_forward(graph_app, fake_graph):
    from inbound.sample_payloads import status_envelope, status_item

    post(graph_app, text_message_envelope(CUSTOMER, "hi"))
    wamid = replies(graph_app)[0].wamid
    post(graph_app, status_envelope(status_item(wamid, "delivered", CUSTOMER)))
    post(graph_app, status_envelope(status_item(wamid, "read", CUSTOMER)))
    row = replies(graph_app)[0]
    assert row.status == "read" and row.delivered_at is not None and row.read_at is not None


def test_background_dispatch_sends_after_the_response(test_config, fake_graph, engine):
    sender = WhatsAppService(GRAPH_TOKEN, PHONE_NUMBER_ID, base_url=fake_graph.url)
    app = create_app(test_config.replace(send_replies_inline=False), sender=sender)
    try:
        assert post(app, text_message_envelope(CUSTOMER, "سلام")) == 200
        app.extensions["whatsapp_platform"].dispatcher.drain()
        assert fake_graph.counts() == {CUSTOMER: 1}
    finally:
        app.extensions["whatsapp_platform"].close()
        clean_tables(engine)


def test_with_reply_sender_processor_the_web_tier_only_stores_and_the_processor_sends(test_config, fake_graph,
                                                                                       engine):
    sender = WhatsAppService(GRAPH_TOKEN, PHONE_NUMBER_ID, base_url=fake_graph.url)
    app = create_app(test_config.replace(reply_sender="processor"), sender=sender)
    try:
        assert post(app, text_message_envelope(CUSTOMER, "سلام")) == 200
        platform = app.extensions["whatsapp_platform"]
        platform.dispatcher.drain()
        assert fake_graph.counts() == {} and replies(app)[0].status == "pending"
        assert platform.processor.process_due().sent == 1
        assert fake_graph.counts() == {CUSTOMER: 1} and replies(app)[0].status == "sent"
    finally:
        app.extensions["whatsapp_platform"].close()
        clean_tables(engine)

