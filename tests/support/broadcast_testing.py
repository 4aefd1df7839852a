"""Helpers shared by the queue, processor, broadcast and cron tests: committed data, senders, configs.

Tests that run a processor need committed rows that other sessions (threads, processes)
can see, so they cannot use the rolled-back `session` fixture (on SQLite its open write
transaction would also block every other connection). They commit through
`session_factory(engine)` and empty the tables afterwards.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from conftest import GRAPH_TOKEN, PHONE_NUMBER_ID, clean_tables
from sqlalchemy import Engine, func, insert, select
from sqlalchemy.orm import Session, sessionmaker

from config import Config
from database_models import Broadcast, Contact, ScheduledMessage, utcnow
from database_setup import create_session_factory
from whatsapp_service import WhatsAppService


def processor_config(database_url: str, **changes: Any) -> Config:
    """Settings for a processor under test: fast limits, short leases."""
    values: dict[str, Any] = {"database_url": database_url, "whatsapp_max_mps": 1000.0, "send_lease_seconds": 60,
                              "send_max_attempts": 5, "processor_batch_size": 500}
    values.update(changes)
    return Config(**values)


def fake_sender(fake: Any, read_timeout: float = 5.0) -> WhatsAppService:
    """A real pywa sender pointed at the fake Graph API."""
    return WhatsAppService(GRAPH_TOKEN, PHONE_NUMBER_ID, base_url=fake.url, read_timeout=read_timeout)


def seed_broadcast(factory: sessionmaker[Session], count: int, *, prefix: str = "98912", in_window: bool = True,
                   template: str | None = None, scheduled_at: datetime | None = None,
                   name: str = "test campaign", contact_fields: Iterable[dict[str, Any]] | None = None) -> int:
    """Commit `count` contacts and one broadcast row each (unique bodies), due now; returns the broadcast id."""
    now = utcnow()
    last_inbound = now - timedelta(hours=1) if in_window else now - timedelta(days=3)
    extra = list(contact_fields or [{}] * count)
    with factory() as session:
        first = session.execute(select(func.count()).where(Contact.wa_id.like(f"{prefix}%"))).scalar_one()
        session.execute(insert(Contact.__table__), [
            {"wa_id": f"{prefix}{first + i:07d}", "name": f"Customer {first + i}", "attributes": {},
             "opted_out": False, "last_inbound_at": last_inbound, "created_at": now, "updated_at": now,
             **extra[i]} for i in range(count)])
        contacts = session.execute(select(Contact.id, Contact.wa_id).where(Contact.wa_id.like(f"{prefix}%"))
                                   .order_by(Contact.id)).all()[-count:]
        # The rows hold what scheduling would have rendered from the campaign, so the
        # processor's send-time rendering gives the same text.
        broadcast = Broadcast(name=name, body="hello {wa_id} ✨ سلام", template_name=template,
                              template_language="en_US", template_params=["wa_id"] if template else None,
                              audience={"kind": "test"}, scheduled_at=scheduled_at or now,
                              recipient_count=count, exclusions={})
        session.add(broadcast)
        session.flush()
        session.execute(insert(ScheduledMessage.__table__), [
            {"contact_id": contact_id, "broadcast_id": broadcast.id, "kind": "broadcast",
             "body": f"hello {wa_id} ✨ سلام", "template_name": template, "template_language": "en_US",
             "template_params": [wa_id] if template else None, "scheduled_at": scheduled_at or now,
             "status": "pending", "attempts": 0, "dry_run": False, "unconfirmed_sends": 0,
             "created_at": now, "updated_at": now} for contact_id, wa_id in contacts])
        session.commit()
        return broadcast.id


def rows_by_status(factory: sessionmaker[Session]) -> dict[str, int]:
    """How many queue rows are in each status."""
    with factory() as session:
        return dict(session.execute(select(ScheduledMessage.status, func.count()).group_by(ScheduledMessage.status))
                    .all())


def committed_factory(engine: Engine):
    """A session factory on `engine`; call `clean_tables(engine)` after the test (the fixtures do)."""
    return create_session_factory(engine)


__all__ = ["clean_tables", "committed_factory", "fake_sender", "processor_config", "rows_by_status",
           "seed_broadcast"]
