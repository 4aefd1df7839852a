"""PUT /api/orders/{number}: an idempotent upsert from a shop's backend, JSON errors, one notification per status."""

from __future__ import annotations

from sqlalchemy import select

from database_models import Order, OrderNotification, ScheduledMessage
from inbound.sample_payloads import text_message_envelope

AUTH = {"Authorization": "Bearer test-admin-token-value"}
BODY = {"wa_id": "09121110001", "status": "shipped", "tracking_code": "RR123456789IR", "carrier": "iran_post",
        "expected_at": "1405/09/20", "items": "۲ لیوان"}


def put(client, number: str, body: dict):
    return client.put(f"/api/orders/{number}", json=body, headers=AUTH)


def test_put_creates_then_changes_nothing_then_updates(app, client):
    first = put(client, "1001", BODY)
    assert first.status_code == 200, first.get_json()
    assert first.get_json() | {"contact_id": 0} == {
        "number": "1001", "contact_id": 0, "status": "shipped", "tracking_code": "RR123456789IR",
        "carrier": "iran_post", "expected_at": "2026-12-10T20:30:00+00:00", "items": "۲ لیوان",
        "outcome": "created", "notified": True}
    again = put(client, "1001", BODY)
    assert again.get_json()["outcome"] == "unchanged" and again.get_json()["notified"] is False
    delivered = put(client, "1001", BODY | {"status": "delivered"})
    assert delivered.get_json()["outcome"] == "updated" and delivered.get_json()["notified"] is True
    assert put(client, "1001", BODY).get_json()["notified"] is False  # shipped again: told once already
    with app.extensions["whatsapp_platform"].session_factory() as session:
        assert session.scalars(select(Order)).one().status == "shipped"
        assert sorted(session.scalars(select(OrderNotification.status))) == ["delivered", "shipped"]
        bodies = list(session.scalars(select(ScheduledMessage.body).order_by(ScheduledMessage.id)))
    assert len(bodies) == 2 and "RR123456789IR" in bodies[0] and "تحویل" in bodies[1]


def test_bad_values_are_json_errors_and_change_nothing(app, client):
    unknown = put(client, "1001", BODY | {"status": "lost"})
    assert unknown.status_code == 400 and "unknown status 'lost'" in unknown.get_json()["error"]
    bad_number = put(client, "1001", BODY | {"wa_id": "hello"})
    assert bad_number.status_code == 400 and "not a phone number" in bad_number.get_json()["error"]
    bad_date = put(client, "1001", BODY | {"expected_at": "tomorrow"})
    assert bad_date.status_code == 400 and "expected_at" in bad_date.get_json()["error"]
    unknown_field = put(client, "1001", BODY | {"price": 10})
    assert unknown_field.status_code == 400
    bad_path = client.put("/api/orders/a%20b", json=BODY, headers=AUTH)
    assert bad_path.status_code == 400 and bad_path.get_json()["field"] == "number"
    assert client.put("/api/orders/1001", json=BODY).status_code == 401
    with app.extensions["whatsapp_platform"].session_factory() as session:
        assert session.scalars(select(Order)).all() == []
        assert session.scalars(select(ScheduledMessage)).all() == []


def test_the_notification_is_in_the_language_the_customer_last_wrote_in(app, client, post_webhook):
    assert post_webhook(text_message_envelope("989121110002", "hello, where is my order?")).status_code == 200
    assert put(client, "2002", BODY | {"wa_id": "989121110002"}).get_json()["notified"] is True
    with app.extensions["whatsapp_platform"].session_factory() as session:
        notice = session.scalars(select(ScheduledMessage).where(ScheduledMessage.kind == "order_update")).one()
    assert notice.body.startswith("📦 Order 2002 has shipped") and "RR123456789IR" in notice.body
