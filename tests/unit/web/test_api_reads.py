"""The reads integrators sync from: conversations, a campaign's recipients, `updated_since`."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from database_models import DIRECTION_OUT, Contact, ConversationState, ReceivedMessageLog, utcnow

TOKEN = "test-admin-token-value"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def _session(app):
    return app.extensions["whatsapp_platform"].session_factory()


def seed_conversations(app) -> dict[str, int]:
    """A customer who wrote 2 h ago; an echo-only contact (1 h ago); one in handoff (3 days ago); one never active."""
    now = utcnow()
    with _session(app) as session:
        ids = {}
        for key, wa_id, last_inbound in (("customer", "989120000001", now - timedelta(hours=2)),
                                         ("echo", "989120000002", None),
                                         ("handoff", "989120000003", now - timedelta(days=3)),
                                         ("silent", "989120000004", None)):
            contact = Contact(wa_id=wa_id, attributes={}, last_inbound_at=last_inbound)
            session.add(contact)
            session.flush()
            ids[key] = contact.id
        for key, at, extra in (("customer", now - timedelta(hours=2), {}),
                               ("echo", now - timedelta(hours=1), {"direction": DIRECTION_OUT}),
                               ("handoff", now - timedelta(days=3), {}),
                               ("handoff", now - timedelta(days=5), {"imported": True})):
            session.add(ReceivedMessageLog(wamid=f"wamid.{key}.{at.timestamp()}", contact_id=ids[key],
                                           message_type="text", text="hi", payload={}, received_at=at, **extra))
        session.add(ConversationState(contact_id=ids["handoff"], state="handoff",
                                      handoff_since=now - timedelta(days=3)))
        session.commit()
    return ids


def listed(client, query: str = "") -> list[dict]:
    response = client.get(f"/api/v1/conversations{query}", headers=AUTH)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["items"]


def test_conversations_come_newest_activity_first_and_echoes_are_activity_but_not_customer_messages(app, client):
    ids = seed_conversations(app)
    items = listed(client)
    assert [item["contact_id"] for item in items] == [ids["echo"], ids["customer"], ids["handoff"]]
    echo, customer, handoff = items
    assert (echo["last_customer_message_at"], echo["window_open"], echo["state"]) == (None, False, "bot")
    assert customer["window_open"] and customer["last_customer_message_at"] is not None
    assert handoff["waiting_for_person"] and handoff["handoff_since"] is not None and not handoff["window_open"]


def test_conversations_filter_by_state_window_and_change_time_and_page(app, client):
    ids = seed_conversations(app)
    assert [i["contact_id"] for i in listed(client, "?state=handoff")] == [ids["handoff"]]
    assert [i["contact_id"] for i in listed(client, "?state=bot")] == [ids["echo"], ids["customer"]]
    assert [i["contact_id"] for i in listed(client, "?in_window=true")] == [ids["customer"]]
    assert [i["contact_id"] for i in listed(client, "?in_window=false")] == [ids["echo"], ids["handoff"]]
    since = (utcnow() - timedelta(hours=3)).isoformat()
    assert [i["contact_id"] for i in listed(client, f"?updated_since={since.replace('+', '%2B')}")] == [
        ids["echo"], ids["customer"]]
    seen, cursor = [], None
    while True:
        page = client.get("/api/v1/conversations?limit=1" + (f"&cursor={cursor}" if cursor else ""),
                          headers=AUTH).get_json()
        seen += [item["contact_id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [ids["echo"], ids["customer"], ids["handoff"]]


def test_bad_filters_and_forged_cursors_are_400_naming_the_parameter(app, client):
    for query, field in (("?state=waiting", "state"), ("?updated_since=yesterday", "updated_since"),
                         ("?updated_since=2026-12-01T09:30:00", "updated_since"), ("?cursor=Zm9v", "cursor")):
        response = client.get(f"/api/v1/conversations{query}", headers=AUTH)
        assert (response.status_code, response.get_json()["field"]) == (400, field), query


def test_a_campaigns_recipients_are_paged_with_their_status(app, client):
    created = client.post("/api/v1/broadcasts", headers=AUTH, json={
        "name": "Spring", "text": "Hi", "audience": {"numbers": ["989121000001", "989121000002", "989121000003"]}})
    broadcast_id = created.get_json()["id"]
    url = f"/api/v1/broadcasts/{broadcast_id}/recipients"
    first = client.get(f"{url}?limit=2", headers=AUTH).get_json()
    second = client.get(f"{url}?limit=2&cursor={first['next_cursor']}", headers=AUTH).get_json()
    assert second["next_cursor"] is None
    recipients = first["items"] + second["items"]
    assert [r["handle"] for r in recipients] == ["+989121000001", "+989121000002", "+989121000003"]
    assert {r["status"] for r in recipients} == {"pending"}
    assert client.post(f"/api/v1/broadcasts/{broadcast_id}/cancel", headers=AUTH).status_code == 200
    assert len(client.get(f"{url}?status=cancelled", headers=AUTH).get_json()["items"]) == 3
    assert client.get(f"{url}?status=sent", headers=AUTH).get_json()["items"] == []
    missing = client.get("/api/v1/broadcasts/999999/recipients", headers=AUTH)
    assert (missing.status_code, missing.get_json()["code"]) == (404, "not_found")


def test_updated_since_returns_only_what_changed(app, client):
    old = client.post("/api/v1/contacts", headers=AUTH, json={"wa_id": "989121000001"}).get_json()
    new = client.post("/api/v1/contacts", headers=AUTH, json={"wa_id": "989121000002"}).get_json()
    with _session(app) as session:
        session.execute(update(Contact).where(Contact.id == old["id"])
                        .values(updated_at=utcnow() - timedelta(days=2)))
        session.commit()
    since = (utcnow() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    changed = client.get(f"/api/v1/contacts?updated_since={since}", headers=AUTH).get_json()["items"]
    assert [c["id"] for c in changed] == [new["id"]]
    assert client.get(f"/api/v1/broadcasts?updated_since={since}", headers=AUTH).status_code == 200
