"""The component schemas of the admin API's OpenAPI document and the builders they are made of.

`openapi_spec` assembles these with the paths into the document; the validator applies the
request schemas from there. Patterns use Python's regular-expression syntax (`\\w` is any
Unicode letter or digit), which is what the validator, jsonschema and schemathesis evaluate
them with.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from campaigns.opt_out import SOURCES as OPT_OUT_SOURCES

# The dates the API accepts and the longest report range (enforced in the views, stated in the document).
FIRST_DATE, LAST_DATE, MAX_RANGE_DAYS = date(2000, 1, 1), date(2100, 12, 31), 3660

MAX_PAGE_SIZE = 200
DEFAULT_PAGE_SIZE = 50
MAX_ID = 2**31 - 1
WA_ID_PATTERN = r"^\+?[1-9][0-9]{7,14}$"
DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
CURSOR_PATTERN = r"^[A-Za-z0-9_-]{1,200}$"
ATTRIBUTE_NAME_PATTERN = r"^[^\W\d]\w{0,63}$"
RESERVED_ATTRIBUTE_NAMES = ["wa_id", "name", "tags"]
NO_NUL = r"^[^\x00]*$"
TAG_PATTERN = r"^[^\x00-\x1f;|]*[^\s\x00-\x1f;|][^\x00-\x1f;|]*$"
SEND_AT_PATTERN = (r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?"
                   r"(Z|[+-][0-9]{2}:[0-9]{2})?$")
LANGUAGE_PATTERN = r"^[a-z]{2,3}(_[A-Za-z]{2,4})?$"
# A moment with its offset, as `updated_since` takes it (the offset is required: no guessing a timezone).
MOMENT_PATTERN = (r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?"
                  r"(Z|[+-][0-9]{2}:[0-9]{2})$")
ANALYTICS_SECTIONS = ("messages_per_day", "messages_per_hour", "messages_by_type", "contacts", "top_keywords",
                      "sentiment", "intents", "broadcasts", "first_reply")


def ref(name: str) -> dict[str, str]:
    """A reference to a component schema."""
    return {"$ref": f"#/components/schemas/{name}"}


def text(max_length: int, min_length: int = 0) -> dict[str, Any]:
    """Free text: no NUL character (PostgreSQL cannot store it), bounded length."""
    schema: dict[str, Any] = {"type": "string", "maxLength": max_length, "pattern": NO_NUL}
    if min_length:
        schema["minLength"] = min_length
    return schema


def nullable(schema: dict[str, Any]) -> dict[str, Any]:
    """`schema` or null (OpenAPI 3.1 style)."""
    result = dict(schema)
    result["type"] = [schema["type"], "null"]
    return result


def obj(properties: dict[str, Any], required: tuple[str, ...] = (), closed: bool = True) -> dict[str, Any]:
    """An object schema; closed objects refuse unknown properties."""
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = list(required)
    if closed:
        schema["additionalProperties"] = False
    return schema


INTEGER = {"type": "integer"}
COUNT = {"type": "integer", "minimum": 0}
RATE = {"type": "number", "minimum": 0}
STRING = {"type": "string"}
DATETIME = {"type": "string", "format": "date-time"}
DATE = {"type": "string", "format": "date", "pattern": DATE_PATTERN}
TAG = {"type": "string", "minLength": 1, "maxLength": 64, "pattern": TAG_PATTERN}
TAGS = {"type": "array", "items": TAG, "maxItems": 50}
COUNTS_BY_NAME = {"type": "object", "additionalProperties": COUNT}
ATTRIBUTE_VALUE = {"type": ["string", "number", "boolean"], "maxLength": 1000, "pattern": NO_NUL}
ATTRIBUTE_NAMES = {"pattern": ATTRIBUTE_NAME_PATTERN, "maxLength": 64, "not": {"enum": RESERVED_ATTRIBUTE_NAMES}}

CONTACT_SCHEMAS: dict[str, Any] = {
    "Contact": obj({
        "id": INTEGER,
        "wa_id": {**nullable(STRING), "description": "The phone number; null when only a BSUID is known."},
        "user_id": {**nullable(STRING), "description": "The business-scoped user id (BSUID), e.g. US.1349…"},
        "username": nullable(STRING), "parent_user_id": nullable(STRING),
        "handle": {**STRING, "description": "+number, else @username, else the BSUID: how to show the contact."},
        "name": {**nullable(STRING), "description": "The operator's name (import, API); never the WhatsApp profile."},
        "profile_name": {**nullable(STRING), "description": "The customer's WhatsApp profile name."},
        "display_name": {**nullable(STRING), "description": "The name shown and greeted: name, else profile_name."},
        "tags": {"type": "array", "items": STRING},
        "attributes": {"type": "object"}, "opted_out": {"type": "boolean"}, "opted_out_at": nullable(DATETIME),
        "opted_out_source": {**nullable(STRING), "enum": [*OPT_OUT_SOURCES, None],
                             "description": "Who or what opted the contact out (null when opted in)."},
        "opted_out_reason": {**nullable(STRING), "description": "Why: the customer's words, Meta's error, …"},
        "first_inbound_at": nullable(DATETIME), "last_inbound_at": nullable(DATETIME),
        "created_at": DATETIME, "updated_at": DATETIME,
    }, required=("id", "wa_id", "user_id", "username", "parent_user_id", "handle", "name", "profile_name",
                 "display_name", "tags", "attributes", "opted_out", "opted_out_at", "opted_out_source",
                 "opted_out_reason", "first_inbound_at", "last_inbound_at", "created_at", "updated_at")),
    "UnmodelledPage": obj({
        "items": {"type": "array", "items": obj({
            "id": INTEGER, "field": STRING, "received_at": DATETIME, "payload": {"type": "object"}},
            required=("id", "field", "received_at", "payload"))},
        "next_cursor": nullable(STRING),
        "message_types": {**COUNTS_BY_NAME, "description": "Messages stored with a type the code does not model."},
    }, required=("items", "next_cursor", "message_types")),
    "ContactPage": obj({"items": {"type": "array", "items": ref("Contact")}, "next_cursor": nullable(STRING)},
                       required=("items", "next_cursor")),
    "ContactCreate": obj({
        "wa_id": {"type": "string", "pattern": WA_ID_PATTERN, "maxLength": 16,
                  "description": "International number, digits only (an optional leading + is dropped)."},
        "name": nullable(text(256)), "tags": TAGS,
        "attributes": {"type": "object", "maxProperties": 50, "propertyNames": ATTRIBUTE_NAMES,
                       "additionalProperties": ATTRIBUTE_VALUE},
    }, required=("wa_id",)),
    "ContactUpdate": obj({
        "name": nullable(text(256)),
        "tags": {**TAGS, "description": "Replaces every tag of the contact."},
        "add_tags": TAGS, "remove_tags": TAGS,
        "attributes": {"type": "object", "maxProperties": 50, "propertyNames": ATTRIBUTE_NAMES,
                       "additionalProperties": {**ATTRIBUTE_VALUE, "type": ["string", "number", "boolean", "null"]},
                       "description": "Merged into the contact's attributes; null removes one."},
    }),
    "ImportReport": obj({
        "created": COUNT, "updated": COUNT, "unchanged": COUNT, "rejected": COUNT,
        "errors": {"type": "array", "items": obj({"line": INTEGER, "error": STRING}, required=("line", "error"))},
        "errors_truncated": {"type": "boolean"},
    }, required=("created", "updated", "unchanged", "rejected", "errors", "errors_truncated")),
    "Message": obj({
        "id": INTEGER, "direction": {"enum": ["inbound", "outbound"]}, "at": DATETIME,
        "type": STRING, "text": nullable(STRING), "status": nullable(STRING), "wamid": nullable(STRING),
        "broadcast_id": nullable(INTEGER), "template_name": nullable(STRING),
        "error_code": nullable(INTEGER), "error_title": nullable(STRING),
        "sentiment": nullable(STRING), "intent": nullable(STRING),
    }, required=("id", "direction", "at", "type", "text", "status")),
    "MessagePage": obj({"items": {"type": "array", "items": ref("Message")}, "next_cursor": nullable(STRING)},
                       required=("items", "next_cursor")),
}

AUDIENCE = {
    "type": "object",
    "description": "Exactly one of: all (true), tags (with match any|all), numbers.",
    "properties": {
        "all": {"const": True},
        "tags": {**TAGS, "minItems": 1},
        "match": {"enum": ["any", "all"]},
        "numbers": {"type": "array", "minItems": 1, "maxItems": 50000,
                    "items": {"type": "string", "pattern": WA_ID_PATTERN, "maxLength": 16}},
    },
    "additionalProperties": False,
    "oneOf": [
        {"required": ["all"], "not": {"anyOf": [{"required": ["tags"]}, {"required": ["numbers"]}]}},
        {"required": ["tags"], "not": {"anyOf": [{"required": ["all"]}, {"required": ["numbers"]}]}},
        {"required": ["numbers"], "not": {"anyOf": [{"required": ["all"]}, {"required": ["tags"]}]}},
    ],
}

# database_models.CAMPAIGN_STATUSES (kept literal: this module imports nothing of the app).
CAMPAIGN_STATUS = {"type": "string", "enum": ["scheduled", "sending", "completed", "paused", "cancelled"],
                   "description": "scheduled → sending (first message claimed) → completed (nothing left to send); "
                                  "paused and cancelled by an operator"}
COMPLETED_AT = {**nullable(DATETIME), "description": "when the last message was settled; null until completed"}
BROADCAST_COMMON = {
    "id": INTEGER, "name": STRING, "status": CAMPAIGN_STATUS, "scheduled_at": DATETIME,
    "completed_at": COMPLETED_AT, "recipients": COUNT, "counts": COUNTS_BY_NAME,
}
BROADCAST_SCHEMAS: dict[str, Any] = {
    "BroadcastCreate": obj({
        "name": text(200, 1), "text": text(4096, 1),
        "template": obj({"name": text(512, 1), "language": {"type": "string", "pattern": LANGUAGE_PATTERN},
                         "params": {"type": "array", "maxItems": 20, "items": text(500)}},
                        required=("name", "language")),
        "audience": AUDIENCE,
        "send_at": {"type": "string", "pattern": SEND_AT_PATTERN, "maxLength": 40,
                    "description": "ISO 8601; without an offset it is in the configured TIMEZONE. Omit to send now. "
                                   f"Its date lies between {FIRST_DATE} and {LAST_DATE}."},
    }, required=("name", "audience")) | {
        "description": "Give text, template, or both (each recipient gets the text inside the 24-hour window, the "
                       "template outside it). `audience.match` belongs to a tags audience.",
        "anyOf": [{"required": ["text"]}, {"required": ["template"]}]},
    "BroadcastCreated": obj({
        "id": INTEGER, "scheduled_at": DATETIME, "recipients": COUNT, "excluded": COUNTS_BY_NAME,
        "contacts_created": COUNT, "missing_values": COUNTS_BY_NAME,
    }, required=("id", "scheduled_at", "recipients", "excluded", "contacts_created", "missing_values")),
    "Broadcast": obj(BROADCAST_COMMON, required=tuple(BROADCAST_COMMON)),
    "BroadcastPage": obj({"items": {"type": "array", "items": ref("Broadcast")}, "next_cursor": nullable(STRING)},
                         required=("items", "next_cursor")),
    "BroadcastDetail": obj({
        **BROADCAST_COMMON, "text": nullable(STRING), "template": {"type": ["object", "null"]},
        "audience": {"type": "object"}, "created_at": DATETIME,
        "report": obj({
            "broadcast_id": INTEGER, "name": STRING, "status": CAMPAIGN_STATUS, "scheduled_at": DATETIME,
            "completed_at": COMPLETED_AT, "recipients": COUNT, "exclusions": COUNTS_BY_NAME, "counts": COUNTS_BY_NAME,
            "failed_by_code": {"type": "object", "additionalProperties": obj(
                {"title": nullable(STRING), "count": COUNT}, required=("title", "count"))},
            "skipped_by_reason": COUNTS_BY_NAME, "replied": COUNT, "unconfirmed": COUNT,
            "resent_unconfirmed": COUNT, "unknown_recipients": {"type": "array", "items": STRING},
        }, closed=False, required=("counts", "failed_by_code", "replied")),
    }, required=(*BROADCAST_COMMON, "report")),
    "BroadcastAction": obj({"id": INTEGER, "status": CAMPAIGN_STATUS, "changed": COUNT},
                           required=("id", "status", "changed")),
}

# The outbound queue's statuses (database_models.QUEUE_STATUSES, kept literal like CAMPAIGN_STATUS).
QUEUE_STATUS = {"type": "string", "enum": ["pending", "sending", "sent", "delivered", "read", "failed", "cancelled",
                                           "skipped", "unknown", "paused"],
                "description": "pending → sending → sent → delivered → read, or failed / skipped (never retried); "
                               "unknown when a send could not be confirmed"}
RECIPIENT_PATTERN = r"^(\+?[1-9][0-9]{7,14}|[A-Z]{2}\.(ENT\.)?[A-Za-z0-9]{1,128})$"
TEMPLATE = obj({"name": text(512, 1), "language": {"type": "string", "pattern": LANGUAGE_PATTERN},
                "params": {"type": "array", "maxItems": 20, "items": text(500),
                           "description": "The body's {{1}}, {{2}}, … in order; may use placeholders like "
                                          "{name} or {order_id|…}."},
                "header_params": {"type": "array", "maxItems": 1, "items": text(60),
                                  "description": "A text header's {{1}}, when the template has one."},
                "button_params": {"type": "array", "maxItems": 10, "items": {
                    "type": "array", "maxItems": 1, "items": text(500)},
                                  "description": "For each button with a parameter (a URL button's {{1}}), in "
                                                 "order: its values."}},
               required=("name", "language"))
MEDIA = {**obj({
    "type": {"enum": ["image", "document"], "description": "image: JPEG or PNG up to 5 MB; document: PDF, Office "
                                                            "or text up to 100 MB."},
    "id": {"type": "string", "pattern": "^[0-9A-Za-z_.-]{1,128}$",
           "description": "A media id from the Graph API's media endpoint (`POST /{phone-number-id}/media`)."},
    "link": {"type": "string", "pattern": "^https://[^\\s]{1,2040}$", "maxLength": 2048,
             "description": "An https address WhatsApp fetches the file from."},
    "caption": text(1024), "filename": text(240, 1)}, required=("type",)),
    "description": "An image or a document, by uploaded media `id` or by `link` (exactly one).",
    "oneOf": [{"required": ["id"]}, {"required": ["link"]}]}
TEXT_OR_TEMPLATE = ("Give text, template, or both (the text inside the 24-hour window, the template outside it); "
                    "or media alone (inside the window).")
_MESSAGE_CONTENT = {
    "text": {**text(4096, 1), "description": "Free text; only reaches a contact who wrote in the last 24 hours. "
                                              "May use placeholders like {name} or {city|…}."},
    "template": {**TEMPLATE, "description": "An approved template, allowed at any time; when it was synced "
                                            "(`GET /api/v1/templates`) its parameter counts are checked."},
    "media": MEDIA,
}


def _message_send(properties: dict[str, Any], required: tuple[str, ...] = ()) -> dict[str, Any]:
    return {**obj(properties, required=required), "description": TEXT_OR_TEMPLATE,
            "anyOf": [{"required": ["text"]}, {"required": ["template"]}, {"required": ["media"]}]}


MESSAGE_SCHEMAS: dict[str, Any] = {
    "MessageSend": _message_send(_MESSAGE_CONTENT),
    "MessageSendTo": _message_send({
        "to": {"type": "string", "pattern": RECIPIENT_PATTERN, "maxLength": 160,
               "description": "A phone number (international, digits, optional +) or a BSUID; an unknown one "
                              "becomes a contact."}, **_MESSAGE_CONTENT}, required=("to",)),
    "MessageTemplate": obj({
        "name": STRING, "language": STRING, "category": nullable(STRING),
        "status": {**STRING, "description": "Meta's review status: APPROVED, PENDING, REJECTED, PAUSED, DISABLED."},
        "meta_id": nullable(STRING),
        "parameters": obj({"header": COUNT, "body": COUNT, "buttons": {"type": "array", "items": obj(
            {"index": COUNT, "count": COUNT, "sub_type": STRING}, required=("index", "count"), closed=False)}},
            required=("header", "body", "buttons"), closed=False),
        "components": {"type": "array", "items": {"type": "object"},
                       "description": "Meta's components as synced (header, body, footer, buttons)."},
        "synced_at": DATETIME}, required=("name", "language", "status", "parameters", "components", "synced_at")),
    "MessageTemplateList": obj({"items": {"type": "array", "items": ref("MessageTemplate")}}, required=("items",)),
    "QueuedMessage": obj({
        "id": INTEGER, "contact_id": INTEGER, "kind": STRING, "status": QUEUE_STATUS, "text": nullable(STRING),
        "template": {"type": ["object", "null"]}, "media": {"type": ["object", "null"]},
        "wamid": nullable(STRING), "broadcast_id": nullable(INTEGER),
        "attempts": COUNT, "error_code": nullable(INTEGER), "error_title": nullable(STRING),
        **{name: nullable(DATETIME) for name in ("sent_at", "delivered_at", "read_at", "failed_at")},
        "created_at": DATETIME, "scheduled_at": DATETIME, "updated_at": DATETIME,
    }, required=("id", "contact_id", "kind", "status", "text", "template", "wamid", "attempts", "error_code",
                 "created_at", "scheduled_at", "sent_at", "delivered_at", "read_at", "failed_at")),
}

RECIPIENT = obj({
    "message_id": INTEGER, "contact_id": INTEGER, "handle": STRING, "status": QUEUE_STATUS, "wamid": nullable(STRING),
    "error_code": nullable(INTEGER), "error_title": nullable(STRING),
    **{name: nullable(DATETIME) for name in ("sent_at", "delivered_at", "read_at", "failed_at", "updated_at")},
}, required=("message_id", "contact_id", "handle", "status", "error_code", "sent_at", "delivered_at", "read_at",
             "failed_at"))
CONVERSATION = obj({
    "contact_id": INTEGER, "handle": STRING, "name": nullable(STRING), "wa_id": nullable(STRING),
    "user_id": nullable(STRING), "state": {"enum": ["bot", "handoff"]},
    "waiting_for_person": {"type": "boolean", "description": "In handoff: a person should answer."},
    "handoff_since": nullable(DATETIME),
    "last_activity_at": {**DATETIME, "description": "The newest stored message (customer's, coexistence echo or "
                                                    "history import) or non-campaign send."},
    "last_customer_message_at": {**nullable(DATETIME), "description": "The customer's own newest live message."},
    "window_open": {"type": "boolean", "description": "Free text may be sent (24 hours after the customer wrote)."},
    "window_closes_at": nullable(DATETIME),
}, required=("contact_id", "handle", "state", "waiting_for_person", "last_activity_at",
             "last_customer_message_at", "window_open", "window_closes_at"))
READ_SCHEMAS: dict[str, Any] = {
    "RecipientPage": obj({"items": {"type": "array", "items": RECIPIENT}, "next_cursor": nullable(STRING)},
                         required=("items", "next_cursor")),
    "ConversationPage": obj({"items": {"type": "array", "items": CONVERSATION}, "next_cursor": nullable(STRING)},
                            required=("items", "next_cursor")),
}

DAY_COUNTS = obj({"date": DATE, "inbound": COUNT, "outbound": COUNT}, required=("date", "inbound", "outbound"))
SENTIMENTS = {"positive": COUNT, "neutral": COUNT, "negative": COUNT}
ANALYTICS_SCHEMAS: dict[str, Any] = {
    "messages_per_day": {"type": "array", "items": DAY_COUNTS},
    "messages_per_hour": {"type": "array", "items": obj(
        {"hour": {"type": "integer", "minimum": 0, "maximum": 23}, "inbound": COUNT, "outbound": COUNT},
        required=("hour", "inbound", "outbound"))},
    "messages_by_type": {"type": "array", "items": obj({"message_type": STRING, "count": COUNT},
                                                       required=("message_type", "count"))},
    "contacts": obj({"new": COUNT, "returning": COUNT, "total_active": COUNT},
                    required=("new", "returning", "total_active")),
    "top_keywords": {"type": "array", "maxItems": 20, "items": obj({"keyword": STRING, "count": COUNT},
                                                                   required=("keyword", "count"))},
    "sentiment": obj({
        "counts": obj(SENTIMENTS, required=tuple(SENTIMENTS)),
        "shares": obj({key: RATE for key in SENTIMENTS}, required=tuple(SENTIMENTS)),
        "per_day": {"type": "array", "items": obj({"date": DATE, **SENTIMENTS}, required=("date", *SENTIMENTS))},
        "most_negative": {"type": "array", "items": obj({
            "message_id": INTEGER, "contact_id": INTEGER, "wa_id": STRING, "name": nullable(STRING),
            "text": nullable(STRING), "score": {"type": ["number", "null"]}, "received_at": DATETIME},
            required=("message_id", "contact_id", "wa_id", "text", "score", "received_at"), closed=False)},
    }, required=("counts", "shares", "per_day", "most_negative")),
    "intents": obj({
        "distribution": {"type": "array", "items": obj({"intent": STRING, "count": COUNT, "share": RATE},
                                                       required=("intent", "count", "share"))},
        "fallback_rate": RATE,
        "fallback_examples": {"type": "array", "items": obj({"text": nullable(STRING), "count": COUNT},
                                                            required=("text", "count"))},
    }, required=("distribution", "fallback_rate", "fallback_examples")),
    "broadcasts": {"type": "array", "items": obj({
        "id": INTEGER, "name": STRING, "status": CAMPAIGN_STATUS, "scheduled_at": DATETIME,
        "completed_at": COMPLETED_AT,
        **{key: COUNT for key in ("recipients", "sent", "delivered", "read", "replied", "failed", "skipped",
                                  "unknown", "pending")},
        "failed_by_code": COUNTS_BY_NAME,
        "rates": obj({key: RATE for key in ("delivered", "read", "replied", "failed")},
                     required=("delivered", "read", "replied", "failed")),
    }, required=("id", "name", "status", "recipients", "sent", "failed_by_code", "rates"), closed=False)},
    "first_reply": obj({"median_seconds": {"type": ["number", "null"]}, "samples": COUNT},
                       required=("median_seconds", "samples")),
}
ANALYTICS_SUMMARY = obj({
    "range": obj({"from": nullable(DATE), "to": nullable(DATE), "timezone": STRING},
                 required=("from", "to", "timezone")),
    **{section: ref(f"analytics_{section}") for section in ANALYTICS_SECTIONS},
}, required=("range", *ANALYTICS_SECTIONS), closed=False)
