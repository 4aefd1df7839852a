"""Outbound webhooks delivered by the real cron script: concurrent runs deliver once; a receiver down gets it later.

The app (test client) stores inbound texts and writes their events; `run_broadcast_processor.py`
runs as real processes (`--no-guard`, so both run at once) and POSTs to a real HTTP receiver.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import subprocess
import sys
from collections import Counter

from conftest import GRAPH_TOKEN, PHONE_NUMBER_ID, ROOT
from sqlalchemy import select, update
from webhook_receiver import WebhookReceiver

from database_models import EVENT_DELIVERED, EVENT_PENDING, WebhookEvent, utcnow
from inbound.sample_payloads import text_message_envelope

AUTH = {"Authorization": "Bearer test-admin-token-value"}


def cron_env(database_url: str, fake) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("WHATSAPP_", "SQLALCHEMY_"))}
    env.update(SQLALCHEMY_DATABASE_URL=database_url, WHATSAPP_API_TOKEN=GRAPH_TOKEN,
               WHATSAPP_PHONE_NUMBER_ID=PHONE_NUMBER_ID, WHATSAPP_API_BASE_URL=fake.url, APP_ENV="development",
               PROCESSOR_TIME_BUDGET_SECONDS="30")
    return env


def run_cron(database_url: str, fake, count: int = 1) -> None:
    processes = [subprocess.Popen([sys.executable, "run_broadcast_processor.py", "--no-guard", "--no-enrich"],
                                  cwd=ROOT, env=cron_env(database_url, fake), stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for _ in range(count)]
    for process in processes:
        _, stderr = process.communicate(timeout=120)
        assert process.returncode == 0, stderr


def test_two_cron_runs_at_once_deliver_every_event_once_signed(app, client, post_webhook, database_url, fake_graph):
    receiver = WebhookReceiver().start()
    try:
        secret = client.post("/api/webhooks", headers=AUTH, json={
            "url": receiver.url, "events": ["message.received"]}).get_json()["secret"]
        for number in range(30):
            assert post_webhook(text_message_envelope(f"98912130{number:04d}", f"order {number}?")).status_code == 200
        run_cron(database_url, fake_graph, count=2)
    finally:
        receiver.stop()
    ids = Counter(json.loads(request.body)["id"] for request in receiver.received)
    assert len(ids) == 30 and set(ids.values()) == {1}
    for request in receiver.received:
        expected = "sha256=" + hmac.new(secret.encode(), request.body, hashlib.sha256).hexdigest()
        assert hmac.compare_digest(request.headers["X-Platform-Signature-256"], expected)


def test_a_receiver_down_during_one_run_gets_the_event_from_a_later_run(app, client, post_webhook, database_url,
                                                                         fake_graph):
    receiver = WebhookReceiver().start()
    client.post("/api/webhooks", headers=AUTH, json={"url": receiver.url, "events": ["message.received"]})
    receiver.stop()
    post_webhook(text_message_envelope("989121400001", "are you open?"))
    run_cron(database_url, fake_graph)
    factory = app.extensions["whatsapp_platform"].session_factory
    with factory() as session:
        row = session.scalars(select(WebhookEvent)).one()
        assert (row.status, row.attempts) == (EVENT_PENDING, 1)
        session.execute(update(WebhookEvent).values(next_attempt_at=utcnow()))  # the retry's time has come
        session.commit()
    receiver.start()
    try:
        run_cron(database_url, fake_graph)
        run_cron(database_url, fake_graph)
    finally:
        receiver.stop()
    assert [json.loads(request.body)["id"] for request in receiver.received] == [row.event_id]
    with factory() as session:
        assert session.scalars(select(WebhookEvent.status)).one() == EVENT_DELIVERED
