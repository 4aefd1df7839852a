"""The OpenAPI document is true: it lists exactly the /api routes, answers match it, and schemathesis finds no 500."""

from __future__ import annotations

import re
from datetime import timedelta

import jsonschema_rs
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import update

from database_models import Contact, utcnow
from web.api.openapi_spec import SPEC, build_spec
from web.api.support import spec_path

TOKEN = "test-admin-token-value"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
IGNORED_METHODS = {"HEAD", "OPTIONS"}


def api_routes_of(rule) -> set[tuple[str, str]]:
    """(documented path, method) of one route; the alias /api/… maps to /api/v1/…."""
    path = spec_path(re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule))
    return {(path, method.lower()) for method in rule.methods - IGNORED_METHODS}


def api_routes(app, versioned: bool = True) -> set[tuple[str, str]]:
    """(documented path, method) of every route under /api/v1/ (or, `versioned=False`, under the alias /api/)."""
    return {route for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/")
            and rule.rule.startswith("/api/v1/") == versioned for route in api_routes_of(rule)}


def spec_operations() -> set[tuple[str, str]]:
    return {(path, method) for path, item in SPEC["paths"].items() for method in item}


def test_every_api_route_is_documented_and_every_documented_operation_exists(app):
    routes, documented = api_routes(app), spec_operations()
    assert routes - documented == set(), "routes missing from web/api/openapi_spec.py"
    assert documented - routes == set(), "documented operations with no route"
    assert all(path.startswith("/api/v1/") for path, _ in documented)
    assert api_routes(app, versioned=False) == documented, "each operation answers under /api/… too, nothing else"


def _validator_for(path: str, method: str, status: str) -> jsonschema_rs.Validator:
    """A validator of the documented response schema (`jsonschema_rs` is what schemathesis validates with)."""
    schema = SPEC["paths"][spec_path(path)][method]["responses"][status]["content"]["application/json"]["schema"]
    return jsonschema_rs.Draft202012Validator({**schema, "components": SPEC["components"]}, validate_formats=True)


SAMPLE_CALLS = [
    ("get", "/api/contacts", "/api/contacts?limit=2", None, "200"),
    ("get", "/api/contacts/{contact_id}", "/api/contacts/{contact}", None, "200"),
    ("get", "/api/contacts/{contact_id}", "/api/contacts/999999", None, "404"),
    ("patch", "/api/contacts/{contact_id}", "/api/contacts/{contact}", {"add_tags": ["vip"]}, "200"),
    ("patch", "/api/contacts/{contact_id}", "/api/contacts/{contact}", {"bogus": 1}, "400"),
    ("post", "/api/contacts/{contact_id}/opt-out", "/api/contacts/{contact}/opt-out", None, "200"),
    ("get", "/api/contacts/{contact_id}/messages", "/api/contacts/{contact}/messages", None, "200"),
    ("get", "/api/broadcasts", "/api/broadcasts", None, "200"),
    ("get", "/api/broadcasts/{broadcast_id}", "/api/broadcasts/{broadcast}", None, "200"),
    ("post", "/api/broadcasts/{broadcast_id}/pause", "/api/broadcasts/{broadcast}/pause", None, "200"),
    ("get", "/api/analytics/summary", "/api/analytics/summary?from=2026-01-01&to=2026-12-31", None, "200"),
    ("get", "/api/analytics/sentiment", "/api/analytics/sentiment", None, "200"),
    ("get", "/api/analytics/summary", "/api/analytics/summary?from=2026-13-01", None, "400"),
]


@pytest.mark.parametrize(("method", "path", "url", "body", "status"), SAMPLE_CALLS,
                         ids=[f"{c[0]} {c[2]} {c[4]}" for c in SAMPLE_CALLS])
def test_sample_responses_validate_against_their_declared_schemas(client, method, path, url, body, status):
    created = client.post("/api/contacts", headers=AUTH, json={"wa_id": "989121234567", "name": "Sara",
                                                                "tags": ["new"], "attributes": {"city": "Tehran"}})
    assert created.status_code == 201
    contact = created.get_json()["id"]
    broadcast = client.post("/api/broadcasts", headers=AUTH, json={
        "name": "Spring", "text": "Hi {name}", "audience": {"all": True}}).get_json()["id"]
    url = url.format(contact=contact, broadcast=broadcast)
    response = client.open(url, method=method.upper(), headers=AUTH, json=body)
    assert response.status_code == int(status), response.get_json()
    _validator_for(path, method, status).validate(response.get_json())
    _validator_for("/api/contacts", "post", "201").validate(created.get_json())


