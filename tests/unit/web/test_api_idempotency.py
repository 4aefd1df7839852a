"""`Idempotency-Key` on the creating POSTs: a repeat answers the first response and creates nothing more."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from database_models import Broadcast, Contact, IdempotencyKey, ScheduledMessage, utcnow

TOKEN = "test-admin-token-value"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def count(app, model) -> int:
    with app.extensions["whatsapp_platform"].session_factory() as session:
        return session.scalar(select(func.count()).select_from(model))


def keyed(key: str) -> dict[str, str]:
    return {**AUTH, "Idempotency-Key": key}


def in_window_contact(app) -> int:
    with app.extensions["whatsapp_platform"].session_factory() as session:
        contact = Contact(wa_id="989121230000", attributes={}, last_inbound_at=utcnow() - timedelta(hours=1))
        session.add(contact)
        session.commit()
        return contact.id


CREATIONS = {
    "broadcast": ("/api/broadcasts", {"name": "Spring", "text": "Hi", "audience": {"numbers": ["989121234567"]}},
                  {"name": "Autumn", "text": "Hi", "audience": {"numbers": ["989121234567"]}}, Broadcast),
    "contact": ("/api/contacts", {"wa_id": "989121234567"}, {"wa_id": "989121234568"}, Contact),
    "message": ("/api/messages", {"to": "989121234567", "template": {"name": "t", "language": "en"}},
                {"to": "989121234568", "template": {"name": "t", "language": "en"}}, ScheduledMessage),
}


@pytest.mark.parametrize("kind", list(CREATIONS))
def test_the_same_key_and_body_answer_the_first_response_and_create_nothing_more(app, client, kind):
    url, body, _, model = CREATIONS[kind]
    first = client.post(url, headers=keyed("order-1043-shipped"), json=body)
    assert first.status_code in (201, 202), first.get_json()
    before = count(app, model)
    for _ in range(3):
        again = client.post(url, headers=keyed("order-1043-shipped"), json=dict(reversed(body.items())))
        assert (again.status_code, again.get_json(), again.headers["Location"]) == (
            first.status_code, first.get_json(), first.headers["Location"])
        assert again.headers["Idempotent-Replayed"] == "true"
    assert count(app, model) == before
    assert "Idempotent-Replayed" not in first.headers


@pytest.mark.parametrize("kind", list(CREATIONS))
def test_the_same_key_with_another_body_is_a_422_and_changes_nothing(app, client, kind):
    url, body, other, model = CREATIONS[kind]
    assert client.post(url, headers=keyed("k-1"), json=body).status_code in (201, 202)
    before = count(app, model)
    reused = client.post(url, headers=keyed("k-1"), json=other)
    assert reused.status_code == 422
    assert (reused.get_json()["code"], reused.get_json()["field"]) == ("idempotency_key_reused", "Idempotency-Key")
    assert count(app, model) == before


def test_a_key_used_on_another_endpoint_is_a_422(app, client):
    assert client.post("/api/contacts", headers=keyed("k-2"), json={"wa_id": "989121234567"}).status_code == 201
    other = client.post("/api/messages", headers=keyed("k-2"), json={"to": "989121234567", "text": "x"})
    assert other.get_json()["code"] == "idempotency_key_reused"


def test_without_a_key_or_with_new_keys_each_post_creates(app, client):
    body = {"name": "Spring", "text": "Hi", "audience": {"numbers": ["989121234567"]}}
    ids = {client.post("/api/broadcasts", headers=AUTH, json=body).get_json()["id"] for _ in range(2)}
    ids |= {client.post("/api/broadcasts", headers=keyed(f"new-{n}"), json=body).get_json()["id"] for n in range(2)}
    assert len(ids) == 4


def test_a_refused_request_stores_nothing_so_the_key_works_once_the_request_is_fixed(app, client):
    contact_id = in_window_contact(app)
    with app.extensions["whatsapp_platform"].session_factory() as session:
        session.execute(update(Contact).where(Contact.id == contact_id).values(last_inbound_at=None))
        session.commit()
    url = f"/api/contacts/{contact_id}/messages"
    refused = client.post(url, headers=keyed("retry-me"), json={"text": "hi"})
    assert refused.status_code == 422 and count(app, IdempotencyKey) == 0
    fixed = client.post(url, headers=keyed("retry-me"), json={"template": {"name": "t", "language": "en"}})
    assert fixed.status_code == 202
    again = client.post(url, headers=keyed("retry-me"), json={"template": {"name": "t", "language": "en"}})
    assert again.get_json()["id"] == fixed.get_json()["id"]
    assert count(app, ScheduledMessage) == 1


def test_a_key_older_than_24_hours_is_forgotten(app, client):
    body = {"wa_id": "989121234567"}
    assert client.post("/api/contacts", headers=keyed("old"), json=body).status_code == 201
    with app.extensions["whatsapp_platform"].session_factory() as session:
        session.execute(update(IdempotencyKey).values(created_at=utcnow() - timedelta(hours=25)))
        session.commit()
    later = client.post("/api/contacts", headers=keyed("old"), json=body)
    assert later.status_code == 409  # done again: the contact exists now
    assert "Idempotent-Replayed" not in later.headers


def test_the_v1_prefix_and_the_alias_share_one_key(app, client):
    body = {"wa_id": "989121234567"}
    first = client.post("/api/v1/contacts", headers=keyed("both-prefixes"), json=body)
    again = client.post("/api/contacts", headers=keyed("both-prefixes"), json=body)
    assert first.status_code == 201 and again.get_json() == first.get_json()
    assert again.headers["Idempotent-Replayed"] == "true"


@pytest.mark.parametrize("key", ["", "x" * 256, "has space", "ünïcode"])
def test_a_malformed_key_is_a_400_naming_the_header(app, client, key):
    response = client.post("/api/contacts", headers=keyed(key), json={"wa_id": "989121234567"})
    assert response.status_code == 400
    assert response.get_json()["field"] == "Idempotency-Key"
    assert count(app, Contact) == 0
