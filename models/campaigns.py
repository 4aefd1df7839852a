"""Campaigns and the single outbound queue (one row per message the platform sends)."""

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
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import (
    CAMPAIGN_SCHEDULED,
    PENDING,
    Base,
    TimestampMixin,
    utcnow,
)
from models.contacts import Contact


class Broadcast(TimestampMixin, Base):
    """A campaign: one text or template, an audience, a send time, and where it stands (CAMPAIGN_STATUSES)."""

    __tablename__ = "broadcasts"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    body: Mapped[str | None] = mapped_column(Text)
    template_name: Mapped[str | None] = mapped_column(String(512))
    template_language: Mapped[str | None] = mapped_column(String(16))
    template_params: Mapped[list[Any] | None] = mapped_column()
    audience: Mapped[dict[str, Any]] = mapped_column(default=dict)
    scheduled_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16), default=CAMPAIGN_SCHEDULED)
    completed_at: Mapped[datetime | None]  # when the processor found no row left to send
    recipient_count: Mapped[int] = mapped_column(default=0)
    exclusions: Mapped[dict[str, Any]] = mapped_column(default=dict)


class ScheduledMessage(TimestampMixin, Base):
    """The single outbound queue: every message the platform sends is one row."""

    __tablename__ = "scheduled_messages"
    __table_args__ = (
        # `id` last: claims order by (scheduled_at, id), and a broadcast puts thousands of rows
        # at one scheduled_at; without it PostgreSQL sorts the whole group on every claim.
        Index("ix_scheduled_messages_status_scheduled_at", "status", "scheduled_at", "id"),
        Index("ix_scheduled_messages_status_lease_expires_at", "status", "lease_expires_at"),
        Index("ix_scheduled_messages_broadcast_id_status", "broadcast_id", "status"),
        Index("ix_scheduled_messages_contact_id_created_at", "contact_id", "created_at"),
        # Analytics: outbound per day ranges over sent_at; first-reply time looks up a contact's next send.
        Index("ix_scheduled_messages_sent_at", "sent_at"),
        Index("ix_scheduled_messages_contact_id_sent_at", "contact_id", "sent_at"),
        # One row per recipient per campaign, and one reply per inbound message.
        UniqueConstraint("broadcast_id", "contact_id"),
        UniqueConstraint("in_reply_to_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    broadcast_id: Mapped[int | None] = mapped_column(ForeignKey("broadcasts.id", ondelete="CASCADE"))
    in_reply_to_id: Mapped[int | None] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), ForeignKey("received_messages.id", ondelete="SET NULL")
    )
    kind: Mapped[str] = mapped_column(String(16), default="reply")
    body: Mapped[str | None] = mapped_column(Text)
    buttons: Mapped[list[Any] | None] = mapped_column()
    reply_to_wamid: Mapped[str | None] = mapped_column(String(128))
    template_name: Mapped[str | None] = mapped_column(String(512))
    template_language: Mapped[str | None] = mapped_column(String(16))
    template_params: Mapped[list[Any] | None] = mapped_column()
    # What neither the body nor the template's body parameters carry: a media message
    # ({"media": {"type": "image", "id" or "link", "caption", "filename"}}) or a template's header
    # and button parameters ({"header": [...], "buttons": [{"index": 0, "params": [...]}]}).
    content: Mapped[dict[str, Any] | None] = mapped_column()
    scheduled_at: Mapped[datetime] = mapped_column(default=utcnow)
    status: Mapped[str] = mapped_column(String(16), default=PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    lease_expires_at: Mapped[datetime | None]
    last_error_code: Mapped[int | None]
    last_error_title: Mapped[str | None] = mapped_column(String(512))
    wamid: Mapped[str | None] = mapped_column(String(128), unique=True)
    dry_run: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    # Claims whose lease expired before the send was confirmed (a crashed processor): an
    # operator decision, or a possible duplicate when RESEND_UNCONFIRMED resent the row.
    unconfirmed_sends: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    sent_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    read_at: Mapped[datetime | None]
    failed_at: Mapped[datetime | None]
    # The operator who wrote an inbox message (kind "operator"); NULL for the bot, campaigns, the admin token.
    operator_id: Mapped[int | None] = mapped_column(ForeignKey("operators.id", ondelete="SET NULL"))

    contact: Mapped[Contact] = relationship()
    broadcast: Mapped[Broadcast | None] = relationship()
