"""A shop's orders as its backend reports them, the order question a contact has open, and the
status notifications already queued (one per order and status, never twice), and an orders
CSV uploaded on the dashboard waiting between its preview and the operator's commit.

An order belongs to one contact (phone number or BSUID): the chatbot describes it to that
contact only. `status` is a string checked against the rules file's list (rules/orders.yaml),
so a shop may add its own statuses without a migration.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, TimestampMixin, utcnow
from models.contacts import Contact


class Order(TimestampMixin, Base):
    """One order: its number (unique), whose it is, where it stands and how to track it."""

    __tablename__ = "orders"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(64), unique=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(32))
    carrier: Mapped[str | None] = mapped_column(String(64))
    tracking_code: Mapped[str | None] = mapped_column(String(64), index=True)
    expected_at: Mapped[datetime | None]  # the expected delivery, as an aware UTC moment
    items: Mapped[str | None] = mapped_column(String(1000))  # a summary for people: "2 × mug, 1 × tea"

    contact: Mapped[Contact] = relationship()


class OrderInquiry(Base):
    """A contact the bot has asked for an order number: their next message may be the answer until `awaiting_until`."""

    __tablename__ = "order_inquiries"

    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True)
    awaiting_until: Mapped[datetime]
    choices: Mapped[str | None] = mapped_column(String(1000))  # the numbers offered, space-separated
    language: Mapped[str] = mapped_column(String(8), default="fa")  # of the question: a bare number is answered in it
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class OrderNotification(Base):
    """A status-change notification queued for an order: the unique key keeps it to once per (order, status)."""

    __tablename__ = "order_notifications"
    __table_args__ = (UniqueConstraint("order_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(32))
    queue_id: Mapped[int | None]  # the scheduled_messages row, when one was queued
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class OrderUpload(Base):
    """An orders CSV uploaded on the dashboard, as its bytes, until it is imported, discarded or expired.

    Kept server-side, as contact uploads are: the preview and the commit may reach different workers.
    """

    __tablename__ = "order_uploads"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # random, unguessable
    login_id: Mapped[str] = mapped_column(String(64))  # the dashboard session that uploaded it
    filename: Mapped[str] = mapped_column(String(255))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)
