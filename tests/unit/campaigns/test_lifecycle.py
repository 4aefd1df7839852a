"""Campaign lifecycle driven by the processor: scheduled → sending → completed (with its time), paused,
cancelled; unknown rows; two processors on one campaign; the cost of the completion check; the migration
that gives existing campaigns their status."""

from __future__ import annotations

import argparse
import threading
from datetime import datetime, timedelta

import jsonschema_rs
import pytest
from alembic import command
from alembic.config import Config as AlembicConfig
from broadcast_testing import fake_sender, processor_config, seed_broadcast
from conftest import ROOT
from dashboard_testing import log_in
from sqlalchemy import event, select, text, update
from sqlalchemy.engine import make_url

from broadcast_service import (
    BroadcastError,
    broadcast_report,
    cancel_broadcast,
    pause_broadcast,
    resend_unknown,
    resume_broadcast,
)
from campaigns.lifecycle import complete_finished_campaigns
from database_models import CAMPAIGN_STATUSES, Broadcast, Contact, ScheduledMessage, utcnow
from database_setup import create_engine_for, create_session_factory
from outbound.processor import MessageProcessor
from scheduler import Scheduler
from web.api.openapi_spec import SPEC
from web.api.support import spec_path  # the document names /api/v1/… paths; /api/… are their aliases


def processor(factory, sender, database_url, **changes) -> MessageProcessor:
    return MessageProcessor(factory, sender, processor_config(database_url, **changes), retry_base_seconds=0.01)


def campaign(factory, broadcast_id: int) -> Broadcast:
    with factory() as session:
        return session.get(Broadcast, broadcast_id)


def control(factory, action, broadcast_id: int) -> int:
    with factory() as session:
        moved = action(session, broadcast_id)
        session.commit()
        return moved


def test_the_first_claim_makes_a_campaign_sending_and_the_last_outcome_completes_it(factory, sender, database_url):
    broadcast_id = seed_broadcast(factory, 5)
    assert campaign(factory, broadcast_id).status == "scheduled"
    started = utcnow()

    first = processor(factory, sender, database_url).process_due(limit=2, time_budget=10)

    halfway = campaign(factory, broadcast_id)
    assert first.sent == 2 and first.campaigns_completed == []
    assert halfway.status == "sending" and halfway.completed_at is None

    rest = processor(factory, sender, database_url).process_due(time_budget=10)

    done = campaign(factory, broadcast_id)
    assert rest.sent == 3 and rest.campaigns_completed == [broadcast_id]
    assert done.status == "completed" and started <= done.completed_at <= utcnow()
    with factory() as session:
        last_sent = max(session.scalars(select(ScheduledMessage.sent_at)
                                        .where(ScheduledMessage.broadcast_id == broadcast_id)))
        report = broadcast_report(session, broadcast_id)
    assert done.completed_at == last_sent  # when its last row was settled, not when someone looked
    assert report.status == "completed" and report.completed_at == done.completed_at


def test_failed_and_skipped_rows_finish_a_campaign_and_a_future_campaign_stays_scheduled(
        factory, sender, fake_graph, database_url):
    broadcast_id = seed_broadcast(factory, 4)
    later = seed_broadcast(factory, 2, prefix="98935", scheduled_at=utcnow() + timedelta(hours=3))
    with factory() as session:
        session.execute(update(Contact).where(Contact.wa_id == "989120000001").values(opted_out=True))
        session.commit()
    fake_graph.fail_recipients(["989120000002"], 131026)

    summary = processor(factory, sender, database_url).process_due(time_budget=10)

    assert (summary.sent, summary.failed, summary.skipped) == (2, 1, 1)
    assert summary.campaigns_completed == [broadcast_id]
    assert campaign(factory, broadcast_id).status == "completed"
    assert campaign(factory, later).status == "scheduled" and campaign(factory, later).completed_at is None


