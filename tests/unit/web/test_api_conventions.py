"""Conventions every admin API answer keeps: error code and field, Allow on 405, the limit on 413, /api/v1 aliases."""

from __future__ import annotations

import pytest

TOKEN = "test-admin-token-value"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def error_of(response, status: int) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    body = response.get_json()
    assert body["error"] and body["code"], body
    return body


def test_a_wrong_method_is_405_with_allow_and_a_code(client):
    for url in ("/api/v1/contacts", "/api/contacts"):
        response = client.delete(url, headers=AUTH)
        assert error_of(response, 405)["code"] == "method_not_allowed"
        assert set(response.headers["Allow"].split(", ")) >= {"GET", "POST"}


def test_an_unknown_path_is_404_with_a_code(client):
    assert error_of(client.get("/api/v1/nothing-here", headers=AUTH), 404)["code"] == "not_found"


def test_a_body_over_the_limit_says_the_limit(app, client):
    app.config["MAX_CONTENT_LENGTH"] = 1000
    response = client.post("/api/v1/contacts", headers=AUTH, json={"wa_id": "989121234567", "name": "x" * 2000})
    body = error_of(response, 413)
    assert body["code"] == "body_too_large" and "1,000 bytes" in body["error"]


def test_the_v1_prefix_and_the_alias_are_the_same_operation(client):
    created = client.post("/api/v1/contacts", headers=AUTH, json={"wa_id": "989121234567"})
    assert created.headers["Location"] == f"/api/v1/contacts/{created.get_json()['id']}"
    assert client.get(f"/api/contacts/{created.get_json()['id']}", headers=AUTH).get_json() == created.get_json()
    assert client.get("/api/v1/openapi.json", headers=AUTH).get_json() == client.get(
        "/api/openapi.json", headers=AUTH).get_json()


@pytest.mark.parametrize(("body", "status", "code", "field"), [
    ({"name": "x", "text": "hi", "audience": {"numbers": ["989121234567"]}, "send_at": "2001-01-01T09:00"},
     400, "broadcast_rejected", "send_at"),
    ({"name": "x", "text": "hi", "audience": {"tags": ["nobody-has-this"]}}, 400, "broadcast_rejected", "audience"),
    ({"name": "x", "text": "hi {nickname}", "audience": {"all": True}}, 400, "unknown_placeholder", "text"),
    ({"name": "x", "template": {"name": "t", "language": "en", "params": ["{name"]}, "audience": {"all": True}},
     400, "invalid_placeholder", "template.params"),
    ({"name": "x", "audience": {"all": True}}, 400, "invalid_input", "body"),
])
def test_business_rule_errors_of_a_broadcast_name_their_field(client, body, status, code, field):
    client.post("/api/v1/contacts", headers=AUTH, json={"wa_id": "989121230000"})
    error = error_of(client.post("/api/v1/broadcasts", headers=AUTH, json=body), status)
    assert (error["code"], error.get("field")) == (code, field)


def test_contact_rule_errors_name_their_field(client):
    client.post("/api/v1/contacts", headers=AUTH, json={"wa_id": "989121234567"})
    exists = error_of(client.post("/api/v1/contacts", headers=AUTH, json={"wa_id": "989121234567"}), 409)
    assert (exists["code"], exists["field"]) == ("contact_exists", "wa_id")
    contact = client.get("/api/v1/contacts", headers=AUTH).get_json()["items"][0]["id"]
    clash = error_of(client.patch(f"/api/v1/contacts/{contact}", headers=AUTH,
                                  json={"add_tags": ["a"], "remove_tags": ["a"]}), 400)
    assert (clash["code"], clash["field"]) == ("invalid_contact", "tags")


def test_a_lifecycle_refusal_is_409_invalid_state(client):
    client.post("/api/v1/contacts", headers=AUTH, json={"wa_id": "989121234567"})
    broadcast = client.post("/api/v1/broadcasts", headers=AUTH, json={
        "name": "x", "text": "hi", "audience": {"all": True}}).get_json()["id"]
    assert client.post(f"/api/v1/broadcasts/{broadcast}/cancel", headers=AUTH).status_code == 200
    assert error_of(client.post(f"/api/v1/broadcasts/{broadcast}/pause", headers=AUTH), 409)["code"] == "invalid_state"


def test_a_bad_report_range_names_to(client):
    error = error_of(client.get("/api/v1/analytics/summary?from=2026-02-01&to=2026-01-01", headers=AUTH), 400)
    assert error["field"] == "to"
