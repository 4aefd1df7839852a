"""Contacts (phone number and/or BSUID), their tags, marketing preferences, opt-out history and conversation state."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ColumnElement,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    func,
    literal,
    text,
)
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import (
    STATE_BOT,
    Base,
    TimestampMixin,
    utcnow,
)


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
    name: Mapped[str | None] = mapped_column(String(256))  # the operator's: import, API, dashboard
    profile_name: Mapped[str | None] = mapped_column(String(256))  # the customer's WhatsApp profile name
    # When the message that set `profile_name` was sent: an older delivery never overwrites a newer one.
    profile_name_updated_at: Mapped[datetime | None]
    attributes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    opted_out: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    opted_out_at: Mapped[datetime | None]
    # Why the contact is opted out now (campaigns.opt_out.SOURCES, and e.g. the customer's words or
    # Meta's error); both cleared on opting in. The whole history is in `opt_out_events`.
    opted_out_source: Mapped[str | None] = mapped_column(String(32))
    opted_out_reason: Mapped[str | None] = mapped_column(String(256))
    last_inbound_at: Mapped[datetime | None]
    first_inbound_at: Mapped[datetime | None] = mapped_column(index=True)  # analytics: new contacts in a range

    # Loaded only when read: the webhook path never needs tags, lists ask for them with selectinload.
    tags: Mapped[list[ContactTag]] = relationship(back_populates="contact", cascade="all, delete-orphan")

    @property
    def tag_names(self) -> list[str]:
        """The contact's tags, sorted."""
        return sorted(tag.tag for tag in self.tags)

    @hybrid_property
    def display_name(self) -> str | None:
        """The name to show and to greet with: the operator's name, else the WhatsApp profile name."""
        return self.name or self.profile_name

    @display_name.inplace.expression
    @classmethod
    def _display_name_expression(cls) -> ColumnElement[str | None]:
        return func.coalesce(func.nullif(cls.name, ""), cls.profile_name)

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


class MarketingPreference(Base):
    """A user_preferences webhook item (stop, resume, signup), kept so the newest by timestamp wins."""

    __tablename__ = "marketing_preferences"
    __table_args__ = (
        UniqueConstraint("wa_id", "category", "value", "wa_timestamp"),
        UniqueConstraint("user_id", "category", "value", "wa_timestamp"),
        CheckConstraint("wa_id IS NOT NULL OR user_id IS NOT NULL", name="identified"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    wa_id: Mapped[str | None] = mapped_column(String(32))
    user_id: Mapped[str | None] = mapped_column(String(160))  # the BSUID: a user with a username may have no number
    category: Mapped[str] = mapped_column(String(32))
    value: Mapped[str] = mapped_column(String(16))
    detail: Mapped[str | None] = mapped_column(String(256))
    signup_id: Mapped[str | None] = mapped_column(String(128))
    wa_timestamp: Mapped[datetime]
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    applied: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))


class OptOutEvent(Base):
    """One change of a contact's marketing choice: who or what made it, why, and when.

    Written only by `campaigns.opt_out`, and only when the choice changes: repeating a STOP
    adds nothing. The row goes with its contact (merges move it to the surviving contact).
    """

    __tablename__ = "opt_out_events"
    __table_args__ = (Index("ix_opt_out_events_contact_id_at", "contact_id", "at"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    opted_out: Mapped[bool] = mapped_column(Boolean)  # True: opted out; False: opted back in
    source: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str | None] = mapped_column(String(256))
    actor: Mapped[str | None] = mapped_column(String(128))  # the operator or API client, when a person did it
    at: Mapped[datetime] = mapped_column(default=utcnow)

    contact: Mapped[Contact] = relationship()


class ConversationState(Base):
    """Where the conversation with one contact stands (bot or handoff), with an expiry."""

    __tablename__ = "conversation_states"
    __table_args__ = (Index("ix_conversation_states_state_handoff_since", "state", "handoff_since"),)

    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True)
    state: Mapped[str] = mapped_column(String(16), default=STATE_BOT)
    last_intent: Mapped[str | None] = mapped_column(String(64))
    handoff_since: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]
    # The reply tone (language/reply_tone.py): how many negative messages in a row, so the
    # second one is offered a person whichever worker answers it.
    negative_in_a_row: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    # The language of the contact's last text ("fa" or "en"): orders and media are answered in it.
    language: Mapped[str | None] = mapped_column(String(2))
    # The team inbox (web/dashboard/conversations.py): who has the conversation, who took it from
    # the bot (NULL for the bot's own handoff), and when the team last read it ("unread" is an
    # inbound message after that).
    assigned_operator_id: Mapped[int | None] = mapped_column(ForeignKey("operators.id", ondelete="SET NULL"),
                                                             index=True)
    assigned_at: Mapped[datetime | None]
    taken_by_operator_id: Mapped[int | None] = mapped_column(ForeignKey("operators.id", ondelete="SET NULL"))
    read_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    contact: Mapped[Contact] = relationship()
