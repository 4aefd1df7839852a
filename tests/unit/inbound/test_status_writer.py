"""The one-statement status path (status_writer, PostgreSQL) against the general path (ingestion.Ingestor).

Both must leave the same rows for every queue status a row can be in and every status Meta
can report: the fast path is an optimisation, never a second set of rules.
"""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from conftest import clean_tables
from sqlalchemy import Engine, select

from database_models import QUEUE_STATUSES, Contact, MessageStatusEvent, ScheduledMessage
from database_setup import create_engine_for, create_session_factory
from inbound.ingestion import Ingestor, status_only_items
from inbound.sample_payloads import envelope, inbound_message, messages_change, new_wamid, status_envelope, status_item
from inbound.signatures import sign_payload
from inbound.status_writer import StatusWriter
from webhook_handler import create_app

# What Meta reports: the four that move rows, an alias (played = read), and one that only logs.
INCOMING = (("sent", None), ("delivered", None), ("read", None), ("failed", 131026), ("failed", 131050),
            ("played", None), ("deleted", None))
EARLIER = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
ROW_COLUMNS = ("status", "sent_at", "delivered_at", "read_at", "failed_at", "last_error_code", "last_error_title")


# The fast path exists on PostgreSQL only (SQLite has no round trips to save): no SQLite variant.
on_postgresql = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


@pytest.fixture
def pg_engine(engine: Engine):
    """The PostgreSQL test database, emptied after the test."""
    yield engine
    clean_tables(engine)


@pytest.fixture
def writer(database_url: str):
    writer = StatusWriter(create_engine_for(database_url, isolation_level="AUTOCOMMIT"))
    yield writer
    writer.engine.dispose()


def _queue_row(session: Any, wa_id: str, status: str) -> str:
    contact = session.scalar(select(Contact).where(Contact.wa_id == wa_id))
    if contact is None:
        contact = Contact(wa_id=wa_id, attributes={})
        session.add(contact)
        session.flush()
    wamid = new_wamid()
    session.add(ScheduledMessage(contact_id=contact.id, kind="broadcast", body="hi", status=status, wamid=wamid,
                                 sent_at=EARLIER if status in ("sent", "delivered", "read") else None))
    return wamid


def _sent_rows(engine: Engine, *wa_ids: str) -> list[str]:
    """Commit one sent broadcast row per contact; their wamids."""
    with create_session_factory(engine)() as session:
        wamids = [_queue_row(session, wa_id, "sent") for wa_id in wa_ids]
        session.commit()
    return wamids


def _row_status(engine: Engine, wamid: str) -> str | None:
    with create_session_factory(engine)() as session:
        return session.scalar(select(ScheduledMessage.status).where(ScheduledMessage.wamid == wamid))


def _state(session: Any, wamid: str) -> tuple:
    row = session.scalar(select(ScheduledMessage).where(ScheduledMessage.wamid == wamid))
    events = session.execute(select(MessageStatusEvent.status, MessageStatusEvent.recipient_wa_id,
                                    MessageStatusEvent.error_code, MessageStatusEvent.error_title,
                                    MessageStatusEvent.wa_timestamp)
                             .where(MessageStatusEvent.wamid == wamid)).all()
    return tuple(getattr(row, column) for column in ROW_COLUMNS), sorted(events)


@on_postgresql
def test_both_paths_leave_the_same_rows_for_every_queue_status_and_incoming_status(pg_engine, writer, database_url):
    sessions = create_session_factory(pg_engine)
    cases = list(itertools.product(QUEUE_STATUSES, INCOMING))
    pairs = []
    with sessions() as session:
        for number, (queue_status, _) in enumerate(cases):
            general = _queue_row(session, f"9891200{number:05d}", queue_status)
            fast = _queue_row(session, f"9891300{number:05d}", queue_status)
            pairs.append((general, fast))
        session.commit()
    at = 1_800_000_000
    fast_items = []
    with sessions() as session:
        for number, ((general, fast), (_, (incoming, code))) in enumerate(zip(pairs, cases, strict=True)):
            details = {"timestamp": at, "error_code": code, "error_title": "Reason" if code else ""}
            Ingestor(session).ingest(status_envelope(status_item(general, incoming, f"9891200{number:05d}", **details)))
            fast_items.append(status_item(fast, incoming, f"9891300{number:05d}", **details))
        session.commit()
    parsed = status_only_items(status_envelope(*fast_items))
    assert parsed is not None and len(parsed) == len(cases)
    assert writer.write(parsed) == len(cases)

    with sessions() as session:
        for (general, fast), case in zip(pairs, cases, strict=True):
            general_row, general_events = _state(session, general)
            fast_row, fast_events = _state(session, fast)
            assert fast_row == general_row, case
            assert [event[0] for event in fast_events] == [event[0] for event in general_events], case
            assert [event[2:] for event in fast_events] == [event[2:] for event in general_events], case
        opted_out = {wa_id: flag for wa_id, flag in session.execute(select(Contact.wa_id, Contact.opted_out))}
    for number, (_, (_, code)) in enumerate(cases):
        assert opted_out[f"9891300{number:05d}"] == opted_out[f"9891200{number:05d}"] == (code == 131050)


