"""Subscribing through `/api/webhooks` and `/dashboard/webhooks`: checked input, the secret shown once.

Bad input is a clear error (JSON `error` + `field` from the API, a message in the interface
language on the page) and changes nothing; every dashboard POST needs the session's CSRF token.
"""

from __future__ import annotations

import pytest
from dashboard_testing import csrf_from, log_in, post_form
from sqlalchemy import func, select
from webhook_receiver import WebhookReceiver

from database_models import WebhookEvent, WebhookSubscription
from inbound.sample_payloads import text_message_envelope
from integrations.delivery import deliver_due_events
from integrations.signing import signature, signature_valid

AUTH = {"Authorization": "Bearer test-admin-token-value"}
URL = "https://shop.example/hooks/whatsapp"


def count_subscriptions(app) -> int:
    with app.extensions["whatsapp_platform"].session_factory() as session:
        return session.scalar(select(func.count()).select_from(WebhookSubscription))


def test_create_list_read_and_delete_through_the_api(client, app):
    created = client.post("/api/webhooks", headers=AUTH, json={
        "url": URL, "events": ["message.received", "contact.opted_out"], "description": "WooCommerce"})
    assert created.status_code == 201
    body = created.get_json()
    assert body["secret"].startswith("whsec_") and len(body["secret"]) > 40
    assert created.headers["Location"] == f"/api/webhooks/{body['id']}"
    assert body["events"] == ["message.received", "contact.opted_out"] and body["active"] is True

    listed = client.get("/api/webhooks", headers=AUTH).get_json()["items"]
    assert [item["url"] for item in listed] == [URL] and "secret" not in listed[0]
    detail = client.get(f"/api/webhooks/{body['id']}", headers=AUTH).get_json()
    assert detail["deliveries"] == [] and "secret" not in detail

    assert client.delete(f"/api/webhooks/{body['id']}", headers=AUTH).status_code == 204
    assert client.delete(f"/api/webhooks/{body['id']}", headers=AUTH).status_code == 404
    assert client.get(f"/api/webhooks/{body['id']}", headers=AUTH).status_code == 404
    assert count_subscriptions(app) == 0


@pytest.mark.parametrize(("body", "field"), [
    ({"url": "ftp://shop.example/x", "events": ["message.received"]}, "url"),
    ({"url": "https://user:pass@shop.example/x", "events": ["message.received"]}, "url"),
    ({"url": "https://token@shop.example/x", "events": ["message.received"]}, "url"),
    ({"url": "https:///no-host", "events": ["message.received"]}, "url"),
    ({"url": "https://shop.example:99999/x", "events": ["message.received"]}, "url"),
    ({"url": "https://shop.example/a b", "events": ["message.received"]}, "url"),
    ({"url": URL, "events": []}, "events"),
    ({"url": URL, "events": ["message.deleted"]}, "events[0]"),
    ({"url": URL}, ""),
    ({"url": URL, "events": ["message.received"], "secret": "mine"}, ""),
])
def test_bad_subscriptions_are_refused_with_the_field_and_nothing_is_stored(client, app, body, field):
    answer = client.post("/api/webhooks", headers=AUTH, json=body)
    assert answer.status_code == 400
    error = answer.get_json()
    assert error["error"] and (field == "" or error["field"] == field)
    assert count_subscriptions(app) == 0


def test_the_api_needs_the_admin_token(client):
    assert client.get("/api/webhooks").status_code == 401
    assert client.post("/api/webhooks", json={"url": URL, "events": ["message.received"]}).status_code == 401


def test_deleting_a_subscription_drops_its_undelivered_events(client, app, post_webhook):
    subscription = client.post("/api/webhooks", headers=AUTH, json={"url": URL, "events": ["message.received"]})
    post_webhook(text_message_envelope("989121240001", "hello"))
    factory = app.extensions["whatsapp_platform"].session_factory
    with factory() as session:
        assert session.scalar(select(func.count()).select_from(WebhookEvent)) == 1
    client.delete(f"/api/webhooks/{subscription.get_json()['id']}", headers=AUTH)
    with factory() as session:
        assert session.scalar(select(func.count()).select_from(WebhookEvent)) == 0


def test_the_signature_is_meta_style_and_checked_in_constant_time():
    body = b'{"id":"evt_1","type":"message.received"}'
    header = signature(body, "whsec_abc")
    assert header.startswith("sha256=") and len(header) == 7 + 64
    assert signature_valid(header, body, "whsec_abc")
    assert not signature_valid(header, body + b" ", "whsec_abc")
    assert not signature_valid(header, body, "whsec_other")
    assert not signature_valid(None, body, "whsec_abc")


# --- the dashboard page ------------------------------------------------------------------------


@pytest.fixture
def logged_in(client):
    log_in(client)
    return client


def test_the_page_subscribes_shows_the_secret_once_and_lists_deliveries(logged_in, app, post_webhook):
    receiver = WebhookReceiver().start()
    try:
        form = {"url": receiver.url, "description": "CRM", "events": ["message.received"]}
        answer = post_form(logged_in, "/dashboard/webhooks", form, page="/dashboard/webhooks")
        assert answer.status_code == 201
        page = answer.get_data(as_text=True)
        with app.extensions["whatsapp_platform"].session_factory() as session:
            subscription = session.scalars(select(WebhookSubscription)).one()
        assert subscription.secret in page
        assert subscription.secret not in logged_in.get("/dashboard/webhooks").get_data(as_text=True)

        receiver.status = 503
        post_webhook(text_message_envelope("989121240002", "hello"))
        deliver_due_events(app.extensions["whatsapp_platform"].session_factory, allow_private=True)
        deliveries = logged_in.get(f"/dashboard/webhooks/{subscription.id}").get_data(as_text=True)
        assert 'data-status="pending"' in deliveries and "HTTP 503" in deliveries and "A customer wrote" in deliveries
    finally:
        receiver.stop()


def test_the_page_reads_persian_by_default(persian_client):
    log_in(persian_client)
    page = persian_client.get("/dashboard/webhooks").get_data(as_text=True)
    assert "وب‌هوک‌ها" in page and "اشتراک یک نشانی" in page and "Subscribe an address" not in page


def test_a_bad_address_on_the_page_is_a_message_and_stores_nothing(logged_in, app):
    answer = post_form(logged_in, "/dashboard/webhooks", {"url": "https://user:pw@shop.example/x",
                                                          "events": ["message.received"]}, page="/dashboard/webhooks")
    assert answer.status_code == 400
    assert "no user name or password" in answer.get_data(as_text=True)
    assert count_subscriptions(app) == 0


def test_unsubscribing_on_the_page_needs_the_csrf_token(logged_in, app):
    created = logged_in.post("/api/webhooks", headers=AUTH, json={"url": URL, "events": ["message.received"]})
    subscription_id = created.get_json()["id"]
    csrf_from(logged_in, "/dashboard/webhooks")
    assert logged_in.post(f"/dashboard/webhooks/{subscription_id}/delete").status_code == 400
    assert count_subscriptions(app) == 1
    answer = post_form(logged_in, f"/dashboard/webhooks/{subscription_id}/delete", page="/dashboard/webhooks")
    assert answer.status_code == 302 and count_subscriptions(app) == 0
    assert logged_in.get("/dashboard/webhooks/999999").status_code == 404
