"""Operator accounts and the audit trail: who works in the dashboard, and what each of them did."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, TimestampMixin, utcnow

ROLE_ADMIN = "admin"  # everything: users, settings, campaigns, the inbox and contacts
ROLE_AGENT = "agent"  # the inbox and contacts
ROLES = (ROLE_ADMIN, ROLE_AGENT)


class Operator(TimestampMixin, Base):
    """A person who logs in to the dashboard with a username and a password (stored hashed)."""

    __tablename__ = "operators"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(16), default=ROLE_AGENT)
    display_name: Mapped[str | None] = mapped_column(String(128))
    disabled_at: Mapped[datetime | None]
    # Raised by a password change or a reset: logins opened before it are refused.
    session_version: Mapped[int] = mapped_column(Integer, default=1)

    @property
    def is_admin(self) -> bool:
        return self.role == ROLE_ADMIN

    @property
    def shown_name(self) -> str:
        return self.display_name or self.username


class AuditEvent(Base):
    """One operator action: who (NULL for the machine token or the system), what, on which record, when."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    operator_id: Mapped[int | None] = mapped_column(ForeignKey("operators.id", ondelete="SET NULL"), index=True)
    action: Mapped[str] = mapped_column(String(64), index=True)  # "message.sent", "conversation.taken", …
    subject_type: Mapped[str | None] = mapped_column(String(32))  # "contact", "broadcast", "operator", …
    subject_id: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)
