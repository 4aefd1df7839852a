"""The OpenAPI 3.1 document of the admin API (`/api/…`), served at `/api/openapi.json`.

It is also what the API enforces: `admin_api_validation` checks query strings and JSON
bodies against the parameters below and the request schemas (built in `openapi_schemas`),
so the document cannot drift from the behaviour (tests/unit/web/test_openapi_spec.py checks
routes, responses and runs schemathesis).
Patterns use Python's regular-expression syntax (`\\w` is any Unicode letter or digit),
which is what the validator, jsonschema and schemathesis evaluate them with.
"""

from __future__ import annotations

import copy
from typing import Any

from web.api.openapi_schemas import (
    ANALYTICS_SCHEMAS,
    ANALYTICS_SECTIONS,
    ANALYTICS_SUMMARY,
    ATTRIBUTE_NAME_PATTERN,
    ATTRIBUTE_NAMES,
    ATTRIBUTE_VALUE,
    AUDIENCE,
    BROADCAST_COMMON,
    BROADCAST_SCHEMAS,
    CAMPAIGN_STATUS,
    COMPLETED_AT,
    CONTACT_SCHEMAS,
    COUNT,
    COUNTS_BY_NAME,
    CURSOR_PATTERN,
    DATE,
    DATE_PATTERN,
    DATETIME,
    DAY_COUNTS,
    DEFAULT_PAGE_SIZE,
    FIRST_DATE,
    INTEGER,
    LANGUAGE_PATTERN,
    LAST_DATE,
    MAX_ID,
    MAX_PAGE_SIZE,
    MAX_RANGE_DAYS,
    MESSAGE_SCHEMAS,
    MOMENT_PATTERN,
    NO_NUL,
    QUEUE_STATUS,
    RATE,
    READ_SCHEMAS,
    RESERVED_ATTRIBUTE_NAMES,
    SEND_AT_PATTERN,
    SENTIMENTS,
    STRING,
    TAG,
    TAG_PATTERN,
    TAGS,
    WA_ID_PATTERN,
    nullable,
    obj,
    ref,
    text,
)
from web.api.openapi_webhooks import WEBHOOK_SCHEMAS, webhook_paths

# The schemas and their builders live in `openapi_schemas`; importable from here as before.
__all__ = [
    "ANALYTICS_SCHEMAS", "ANALYTICS_SECTIONS", "ANALYTICS_SUMMARY", "ATTRIBUTE_NAMES",
    "ATTRIBUTE_NAME_PATTERN", "ATTRIBUTE_VALUE", "AUDIENCE", "BROADCAST_COMMON", "BROADCAST_SCHEMAS",
    "CAMPAIGN_STATUS", "COMPLETED_AT", "CONTACT_SCHEMAS", "COUNT", "COUNTS_BY_NAME", "CURSOR_PATTERN", "DATE",
    "DATETIME", "DATE_PATTERN", "DAY_COUNTS", "DEFAULT_PAGE_SIZE", "INTEGER", "LANGUAGE_PATTERN", "MAX_ID",
    "MAX_PAGE_SIZE", "MESSAGE_SCHEMAS", "NO_NUL", "RATE", "RESERVED_ATTRIBUTE_NAMES", "SEND_AT_PATTERN",
    "SENTIMENTS", "SPEC",
    "STRING", "TAG", "TAGS", "TAG_PATTERN", "WA_ID_PATTERN", "build_spec", "nullable", "obj", "ref", "text",
]


ORDER_NUMBER = {"type": "string", "minLength": 1, "maxLength": 64, "pattern": r"^[A-Za-z0-9][A-Za-z0-9_\-]*$"}
ORDER_SCHEMAS = {  # PUT /api/orders/{number} (web/api/orders.py)
    "OrderPut": obj({"wa_id": text(160, 1), "status": text(32, 1), "tracking_code": nullable(text(64)),
                     "carrier": nullable(text(64)), "expected_at": nullable(text(40)),
                     "items": nullable(text(1000))}, required=("wa_id", "status")),
    "OrderResult": obj({"number": STRING, "contact_id": INTEGER, "status": STRING,
                        "tracking_code": nullable(STRING), "carrier": nullable(STRING),
                        "expected_at": nullable(DATETIME), "items": nullable(STRING),
                        "outcome": {"type": "string", "enum": ["created", "updated", "unchanged"]},
                        "notified": {"type": "boolean"}}, required=("number", "status", "outcome")),
}


def _path_id(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True,
            "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID}}


def _query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}


