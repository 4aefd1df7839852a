"""The OpenAPI document is true: it lists exactly the /api routes, answers match it, and schemathesis finds no 500."""

from __future__ import annotations

import re

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

from web.api.openapi_spec import SPEC, build_spec

TOKEN = "test-admin-token-value"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
IGNORED_METHODS = {"HEAD", "OPTIONS"}


def api_routes(app) -> set[tuple[str, str]]:
    """(OpenAPI-style path, method) of every route under /api."""
    routes = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/") or rule.rule == "/api":
            path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
            routes |= {(path, method.lower()) for method in rule.methods - IGNORED_METHODS}
    return routes


def spec_operations() -> set[tuple[str, str]]:
    return {(path, method) for path, item in SPEC["paths"].items() for method in item}


def test_every_api_route_is_documented_and_every_documented_operation_exists(app):
    routes, documented = api_routes(app), spec_operations()
    assert routes - documented == set(), "routes missing from web/api/openapi_spec.py"
    assert documented - routes == set(), "documented operations with no route"


def test_served_document_is_the_spec_and_is_valid_openapi(client):
    response = client.get("/api/openapi.json", headers=AUTH)
    assert response.status_code == 200
    assert response.get_json() == build_spec()
    for name, component in SPEC["components"]["schemas"].items():
        assert jsonschema_rs.meta.is_valid(component), name
    schemathesis.openapi.from_dict(build_spec()).validate()  # against the OpenAPI 3.1 meta-schema


def test_every_operation_declares_auth_errors_and_json_bodies_refuse_unknown_fields():
    assert SPEC["security"] == [{"bearerAuth": []}]
    assert SPEC["components"]["securitySchemes"]["bearerAuth"] == {"type": "http", "scheme": "bearer"}
    for path, item in SPEC["paths"].items():
        for method, operation in item.items():
            assert {"400", "401"} <= set(operation["responses"]), (method, path)
            if "{" in path:
                assert "404" in operation["responses"], (method, path)
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if body:
                name = body["schema"]["$ref"].rsplit("/", 1)[1]
                assert SPEC["components"]["schemas"][name]["additionalProperties"] is False, name


def _validator_for(path: str, method: str, status: str) -> jsonschema_rs.Validator:
    """A validator of the documented response schema (`jsonschema_rs` is what schemathesis validates with)."""
    schema = SPEC["paths"][path][method]["responses"][status]["content"]["application/json"]["schema"]
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
def seeded_app(app, client):
    """The app with a contact and a broadcast, so generated ids sometimes exist."""
    client.post("/api/contacts", headers=AUTH, json={"wa_id": "989121234567", "name": "Sara", "tags": ["vip"]})
    client.post("/api/broadcasts", headers=AUTH, json={"name": "Spring", "text": "Hi", "audience": {"all": True}})
    return app


@schema.parametrize()
@settings(max_examples=15, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_schemathesis_finds_no_server_error_and_answers_match_the_document(case, seeded_app):
    case.call_and_validate(app=seeded_app, headers=AUTH,
                           checks=[not_a_server_error, status_code_conformance, content_type_conformance,
                                   response_schema_conformance])


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
        if path.startswith("/api/analytics/") and path != "/api/analytics/summary":
            response = client.get(path, headers=AUTH)
            assert response.status_code == 200, path
            _validator_for(path, "get", "200").validate(response.get_json())
