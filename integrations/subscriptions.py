"""Operators' webhook subscriptions: create (with a secret shown once), list, delete, and their deliveries.

The admin API and the dashboard call these; both commit. Every change clears this process's
"anyone subscribed?" cache (`outbox.forget_subscriptions`), so the next event here sees it.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from urllib.parse import urlsplit

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from database_models import WebhookEvent, WebhookSubscription
from integrations.outbox import EVENT_TYPES, forget_subscriptions
from integrations.targets import host_problem

MAX_URL_LENGTH = 2048
MAX_DESCRIPTION_LENGTH = 200


class SubscriptionError(ValueError):
    """A subscription the platform refuses; `field` names the offending input."""

    def __init__(self, field: str, message: str, reason: str = "invalid") -> None:
        super().__init__(message)
        self.field = field
        self.reason = reason  # "invalid", or "private": a host that is not a public address


def check_url(url: str, allow_private: bool = False) -> str:
    """`url`, stripped, if it is an absolute http(s) URL with a host and no credentials (and, unless
    `allow_private`, no host that is plainly not public); else SubscriptionError."""
    url = url.strip() if isinstance(url, str) else ""
    if not url or len(url) > MAX_URL_LENGTH or any(ord(char) < 33 for char in url):
        raise SubscriptionError("url", f"must be an http or https URL of at most {MAX_URL_LENGTH} characters")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (raises ValueError on a port that is not a number in range)
    except ValueError:
        raise SubscriptionError("url", "is not a valid URL") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SubscriptionError("url", "must be an http or https URL with a host")
    if parts.username is not None or parts.password is not None:
        raise SubscriptionError("url", "must not contain a user name or password")
    problem = None if allow_private else host_problem(parts.hostname)
    if problem:
        raise SubscriptionError("url", f"must be a public address: {problem} (WEBHOOK_ALLOW_PRIVATE_URLS is off)",
                                "private")
    return url


def check_events(events: Sequence[str]) -> list[str]:
    """The event types, each known and none twice; SubscriptionError otherwise."""
    if not events or not all(isinstance(name, str) for name in events):
        raise SubscriptionError("events", "choose at least one event")
    unknown = [name for name in events if name not in EVENT_TYPES]
    if unknown:
        raise SubscriptionError("events", f"unknown event {unknown[0]!r}; known: {', '.join(EVENT_TYPES)}")
    return list(dict.fromkeys(events))


def create_subscription(session: Session, url: str, events: Sequence[str],
                        description: str | None = None, *, allow_private: bool = False) -> WebhookSubscription:
    """A new active subscription with a fresh secret (flushed; the caller commits)."""
    if description is not None and len(description) > MAX_DESCRIPTION_LENGTH:
        raise SubscriptionError("description", f"must be at most {MAX_DESCRIPTION_LENGTH} characters")
    subscription = WebhookSubscription(url=check_url(url, allow_private),
                                       events="," + ",".join(check_events(events)) + ",",
                                       secret="whsec_" + secrets.token_hex(24), description=description or None,
                                       active=True)
    session.add(subscription)
    session.flush()
    forget_subscriptions()
    return subscription


def list_subscriptions(session: Session) -> list[WebhookSubscription]:
    """Every subscription, oldest first."""
    return list(session.scalars(select(WebhookSubscription).order_by(WebhookSubscription.id)))


def get_subscription(session: Session, subscription_id: int) -> WebhookSubscription | None:
    """One subscription, or None."""
    return session.get(WebhookSubscription, subscription_id)


def delete_subscription(session: Session, subscription_id: int) -> bool:
    """Delete a subscription and its events, delivered or not; False when there was none."""
    session.execute(delete(WebhookEvent).where(WebhookEvent.subscription_id == subscription_id))
    deleted = session.execute(delete(WebhookSubscription).where(WebhookSubscription.id == subscription_id)).rowcount
    forget_subscriptions()
    return bool(deleted)


def recent_deliveries(session: Session, subscription_id: int, limit: int = 50) -> list[WebhookEvent]:
    """The subscription's newest events with where their delivery stands, newest first."""
    return list(session.scalars(select(WebhookEvent).where(WebhookEvent.subscription_id == subscription_id)
                                .order_by(WebhookEvent.id.desc()).limit(limit)))


def subscription_as_dict(subscription: WebhookSubscription, *, with_secret: bool = False) -> dict[str, object]:
    """The API's view of a subscription; the secret only when asked (at creation)."""
    data: dict[str, object] = {
        "id": subscription.id, "url": subscription.url, "events": subscription.event_types,
        "description": subscription.description, "active": subscription.active,
        "created_at": subscription.created_at.isoformat()}
    if with_secret:
        data["secret"] = subscription.secret
    return data
