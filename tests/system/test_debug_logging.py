"""The logging-heavy paths once more at LOG_LEVEL=DEBUG: they succeed, and every log line is JSON.

The suite runs at INFO; a log call that only breaks when its record is built at DEBUG (a
reserved key in `extra=`, an argument that does not match its format, a value json cannot
take) would pass there. Here each path runs with the app's handler at DEBUG, writing into a
buffer: the webhook (a text answered by the chatbot, then the reply's statuses), contact
import (CLI and API), broadcast create and processing, the cron processor as a process, and
the dashboard's actions (login, reply, hand-back, logout). Every line must parse as one JSON
object with the fields the formatter promises, and the run must have logged at DEBUG.
"""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta

import pytest
from broadcast_testing import seed_broadcast
from conftest import APP_SECRET, GRAPH_TOKEN, PHONE_NUMBER_ID, ROOT, clean_tables
from dashboard_testing import csrf_from, log_in, post_form
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from database_models import STATE_BOT, STATE_HANDOFF, Contact, ConversationState, ScheduledMessage, utcnow
from database_setup import create_session_factory
from inbound.sample_payloads import status_envelope, status_item, text_message_envelope
from inbound.signatures import sign_payload
from webhook_handler import create_app

SAMPLE = ROOT / "tests" / "data" / "contacts_sample.csv"
FIELDS = {"time", "level", "logger", "event", "message"}


class DebugRun:
    """An app at DEBUG whose log lines land in `lines()` (every one checked to be JSON)."""

    def __init__(self, app, buffer: io.StringIO) -> None:
        self.app = app
        self.buffer = buffer

    def lines(self) -> list[dict]:
        return json_lines(self.buffer.getvalue())

    def events(self) -> set[str]:
        return {line["event"] for line in self.lines()}

    def session(self) -> Session:
        return self.app.extensions["whatsapp_platform"].session_factory()


def json_lines(output: str) -> list[dict]:
    """Each line of `output` parsed; fails naming the first line that is not a JSON log object."""
    parsed = []
    for number, line in enumerate(output.splitlines(), 1):
        try:
            entry = json.loads(line)
        except ValueError:
            pytest.fail(f"log line {number} is not JSON: {line[:300]!r}")
        assert isinstance(entry, dict) and FIELDS <= set(entry), f"log line {number} lacks fields: {line[:300]}"
        parsed.append(entry)
    return parsed


@pytest.fixture
def debug_run(test_config, engine, fake_graph) -> Iterator[DebugRun]:
    """The app at DEBUG with a real sender pointed at the fake Graph API; its log lines in a buffer."""
    config = test_config.replace(log_level="DEBUG", whatsapp_api_token=GRAPH_TOKEN,
                                 whatsapp_phone_number_id=PHONE_NUMBER_ID, whatsapp_api_base_url=fake_graph.url,
                                 processor_time_budget_seconds=10.0)
    app = create_app(config)
    app.config["TESTING"] = True
    [handler] = [h for h in logging.getLogger().handlers if getattr(h, "_whatsapp_platform", False)]
    buffer = io.StringIO()
    previous = handler.setStream(buffer)
    try:
        assert logging.getLogger().level == logging.DEBUG
        yield DebugRun(app, buffer)
    finally:
        handler.setStream(previous)
        app.extensions["whatsapp_platform"].close()
        clean_tables(engine)


def post_signed(client, payload: dict):
    body = json.dumps(payload, ensure_ascii=False).encode()
    return client.post("/webhook", data=body, headers={
        "Content-Type": "application/json", "X-Hub-Signature-256": sign_payload(body, APP_SECRET)})


def test_webhook_text_and_status_at_debug(debug_run, fake_graph):
    client = debug_run.app.test_client()
    assert post_signed(client, text_message_envelope("989121230001", "سلام، سفارشم کجاست؟")).status_code == 200
    [reply] = fake_graph.messages()
    assert reply["to"] == "989121230001"
    with debug_run.session() as session:
        wamid = session.scalars(select(ScheduledMessage.wamid)).one()
    statuses = status_envelope(status_item(wamid, "delivered", "989121230001"),
                               status_item(wamid, "read", "989121230001"))
    assert post_signed(client, statuses).status_code == 200

    with debug_run.session() as session:
        assert session.scalars(select(ScheduledMessage.status)).one() == "read"
    lines = debug_run.lines()
    assert {"message.stored", "chatbot.decision", "status.stored"} <= debug_run.events()
    assert any(line["level"] == "DEBUG" for line in lines)