PAGING = [
    _query("limit", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE, "default": DEFAULT_PAGE_SIZE},
           f"Items per page (at most {MAX_PAGE_SIZE})."),
    _query("cursor", {"type": "string", "pattern": CURSOR_PATTERN},
           "`next_cursor` of the previous page, passed back unchanged. Opaque: its content is not part of the "
           "API and may change; a cursor this API did not issue (or one from another list) is a 400 naming "
           "`cursor`."),
]
UPDATED_SINCE = _query("updated_since", {"type": "string", "format": "date-time", "pattern": MOMENT_PATTERN,
                                         "maxLength": 40},
                       "Only items changed at or after this moment (ISO 8601 with its offset), for incremental sync.")
DATE_RANGE = [
    _query("from", DATE, f"First day (inclusive, in the configured TIMEZONE), between {FIRST_DATE} and "
                         f"{LAST_DATE}; omit for everything stored."),
    _query("to", DATE, f"Last day (inclusive), between {FIRST_DATE} and {LAST_DATE}: not before `from`, and "
                       f"at most {MAX_RANGE_DAYS} days after it (400 naming `to` otherwise)."),
]


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": ref("Error")}}}


def _json(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _operation(operation_id: str, summary: str, tag: str, ok: dict[str, Any], *, status: str = "200",
               parameters: list[dict[str, Any]] | None = None, body: dict[str, Any] | None = None,
               errors: tuple[str, ...] = ()) -> dict[str, Any]:
    responses = {status: ok, "400": _error("Invalid input; `field` names the offending field."),
                 "401": _error("Missing or wrong bearer token, or a token in the query string."),
                 "429": _error("Too many requests, or too many wrong tokens, from this address this minute; "
                               "`Retry-After` says when to try again."),
                 "503": _error("ADMIN_API_TOKEN is not configured, or the database is unavailable.")}
    for code in errors:
        responses[code] = _error({"404": "No such resource.", "409": "Not allowed in the resource's current state.",
                                  "413": "Body too large.", "415": "Wrong content type.",
                                  "422": "Breaks a business rule (`code` says which), or an `Idempotency-Key` "
                                         "reused with a different request."}[code])
    operation: dict[str, Any] = {"operationId": operation_id, "summary": summary, "tags": [tag],
                                 "parameters": parameters or [], "responses": responses}
    if body is not None:
        operation["requestBody"] = body
    return operation


IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key", "in": "header", "required": False,
    "schema": {"type": "string", "pattern": "^[\\x21-\\x7e]{1,255}$"},
    "description": "Repeat the request safely: the same key with the same body within 24 hours answers the first "
                   "response again (header `Idempotent-Replayed: true`) without doing anything; with a different "
                   "body it is a 422 `idempotency_key_reused`. Concurrent requests with one key create one thing."}


def _json_body(schema_name: str) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": ref(schema_name)}}}