def test_unknown_rows_finish_a_campaign_until_the_operator_resends_them(factory, sender, database_url):
    broadcast_id = seed_broadcast(factory, 3)
    with factory() as session:  # a processor claimed every row, then died mid-send
        Scheduler(session).claim_due_rows(utcnow(), 10, "crashed-worker", 60)
        session.commit()
    assert campaign(factory, broadcast_id).status == "sending"

    later = processor(factory, sender, database_url).process_due(now=utcnow() + timedelta(minutes=5),
                                                                 time_budget=5)

    assert later.recovered == 3 and later.campaigns_completed == [broadcast_id]
    assert campaign(factory, broadcast_id).status == "completed"
    assert control(factory, resend_unknown, broadcast_id) == 3
    reopened = campaign(factory, broadcast_id)
    assert reopened.status == "sending" and reopened.completed_at is None

    again = processor(factory, sender, database_url).process_due(time_budget=10)

    assert again.sent == 3 and again.campaigns_completed == [broadcast_id]
    assert campaign(factory, broadcast_id).status == "completed"


def test_pause_resume_and_cancel_keep_the_operators_status_and_refuse_on_a_completed_campaign(
        factory, sender, database_url):
    paused = seed_broadcast(factory, 3)
    cancelled = seed_broadcast(factory, 2, prefix="98935")
    with factory() as session:  # one row of the first campaign went out before the pause
        [row] = Scheduler(session).claim_due_rows(utcnow(), 1, "worker-a", 60)
        Scheduler(session).mark_sent(row.id, "wamid.EARLY", utcnow(), worker_id="worker-a")
        session.commit()
    assert control(factory, pause_broadcast, paused) == 2
    assert control(factory, cancel_broadcast, cancelled) == 2

    processor(factory, sender, database_url).process_due(time_budget=5)

    assert campaign(factory, paused).status == "paused"  # paused rows are not finished
    assert campaign(factory, cancelled).status == "cancelled" and campaign(factory, cancelled).completed_at is None
    assert control(factory, resume_broadcast, paused) == 2
    assert campaign(factory, paused).status == "sending"  # a row had gone out already
    processor(factory, sender, database_url).process_due(time_budget=10)
    assert campaign(factory, paused).status == "completed"
    for action in (pause_broadcast, resume_broadcast, cancel_broadcast):
        with factory() as session, pytest.raises(BroadcastError, match="completed"):
            action(session, paused)


def test_resuming_a_campaign_whose_rows_all_went_completes_it(factory, sender, fake_graph, database_url):
    broadcast_id = seed_broadcast(factory, 2)
    with factory() as session:
        claimed = Scheduler(session).claim_due_rows(utcnow(), 10, "worker-a", 60)
        session.commit()
    control(factory, pause_broadcast, broadcast_id)  # too late: both rows are on their way
    with factory() as session:
        for row in claimed:
            Scheduler(session).mark_sent(row.id, f"wamid.{row.id}", utcnow(), worker_id="worker-a")
        session.commit()

    assert control(factory, resume_broadcast, broadcast_id) == 0
    assert campaign(factory, broadcast_id).status == "completed"


def test_the_cron_run_has_work_when_a_finished_campaign_was_left_open(factory):
    """A run that died between recording its last outcomes and completing their campaign."""
    broadcast_id = seed_broadcast(factory, 2)
    with factory() as session:
        scheduler = Scheduler(session)
        first, second = scheduler.claim_due_rows(utcnow(), 10, "worker-a", 60)
        scheduler.mark_sent(first.id, "wamid.A", utcnow(), worker_id="worker-a")
        scheduler.release([second.id], worker_id="worker-a", at=utcnow() + timedelta(hours=1))
        session.commit()
        assert not scheduler.has_work(utcnow())  # one row waits for its time: nothing to do yet
        session.execute(update(ScheduledMessage).where(ScheduledMessage.id == second.id)  # the last row went out
                        .values(status="sent", wamid="wamid.B", sent_at=utcnow()))
        session.commit()
        assert campaign(factory, broadcast_id).status == "sending"
        assert scheduler.has_work(utcnow())
        assert complete_finished_campaigns(session, utcnow()) == [broadcast_id]
        session.commit()
        assert not scheduler.has_work(utcnow())