# --- schemathesis ------------------------------------------------------------------------------

# Loaded from the module rather than a fixture: schemathesis' lazy `from_fixture` loader does not run on pytest 9.
schema = schemathesis.openapi.from_dict(build_spec())


@pytest.fixture
def seeded(app, client):
    """The app with a contact (who wrote an hour ago), a broadcast and a queued message; the ids of each."""
    app.config["ADMIN_API_REQUESTS_PER_MINUTE"] = 0  # hundreds of calls a minute here; 429s: test_api_throttle
    contact = client.post("/api/v1/contacts", headers=AUTH, json={"wa_id": "989121234567", "name": "Sara",
                                                                   "tags": ["vip"]}).get_json()["id"]
    with app.extensions["whatsapp_platform"].session_factory() as session:
        session.execute(update(Contact).where(Contact.id == contact).values(
            last_inbound_at=utcnow() - timedelta(hours=1)))
        session.commit()
    broadcast = client.post("/api/v1/broadcasts", headers=AUTH, json={
        "name": "Spring", "text": "Hi", "audience": {"all": True}}).get_json()["id"]
    message = client.post(f"/api/v1/contacts/{contact}/messages", headers=AUTH, json={"text": "Hi"}).get_json()["id"]
    order = client.put("/api/v1/orders/A-1001", headers=AUTH, json={"wa_id": "989121234567", "status": "shipped"})
    assert order.status_code in (200, 201), order.get_json()

    def subscription() -> int:  # a new one each time: a DELETE example removes the one before
        created = client.post("/api/v1/webhooks", headers=AUTH, json={"url": "http://127.0.0.1:9/hook",
                                                                       "events": ["message.received"]})
        return created.get_json()["id"]

    return app, {"contact_id": contact, "broadcast_id": broadcast, "message_id": message, "number": "A-1001",
                 "subscription_id": subscription}


CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@schema.parametrize()
@settings(max_examples=6, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_schemathesis_finds_no_server_error_and_answers_match_the_document(case, seeded):
    """Each generated request as generated, then (per-id operations) again with the seeded real ids."""
    app, ids = seeded
    case.call_and_validate(app=app, headers=AUTH, checks=CHECKS)
    if case.path_parameters:
        real = {name: ids[name]() if callable(ids[name]) else ids[name] for name in case.path_parameters}
        case.path_parameters = {**case.path_parameters, **real}
        response = case.call_and_validate(app=app, headers=AUTH, checks=CHECKS)
        assert response.status_code != 404, (case.method, case.formatted_path)


def test_analytics_answers_on_enriched_traffic_match_the_document(app, client, runner, post_webhook):
    from inbound.sample_payloads import text_message_envelope

    for number, text in (("989121110001", "سلام، سفارشم خیلی دیر شده، افتضاحه"),
                         ("989121110002", "thanks, great service"), ("989121110001", "price of the blue shirt?"),
                         ("989121110003", "asdkjh qwe")):
        assert post_webhook(text_message_envelope(number, text, name="Sara")).status_code == 200
    assert runner.invoke(args=["analytics", "enrich"]).exit_code == 0
    client.post("/api/broadcasts", headers=AUTH, json={"name": "Spring", "text": "Hi", "audience": {"all": True}})
    summary = client.get("/api/analytics/summary", headers=AUTH).get_json()
    assert summary["sentiment"]["most_negative"] and summary["top_keywords"] and summary["broadcasts"]
    _validator_for("/api/analytics/summary", "get", "200").validate(summary)
    for path in SPEC["paths"]:
        if path.startswith("/api/v1/analytics/") and path != "/api/v1/analytics/summary":
            response = client.get(path, headers=AUTH)
            assert response.status_code == 200, path
            _validator_for(path, "get", "200").validate(response.get_json())
