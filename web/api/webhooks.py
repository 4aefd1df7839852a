"""`/api/webhooks`: operators subscribe URLs to the platform's events (admin API, bearer token).

Thin views over `integrations.subscriptions`; input is checked against the OpenAPI document
(`openapi_webhooks`) and then by the service (http/https, no credentials in the URL), whose
`SubscriptionError` is a 400 naming the field. The secret is in the creation's answer only.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response

from integrations.subscriptions import (
    SubscriptionError,
    create_subscription,
    delete_subscription,
    get_subscription,
    list_subscriptions,
    recent_deliveries,
    subscription_as_dict,
)
from runtime.context import platform
from web.api.support import db, error_response, json_body, json_response

logger = logging.getLogger(__name__)
webhooks = Blueprint("webhooks", __name__, url_prefix="/webhooks")


@webhooks.errorhandler(SubscriptionError)
def _refused(error: SubscriptionError) -> Response:
    return error_response(400, str(error), error.field)


@webhooks.get("")
def list_webhooks_view() -> Response:
    """Every subscription, without secrets."""
    return json_response({"items": [subscription_as_dict(s) for s in list_subscriptions(db())]})


@webhooks.post("")
def create_webhook_view() -> Response:
    """Subscribe a URL; 201 with the secret, shown this once."""
    body, session = json_body(), db()
    subscription = create_subscription(session, body["url"], body["events"], body.get("description"),
                                       allow_private=platform().config.webhook_allow_private_urls)
    session.commit()
    logger.info("webhook subscription created", extra={"event": "api.webhook_created",
                                                       "subscription_id": subscription.id})
    return json_response(subscription_as_dict(subscription, with_secret=True), 201,
                         {"Location": f"/api/webhooks/{subscription.id}"})


@webhooks.get("/<int:subscription_id>")
def get_webhook_view(subscription_id: int) -> Response:
    """One subscription with its newest events and where their delivery stands."""
    session = db()
    subscription = get_subscription(session, subscription_id)
    if subscription is None:
        return error_response(404, f"no webhook subscription {subscription_id}")
    deliveries = [{
        "event_id": event.event_id, "type": event.event_type, "created_at": event.created_at.isoformat(),
        "status": event.status, "attempts": event.attempts, "last_status_code": event.last_status_code,
        "last_error": event.last_error, "last_attempt_at": _iso(event.last_attempt_at),
        "next_attempt_at": _iso(event.next_attempt_at) if event.status == "pending" else None,
        "delivered_at": _iso(event.delivered_at),
    } for event in recent_deliveries(session, subscription_id)]
    return json_response({**subscription_as_dict(subscription), "deliveries": deliveries})


@webhooks.delete("/<int:subscription_id>")
def delete_webhook_view(subscription_id: int) -> Response:
    """Unsubscribe (204), or 404."""
    session = db()
    if not delete_subscription(session, subscription_id):
        return error_response(404, f"no webhook subscription {subscription_id}")
    session.commit()
    logger.info("webhook subscription deleted", extra={"event": "api.webhook_deleted",
                                                       "subscription_id": subscription_id})
    return Response(status=204)


def _iso(moment: object) -> str | None:
    return moment.isoformat() if moment is not None else None  # type: ignore[attr-defined]
