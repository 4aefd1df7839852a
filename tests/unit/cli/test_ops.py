"""`flask smoke`: one real send through pywa (here to the fake Graph API) and the wait for its status webhook."""

from __future__ import annotations

import json
import subprocess
import threading
import time

import pytest
from conftest import APP_SECRET, GRAPH_TOKEN, PHONE_NUMBER_ID, ROOT, clean_tables, free_port
from deployment import clean_environment, console_script
from sqlalchemy import func, select

from database_models import Contact, ScheduledMessage
from inbound.sample_payloads import status_envelope, status_item
from inbound.signatures import sign_payload
from webhook_handler import create_app

PHONE = "989121234567"


@pytest.fixture
def graph_app(test_config, fake_graph, engine):
    """The app with real credentials pointing at the fake Graph API (no sender override: the CLI's own)."""
    config = test_config.replace(
        whatsapp_api_token=GRAPH_TOKEN, whatsapp_phone_number_id=PHONE_NUMBER_ID, whatsapp_api_base_url=fake_graph.url
    )
    app = create_app(config)
    yield app
    app.extensions["whatsapp_platform"].close()
    clean_tables(engine)


def post_status(app, wamid: str, status: str, **error) -> None:
    """Meta's status webhook for `wamid`, correctly signed, through the app's /webhook."""
    body = json.dumps(status_envelope(status_item(wamid, status, PHONE, **error))).encode()
    headers = {"Content-Type": "application/json", "X-Hub-Signature-256": sign_payload(body, APP_SECRET)}
    response = app.test_client().post("/webhook", data=body, headers=headers)
    assert response.status_code == 200


def meta_answers_with(app, fake_graph, *statuses: tuple[str, dict]) -> threading.Thread:
    """In the background, like Meta: once the fake API has the message, post these status webhooks."""

    def deliver() -> None:
        deadline = time.monotonic() + 30
        while not fake_graph.messages():
            if time.monotonic() > deadline:
                return
            time.sleep(0.05)
        for status, error in statuses:
            post_status(app, fake_graph.messages()[0]["wamid"], status, **error)

    thread = threading.Thread(target=deliver, daemon=True)
    thread.start()
    return thread


def test_smoke_sends_a_text_prints_the_wamid_and_waits_for_delivery(graph_app, fake_graph):
    background = meta_answers_with(graph_app, fake_graph, ("sent", {}), ("delivered", {}))
    result = graph_app.test_cli_runner().invoke(args=["smoke", "--to", "+98 912 123 4567", "--wait", "60"])
    background.join(timeout=30)
    assert result.exit_code == 0, result.output
    [sent] = fake_graph.messages()
    assert (sent["to"], sent["type"]) == (PHONE, "text") and "smoke test" in sent["text"]
    assert f"sent text to {PHONE}: {sent['wamid']}" in result.output
    assert "status: delivered" in result.output
    assert "smoke test passed" in result.output
    # The smoke recipient joins no audience: no contact, no queue row.
    with graph_app.extensions["whatsapp_platform"].session_factory() as session:
        assert session.scalar(select(func.count()).select_from(Contact)) == 0
        assert session.scalar(select(func.count()).select_from(ScheduledMessage)) == 0


def test_smoke_sends_a_template(graph_app, fake_graph):
    result = graph_app.test_cli_runner().invoke(
        args=["smoke", "--to", PHONE, "--template", "hello_world", "--language", "en_US", "--wait", "0"]
    )
    assert result.exit_code == 0, result.output
    [sent] = fake_graph.messages()
    assert sent["template"] == {"name": "hello_world", "language": "en_US", "body_parameters": []}
    assert sent["wamid"] in result.output


def test_a_failed_status_is_reported_with_its_code_and_a_hint(graph_app, fake_graph):
    failure = {"error_code": 131047, "error_title": "Re-engagement message"}
    background = meta_answers_with(graph_app, fake_graph, ("failed", failure))
    result = graph_app.test_cli_runner().invoke(args=["smoke", "--to", PHONE, "--wait", "60"])
    background.join(timeout=30)
    assert result.exit_code == 1
    assert "status: failed" in result.output and "131047" in result.output
    assert "--template hello_world" in result.output


def test_no_status_within_the_wait_exits_3_explaining_what_to_check(graph_app, fake_graph):
    result = graph_app.test_cli_runner().invoke(args=["smoke", "--to", PHONE, "--wait", "1"])
    assert result.exit_code == 3, result.output
    assert fake_graph.counts() == {PHONE: 1}
    assert "no status webhook" in result.output and "/webhook" in result.output


def test_a_refused_send_exits_1_with_metas_code(graph_app, fake_graph):
    fake_graph.fail_recipients([PHONE], code=131030)
    result = graph_app.test_cli_runner().invoke(args=["smoke", "--to", PHONE])
    assert result.exit_code == 1
    assert "131030" in result.output and "allowed list" in result.output
    assert "waiting" not in result.output


def test_without_credentials_nothing_is_sent(test_config, fake_graph, engine):
    config = test_config.replace(whatsapp_phone_number_id=PHONE_NUMBER_ID, whatsapp_api_base_url=fake_graph.url)
    app = create_app(config)
    try:
        result = app.test_cli_runner().invoke(args=["smoke", "--to", PHONE])
    finally:
        app.extensions["whatsapp_platform"].close()
        clean_tables(engine)
    assert result.exit_code == 1
    assert "WHATSAPP_API_TOKEN not set: nothing was sent" in result.output
    assert fake_graph.counts() == {} and fake_graph.stats()["total"] == 0


def test_a_malformed_number_is_refused_before_sending(graph_app, fake_graph):
    result = graph_app.test_cli_runner().invoke(args=["smoke", "--to", "not-a-number"])
    assert result.exit_code == 2 and "international form" in result.output
    assert fake_graph.counts() == {}


@pytest.mark.parametrize("database", ["unreachable", "never-migrated"])
def test_the_documented_command_checks_the_database_before_sending(fake_graph, tmp_path, database):
    url = (f"postgresql+psycopg2://whatsapp:pw@127.0.0.1:{free_port()}/whatsapp" if database == "unreachable"
           else f"sqlite:///{tmp_path / 'never-migrated.db'}")
    env = clean_environment(SQLALCHEMY_DATABASE_URL=url, WHATSAPP_API_TOKEN=GRAPH_TOKEN,
                            WHATSAPP_PHONE_NUMBER_ID=PHONE_NUMBER_ID, WHATSAPP_API_BASE_URL=fake_graph.url)
    finished = subprocess.run([console_script("flask"), "--app", "webhook_handler", "smoke", "--to", PHONE],
                              cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert finished.returncode == 1
    [error] = [line for line in finished.stderr.splitlines() if line.startswith("Error:")]
    assert "cannot read the database" in error and "nothing was sent" in error and ":pw@" not in error
    assert "Traceback" not in finished.stderr + finished.stdout
    assert fake_graph.stats()["total"] == 0
