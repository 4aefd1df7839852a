"""Ingestion on its own, through a session (no HTTP): every item of a batched envelope, once.

The webhook tests (tests/unit/test_webhook_handler.py) run the same rules through the view;
these pin the module's own contract: what `ingest` returns, what a replay changes, and the
parsing helpers the status shortcut relies on.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from database_models import Contact, MessageStatusEvent, ReceivedMessageLog
from inbound.ingestion import EnvelopeError, Ingestor, message_text, parse_timestamp, status_only_items
from inbound.sample_payloads import envelope, inbound_message, messages_change, new_wamid, status_envelope, status_item


def two_entry_envelope(first: str, second: str) -> dict:
    """Two entries, each with a change carrying one text: Meta batches like this."""
    batch = envelope(messages_change([inbound_message("989121110001", "text", {"body": "سلام"}, wamid=first)],
                                     [{"profile": {"name": "Sara"}, "wa_id": "989121110001"}]))
    batch["entry"].append({"id": "2", "changes": [messages_change(
        [inbound_message("989121110002", "text", {"body": "hello"}, wamid=second)],
        [{"profile": {"name": "Ali"}, "wa_id": "989121110002"}])]})
    return batch


def test_every_entry_of_a_batch_is_stored_and_reported_new(session):
    first, second = new_wamid(), new_wamid()
    result = Ingestor(session).ingest(two_entry_envelope(first, second))
    assert (result.messages, result.duplicate_messages, len(result.new_message_ids)) == (2, 0, 2)
    stored = session.scalars(select(ReceivedMessageLog.wamid).where(
        ReceivedMessageLog.wamid.in_([first, second]))).all()
    assert sorted(stored) == sorted([first, second])
    names = session.scalars(select(Contact.profile_name).where(
        Contact.wa_id.in_(["989121110001", "989121110002"]))).all()
    assert sorted(names) == ["Ali", "Sara"]


def test_a_replayed_envelope_inserts_nothing_and_reports_no_new_message(session):
    batch = two_entry_envelope(new_wamid(), new_wamid())
    Ingestor(session).ingest(batch)
    before = session.scalar(select(func.count()).select_from(ReceivedMessageLog))
    replay = Ingestor(session).ingest(batch)
    assert (replay.duplicate_messages, replay.new_message_ids) == (2, [])
    assert session.scalar(select(func.count()).select_from(ReceivedMessageLog)) == before


def test_a_status_is_stored_once_per_wamid_and_status(session):
    wamid = new_wamid()
    statuses = status_envelope(status_item(wamid, "delivered", "989121110003"))
    assert Ingestor(session).ingest(statuses).statuses == 1
    assert Ingestor(session).ingest(statuses).duplicate_statuses == 1
    assert session.scalar(select(func.count()).where(MessageStatusEvent.wamid == wamid)) == 1


@pytest.mark.parametrize("body", [None, [], {"object": "page", "entry": []}, {"object": "whatsapp_business_account"}])
def test_a_non_envelope_is_refused_before_anything_is_written(session, body):
    with pytest.raises(EnvelopeError):
        Ingestor(session).ingest(body)


def test_status_only_items_accepts_statuses_alone_and_nothing_else():
    wamid = new_wamid()
    items = status_only_items(status_envelope(status_item(wamid, "read", "989121110004")))
    assert [(item.wamid, item.status) for item in items] == [(wamid, "read")]
    with_message = envelope(messages_change([inbound_message("989121110004", "text", {"body": "hi"})],
                                            None, [status_item(new_wamid(), "read", "989121110004")]))
    assert status_only_items(with_message) is None
    twice = status_envelope(status_item(wamid, "read", "1"), status_item(wamid, "delivered", "1"))
    assert status_only_items(twice) is None  # one wamid twice: the general path orders them


def test_message_text_reads_each_type_and_timestamps_are_aware_utc():
    assert message_text({"type": "text", "text": {"body": "salam"}}) == "salam"
    assert message_text({"type": "image", "image": {"caption": "receipt"}}) == "receipt"
    assert message_text({"type": "interactive", "interactive": {"button_reply": {"title": "Yes"}}}) == "Yes"
    assert message_text({"type": ["not", "a", "string"]}) is None
    assert parse_timestamp("1700000000") == datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)
    assert parse_timestamp("soon") is None and parse_timestamp(-5) is None
