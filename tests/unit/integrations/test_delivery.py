"""Outbound webhooks end to end: an inbound text posted to /webhook reaches a subscriber, signed, once.

A real HTTP receiver in a thread; the processor's step (`deliver_due_events`) delivers. A
receiver that is down gets the event after it comes back (the retry time is moved, not
slept through); 4xx fails at once, 5xx and 429 are retried, a day of failures fails. The receiver
listens on 127.0.0.1, so deliveries here allow private addresses, as development does
(test_targets.py covers the refusal).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import timedelta

import pytest
from sqlalchemy import select, update
from webhook_receiver import WebhookReceiver

from database_models import EVENT_DELIVERED, EVENT_FAILED, EVENT_PENDING, WebhookEvent, utcnow
from inbound.sample_payloads import text_message_envelope
from integrations.delivery import claim_due, deliver_due_events, worker_name

AUTH = {"Authorization": "Bearer test-admin-token-value"}


@pytest.fixture
def receiver():
    receiver = WebhookReceiver().start()
    yield receiver
    receiver.stop()


@pytest.fixture
def factory_of(app):
    return app.extensions["whatsapp_platform"].session_factory


def subscribe(client, url: str, events: list[str]) -> dict:
    response = client.post("/api/webhooks", headers=AUTH, json={"url": url, "events": events})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def events_of(factory) -> list[WebhookEvent]:
    with factory() as session:
        return list(session.scalars(select(WebhookEvent).order_by(WebhookEvent.id)))


def make_due(factory) -> None:
    """Move every pending retry to now: the receiver's downtime has passed."""
    with factory() as session:
        session.execute(update(WebhookEvent).where(WebhookEvent.status == EVENT_PENDING)
                        .values(next_attempt_at=utcnow()))
        session.commit()


