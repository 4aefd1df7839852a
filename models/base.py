"""The declarative base, the UTC datetime type, the naming convention and the status constants.

Every datetime is timezone-aware UTC in Python. SQLite has no timezone type, so
`UTCDateTime` stores naive UTC there (string order then equals time order) and hands
back aware values; PostgreSQL stores `timestamptz`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    MetaData,
    TypeDecorator,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


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
