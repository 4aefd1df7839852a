"""The developer and operator commands in cli/commands.py: demo webhook, chatbot classify/evaluate/release."""

from __future__ import annotations

import json
import re
import threading

import pytest
from conftest import EVAL_DATA
from sqlalchemy import select
from werkzeug.serving import make_server

from database_models import ConversationState, ReceivedMessageLog


@pytest.fixture
def live_server(app):
    """The app served over real HTTP on a free port, for commands that post to it."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def test_demo_webhook_posts_a_signed_message_that_is_stored(app, runner, live_server):
    result = runner.invoke(args=["demo-webhook", "--url", f"{live_server}/webhook", "--text", "سلام"])
    assert result.exit_code == 0, result.output
    assert "-> 200" in result.output
    with app.extensions["whatsapp_platform"].session_factory() as session:
        stored = session.scalars(select(ReceivedMessageLog)).one()
    assert stored.text == "سلام"
    assert f"stored: message #{stored.id}" in result.output
    assert "reply (greeting, sent, dry run, nothing sent):" in result.output


def test_demo_webhook_explains_when_no_server_runs(runner):
    result = runner.invoke(args=["demo-webhook", "--url", "http://127.0.0.1:9/webhook"])
    assert result.exit_code != 0
    assert "make run" in result.output


def test_classify_prints_one_json_object_per_line(runner):
    result = runner.invoke(args=["chatbot", "classify"], input="سلاااام\n\nwhere is my order??\nSTOP\n")
    assert result.exit_code == 0
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert [(row["text"], row["intent"]) for row in lines] == [
        ("سلاااام", "greeting"), ("where is my order??", "order_status"), ("STOP", "opt_out")]
    assert all(0 <= row["confidence"] <= 1 for row in lines)


def test_evaluate_reports_the_development_set(runner):
    result = runner.invoke(args=["chatbot", "evaluate", str(EVAL_DATA / "intents_heldout.tsv")])
    assert result.exit_code == 0, result.output
    for heading in ("precision", "recall", "f1-score", "accuracy", "order_status", "none"):
        assert heading in result.output
    accuracy = float(re.search(r"accuracy\s+([\d.]+)", result.output).group(1))
    assert accuracy >= 0.94  # measured 0.944 (102/108)


def test_evaluate_names_a_malformed_line(runner, tmp_path):
    bad = tmp_path / "bad.tsv"
    bad.write_text("text\tintent\nhello\tgreeting\njust one column\n", encoding="utf-8")
    result = runner.invoke(args=["chatbot", "evaluate", str(bad)])
    assert result.exit_code != 0
    assert "bad.tsv:3" in result.output


def test_release_hands_a_conversation_back(app, runner, post_webhook):
    from inbound.sample_payloads import text_message_envelope

    post_webhook(text_message_envelope("989121112222", "میخوام با اپراتور صحبت کنم"))
    assert runner.invoke(args=["chatbot", "release", "989121112222"]).output.strip() == "released"
    with app.extensions["whatsapp_platform"].session_factory() as session:
        assert session.scalars(select(ConversationState.state)).one() == "bot"
    assert runner.invoke(args=["chatbot", "release", "989121112222"]).output.strip() == "not in handoff"
    assert runner.invoke(args=["chatbot", "release", "989000000000"]).exit_code != 0
