"""`flask --app webhook_handler templates sync|list`: the business account's templates through the fake Graph API."""

from __future__ import annotations

import pytest
from conftest import clean_tables
from sqlalchemy import func, select
from template_testing import BUSINESS_ACCOUNT_ID, DEFAULT_TEMPLATE_COUNT, graph_sender

from database_models import MessageTemplate
from webhook_handler import create_app


@pytest.fixture
def graph_runner(test_config, fake_graph, engine):
    """A CLI runner for an app whose sender is pywa to the fake Graph API, with a business account id."""
    app = create_app(test_config.replace(whatsapp_business_account_id=BUSINESS_ACCOUNT_ID),
                     sender=graph_sender(fake_graph))
    yield app.test_cli_runner(), app
    app.extensions["whatsapp_platform"].close()
    clean_tables(engine)


def count(app) -> int:
    with app.extensions["whatsapp_platform"].session_factory() as session:
        return session.scalar(select(func.count()).select_from(MessageTemplate))


def test_sync_stores_every_page_and_list_shows_what_each_needs(graph_runner, fake_graph):
    runner, app = graph_runner
    result = runner.invoke(args=["templates", "sync"])
    assert result.exit_code == 0, result.output
    assert f"{DEFAULT_TEMPLATE_COUNT} templates fetched: {DEFAULT_TEMPLATE_COUNT} new, 0 updated" in result.output
    assert len(fake_graph.template_requests()) == 3 and count(app) == DEFAULT_TEMPLATE_COUNT
    listed = runner.invoke(args=["templates", "list", "--status", "approved"])
    assert listed.exit_code == 0, listed.output
    lines = listed.output.strip().splitlines()
    assert len(lines) == 4 and not any("welcome_back" in line for line in lines)
    assert "order_shipped\tfa\tAPPROVED\tUTILITY\t2 parameters (header 0, body 2, buttons 0)" in lines
    assert "spring_sale\tfa\tAPPROVED\tMARKETING\t3 parameters (header 1, body 2, buttons 0)" in lines
    only_english = runner.invoke(args=["templates", "list", "--language", "en_US"]).output.strip().splitlines()
    assert [line.split("\t")[0] for line in only_english] == ["delivery_tracking", "order_shipped"]


def test_a_graph_error_fails_the_command_with_the_reason_and_changes_nothing(graph_runner, fake_graph):
    runner, app = graph_runner
    fake_graph.fail_next(1, status=401, code=190)
    result = runner.invoke(args=["templates", "sync"])
    assert result.exit_code == 1
    assert "the Graph API refused the template list: Invalid OAuth access token" in result.output
    assert "nothing was changed" in result.output and count(app) == 0


def test_sync_without_a_business_account_id_names_the_setting(app, runner):
    result = runner.invoke(args=["templates", "sync"])
    assert result.exit_code == 1 and "WHATSAPP_BUSINESS_ACCOUNT_ID is not set" in result.output


def test_list_before_any_sync_says_how_to_sync(app, runner):
    result = runner.invoke(args=["templates", "list"])
    assert result.exit_code == 0 and "templates sync" in result.output
