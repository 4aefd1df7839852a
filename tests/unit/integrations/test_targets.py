"""Webhooks reach public addresses only, unless WEBHOOK_ALLOW_PRIVATE_URLS allows others; a
receiver's Retry-After is honoured.

With private addresses refused (production's default) a subscription naming this machine or a
private network is a clear 400 that stores nothing, and a delivery resolves the host itself: a
name that only turns out to be private when resolved ("0x7f000001" is 127.0.0.1) is refused
before anything is sent, and the event fails at once with the reason.
"""

from __future__ import annotations

import json
from datetime import timedelta
from email.utils import format_datetime

import pytest
from conftest import APP_SECRET, clean_tables
from dashboard_testing import log_in, post_form
from sqlalchemy import func, select
from webhook_receiver import WebhookReceiver

from config import Config
from database_models import EVENT_FAILED, EVENT_PENDING, WebhookEvent, WebhookSubscription, utcnow
from inbound.sample_payloads import text_message_envelope
from inbound.signatures import sign_payload
from integrations.delivery import deliver_due_events, retry_after_seconds
from integrations.subscriptions import SubscriptionError, check_url, create_subscription
from integrations.targets import PrivateTarget, resolve
from webhook_handler import create_app

AUTH = {"Authorization": "Bearer test-admin-token-value"}
PRIVATE_URLS = ["http://127.0.0.1:8080/hook", "http://localhost/hook", "http://api.localhost/hook",
                "http://10.1.2.3/hook", "http://192.168.1.10/hook", "http://172.16.0.5/hook",
                "http://169.254.169.254/latest/meta-data", "http://[::1]/hook", "http://[fe80::1]/hook",
                "http://[::ffff:127.0.0.1]/hook", "http://100.64.0.1/hook", "http://0.0.0.0/hook"]


@pytest.fixture
def production_app(test_config: Config, engine):
    """The app as production runs it: WEBHOOK_ALLOW_PRIVATE_URLS off."""
    app = create_app(test_config.replace(webhook_allow_private_urls=False))
    app.config["TESTING"] = True
    yield app
    app.extensions["whatsapp_platform"].close()
    clean_tables(engine)


@pytest.mark.parametrize("url", PRIVATE_URLS)
def test_a_private_address_is_refused_when_subscribing(url):
    with pytest.raises(SubscriptionError) as refusal:
        check_url(url)
    assert refusal.value.field == "url" and refusal.value.reason == "private"
    assert "public address" in str(refusal.value)
    assert check_url(url, allow_private=True) == url


@pytest.mark.parametrize("url", ["https://shop.example/hooks", "https://93.184.216.34/hooks", "http://[2001:4860::1]/x"])
def test_a_public_address_is_accepted(url):
    assert check_url(url) == url


def test_the_api_refuses_a_private_address_with_the_field_and_stores_nothing(production_app):
    client = production_app.test_client()
    answer = client.post("/api/webhooks", headers=AUTH, json={"url": "http://169.254.169.254/latest",
                                                             "events": ["message.received"]})
    assert answer.status_code == 400
    assert answer.get_json()["field"] == "url" and "public address" in answer.get_json()["error"]
    with production_app.extensions["whatsapp_platform"].session_factory() as session:
        assert session.scalar(select(func.count()).select_from(WebhookSubscription)) == 0


def test_the_page_says_why_a_private_address_is_refused_in_persian(production_app):
    client = production_app.test_client()
    log_in(client)
    answer = post_form(client, "/dashboard/webhooks", {"url": "http://192.168.1.1/hook",
                                                       "events": ["message.received"]}, page="/dashboard/webhooks")
    assert answer.status_code == 400
    assert "شبکهٔ خصوصی" in answer.get_data(as_text=True)


def test_a_name_that_resolves_to_this_machine_is_refused_before_anything_is_sent(production_app):
    """A subscription stored while private addresses were allowed, delivered after they were not."""
    receiver = WebhookReceiver().start()
    try:
        factory = production_app.extensions["whatsapp_platform"].session_factory
        with factory() as session:  # "0x7f000001" passes the check by name and resolves to 127.0.0.1
            create_subscription(session, f"http://0x7f000001:{receiver.port}/hooks", ["message.received"])
            session.commit()
        body = json.dumps(text_message_envelope("989121110077", "hello")).encode()
        answer = production_app.test_client().post("/webhook", data=body, headers={
            "Content-Type": "application/json", "X-Hub-Signature-256": sign_payload(body, APP_SECRET)})
        assert answer.status_code == 200

        summary = deliver_due_events(factory, allow_private=False)

        assert summary.failed == 1 and receiver.received == []
        with factory() as session:
            [event] = session.scalars(select(WebhookEvent))
        assert event.status == EVENT_FAILED and event.last_error.startswith("refused: 0x7f000001 resolves to 127.0.0.1")
    finally:
        receiver.stop()


def test_a_public_address_is_connected_to_as_checked_with_the_name_in_host_and_sni():
    target = resolve("https://93.184.216.34:8443/hooks?x=1", allow_private=False)
    assert target.url == "https://93.184.216.34:8443/hooks?x=1"
    assert target.headers == {"Host": "93.184.216.34:8443"} and target.extensions == {"sni_hostname": "93.184.216.34"}
    with pytest.raises(PrivateTarget):
        resolve("http://2130706433/hooks", allow_private=False)  # 127.0.0.1 written as one number
    assert resolve("http://127.0.0.1/x", allow_private=True).url == "http://127.0.0.1/x"


def test_retry_after_in_seconds_or_as_a_date():
    now = utcnow()
    assert retry_after_seconds("120") == 120.0
    in_half_an_hour = format_datetime(now + timedelta(minutes=30), usegmt=True)
    assert retry_after_seconds(in_half_an_hour, now) == pytest.approx(1800, abs=1)
    assert retry_after_seconds(format_datetime(now - timedelta(minutes=5), usegmt=True), now) == 0.0
    assert retry_after_seconds("soon") is None and retry_after_seconds(None) is None


@pytest.mark.parametrize(("retry_after", "wait"), [("7200", 7200), ("1", 30), ("999999", 6 * 3600), ("later", 30)])
def test_a_receivers_retry_after_moves_the_next_attempt_when_it_is_longer_than_the_backoff(
        client, post_webhook, app, retry_after, wait):
    receiver = WebhookReceiver().start()
    try:
        assert client.post("/api/webhooks", headers=AUTH, json={"url": receiver.url, "events": ["message.received"]}
                           ).status_code == 201
        receiver.status, receiver.headers = 429, {"Retry-After": retry_after}
        post_webhook(text_message_envelope("989121110078", "hello"))
        factory = app.extensions["whatsapp_platform"].session_factory
        before = utcnow()
        deliver_due_events(factory, allow_private=True)
        with factory() as session:
            [event] = session.scalars(select(WebhookEvent))
        assert event.status == EVENT_PENDING and event.last_status_code == 429
        assert (event.next_attempt_at - before).total_seconds() == pytest.approx(wait, abs=5)
    finally:
        receiver.stop()
