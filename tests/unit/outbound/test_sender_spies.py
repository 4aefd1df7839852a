"""Spies on the sender where "who sends, and when" is the behaviour (pytest-mock).

Everything else stays real: the app, the database, pywa's sender talking HTTP to the fake
Graph API. The spies wrap the real methods (they still send); they only count the calls.
What they state: a status webhook never makes the platform send anything (replying to
statuses loops), a retried webhook reaches the chatbot and the sender once, with
REPLY_SENDER=processor the web tier leaves sending to the processor, and a sender that
breaks its "never raises" contract on one row costs that row (marked unknown, never
guessed) and not the rest of the batch.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from broadcast_testing import seed_broadcast
from conftest import APP_SECRET, GRAPH_TOKEN, PHONE_NUMBER_ID, clean_tables
from sqlalchemy import select

from database_models import Contact, ScheduledMessage
from database_setup import create_session_factory
from inbound.sample_payloads import status_envelope, status_item, text_message_envelope
from inbound.signatures import sign_payload
from webhook_handler import create_app
from whatsapp_service import WhatsAppService

CUSTOMER = "989121239001"
SENDER_METHODS = ("send_text", "send_template", "mark_read")


class SpiedApp:
    """The app with a real sender whose methods are wrapped by spies."""

    def __init__(self, app, spies: dict) -> None:
        self.app = app
        self.spies = spies
        self.platform = app.extensions["whatsapp_platform"]

    def post(self, payload: dict) -> int:
        body = json.dumps(payload, ensure_ascii=False).encode()
        return self.app.test_client().post("/webhook", data=body, headers={
            "Content-Type": "application/json", "X-Hub-Signature-256": sign_payload(body, APP_SECRET)}).status_code

    def calls(self) -> dict[str, int]:
        return {name: spy.call_count for name, spy in self.spies.items() if spy.call_count}

    def reset(self) -> None:
        for spy in self.spies.values():
            spy.reset_mock()


@pytest.fixture
def make_spied_app(test_config, engine, fake_graph, mocker) -> Iterator:
    """Factory: the app (with `changes` to its settings) whose pywa sender is spied on."""
    built: list = []

    def make(**changes) -> SpiedApp:
        sender = WhatsAppService(GRAPH_TOKEN, PHONE_NUMBER_ID, base_url=fake_graph.url, read_timeout=2.0)
        app = create_app(test_config.replace(**changes), sender=sender)
        built.append(app)
        return SpiedApp(app, {name: mocker.spy(sender, name) for name in SENDER_METHODS})

    yield make
    for app in built:
        app.extensions["whatsapp_platform"].close()
    clean_tables(engine)


def reply_wamid(spied: SpiedApp) -> str:
    with spied.platform.session_factory() as session:
        return session.scalars(select(ScheduledMessage.wamid).where(ScheduledMessage.kind == "reply")).one()


@pytest.mark.parametrize("fast_status_webhooks", [True, False], ids=["status shortcut", "general path"])
def test_a_status_webhook_never_calls_the_sender(make_spied_app, fake_graph, fast_status_webhooks):
    spied = make_spied_app(fast_status_webhooks=fast_status_webhooks)
    assert spied.post(text_message_envelope(CUSTOMER, "سلام، قیمت این کفش چنده؟")) == 200
    assert spied.spies["send_text"].call_args.args[0] == CUSTOMER  # the spy sees the sends it should
    spied.reset()
    wamid = reply_wamid(spied)

    statuses = [status_item(wamid, "sent", CUSTOMER), status_item(wamid, "delivered", CUSTOMER),
                status_item(wamid, "read", CUSTOMER),
                status_item("wamid.unknown-to-us", "failed", CUSTOMER, error_code=131026)]
    assert spied.post(status_envelope(*statuses)) == 200
    assert spied.post(status_envelope(*statuses)) == 200  # Meta retries; still nothing to send

    assert spied.calls() == {}
    assert len(fake_graph.messages()) == 1
    with spied.platform.session_factory() as session:
        assert session.scalars(select(ScheduledMessage.status)).one() == "read"


def test_a_retried_webhook_reaches_the_chatbot_and_the_sender_once(make_spied_app, fake_graph, mocker):
    spied = make_spied_app()
    decide = mocker.spy(spied.platform.chatbot, "handle_new_messages")
    envelope = text_message_envelope(CUSTOMER, "where is my order 4411?")

    assert [spied.post(envelope) for _ in range(3)] == [200, 200, 200]

    assert sum(len(call.args[1]) for call in decide.call_args_list) == 1  # one new message in three deliveries
    assert spied.calls() == {"send_text": 1}
    assert fake_graph.counts() == {CUSTOMER: 1}


def test_with_reply_sender_processor_the_web_tier_never_sends(make_spied_app, fake_graph):
    spied = make_spied_app(reply_sender="processor")
    assert spied.post(text_message_envelope(CUSTOMER, "سلام")) == 200
    assert spied.calls() == {} and fake_graph.messages() == []
    with spied.platform.session_factory() as session:
        assert session.scalars(select(ScheduledMessage.status)).one() == "pending"

    summary = spied.platform.processor.process_due(time_budget=10)

    assert summary.sent == 1 and spied.calls() == {"send_text": 1}
    assert fake_graph.counts() == {CUSTOMER: 1}


def test_a_sender_bug_on_one_row_marks_it_unknown_and_the_batch_goes_on(make_spied_app, engine, fake_graph,
                                                                        mocker, caplog):
    spied = make_spied_app()
    seed_broadcast(create_session_factory(engine), 6, prefix="98913")
    sender = spied.platform.sender
    real_send_text = spied.spies["send_text"]
    broken = "989130000003"

    def send_text(to: str, body: str, **options):
        if to == broken:
            raise RuntimeError("a bug inside the sender")
        return real_send_text(to, body, **options)

    mocker.patch.object(sender, "send_text", side_effect=send_text)

    summary = spied.platform.processor.process_due(time_budget=10)

    assert (summary.sent, summary.unknown) == (5, 1)
    assert broken not in fake_graph.counts() and len(fake_graph.counts()) == 5
    with spied.platform.session_factory() as session:
        statuses = dict(session.execute(select(Contact.wa_id, ScheduledMessage.status).join(Contact)).all())
    assert statuses.pop(broken) == "unknown"  # not failed, not pending: it may have gone out
    assert set(statuses.values()) == {"sent"}
    [error] = [record for record in caplog.records if getattr(record, "event", None) == "processor.send_error"]
    assert error.exc_info and "a bug inside the sender" in str(error.exc_info[1])