def test_contacts_import_cli_and_api_at_debug(debug_run):
    result = debug_run.app.test_cli_runner().invoke(args=["contacts", "import", str(SAMPLE)])
    assert result.exit_code == 0, result.output
    response = debug_run.app.test_client().post(
        "/api/contacts/import", data=SAMPLE.read_bytes(),
        headers={"Authorization": "Bearer test-admin-token-value", "Content-Type": "text/csv"})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["unchanged"] == 5

    imports = [line for line in debug_run.lines() if line["event"] == "contacts.import"]
    assert [line["contacts_created"] for line in imports] == [5, 0]


def test_broadcast_create_and_process_at_debug(debug_run, fake_graph):
    runner = debug_run.app.test_cli_runner()
    created = runner.invoke(args=["broadcast", "create", "--name", "Debug sale", "--numbers", str(SAMPLE),
                                  "--template", "sale", "--language", "fa", "--param", "name|مشتری"])
    assert created.exit_code == 0, created.output
    processed = runner.invoke(args=["broadcast", "process"])
    assert processed.exit_code == 0, processed.output

    assert len(fake_graph.messages()) == 5
    with debug_run.session() as session:
        assert set(session.scalars(select(ScheduledMessage.status))) == {"sent"}
    assert {"contacts.import", "broadcast.scheduled", "processor.batch", "processor.summary"} <= debug_run.events()
    assert any(line["level"] == "DEBUG" and line["logger"] == "whatsapp_service" for line in debug_run.lines())


def test_dashboard_actions_at_debug(debug_run, fake_graph):
    with debug_run.session() as session:
        now = utcnow()
        contact = Contact(wa_id="989121230002", name="Shirin", attributes={},
                          first_inbound_at=now - timedelta(hours=1), last_inbound_at=now - timedelta(hours=1))
        session.add(contact)
        session.flush()
        session.add(ConversationState(contact_id=contact.id, state=STATE_HANDOFF, last_intent="human_agent",
                                      handoff_since=now - timedelta(hours=1), expires_at=now + timedelta(hours=23)))
        session.commit()
        contact_id = contact.id
    client = debug_run.app.test_client()

    assert log_in(client, "wrong-token").status_code != 302
    assert log_in(client).status_code == 302
    page = f"/dashboard/inbox/{contact_id}"
    assert post_form(client, f"{page}/reply", {"body": "سلام، الان بررسی می‌کنم"}, page).status_code == 302
    assert post_form(client, f"{page}/release", page=page).status_code == 302
    assert client.post("/dashboard/logout", data={"csrf_token": csrf_from(client, "/dashboard")}).status_code == 302

    assert fake_graph.counts() == {"989121230002": 1}
    with debug_run.session() as session:
        assert session.get(ConversationState, contact_id).state == STATE_BOT
    assert {"dashboard.login_refused", "dashboard.login", "dashboard.operator_message",
            "dashboard.handoff_released"} <= debug_run.events()


def test_the_cron_processor_at_debug_writes_only_json(database_url, engine, fake_graph):
    seed_broadcast(create_session_factory(engine), 30)
    env = {key: value for key, value in os.environ.items() if not key.startswith(("WHATSAPP_", "SQLALCHEMY_"))}
    env.update(SQLALCHEMY_DATABASE_URL=database_url, WHATSAPP_API_TOKEN=GRAPH_TOKEN, APP_ENV="development",
               WHATSAPP_PHONE_NUMBER_ID=PHONE_NUMBER_ID, WHATSAPP_API_BASE_URL=fake_graph.url, LOG_LEVEL="DEBUG")
    try:
        result = subprocess.run([sys.executable, "run_broadcast_processor.py"], cwd=ROOT, env=env,
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
        assert len(fake_graph.messages()) == 30
        lines = json_lines(result.stdout)
        [summary] = [line for line in lines if line["event"] == "processor.summary"]
        assert summary["sent"] == 30
        assert any(line["level"] == "DEBUG" for line in lines)
        with Session(engine) as session:
            assert session.scalar(select(func.count()).select_from(ScheduledMessage)
                                  .where(ScheduledMessage.status == "sent")) == 30
    finally:
        clean_tables(engine)
