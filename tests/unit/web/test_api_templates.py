"""`GET /api/v1/templates`, and media messages and synced-template checks in the send endpoints (fake Graph API)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from conftest import clean_tables
from sqlalchemy import select
from template_testing import BUSINESS_ACCOUNT_ID, add_contact, graph_sender, synced

from database_models import ScheduledMessage
from webhook_handler import create_app

AUTH = {"Authorization": "Bearer test-admin-token-value"}


@pytest.fixture
def api(test_config, fake_graph, engine):
    """An API client of an app that sends right after the commit, through pywa, to the fake Graph API."""
    app = create_app(test_config.replace(whatsapp_business_account_id=BUSINESS_ACCOUNT_ID),
                     sender=graph_sender(fake_graph))
    yield app.test_client()
    app.extensions["whatsapp_platform"].close()
    clean_tables(engine)


def rows(db) -> list[ScheduledMessage]:
    found = list(db.scalars(select(ScheduledMessage)))
    db.commit()
    return found


@pytest.mark.parametrize("prefix", ["/api/v1", "/api"])
def test_the_synced_templates_are_listed_with_what_each_needs(api, db, prefix):
    synced(db, "order_shipped", "fa", "سلام {{1}}، سفارش {{2}} ارسال شد.")
    synced(db, "order_shipped", "en_US", "Hi {{1}}, order {{2}} shipped.")
    synced(db, "spring_sale", "fa", "{{1}}", header="حراج {{1}}", status="PENDING")
    answer = api.get(f"{prefix}/templates", headers=AUTH)
    assert answer.status_code == 200
    items = answer.get_json()["items"]
    assert [(t["name"], t["language"], t["status"]) for t in items] == [
        ("order_shipped", "en_US", "APPROVED"), ("order_shipped", "fa", "APPROVED"), ("spring_sale", "fa", "PENDING")]
    assert items[1]["parameters"] == {"header": 0, "body": 2, "buttons": []}
    assert items[2]["parameters"]["header"] == 1 and items[1]["components"][0]["type"] == "BODY"
    approved_persian = api.get(f"{prefix}/templates?status=approved&language=fa", headers=AUTH).get_json()["items"]
    assert [(t["name"], t["language"]) for t in approved_persian] == [("order_shipped", "fa")]


def test_the_templates_list_checks_its_filters_and_its_token(api):
    assert api.get("/api/v1/templates").status_code == 401
    bad = api.get("/api/v1/templates?language=not a code", headers=AUTH)
    assert bad.status_code == 400 and bad.get_json()["field"] == "language"
    assert api.get("/api/v1/templates?colour=red", headers=AUTH).status_code == 400


@pytest.mark.parametrize("media, expected", [
    ({"type": "image", "link": "https://shop.example/p/42.jpg", "caption": "{name|مشتری} عزیز، سفارش شما"},
     {"link": "https://shop.example/p/42.jpg", "caption": "Sara عزیز، سفارش شما"}),
    ({"type": "document", "link": "https://shop.example/invoice/42.pdf", "filename": "invoice-42.pdf"},
     {"link": "https://shop.example/invoice/42.pdf", "filename": "invoice-42.pdf"}),
])
def test_a_media_message_by_link_is_queued_and_reaches_the_graph_api_once(api, fake_graph, db, media, expected):
    contact = add_contact(db, "989121230001")
    answer = api.post(f"/api/v1/contacts/{contact.id}/messages", json={"media": media}, headers=AUTH)
    assert answer.status_code == 202, answer.get_json()
    body = answer.get_json()
    assert body["media"]["type"] == media["type"] and body["kind"] == "api"
    [sent] = fake_graph.messages()
    assert (sent["to"], sent["type"], sent["media"]) == (contact.wa_id, media["type"], expected)
    [row] = rows(db)
    assert row.status == "sent" and row.content["media"]["type"] == media["type"]
    followed = api.get(answer.headers["Location"], headers=AUTH).get_json()
    assert followed["status"] == "sent" and followed["media"] == body["media"]


def test_an_uploaded_media_id_is_sent_by_id(api, fake_graph, db):
    add_contact(db, "989121230002")  # wrote an hour ago: the window is open
    sender = graph_sender(fake_graph)
    media_id = sender.upload_media(b"%PDF-1.4 invoice", "application/pdf", "invoice.pdf").wamid
    sender.close()
    answer = api.post("/api/v1/messages", json={"to": "+989121230002", "media": {
        "type": "document", "id": media_id, "caption": "فاکتور"}}, headers=AUTH)
    assert answer.status_code == 202, answer.get_json()
    [sent] = fake_graph.messages()
    assert sent["to"] == "989121230002" and sent["media"] == {"id": media_id, "caption": "فاکتور"}


@pytest.mark.parametrize("body, status, code, field", [
    ({"media": {"type": "image", "link": "https://x.example/a.png"}, "text": "hi"}, 422, "media_not_alone", "media"),
    ({"media": {"type": "image"}}, 400, "invalid_input", "media"),
    ({"media": {"type": "image", "id": "1", "link": "https://x.example/a.png"}}, 400, "invalid_input", "media"),
    ({"media": {"type": "video", "link": "https://x.example/a.mp4"}}, 400, "invalid_input", "media.type"),
    ({"media": {"type": "image", "link": "http://x.example/a.png"}}, 400, "invalid_input", "media.link"),
    ({"media": {"type": "image", "link": "https://x.example/a.png", "filename": "a.png"}}, 422, "invalid_media",
     "media.filename"),
])
def test_a_media_message_that_cannot_go_is_refused_and_nothing_is_queued(api, fake_graph, db, body, status, code,
                                                                         field):
    contact = add_contact(db, "989121230003")
    answer = api.post(f"/api/v1/contacts/{contact.id}/messages", json=body, headers=AUTH)
    assert answer.status_code == status, answer.get_json()
    assert (answer.get_json()["code"], answer.get_json()["field"]) == (code, field)
    assert rows(db) == [] and fake_graph.messages() == []


def test_media_outside_the_window_is_refused(api, fake_graph, db):
    contact = add_contact(db, "989121230004", wrote_ago=timedelta(hours=25))
    answer = api.post(f"/api/v1/contacts/{contact.id}/messages",
                      json={"media": {"type": "image", "link": "https://x.example/a.png"}}, headers=AUTH)
    assert answer.status_code == 422 and answer.get_json()["code"] == "outside_window"
    assert answer.get_json()["field"] == "media" and rows(db) == [] and fake_graph.messages() == []


def test_a_synced_template_is_checked_and_sent_with_its_header_and_button_parameters(api, fake_graph, db):
    contact = add_contact(db, "989121230005", wrote_ago=timedelta(days=3))
    synced(db, "spring_sale", "fa", "{{1}} عزیز، {{2}} درصد", header="حراج {{1}}", url="https://shop.example/{{1}}")
    path = f"/api/v1/contacts/{contact.id}/messages"
    short = api.post(path, json={"template": {"name": "spring_sale", "language": "fa", "params": ["x"]}},
                     headers=AUTH)
    assert short.status_code == 422
    assert short.get_json() | {"error": ""} == {"error": "", "code": "template_parameters", "field": "template.params"}
    assert "needs 2 body parameter(s), 1 given" in short.get_json()["error"]
    no_header = api.post(path, json={"template": {"name": "spring_sale", "language": "fa", "params": ["x", "y"],
                                                  "button_params": [["z"]]}}, headers=AUTH)
    assert (no_header.status_code, no_header.get_json()["field"]) == (422, "template.header_params")
    assert fake_graph.messages() == [] and rows(db) == []
    good = api.post(path, json={"template": {"name": "spring_sale", "language": "fa", "params": ["{name}", "30"],
                                             "header_params": ["نوروز"], "button_params": [["spring-30"]]}},
                    headers=AUTH)
    assert good.status_code == 202, good.get_json()
    [sent] = fake_graph.messages()
    assert sent["template"]["body_parameters"] == ["Sara", "30"]
    assert {c["type"] for c in sent["template_components"]} == {"header", "body", "button"}


def test_a_template_that_was_never_synced_still_goes_with_body_parameters(api, fake_graph, db):
    contact = add_contact(db, "989121230006", wrote_ago=timedelta(days=3))
    answer = api.post(f"/api/v1/contacts/{contact.id}/messages",
                      json={"template": {"name": "legacy", "language": "fa", "params": ["a"]}}, headers=AUTH)
    assert answer.status_code == 202
    assert fake_graph.messages()[0]["template"]["body_parameters"] == ["a"]
    header = api.post(f"/api/v1/contacts/{contact.id}/messages", json={"template": {
        "name": "legacy", "language": "fa", "header_params": ["a"]}}, headers=AUTH)
    assert header.status_code == 422 and header.get_json()["code"] == "template_not_synced"


def test_a_broadcast_of_a_synced_template_gets_its_parameter_count_checked(api, db):
    add_contact(db, "989121230007", wrote_ago=timedelta(days=3))
    synced(db, "order_shipped", "fa", "سلام {{1}}، سفارش {{2}} ارسال شد.")
    synced(db, "spring_sale", "fa", "{{1}}", header="حراج {{1}}")
    campaign = {"name": "shipped", "audience": {"all": True}}
    short = api.post("/api/v1/broadcasts", json={**campaign, "template": {
        "name": "order_shipped", "language": "fa", "params": ["name|مشتری"]}}, headers=AUTH)
    assert short.status_code == 422 and short.get_json()["field"] == "template.params"
    header = api.post("/api/v1/broadcasts", json={**campaign, "template": {
        "name": "spring_sale", "language": "fa", "params": ["name"]}}, headers=AUTH)
    assert header.status_code == 422 and "header or button parameters" in header.get_json()["error"]
    assert rows(db) == []
    good = api.post("/api/v1/broadcasts", json={**campaign, "template": {
        "name": "order_shipped", "language": "fa", "params": ["name|مشتری", "wa_id"]}}, headers=AUTH)
    assert good.status_code == 201, good.get_json()