def _paths() -> dict[str, Any]:
    contact_id, broadcast_id = _path_id("contact_id"), _path_id("broadcast_id")
    contact = _json("The contact.", ref("Contact"))
    paths: dict[str, Any] = {
        "/api/openapi.json": {"get": _operation("getOpenApi", "This document.", "meta",
                                                _json("The OpenAPI document.", {"type": "object"}))},
        "/api/contacts": {
            "get": _operation("listContacts", "Contacts, newest first, filtered and paged.", "contacts",
                              _json("One page of contacts.", ref("ContactPage")), parameters=[
                                  _query("q", text(100), "Part of the name (any case) or of the number."),
                                  _query("tag", TAG, "Only contacts with this tag."),
                                  _query("opted_out", {"type": "boolean"}, "Only opted-out (true) or not (false)."),
                                  UPDATED_SINCE, *PAGING]),
            "post": _operation("createContact", "Create a contact.", "contacts",
                               _json("The new contact.", ref("Contact")), status="201", parameters=[IDEMPOTENCY_KEY],
                               body=_json_body("ContactCreate"), errors=("409", "422")),
        },
        "/api/contacts/import": {"post": _operation(
            "importContacts", "Import a CSV (header wa_id,name,tags,… ; other columns become attributes).",
            "contacts", _json("What the import did; bad lines are listed, good ones imported.", ref("ImportReport")),
            body={"required": True, "content": {"text/csv": {"schema": {"type": "string"}}}},
            errors=("413", "415"))},
        "/api/contacts/export": {"get": _operation(
            "exportContacts", "Every contact as CSV (wa_id,user_id,username,name,tags, then each attribute).",
            "contacts", {"description": "The CSV.", "content": {"text/csv": {"schema": {"type": "string"}}}})},
        "/api/unmodelled": {"get": _operation(
            "listUnmodelled", "Webhook items kept raw because the code does not model them, newest first, and the"
                              " unmodelled message types stored in contacts' threads.", "meta",
            _json("One page of raw items.", ref("UnmodelledPage")), parameters=PAGING)},
        "/api/contacts/{contact_id}": {
            "get": _operation("getContact", "One contact.", "contacts", contact, parameters=[contact_id],
                              errors=("404",)),
            "patch": _operation("updateContact", "Change name, tags and attributes.", "contacts", contact,
                                parameters=[contact_id], body=_json_body("ContactUpdate"), errors=("404",)),
        },
        "/api/contacts/{contact_id}/opt-out": {"post": _operation(
            "optOutContact", "Stop broadcasts to this contact.", "contacts", contact, parameters=[contact_id],
            errors=("404",))},
        "/api/contacts/{contact_id}/opt-in": {"post": _operation(
            "optInContact", "Allow broadcasts to this contact again.", "contacts", contact, parameters=[contact_id],
            errors=("404",))},
        "/api/contacts/{contact_id}/messages": {
            "get": _operation("listContactMessages", "Inbound and outbound messages of a contact, newest first.",
                              "contacts", _json("One page of messages.", ref("MessagePage")),
                              parameters=[contact_id, *PAGING], errors=("404",)),
            "post": _operation("sendToContact", "Queue a text and/or template for a contact.", "messages",
                               _json("The queued message; `Location` is where to follow it.", ref("QueuedMessage")),
                               status="202", parameters=[contact_id, IDEMPOTENCY_KEY],
                               body=_json_body("MessageSend"), errors=("404", "422")),
        },
        "/api/messages": {"post": _operation(
            "sendMessage", "Queue a message to a phone number or BSUID (an unknown one becomes a contact).",
            "messages", _json("The queued message; `Location` is where to follow it.", ref("QueuedMessage")),
            status="202", parameters=[IDEMPOTENCY_KEY], body=_json_body("MessageSendTo"), errors=("422",))},
        "/api/messages/{message_id}": {"get": _operation(
            "getMessage", "A queued message's lifecycle: status, timestamps and error.", "messages",
            _json("The message.", ref("QueuedMessage")), parameters=[_path_id("message_id")], errors=("404",))},
        "/api/broadcasts": {
            "get": _operation("listBroadcasts", "Broadcasts, newest first, with rows counted by status.",
                              "broadcasts", _json("One page of broadcasts.", ref("BroadcastPage")),
                              parameters=[UPDATED_SINCE, *PAGING]),
            "post": _operation("createBroadcast", "Schedule a broadcast: one queue row per eligible recipient.",
                               "broadcasts", _json("The scheduled broadcast.", ref("BroadcastCreated")),
                               status="201", parameters=[IDEMPOTENCY_KEY], body=_json_body("BroadcastCreate"),
                               errors=("422",)),
        },
        "/api/broadcasts/{broadcast_id}/recipients": {"get": _operation(
            "listBroadcastRecipients", "The campaign's recipients in queue order, each with its delivery status.",
            "broadcasts", _json("One page of recipients.", ref("RecipientPage")), parameters=[
                broadcast_id, _query("status", QUEUE_STATUS, "Only recipients in this status."), UPDATED_SINCE,
                *PAGING], errors=("404",))},
        "/api/conversations": {"get": _operation(
            "listConversations", "Contacts with activity, newest activity first (campaign sends are not activity).",
            "conversations", _json("One page of conversations.", ref("ConversationPage")), parameters=[
                _query("state", {"enum": ["handoff", "bot"]}, "handoff: waiting for a person; bot: with the bot."),
                _query("in_window", {"type": "boolean"}, "Only conversations whose 24-hour window is open (true) "
                                                         "or closed (false)."),
                UPDATED_SINCE, *PAGING])},
        "/api/templates": {"get": _operation(
            "listTemplates", "The business account's message templates as last synced, with the parameters each "
            "needs.", "templates", _json("Every synced template matching the filters.", ref("MessageTemplateList")),
            parameters=[_query("status", {"type": "string", "pattern": "^[A-Za-z_]{1,32}$"},
                               "Only templates in this review status, e.g. APPROVED."),
                        _query("language", {"type": "string", "pattern": LANGUAGE_PATTERN},
                               "Only templates in this language, e.g. fa or en_US.")])},
        "/api/broadcasts/{broadcast_id}": {"get": _operation(
            "getBroadcast", "A broadcast with its delivery report.", "broadcasts",
            _json("The broadcast.", ref("BroadcastDetail")), parameters=[broadcast_id], errors=("404",))},
    }
    for action, summary in (("pause", "Hold every unclaimed row (409 once cancelled or completed)."),
                            ("resume", "Release the held rows (409 once cancelled or completed)."),
                            ("cancel", "Cancel every row not yet claimed (409 once completed).")):
        paths[f"/api/broadcasts/{{broadcast_id}}/{action}"] = {"post": _operation(
            f"{action}Broadcast", summary, "broadcasts", _json("The new status.", ref("BroadcastAction")),
            parameters=[broadcast_id], errors=("404", "409"))}
    paths["/api/orders/{number}"] = {"put": _operation(  # web/api/orders.py
        "putOrder", "Create or update an order (idempotent); a status change queues its notification once.",
        "orders", _json("The stored order and what the call changed.", ref("OrderResult")),
        parameters=[{"name": "number", "in": "path", "required": True, "schema": ORDER_NUMBER}],
        body=_json_body("OrderPut"), errors=("404",))}
    paths["/api/analytics/summary"] = {"get": _operation(
        "analyticsSummary", "Every report section (the same JSON as `flask analytics report --json`).",
        "analytics", _json("The summary.", ref("AnalyticsSummary")), parameters=DATE_RANGE)}
    for section in ANALYTICS_SECTIONS:
        paths[f"/api/analytics/{section.replace('_', '-')}"] = {"get": _operation(
            "analytics" + section.title().replace("_", ""), f"The `{section}` section of the summary.",
            "analytics", _json("The section.", ref(f"analytics_{section}")), parameters=DATE_RANGE)}
    paths.update(webhook_paths(_operation, _json, _json_body, _path_id))
    _link(paths)
    # Documented under /api/v1; the same routes answer under /api (the prefix before versioning) too.
    return {"/api/v1" + path.removeprefix("/api"): item for path, item in paths.items()}


