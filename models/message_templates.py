"""Message templates synced from the WhatsApp Business Account (Meta's `GET /{WABA_ID}/message_templates`).

One row per (name, language), as Meta keys them; a sync updates the rows it sees and keeps
the ones Meta no longer lists (a deleted template stays readable in old campaigns) with the
`synced_at` of the last sync that saw them. `components` is Meta's list as it came; the
parameter counts are computed from it at sync time (`campaigns.message_templates`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, TimestampMixin, utcnow

TEMPLATE_APPROVED = "APPROVED"


class MessageTemplate(TimestampMixin, Base):
    """An approved (or pending, rejected, paused…) template of the business account, with what it needs."""

    __tablename__ = "message_templates"
    __table_args__ = (UniqueConstraint("name", "language"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(512))
    language: Mapped[str] = mapped_column(String(16))
    category: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(32), index=True)
    meta_id: Mapped[str | None] = mapped_column(String(64))
    components: Mapped[list[Any]] = mapped_column(default=list)
    # {"body": n, "header": n, "buttons": [{"index": i, "count": n}, …]}: what a send must fill.
    parameters: Mapped[dict[str, Any]] = mapped_column(default=dict)
    synced_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def approved(self) -> bool:
        return self.status == TEMPLATE_APPROVED
