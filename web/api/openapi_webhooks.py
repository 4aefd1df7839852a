"""The OpenAPI paths and schemas of `/api/webhooks` (outbound webhook subscriptions).

`openapi_spec` merges these into the document; it passes its operation builders in, so this
module imports only the schema builders and nothing imports it but `openapi_spec`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from integrations.outbox import EVENT_TYPES
from integrations.subscriptions import MAX_DESCRIPTION_LENGTH, MAX_URL_LENGTH
from web.api.openapi_schemas import DATETIME, INTEGER, STRING, nullable, obj, ref, text

EVENT_TYPE = {"type": "string", "enum": list(EVENT_TYPES)}
_SUBSCRIPTION = {
    "id": INTEGER, "url": STRING, "events": {"type": "array", "items": EVENT_TYPE}, "description": nullable(STRING),
    "active": {"type": "boolean"}, "created_at": DATETIME,
}
_SUBSCRIPTION_FIELDS = ("id", "url", "events", "description", "active", "created_at")
_DELIVERY = obj({
    "event_id": STRING, "type": EVENT_TYPE, "created_at": DATETIME,
    "status": {"type": "string", "enum": ["pending", "delivering", "delivered", "failed"]},
    "attempts": {"type": "integer", "minimum": 0}, "last_status_code": nullable(INTEGER),
    "last_error": nullable(STRING), "last_attempt_at": nullable(DATETIME), "next_attempt_at": nullable(DATETIME),
    "delivered_at": nullable(DATETIME),
}, required=("event_id", "type", "created_at", "status", "attempts", "last_status_code", "last_error",
             "last_attempt_at", "next_attempt_at", "delivered_at"))

WEBHOOK_SCHEMAS: dict[str, Any] = {
    "WebhookSubscription": obj(_SUBSCRIPTION, required=_SUBSCRIPTION_FIELDS),
    "WebhookSubscriptionCreated": obj({
        **_SUBSCRIPTION,
        "secret": {**STRING, "description": "Signs every delivery (X-Platform-Signature-256). Shown only here."},
    }, required=(*_SUBSCRIPTION_FIELDS, "secret")),
    "WebhookSubscriptionList": obj({"items": {"type": "array", "items": ref("WebhookSubscription")}},
                                   required=("items",)),
    "WebhookSubscriptionDetail": obj({**_SUBSCRIPTION, "deliveries": {"type": "array", "items": _DELIVERY}},
                                     required=(*_SUBSCRIPTION_FIELDS, "deliveries")),
    "WebhookSubscriptionCreate": obj({
        "url": {"type": "string", "minLength": 8, "maxLength": MAX_URL_LENGTH, "pattern": r"^https?://",
                "description": "Where events are POSTed: http or https, no user name or password in it."},
        "events": {"type": "array", "items": EVENT_TYPE, "minItems": 1, "maxItems": len(EVENT_TYPES)},
        "description": nullable(text(MAX_DESCRIPTION_LENGTH)),
    }, required=("url", "events")),
}


def webhook_paths(operation: Callable[..., dict[str, Any]], json_of: Callable[[str, Any], dict[str, Any]],
                  json_body: Callable[[str], dict[str, Any]], path_id: Callable[[str], dict[str, Any]]
                  ) -> dict[str, Any]:
    """The `/api/webhooks` operations, built with `openapi_spec`'s helpers."""
    subscription_id = path_id("subscription_id")
    return {
        "/api/webhooks": {
            "get": operation("listWebhooks", "Outbound webhook subscriptions (without their secrets).", "webhooks",
                             json_of("Every subscription.", ref("WebhookSubscriptionList"))),
            "post": operation("createWebhook", "Subscribe a URL to events; the answer shows its secret, once.",
                              "webhooks", json_of("The new subscription and its secret.",
                                                  ref("WebhookSubscriptionCreated")),
                              status="201", body=json_body("WebhookSubscriptionCreate")),
        },
        "/api/webhooks/{subscription_id}": {
            "get": operation("getWebhook", "A subscription and its 50 newest events with their deliveries.",
                             "webhooks", json_of("The subscription.", ref("WebhookSubscriptionDetail")),
                             parameters=[subscription_id], errors=("404",)),
            "delete": operation("deleteWebhook", "Unsubscribe: the subscription and its events go.",
                                "webhooks", {"description": "Deleted."}, status="204",
                                parameters=[subscription_id], errors=("404",)),
        },
    }
