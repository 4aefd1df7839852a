"""Dashboard logins, stored server-side so a logout ends every copy of the cookie."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    ForeignKey,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from models.base import (
    Base,
    utcnow,
)


class DashboardSession(Base):
    """One dashboard login: the cookie carries only its random id, so logging out ends it for every copy."""

    __tablename__ = "dashboard_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    revoked_at: Mapped[datetime | None]
    # The operator who logged in (NULL for a login with ADMIN_API_TOKEN), and their session
    # version then: a password change raises the operator's version and ends this login.
    operator_id: Mapped[int | None] = mapped_column(ForeignKey("operators.id", ondelete="CASCADE"), index=True)
    operator_version: Mapped[int | None]
