"""What the admin API remembers between requests: idempotency keys and per-address request counters.

Both live in the database so every gunicorn worker (and every host) sees the same state.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, PrimaryKeyConstraint, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow


class IdempotencyKey(Base):
    """One `Idempotency-Key` a client sent with a creating POST, and the response it got (kept 24 hours).

    The row is inserted in the same transaction as what the request creates and is filled
    with the response before that transaction commits: another request with the same key
    either waits on the unique key and then finds the stored response, or (after a rollback)
    claims the key itself. `status_code` is null only inside that transaction.
    """

    __tablename__ = "idempotency_keys"
    __table_args__ = (Index("ix_idempotency_keys_created_at", "created_at"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), unique=True)
    fingerprint: Mapped[str] = mapped_column(String(64))  # sha256 of method, path and canonical body
    status_code: Mapped[int | None]
    response_body: Mapped[str | None] = mapped_column(Text)
    location: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ApiRateCounter(Base):
    """Requests (or failed token attempts) from one address in one fixed window of time."""

    __tablename__ = "api_rate_counters"
    __table_args__ = (PrimaryKeyConstraint("address", "scope", "window_start"),
                      Index("ix_api_rate_counters_window_start", "window_start"))

    address: Mapped[str] = mapped_column(String(64))
    scope: Mapped[str] = mapped_column(String(16))  # "requests" or "auth_failures"
    window_start: Mapped[datetime]
    hits: Mapped[int] = mapped_column(default=0)