def test_two_processors_on_one_campaign_complete_it_exactly_once(engine, factory, fake_graph, database_url):
    broadcast_id = seed_broadcast(factory, 300)
    results, errors = [], []

    def run() -> None:
        sender = fake_sender(fake_graph)
        try:
            worker = MessageProcessor(create_session_factory(engine), sender,
                                      processor_config(database_url, processor_batch_size=20), concurrency=8)
            results.append(worker.process_due(time_budget=30))
        except Exception as error:  # reported below
            errors.append(error)
        finally:
            sender.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sum(result.sent for result in results) == 300 and all(result.claimed for result in results)
    assert sorted(b for result in results for b in result.campaigns_completed) == [broadcast_id]
    assert campaign(factory, broadcast_id).status == "completed"


def test_the_completion_check_costs_one_statement_per_run_not_one_per_row(engine, factory, sender, database_url):
    ids = [seed_broadcast(factory, 100, prefix=prefix) for prefix in ("98911", "98922", "98933")]
    statements: list[str] = []

    def collect(_connection, _cursor, statement, *_args) -> None:
        if "broadcasts" in statement.lower():
            statements.append(" ".join(statement.split()).lower())

    event.listen(engine, "before_cursor_execute", collect)
    try:
        summary = processor(factory, sender, database_url, processor_batch_size=25).process_due(time_budget=20)
    finally:
        event.remove(engine, "before_cursor_execute", collect)

    assert summary.sent == 300 and summary.batches >= 12 and sorted(summary.campaigns_completed) == ids
    completions = [s for s in statements if s.startswith("update broadcasts set status") and "completed_at=coalesce" in
                   s.replace(" ", "")]
    assert len(completions) == 2  # the sweep when the run starts, the campaigns it touched when it ends
    starts = [s for s in statements if s.startswith("update broadcasts") and s not in completions]
    assert len(starts) <= 3  # scheduled → sending once per campaign, not once per batch


# --- where operators see it ----------------------------------------------------------------

API_AUTH = {"Authorization": "Bearer test-admin-token-value"}  # conftest's test_config


def _matches_schema(path: str, method: str, body: dict) -> None:
    schema = SPEC["paths"][spec_path(path)][method]["responses"]["200"]["content"]["application/json"]["schema"]
    jsonschema_rs.Draft202012Validator({**schema, "components": SPEC["components"]},
                                       validate_formats=True).validate(body)


def test_the_api_and_the_dashboard_show_the_status_and_the_completion_time(app, client):
    created = client.post("/api/contacts", headers=API_AUTH, json={"wa_id": "989121234567", "name": "Sara"})
    assert created.status_code == 201
    response = client.post("/api/broadcasts", headers=API_AUTH, json={
        "name": "Yalda night", "text": "Hi {name}", "audience": {"all": True}})
    number = response.get_json()["id"]
    url = f"/api/broadcasts/{number}"
    assert client.get(url, headers=API_AUTH).get_json()["status"] == "scheduled"

    summary = app.extensions["whatsapp_platform"].processor.process_due(time_budget=5)

    assert summary.campaigns_completed == [number]
    listing = client.get("/api/broadcasts", headers=API_AUTH).get_json()
    detail = client.get(url, headers=API_AUTH).get_json()
    _matches_schema("/api/broadcasts", "get", listing)
    _matches_schema("/api/broadcasts/{broadcast_id}", "get", detail)
    [item] = listing["items"]
    assert item["status"] == detail["status"] == detail["report"]["status"] == "completed"
    completed_at = datetime.fromisoformat(item["completed_at"])
    assert detail["completed_at"] == detail["report"]["completed_at"] == item["completed_at"]
    refused = client.post(url + "/pause", headers=API_AUTH)
    assert refused.status_code == 409 and "completed" in refused.get_json()["error"]

    assert log_in(client).status_code == 302
    page = client.get("/dashboard").get_data(as_text=True)
    funnel = page[page.index(f'data-broadcast="{number}"'):]
    shown = completed_at.astimezone(app.extensions["whatsapp_platform"].config.zone).strftime("%d %b %Y, %H:%M")
    assert f'<span class="status status-completed">completed {shown}</span>' in funnel[:600]


