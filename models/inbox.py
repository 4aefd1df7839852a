"""The team inbox's own records: notes on a conversation and the team's saved replies.

Assignment, the read marker and who took a conversation live on `conversation_states`
(models/contacts.py); the operator who sent a message on its `scheduled_messages` row.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow


class ConversationNote(Base):
    """A note the team keeps on a conversation: shown in the thread, never sent to WhatsApp."""

    __tablename__ = "conversation_notes"
    __table_args__ = (Index("ix_conversation_notes_contact_id_created_at", "contact_id", "created_at"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    # NULL: written with the admin token, or by an operator since removed.
    operator_id: Mapped[int | None] = mapped_column(ForeignKey("operators.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SavedReply(Base):
    """A short reply text the team reuses, found by its shortcut; may hold broadcast placeholders."""

    __tablename__ = "saved_replies"

    id: Mapped[int] = mapped_column(primary_key=True)
    shortcut: Mapped[str] = mapped_column(String(64), unique=True)
    body: Mapped[str] = mapped_column(Text)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("operators.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
