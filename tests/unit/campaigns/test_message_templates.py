"""Template sync against the fake Graph API (paged), parameter counting, and the parameter checks of a send."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from template_testing import BUSINESS_ACCOUNT_ID, DEFAULT_TEMPLATE_COUNT, graph_sender

from campaigns.message_templates import (
    TemplateParameterError,
    TemplateSyncError,
    check_parameters,
    fill,
    parameters_of,
    sync_templates,
)
from database_models import MessageTemplate
from whatsapp_service import DryRunSender


@pytest.fixture
def graph(fake_graph):
    sender = graph_sender(fake_graph)
    yield sender
    sender.close()


def stored(session) -> dict[tuple[str, str], MessageTemplate]:
    return {(t.name, t.language): t for t in session.scalars(select(MessageTemplate))}


def test_a_sync_follows_every_page_and_stores_what_each_template_needs(session, graph, fake_graph):
    summary = sync_templates(session, graph, BUSINESS_ACCOUNT_ID)
    assert (summary.fetched, summary.added, summary.updated) == (DEFAULT_TEMPLATE_COUNT, DEFAULT_TEMPLATE_COUNT, 0)
    assert [r["after"] for r in fake_graph.template_requests()] == [None, "cursor-2", "cursor-4"]
    assert {r["waba_id"] for r in fake_graph.template_requests()} == {BUSINESS_ACCOUNT_ID}
    rows = stored(session)
    assert set(rows) == {("order_shipped", "fa"), ("order_shipped", "en_US"), ("spring_sale", "fa"),
                         ("delivery_tracking", "en_US"), ("welcome_back", "fa")}
    shipped = rows[("order_shipped", "fa")]
    assert (shipped.status, shipped.category, shipped.parameters) == ("APPROVED", "UTILITY",
                                                                      {"body": 2, "header": 0, "buttons": []})
    assert shipped.meta_id and shipped.components[0]["text"] == "سلام {{1}}، سفارش {{2}} ارسال شد."
    assert rows[("spring_sale", "fa")].parameters == {"body": 2, "header": 1, "buttons": []}
    assert rows[("delivery_tracking", "en_US")].parameters["buttons"] == [{"index": 0, "count": 1, "sub_type": "url"}]
    assert rows[("welcome_back", "fa")].status == "PENDING"


def test_a_second_sync_updates_in_place_and_keeps_templates_meta_no_longer_lists(session, graph, fake_graph):
    sync_templates(session, graph, BUSINESS_ACCOUNT_ID)
    fake_graph.set_templates([{"name": "order_shipped", "language": "fa", "status": "PAUSED", "category": "UTILITY",
                               "id": "1", "components": [{"type": "BODY", "text": "{{1}} {{2}} {{3}}"}]}])
    summary = sync_templates(session, graph, BUSINESS_ACCOUNT_ID)
    assert (summary.fetched, summary.added, summary.updated) == (1, 0, 1)
    rows = stored(session)
    assert len(rows) == DEFAULT_TEMPLATE_COUNT
    assert (rows[("order_shipped", "fa")].status, rows[("order_shipped", "fa")].parameters["body"]) == ("PAUSED", 3)


@pytest.mark.parametrize("page, code", [(1, 190), (2, 131000), (2, 100)])
def test_a_graph_error_on_any_page_changes_nothing_and_says_why(session, graph, fake_graph, page, code):
    sync_templates(session, graph, BUSINESS_ACCOUNT_ID)
    session.commit()
    before = {key: (t.status, t.parameters, t.synced_at) for key, t in stored(session).items()}
    fake_graph.set_templates([{"name": "brand_new", "language": "fa", "status": "APPROVED", "components": []},
                              {"name": "order_shipped", "language": "fa", "status": "REJECTED", "components": []},
                              {"name": "third", "language": "fa", "status": "APPROVED", "components": []}],
                             page_size=2, failing_page=page, failure_code=code)
    with pytest.raises(TemplateSyncError, match=rf"the Graph API refused the template list: .*\(code {code}, HTTP"):
        sync_templates(session, graph, BUSINESS_ACCOUNT_ID)
    assert len(fake_graph.template_requests()) == 3 + page
    session.rollback()
    assert {key: (t.status, t.parameters, t.synced_at) for key, t in stored(session).items()} == before


def test_without_a_business_account_id_the_sync_says_which_setting_is_missing(session, graph, fake_graph):
    with pytest.raises(TemplateSyncError, match="WHATSAPP_BUSINESS_ACCOUNT_ID is not set"):
        sync_templates(session, graph, None)
    assert fake_graph.template_requests() == [] and stored(session) == {}


def test_the_dry_run_sender_cannot_sync(session):
    with pytest.raises(TemplateSyncError, match="no WHATSAPP_API_TOKEN"):
        sync_templates(session, DryRunSender(), BUSINESS_ACCOUNT_ID)


@pytest.mark.parametrize("components, needs", [
    ([{"type": "BODY", "text": "Hi {{1}}, order {{2}}; {{1}} again"}], {"body": 2, "header": 0, "buttons": []}),
    ([{"type": "BODY", "text": "No parameters."}], {"body": 0, "header": 0, "buttons": []}),
    ([{"type": "BODY", "text": "Hi {{first_name}}, {{order}}"}], {"body": 2, "header": 0, "buttons": []}),
    ([{"type": "HEADER", "format": "IMAGE"}, {"type": "BODY", "text": "{{1}}"}],
     {"body": 1, "header": 0, "buttons": []}),
    ([{"type": "HEADER", "format": "TEXT", "text": "Sale {{1}}"},
      {"type": "BUTTONS", "buttons": [{"type": "QUICK_REPLY", "text": "Stop"},
                                      {"type": "URL", "text": "Go", "url": "https://x.example/{{1}}"}]}],
     {"body": 0, "header": 1, "buttons": [{"index": 1, "count": 1, "sub_type": "url"}]}),
])
def test_parameters_are_counted_from_the_components(components, needs):
    assert parameters_of(components) == needs


def test_a_send_with_the_wrong_parameters_is_refused_with_the_count_it_needs():
    template = MessageTemplate(name="order_shipped", language="fa", status="APPROVED",
                               parameters={"body": 2, "header": 1, "buttons": [{"index": 0, "count": 1}]})
    check_parameters(template, ["Sara", "4521"], ["Yalda"], [["T-1"]])
    with pytest.raises(TemplateParameterError, match=r"needs 2 body parameter\(s\), 1 given"):
        check_parameters(template, ["Sara"], ["Yalda"], [["T-1"]])
    with pytest.raises(TemplateParameterError, match=r"needs 1 header parameter\(s\), 0 given") as refused:
        check_parameters(template, ["Sara", "4521"], [], [["T-1"]])
    assert refused.value.field == "header"
    with pytest.raises(TemplateParameterError, match="every body parameter needs a value"):
        check_parameters(template, ["Sara", " "], ["Yalda"], [["T-1"]])
    template.status = "PAUSED"
    with pytest.raises(TemplateParameterError, match="is PAUSED, not APPROVED"):
        check_parameters(template, ["Sara", "4521"], ["Yalda"], [["T-1"]])


def test_fill_puts_the_values_in_their_places_and_leaves_missing_ones_visible():
    assert fill("سلام {{1}}، سفارش {{2}} ارسال شد.", ["سارا"]) == "سلام سارا، سفارش {{2}} ارسال شد."