@on_postgresql
def test_a_repeated_delivery_inserts_and_moves_nothing(pg_engine, writer):
    sessions = create_session_factory(pg_engine)
    [wamid] = _sent_rows(pg_engine, "989124000001")
    items = status_only_items(status_envelope(status_item(wamid, "delivered", "989124000001", timestamp=1_800_000_000)))
    assert writer.write(items) == 1
    with sessions() as session:
        first = session.scalar(select(ScheduledMessage).where(ScheduledMessage.wamid == wamid))
        first_updated = first.updated_at
    assert writer.write(items) == 0
    with sessions() as session:
        row = session.scalar(select(ScheduledMessage).where(ScheduledMessage.wamid == wamid))
        assert (row.status, row.updated_at) == ("delivered", first_updated)
        assert len(session.scalars(select(MessageStatusEvent).where(MessageStatusEvent.wamid == wamid)).all()) == 1


@on_postgresql
def test_error_131050_opts_out_known_and_new_recipients_once(pg_engine, writer):
    sessions = create_session_factory(pg_engine)
    [wamid] = _sent_rows(pg_engine, "989124000002")
    items = status_only_items(status_envelope(
        status_item(wamid, "failed", "989124000002", error_code=131050, error_title="User stopped marketing"),
        status_item(new_wamid(), "failed", "989124000003", error_code=131050),
        status_item(new_wamid(), "failed", "989124000004", error_code=131026)))
    assert writer.write(items) == 3
    with sessions() as session:
        opted = {wa_id: flag for wa_id, flag in session.execute(
            select(Contact.wa_id, Contact.opted_out)
            .where(Contact.wa_id.in_(["989124000002", "989124000003", "989124000004"])))}
        row = session.scalar(select(ScheduledMessage).where(ScheduledMessage.wamid == wamid))
    assert opted == {"989124000002": True, "989124000003": True}  # 131026 creates no contact
    assert (row.status, row.last_error_code, row.last_error_title) == ("failed", 131050, "User stopped marketing")


def test_only_envelopes_of_statuses_of_distinct_sends_take_the_fast_path():
    one, two = new_wamid(), new_wamid()
    statuses = [status_item(one, "sent", "989120000001"), status_item(two, "read", "989120000002")]
    assert [item.wamid for item in status_only_items(status_envelope(*statuses))] == [one, two]
    # Two statuses of one send must be applied in order: the general path does that.
    assert status_only_items(status_envelope(status_item(one, "sent", "1"), status_item(one, "read", "1"))) is None
    text = inbound_message("989120000003", "text", {"body": "hi"})
    assert status_only_items(envelope(messages_change([text], None, statuses))) is None
    assert status_only_items(envelope({"field": "user_preferences", "value": {"user_preferences": []}})) is None
    assert status_only_items(status_envelope({"id": "", "status": "sent"})) is None  # nothing valid: general path


@on_postgresql
def test_status_webhooks_through_the_app_use_one_statement_and_store_everything(pg_engine, app, post_webhook):
    assert app.extensions["whatsapp_platform"].status_writer is not None
    sessions = create_session_factory(pg_engine)
    wamids = _sent_rows(pg_engine, *(f"98912500000{n}" for n in range(3)))
    body = status_envelope(*(status_item(wamid, "read", f"98912500000{n}") for n, wamid in enumerate(wamids)))
    assert post_webhook(body).status_code == 200
    assert post_webhook(body).status_code == 200  # Meta retries: same rows
    with sessions() as session:
        rows = session.scalars(select(ScheduledMessage.status).where(ScheduledMessage.wamid.in_(wamids))).all()
        events = session.scalars(select(MessageStatusEvent.status).where(MessageStatusEvent.wamid.in_(wamids))).all()
    assert rows == ["read"] * 3 and events == ["read"] * 3