def test_the_documented_statuses_are_the_models():
    assert SPEC["components"]["schemas"]["Broadcast"]["properties"]["status"]["enum"] == list(CAMPAIGN_STATUSES)


# --- the migration ----------------------------------------------------------------------

def _isolated_url(database_url: str, tmp_path) -> tuple[str, str | None]:
    """A database with no tables: a new SQLite file, or a fresh PostgreSQL schema."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        return f"sqlite:///{tmp_path / 'migration.db'}", None
    schema = "campaign_lifecycle_migration"
    return url.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(False), schema


def test_the_migration_gives_existing_campaigns_the_status_of_their_rows(database_url, tmp_path):
    url, schema = _isolated_url(database_url, tmp_path)
    admin = create_engine_for(database_url)
    if schema:
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
            connection.execute(text(f"CREATE SCHEMA {schema}"))
    alembic_config = AlembicConfig(str(ROOT / "alembic.ini"))
    alembic_config.attributes["database_url"] = url
    alembic_config.attributes["skip_logging_setup"] = True
    engine = create_engine_for(url)
    try:
        command.upgrade(alembic_config, "0002-1")  # whatever revision precedes this one
        now = utcnow().replace(microsecond=0)
        settled = now - timedelta(hours=2)

        def stamp(value):  # plain SQL: SQLite stores naive UTC
            return value.replace(tzinfo=None) if value is not None and schema is None else value

        with engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO contacts (id, wa_id, attributes, opted_out, created_at, updated_at) "
                "VALUES (1, '989120000001', '{}', false, :now, :now), (2, '989120000002', '{}', false, :now, :now)"),
                {"now": stamp(now)})
            campaigns = {1: "scheduled", 2: "scheduled", 3: "scheduled", 4: "paused", 5: "cancelled"}
            for number, status in campaigns.items():
                connection.execute(text(
                    "INSERT INTO broadcasts (id, name, audience, scheduled_at, status, recipient_count, exclusions, "
                    "created_at, updated_at) VALUES (:id, 'c', '{}', :now, :status, 2, '{}', :now, :now)"),
                    {"id": number, "status": status, "now": stamp(now)})
            rows = {1: ("read", "failed"), 2: ("sent", "pending"), 3: ("pending", "pending"),
                    4: ("sent", "paused"), 5: ("sent", "cancelled")}
            for number, statuses in rows.items():
                for contact_id, status in zip((1, 2), statuses, strict=True):
                    sent_at = settled - timedelta(minutes=contact_id) if status in ("read", "sent") else None
                    failed_at = settled if status == "failed" else None
                    connection.execute(text(
                        "INSERT INTO scheduled_messages (contact_id, broadcast_id, kind, scheduled_at, status, "
                        "attempts, dry_run, unconfirmed_sends, sent_at, failed_at, created_at, updated_at) VALUES "
                        "(:contact, :broadcast, 'broadcast', :now, :status, 1, false, 0, :sent, :failed, :now, :now)"),
                        {"contact": contact_id, "broadcast": number, "status": status, "now": stamp(now),
                         "sent": stamp(sent_at), "failed": stamp(failed_at)})

        command.upgrade(alembic_config, "0002")

        with create_session_factory(engine)() as session:
            migrated = {b.id: (b.status, b.completed_at) for b in session.scalars(select(Broadcast))}
        assert migrated == {1: ("completed", settled), 2: ("sending", None), 3: ("scheduled", None),
                            4: ("paused", None), 5: ("cancelled", None)}
        # And back, for operators who must: like `alembic -x allow-data-loss=true downgrade`, since it drops a column.
        alembic_config.cmd_opts = argparse.Namespace(x=["allow-data-loss=true"])
        command.downgrade(alembic_config, "0002-1")
        with engine.connect() as connection:
            assert set(connection.execute(text("SELECT status FROM broadcasts")).scalars()) == {
                "scheduled", "paused", "cancelled"}
    finally:
        engine.dispose()
        if schema:
            with admin.begin() as connection:
                connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        admin.dispose()
