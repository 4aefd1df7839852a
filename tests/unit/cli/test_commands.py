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
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)  # shutdown() waits a poll
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


def test_demo_webhook_takes_the_apps_address_as_make_demo_url_gives_it(app, runner, live_server):
    result = runner.invoke(args=["demo-webhook", "--url", live_server])
    assert result.exit_code == 0, result.output
    assert f"POST {live_server}/webhook -> 200 OK" in result.output


@pytest.mark.parametrize(("database", "said"), [("migrated", "the app at that address uses its own"),
                                               ("missing", "cannot read this checkout's database")])
def test_demo_webhook_says_so_when_the_app_keeps_another_database(app, live_server, test_config, tmp_path,
                                                                  database, said):
    from conftest import run_migrations

    from webhook_handler import create_app

    other_url = f"sqlite:///{tmp_path / 'elsewhere.db'}"
    if database == "migrated":
        run_migrations(other_url)
    elsewhere = create_app(test_config.replace(database_url=other_url))
    try:
        result = elsewhere.test_cli_runner().invoke(args=["demo-webhook", "--url", live_server])
    finally:
        elsewhere.extensions["whatsapp_platform"].close()
    assert result.exit_code == 0, result.output
    assert "-> 200 OK" in result.output and said in result.output


@pytest.mark.parametrize(("given", "posted"), [
    ("http://127.0.0.1:8000", "http://127.0.0.1:8000/webhook"),
    ("http://127.0.0.1:8000/", "http://127.0.0.1:8000/webhook"),
    ("127.0.0.1:8123", "http://127.0.0.1:8123/webhook"),
    ("https://shop.example/webhook", "https://shop.example/webhook"),
    ("http://[::1]:8000/hooks/wa?x=1", "http://[::1]:8000/hooks/wa?x=1"),
])
def test_demo_url_is_an_address_or_a_webhook_url(given, posted):
    from cli.commands import webhook_url

    assert webhook_url(given) == posted


@pytest.mark.parametrize("given", ["ftp://127.0.0.1:8000", "http://", "http:///webhook"])
def test_demo_refuses_what_is_not_an_http_address(runner, given):
    result = runner.invoke(args=["demo-webhook", "--url", given])
    assert result.exit_code == 2 and "--url" in result.output


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


def test_evaluate_figures_only_prints_no_message_of_the_set(runner, tmp_path):
    """A held-out set is scored without reading it: the confusions as counts, none of its sentences."""
    held_out = tmp_path / "held_out.tsv"
    sentences = ["ساعت کاری شما تا کیه؟", "zorblat quenth vimmer", "ممنون از همه چیز"]
    held_out.write_text("".join(f"{text}\tpricing\n" for text in sentences), encoding="utf-8")
    shown = runner.invoke(args=["chatbot", "evaluate", str(held_out)])
    hidden = runner.invoke(args=["chatbot", "evaluate", "--figures-only", str(held_out)])
    assert shown.exit_code == hidden.exit_code == 0, shown.output + hidden.output
    assert "Confusions" in hidden.output and "pricing →" in hidden.output
    assert any(text in shown.output for text in sentences)
    assert not any(text in hidden.output for text in sentences)


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
