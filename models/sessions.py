"""Dashboard logins, stored server-side so a logout ends every copy of the cookie."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
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
