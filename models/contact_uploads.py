"""Contact CSV uploads waiting between the dashboard's preview and the operator's commit, and the
indexes the contacts page filters on.

An upload is kept server-side (not in the cookie, which is signed but small and per browser) so
the preview and the commit may be served by different gunicorn workers; it expires after an
hour and belongs to the login that uploaded it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow
from models.contacts import Contact


class ContactUpload(Base):
    """One uploaded contacts CSV, as its bytes, until it is imported, discarded or expired."""

    __tablename__ = "contact_uploads"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # random, unguessable
    login_id: Mapped[str] = mapped_column(String(64))  # the dashboard session that uploaded it
    filename: Mapped[str] = mapped_column(String(255))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)


# The contacts page's filters, newest first (bench/contacts_pages.py measures them on 100,000 contacts):
# "inside the 24-hour window" reads a range of last_inbound_at; "opted out" walks (opted_out, id).
Index("ix_contacts_last_inbound_at", Contact.last_inbound_at)
Index("ix_contacts_opted_out_id", Contact.opted_out, Contact.id)
