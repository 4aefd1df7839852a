"""What customers sent: the message log, edits and revokes, order lines, status events, unmodelled items."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import (
    _SQL_FALSE,
    DIRECTION_IN,
    Base,
    utcnow,
)
from models.contacts import Contact


class ReceivedMessageLog(Base):
    """One inbound message, keyed by Meta's wamid (a retried webhook inserts nothing)."""

    __tablename__ = "received_messages"
    __table_args__ = (
        Index("ix_received_messages_contact_id_received_at", "contact_id", "received_at"),
        Index("ix_received_messages_received_at", "received_at"),
        Index("ix_received_messages_enriched_at", "enriched_at", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    wamid: Mapped[str] = mapped_column(String(128), unique=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    message_type: Mapped[str] = mapped_column(String(32))
    text: Mapped[str | None] = mapped_column(Text)
    payload: Mapped[dict[str, Any]] = mapped_column()
    wa_timestamp: Mapped[datetime | None]
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Filled once by the enrichment job (analytics), never recomputed by reports.
    normalized_text: Mapped[str | None] = mapped_column(Text)
    keywords: Mapped[list[Any] | None] = mapped_column()
    sentiment: Mapped[str | None] = mapped_column(String(16))
    sentiment_score: Mapped[float | None] = mapped_column(Float)
    intent: Mapped[str | None] = mapped_column(String(64))
    intent_confidence: Mapped[float | None] = mapped_column(Float)
    enriched_at: Mapped[datetime | None]

    contact: Mapped[Contact] = relationship()

    # Shapes beyond a customer's live one-to-one message (inbound/shapes.py).
    # "out": sent by the business from the WhatsApp Business app (a coexistence echo, or history).
    direction: Mapped[str] = mapped_column(String(8), default=DIRECTION_IN, server_default=DIRECTION_IN)
    imported: Mapped[bool] = mapped_column(Boolean, default=False, server_default=_SQL_FALSE)  # history sync
    group_id: Mapped[str | None] = mapped_column(String(128))
    edited_at: Mapped[datetime | None]  # `text` is the newest version; earlier ones are message_revisions
    deleted_at: Mapped[datetime | None]  # revoked by its sender: kept, shown as deleted
    # A flow's answers, a permission decision, an order's total…; SQL NULL for ordinary messages.
    event_data: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))


class MessageRevision(Base):
    """One edit or revoke of a message, keyed by the wamid of the edit/revoke item itself.

    `message_id` is empty until the original message is stored (an edit can arrive first).
    """

    __tablename__ = "message_revisions"
    __table_args__ = (Index("ix_message_revisions_original_wamid", "original_wamid"),
                      Index("ix_message_revisions_message_id", "message_id"))

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    wamid: Mapped[str] = mapped_column(String(128), unique=True)
    original_wamid: Mapped[str] = mapped_column(String(128))
    message_id: Mapped[int | None] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), ForeignKey("received_messages.id", ondelete="CASCADE")
    )
    kind: Mapped[str] = mapped_column(String(8))  # edit or revoke
    new_text: Mapped[str | None] = mapped_column(Text)
    previous_text: Mapped[str | None] = mapped_column(Text)  # the text this edit replaced, once applied
    payload: Mapped[dict[str, Any]] = mapped_column()
    wa_timestamp: Mapped[datetime | None]
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    applied_at: Mapped[datetime | None]


class OrderItem(Base):
    """One product line of an inbound `order` message."""

    __tablename__ = "order_items"
    __table_args__ = (Index("ix_order_items_message_id", "message_id"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    message_id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), ForeignKey("received_messages.id", ondelete="CASCADE")
    )
    product_retailer_id: Mapped[str | None] = mapped_column(String(128))
    quantity: Mapped[int] = mapped_column(default=0)
    item_price: Mapped[Decimal | None] = mapped_column(Numeric(18, 4))
    currency: Mapped[str | None] = mapped_column(String(8))


class MessageStatusEvent(Base):
    """Status history of our sends, keyed by (wamid, status): a retried webhook adds nothing."""

    __tablename__ = "message_status_events"
    __table_args__ = (UniqueConstraint("wamid", "status"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    wamid: Mapped[str] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(16))
    recipient_wa_id: Mapped[str | None] = mapped_column(String(32))
    recipient_user_id: Mapped[str | None] = mapped_column(String(160))  # the BSUID, when the status names one
    error_code: Mapped[int | None]
    error_title: Mapped[str | None] = mapped_column(String(512))
    wa_timestamp: Mapped[datetime | None]
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class UnmodelledItem(Base):
    """A webhook change whose `field` the code does not model, kept raw for an operator.

    Keyed by a digest of the field and its value, so a redelivered webhook adds nothing.
    Messages of an unknown type are not here: they are ordinary received_messages rows
    (with their raw payload) in their contact's thread.
    """

    __tablename__ = "unmodelled_items"
    __table_args__ = (Index("ix_unmodelled_items_received_at", "received_at"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    field: Mapped[str] = mapped_column(String(64))
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    payload: Mapped[dict[str, Any]] = mapped_column()
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
