"""The SQLAlchemy 2.x models, their constraints and indexes — nothing else.

Every datetime is timezone-aware UTC in Python. SQLite has no timezone type, so
`UTCDateTime` stores naive UTC there (string order then equals time order) and hands
back aware values; PostgreSQL stores `timestamptz`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    ColumnElement,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    func,
    literal,
    text,
)
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A datetime column that only accepts aware datetimes and always returns UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column; attach a timezone first")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# Stable constraint names, so Alembic migrations name the same thing the same way.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Queue statuses, in lifecycle order where one exists.
PENDING, SENDING, SENT, DELIVERED, READ = "pending", "sending", "sent", "delivered", "read"
FAILED, CANCELLED, SKIPPED, UNKNOWN, PAUSED = "failed", "cancelled", "skipped", "unknown", "paused"
QUEUE_STATUSES = (PENDING, SENDING, SENT, DELIVERED, READ, FAILED, CANCELLED, SKIPPED, UNKNOWN, PAUSED)

# Broadcast (campaign) statuses: scheduled -> sending (first row claimed) -> completed (no row left to
# send), or paused / cancelled by an operator.
CAMPAIGN_SCHEDULED, CAMPAIGN_SENDING, CAMPAIGN_COMPLETED = "scheduled", "sending", "completed"
CAMPAIGN_PAUSED, CAMPAIGN_CANCELLED = "paused", "cancelled"
CAMPAIGN_STATUSES = (CAMPAIGN_SCHEDULED, CAMPAIGN_SENDING, CAMPAIGN_COMPLETED, CAMPAIGN_PAUSED, CAMPAIGN_CANCELLED)
# Queue statuses that still have a send ahead of them (a retry waits in pending): while a campaign
# has a row in one of these it is not finished. `unknown` is finished: only an operator moves it.
UNFINISHED_STATUSES = (PENDING, SENDING, PAUSED)

# Conversation states.
STATE_BOT, STATE_HANDOFF = "bot", "handoff"

# Which way a stored message went: from the customer, or from the business's WhatsApp Business app.
DIRECTION_IN, DIRECTION_OUT = "in", "out"
_SQL_FALSE = text("false")  # for classes with a column named `text`, which hides the function


class Base(DeclarativeBase):
    """Declarative base whose metadata carries the naming convention."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON, list[Any]: JSON}


class TimestampMixin:
    """created_at / updated_at maintained by SQLAlchemy."""

    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class DashboardSession(Base):
    """One dashboard login: the cookie carries only its random id, so logging out ends it for every copy."""

    __tablename__ = "dashboard_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    revoked_at: Mapped[datetime | None]


class Contact(TimestampMixin, Base):
    """A WhatsApp user who wrote to us or was imported by an operator.

    Meta identifies a user by phone number (`wa_id`) and, since April 2026, by a
    business-scoped user id (`user_id`, the BSUID, e.g. `US.13491208655302741918`); a user
    with a WhatsApp username may arrive with the BSUID alone. A contact has at least one of
    the two, each unique when present (`ck_contacts_identified`).
    """

    __tablename__ = "contacts"
    __table_args__ = (CheckConstraint("wa_id IS NOT NULL OR user_id IS NOT NULL", name="identified"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    wa_id: Mapped[str | None] = mapped_column(String(32), unique=True)  # the phone number, digits only
    user_id: Mapped[str | None] = mapped_column(String(160), unique=True)  # the BSUID
    parent_user_id: Mapped[str | None] = mapped_column(String(160))  # shared across linked portfolios
    username: Mapped[str | None] = mapped_column(String(128))  # display only: users may change it
    name: Mapped[str | None] = mapped_column(String(256))
    # When the message that set `name` was sent: an older delivery never overwrites a newer name.
    name_updated_at: Mapped[datetime | None]
    attributes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    opted_out: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    opted_out_at: Mapped[datetime | None]
    last_inbound_at: Mapped[datetime | None]
    first_inbound_at: Mapped[datetime | None] = mapped_column(index=True)  # analytics: new contacts in a range

    # Loaded only when read: the webhook path never needs tags, lists ask for them with selectinload.
    tags: Mapped[list[ContactTag]] = relationship(back_populates="contact", cascade="all, delete-orphan")

    @property
    def tag_names(self) -> list[str]:
        """The contact's tags, sorted."""
        return sorted(tag.tag for tag in self.tags)

    @hybrid_property
    def address(self) -> str:
        """Where a message to this contact goes: the phone number, else the BSUID (Meta prefers the number)."""
        return self.wa_id or self.user_id or ""

    @address.inplace.expression
    @classmethod
    def _address_expression(cls) -> ColumnElement[str]:
        return func.coalesce(cls.wa_id, cls.user_id)

    @hybrid_property
    def identifier(self) -> str:
        """What `{wa_id}` shows: the phone number, else @username, else the BSUID."""
        return contact_handle(self.wa_id, self.username, self.user_id).removeprefix("+")

    @identifier.inplace.expression
    @classmethod
    def _identifier_expression(cls) -> ColumnElement[str]:
        return func.coalesce(cls.wa_id, literal("@") + cls.username, cls.user_id)

    @hybrid_property
    def handle(self) -> str:
        """How an operator recognises the contact: +number, else @username, else the BSUID."""
        return contact_handle(self.wa_id, self.username, self.user_id)

    @handle.inplace.expression
    @classmethod
    def _handle_expression(cls) -> ColumnElement[str]:
        return func.coalesce(literal("+") + cls.wa_id, literal("@") + cls.username, cls.user_id)


def contact_handle(wa_id: str | None, username: str | None, user_id: str | None) -> str:
    """+number when the phone number is known, else @username, else the BSUID."""
    if wa_id:
        return f"+{wa_id}"
    if username:
        return f"@{username.lstrip('@')}"
    return user_id or ""


class ContactTag(Base):
    """One tag on one contact (a table, so audience queries are index-backed)."""

    __tablename__ = "contact_tags"
    __table_args__ = (UniqueConstraint("contact_id", "tag"), Index("ix_contact_tags_tag", "tag"))

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    tag: Mapped[str] = mapped_column(String(64))

    contact: Mapped[Contact] = relationship(back_populates="tags")


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


class MarketingPreference(Base):
    """A user_preferences webhook item (stop, resume, signup), kept so the newest by timestamp wins."""

    __tablename__ = "marketing_preferences"
    __table_args__ = (UniqueConstraint("wa_id", "category", "value", "wa_timestamp"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    wa_id: Mapped[str] = mapped_column(String(32))
    category: Mapped[str] = mapped_column(String(32))
    value: Mapped[str] = mapped_column(String(16))
    detail: Mapped[str | None] = mapped_column(String(256))
    signup_id: Mapped[str | None] = mapped_column(String(128))
    wa_timestamp: Mapped[datetime]
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    applied: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))


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

    contact: Mapped[Contact] = relationship()
    broadcast: Mapped[Broadcast | None] = relationship()


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


class ConversationState(Base):
    """Where the conversation with one contact stands (bot or handoff), with an expiry."""

    __tablename__ = "conversation_states"
    __table_args__ = (Index("ix_conversation_states_state_handoff_since", "state", "handoff_since"),)

    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True)
    state: Mapped[str] = mapped_column(String(16), default=STATE_BOT)
    last_intent: Mapped[str | None] = mapped_column(String(64))
    handoff_since: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    contact: Mapped[Contact] = relationship()


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
