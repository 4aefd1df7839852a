"""Outbound webhooks: operators' subscriptions and the outbox of events waiting to reach them.

One `webhook_events` row per (subscription, event), written in the transaction that produced
the event; the processor claims due rows, POSTs them and records each attempt on the row.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, TimestampMixin, utcnow

# Delivery states of an event row: pending (due at next_attempt_at) -> delivering (claimed under a
# lease) -> delivered, or back to pending for a retry, or failed (4xx, or retried for a day).
EVENT_PENDING, EVENT_DELIVERING, EVENT_DELIVERED, EVENT_FAILED = "pending", "delivering", "delivered", "failed"
EVENT_STATUSES = (EVENT_PENDING, EVENT_DELIVERING, EVENT_DELIVERED, EVENT_FAILED)


class WebhookSubscription(TimestampMixin, Base):
    """A URL an operator subscribed to some event types; `secret` signs every delivery to it."""

    __tablename__ = "webhook_subscriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(2048))
    # The subscribed types, comma-separated and comma-wrapped (",message.received,"), so the
    # emitting INSERT … SELECT matches them with one portable LIKE.
    events: Mapped[str] = mapped_column(String(512))
    secret: Mapped[str] = mapped_column(String(128))
    description: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))

    @property
    def event_types(self) -> list[str]:
        """The subscribed event types, in the order given."""
        return [name for name in self.events.split(",") if name]


class WebhookEvent(Base):
    """One event for one subscription, and where its delivery stands."""

    __tablename__ = "webhook_events"
    __table_args__ = (
        UniqueConstraint("subscription_id", "event_id"),
        Index("ix_webhook_events_due", "status", "next_attempt_at"),
        Index("ix_webhook_events_subscription_id_id", "subscription_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("webhook_subscriptions.id", ondelete="CASCADE"))
    event_id: Mapped[str] = mapped_column(String(40))  # evt_…, the same for every subscriber of one event
    event_type: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)  # when the event happened
    status: Mapped[str] = mapped_column(String(16), default=EVENT_PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None]
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    lease_expires_at: Mapped[datetime | None]
    last_attempt_at: Mapped[datetime | None]
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(String(300))
    delivered_at: Mapped[datetime | None]