def test_a_subscriber_gets_a_correctly_signed_message_received_for_an_inbound_text(
        client, post_webhook, receiver, factory_of):
    subscription = subscribe(client, receiver.url, ["message.received"])
    envelope = text_message_envelope("989121110001", "سلام، سفارشم کجاست؟", name="Sara")
    assert post_webhook(envelope).status_code == 200
    assert receiver.received == []  # the web request never waits for a subscriber

    summary = deliver_due_events(factory_of, allow_private=True)

    assert summary.delivered == 1
    [request] = receiver.received
    expected = "sha256=" + hmac.new(subscription["secret"].encode(), request.body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(request.headers["X-Platform-Signature-256"], expected)
    event = json.loads(request.body)
    assert event["type"] == "message.received" and event["id"].startswith("evt_")
    assert request.headers["X-Platform-Event-Id"] == event["id"]
    assert event["created_at"].endswith("Z")
    assert event["data"]["message"]["text"] == "سلام، سفارشم کجاست؟"
    assert event["data"]["message"]["wamid"] == envelope["entry"][0]["changes"][0]["value"]["messages"][0]["id"]
    assert event["data"]["contact"]["wa_id"] == "989121110001"
    assert event["data"]["contact"]["name"] == "Sara"
    [row] = events_of(factory_of)
    assert (row.status, row.attempts, row.last_status_code) == (EVENT_DELIVERED, 1, 200)


def test_a_receiver_that_was_down_gets_the_event_after_coming_back_once_with_one_id(
        client, post_webhook, receiver, factory_of):
    subscribe(client, receiver.url, ["message.received"])
    receiver.stop()
    envelope = text_message_envelope("989121110002", "are you open today?")
    assert post_webhook(envelope).status_code == 200

    first = deliver_due_events(factory_of, allow_private=True)
    assert (first.delivered, first.retrying) == (0, 1)
    [row] = events_of(factory_of)
    assert row.status == EVENT_PENDING and row.attempts == 1 and row.last_status_code is None
    assert row.last_error and row.next_attempt_at > utcnow() + timedelta(seconds=20)

    receiver.start()  # back on its port, but the retry is not due yet
    assert deliver_due_events(factory_of, allow_private=True).delivered == 0
    assert post_webhook(envelope).status_code == 200  # Meta redelivers the same webhook meanwhile
    make_due(factory_of)
    assert deliver_due_events(factory_of, allow_private=True).delivered == 1
    assert deliver_due_events(factory_of, allow_private=True).delivered == 0  # nothing left

    assert len(receiver.received) == 1
    assert json.loads(receiver.received[0].body)["id"] == row.event_id
    [row] = events_of(factory_of)
    assert (row.status, row.attempts) == (EVENT_DELIVERED, 2)


@pytest.mark.parametrize(("answer", "status"), [(500, EVENT_PENDING), (503, EVENT_PENDING), (429, EVENT_PENDING),
                                                (408, EVENT_PENDING), (400, EVENT_FAILED), (404, EVENT_FAILED),
                                                (410, EVENT_FAILED)])
def test_server_errors_are_retried_and_client_errors_fail_at_once(client, post_webhook, receiver, factory_of,
                                                                  answer, status):
    subscribe(client, receiver.url, ["message.received"])
    receiver.status = answer
    post_webhook(text_message_envelope("989121110003", "hello"))
    deliver_due_events(factory_of, allow_private=True)
    [row] = events_of(factory_of)
    assert (row.status, row.last_status_code) == (status, answer)
    if status == EVENT_PENDING:
        receiver.status = 204
        make_due(factory_of)
        deliver_due_events(factory_of, allow_private=True)
        [row] = events_of(factory_of)
        assert row.status == EVENT_DELIVERED and len(receiver.received) == 2
        first, second = (json.loads(request.body)["id"] for request in receiver.received)
        assert first == second  # a retry is the same event


def test_an_event_failing_for_a_day_is_marked_failed(client, post_webhook, receiver, factory_of):
    subscribe(client, receiver.url, ["message.received"])
    receiver.status = 502
    post_webhook(text_message_envelope("989121110004", "hello"))
    with factory_of() as session:
        session.execute(update(WebhookEvent).values(created_at=utcnow() - timedelta(hours=23, minutes=59, seconds=50)))
        session.commit()
    deliver_due_events(factory_of, allow_private=True)
    [row] = events_of(factory_of)
    assert row.status == EVENT_FAILED and row.next_attempt_at is None


def test_two_processors_never_claim_the_same_attempt_and_a_dead_ones_claim_is_taken_over(
        client, post_webhook, receiver, factory_of):
    subscribe(client, receiver.url, ["message.received"])
    post_webhook(text_message_envelope("989121110005", "hello"))
    with factory_of() as first:
        claimed = claim_due(first, utcnow(), worker_name())
        first.commit()
    with factory_of() as second:
        assert claim_due(second, utcnow(), worker_name()) == []
        # The first processor died: after its lease the event is claimed again (at least once).
        assert len(claim_due(second, utcnow() + timedelta(minutes=10), worker_name())) == 1
        second.commit()
    assert len(claimed) == 1


@pytest.mark.postgres_only
def test_concurrent_claims_on_postgresql_skip_each_others_rows(database_url, client, post_webhook, receiver,
                                                               factory_of):
    if not database_url.startswith("postgresql"):
        pytest.skip("FOR UPDATE SKIP LOCKED is PostgreSQL's")
    subscribe(client, receiver.url, ["message.received"])
    for number in range(3):
        post_webhook(text_message_envelope(f"98912111001{number}", "hello"))
    with factory_of() as first, factory_of() as second:
        mine = claim_due(first, utcnow(), worker_name(), limit=2)  # not committed: its rows are locked
        theirs = claim_due(second, utcnow(), worker_name())
        assert len(mine) == 2 and len(theirs) == 1
        assert not {d.row_id for d in mine} & {d.row_id for d in theirs}


def test_nobody_subscribed_means_no_event_rows(client, post_webhook, factory_of):
    post_webhook(text_message_envelope("989121110006", "hello"))
    assert events_of(factory_of) == []
    assert deliver_due_events(factory_of, allow_private=True).delivered == 0