# What a created thing's id leads to (OpenAPI links: clients and stateful testers follow them).
_LINKS = {
    ("/api/contacts", "post", "201"): {"getContact": "contact_id", "sendToContact": "contact_id",
                                       "listContactMessages": "contact_id"},
    ("/api/broadcasts", "post", "201"): {"getBroadcast": "broadcast_id", "listBroadcastRecipients": "broadcast_id",
                                         "pauseBroadcast": "broadcast_id", "cancelBroadcast": "broadcast_id"},
    ("/api/messages", "post", "202"): {"getMessage": "message_id"},
    ("/api/contacts/{contact_id}/messages", "post", "202"): {"getMessage": "message_id"},
}


def _link(paths: dict[str, Any]) -> None:
    for (path, method, status), targets in _LINKS.items():
        paths[path][method]["responses"][status]["links"] = {
            operation_id[0].upper() + operation_id[1:]: {"operationId": operation_id,
                                                          "parameters": {parameter: "$response.body#/id"}}
            for operation_id, parameter in targets.items()}


def build_spec() -> dict[str, Any]:
    """A fresh copy of the whole document."""
    schemas: dict[str, Any] = {
        "Error": obj({"error": STRING, "code": {**STRING, "description": "Stable, for programs: e.g. invalid_input, "
                                                  "not_found, outside_window, idempotency_key_reused."},
                      "field": STRING}, required=("error", "code")),
        **CONTACT_SCHEMAS, **BROADCAST_SCHEMAS, **MESSAGE_SCHEMAS, **READ_SCHEMAS,
        **{f"analytics_{name}": schema for name, schema in ANALYTICS_SCHEMAS.items()},
        "AnalyticsSummary": ANALYTICS_SUMMARY,
        **WEBHOOK_SCHEMAS,
        **ORDER_SCHEMAS,
    }
    return copy.deepcopy({
        "openapi": "3.1.0",
        "info": {"title": "WhatsApp platform admin API", "version": "1.0.0",
                 "description": "Contacts, broadcasts, messages and analytics. Every call needs "
                                "`Authorization: Bearer $ADMIN_API_TOKEN`; unknown query parameters and "
                                "unknown JSON fields are refused with 400."},
        "servers": [{"url": "/"}],
        "security": [{"bearerAuth": []}],
        "paths": _paths(),
        "components": {"schemas": schemas,
                       "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}}},
    })


SPEC = build_spec()