@on_postgresql
def test_switched_off_status_webhooks_take_the_general_path(pg_engine, test_config):
    app = create_app(test_config.replace(fast_status_webhooks=False))
    try:
        assert app.extensions["whatsapp_platform"].status_writer is None
        [wamid] = _sent_rows(pg_engine, "989126000001")
        body = json.dumps(status_envelope(status_item(wamid, "delivered", "989126000001"))).encode()
        signature = sign_payload(body, test_config.whatsapp_app_secret)
        response = app.test_client().post("/webhook", data=body, headers={
            "Content-Type": "application/json", "X-Hub-Signature-256": signature})
        assert response.status_code == 200
        assert _row_status(pg_engine, wamid) == "delivered"
    finally:
        app.extensions["whatsapp_platform"].close()


@on_postgresql
def test_status_only_webhooks_skip_flask_and_everything_else_reaches_the_view(pg_engine, app, client, post_webhook):
    views = []
    app.before_request(lambda: views.append(1))
    [wamid] = _sent_rows(pg_engine, "989126100001")
    statuses = status_envelope(status_item(wamid, "delivered", "989126100001"))

    response = post_webhook(statuses, headers={"X-Request-ID": "meta-trace-1"})
    assert (response.status_code, response.data, views) == (200, b"OK", [])  # answered by the shortcut
    assert response.headers["X-Request-ID"] == "meta-trace-1"
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert _row_status(pg_engine, wamid) == "delivered"

    text = envelope(messages_change([inbound_message("989126100002", "text", {"body": "hi"})]))
    assert post_webhook(text).status_code == 200 and views == []  # one plain text: inbound.text_writer
    image = envelope(messages_change([inbound_message("989126100002", "image", {"id": "media-1"})]))
    assert post_webhook(image).status_code == 200 and views == [1]  # other messages: the view, as always
    # Everything the shortcut does not answer itself gets the view's usual answer.
    assert post_webhook(statuses, secret="not-the-app-secret").status_code == 403
    assert post_webhook(b'{"object": "whatsapp_business_account", "entry": [').status_code == 400
    assert post_webhook({"object": "page", "entry": []}).status_code == 400
    assert client.post("/webhook", data=json.dumps(statuses)).status_code == 401  # unsigned
    too_big = json.dumps(statuses).encode() + b" " * app.config["MAX_CONTENT_LENGTH"]
    assert post_webhook(too_big).status_code == 413
    assert len(views) == 6
    with create_session_factory(pg_engine)() as session:
        events = session.scalars(select(MessageStatusEvent.status).where(MessageStatusEvent.wamid == wamid)).all()
    assert events == ["delivered"]


@on_postgresql
def test_every_request_logged_means_every_request_goes_through_flask(pg_engine, app, post_webhook):
    app.config["LOG_EVERY_REQUEST"] = True
    views = []
    app.before_request(lambda: views.append(1))
    assert post_webhook(status_envelope(status_item(new_wamid(), "read", "989126200001"))).status_code == 200
    assert views == [1]


@on_postgresql
def test_a_database_error_on_the_shortcut_is_a_503_that_stores_nothing(pg_engine, app, post_webhook):
    views = []
    app.before_request(lambda: views.append(1))
    context = app.extensions["whatsapp_platform"]
    working = context.status_writer
    context.status_writer = StatusWriter(create_engine_for("postgresql+psycopg2://postgres@127.0.0.1:9/none",
                                                           isolation_level="AUTOCOMMIT"))
    wamid = new_wamid()
    try:
        response = post_webhook(status_envelope(status_item(wamid, "read", "989126300001")),
                                headers={"X-Request-ID": "retry-me"})
    finally:
        context.status_writer.engine.dispose()
        context.status_writer = working
    assert (response.status_code, response.json, views) == (503, {"error": "database unavailable, retry later"}, [])
    assert response.headers["X-Request-ID"] == "retry-me"
    with create_session_factory(pg_engine)() as session:
        assert session.scalar(select(MessageStatusEvent.id).where(MessageStatusEvent.wamid == wamid)) is None
