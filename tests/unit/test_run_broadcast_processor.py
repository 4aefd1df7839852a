"""The cron entry as operators run it: `python run_broadcast_processor.py` in its own process, against the
test database and the fake Graph API — idle runs, the single-instance guard, SIGTERM, and SIGKILL mid-batch."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from broadcast_testing import fake_sender, processor_config, rows_by_status, seed_broadcast
from conftest import GRAPH_TOKEN, PHONE_NUMBER_ID, ROOT
from deployment import json_lines
from sqlalchemy import select

from broadcast_service import broadcast_report
from database_models import Contact, ScheduledMessage
from outbound.processor import MessageProcessor
from run_broadcast_processor import EXIT_CONFIG, EXIT_OK, EXIT_UNCONFIRMED, run_processor, single_instance

LEASE_SECONDS = 2


def processor_env(database_url: str, fake, **settings: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("WHATSAPP_", "SQLALCHEMY_"))}
    env.update(SQLALCHEMY_DATABASE_URL=database_url, WHATSAPP_API_TOKEN=GRAPH_TOKEN,
               WHATSAPP_PHONE_NUMBER_ID=PHONE_NUMBER_ID, WHATSAPP_API_BASE_URL=fake.url, APP_ENV="development",
               WHATSAPP_MAX_MPS="150", SEND_LEASE_SECONDS=str(LEASE_SECONDS),
               PROCESSOR_TIME_BUDGET_SECONDS="30")
    env.update(settings)
    return env


def start_processor(database_url: str, fake, **settings: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "run_broadcast_processor.py"], cwd=ROOT,
                            env=processor_env(database_url, fake, **settings),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for_sends(fake, process: subprocess.Popen, count: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while len(fake.messages()) < count:
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the processor sent too little"
        time.sleep(0.005)


def recipients_by_status(factory) -> dict[str, tuple[str, str | None, int]]:
    with factory() as session:
        rows = session.execute(select(Contact.wa_id, ScheduledMessage.status, ScheduledMessage.wamid,
                                      ScheduledMessage.unconfirmed_sends).join(Contact)).all()
    return {wa_id: (status, wamid, unconfirmed) for wa_id, status, wamid, unconfirmed in rows}


def test_nothing_due_exits_0_at_once(factory, fake_graph, database_url):
    seed_broadcast(factory, 3, scheduled_at=None)
    with factory() as session:
        session.execute(ScheduledMessage.__table__.update().values(status="sent"))
        session.commit()
    # With a 10-minute budget, a run that waited for work instead of exiting would hit the timeout.
    finished = subprocess.run([sys.executable, "run_broadcast_processor.py"], cwd=ROOT, capture_output=True,
                              text=True, env=processor_env(database_url, fake_graph,
                                                           PROCESSOR_TIME_BUDGET_SECONDS="600"), timeout=120)
    assert finished.returncode == 0, finished.stderr
    assert fake_graph.stats()["total"] == 0


def test_a_second_processor_steps_aside_while_one_runs(factory, fake_graph, database_url):
    seed_broadcast(factory, 5)
    config = processor_config(database_url)
    sender = fake_sender(fake_graph)
    try:
        with single_instance(factory, database_url) as first:
            assert first
            code, summary = run_processor(config, factory, lambda: MessageProcessor(factory, sender, config))
            assert (code, summary) == (EXIT_OK, None) and fake_graph.stats()["total"] == 0
        code, summary = run_processor(config, factory, lambda: MessageProcessor(factory, sender, config),
                                      time_budget=10)
    finally:
        sender.close()
    assert code == EXIT_OK and summary.sent == 5


def test_sigterm_finishes_what_is_in_flight_and_hands_back_the_rest(factory, fake_graph, database_url):
    seed_broadcast(factory, 300)
    fake_graph.set_latency(20)
    process = start_processor(database_url, fake_graph, WHATSAPP_MAX_MPS="100")
    wait_for_sends(fake_graph, process, 40)

    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=20)

    assert process.returncode == 0, stderr
    statuses = rows_by_status(factory)
    assert set(statuses) == {"sent", "pending"} and statuses["sent"] == len(fake_graph.messages())
    assert set(fake_graph.counts().values()) == {1}


@pytest.mark.parametrize("resend", [False, True], ids=["unknown", "resend"])
def test_a_processor_killed_mid_batch_loses_nothing_and_sends_nothing_twice(factory, fake_graph, database_url,
                                                                             resend):
    broadcast_id = seed_broadcast(factory, 300)
    fake_graph.set_latency(20)
    process = start_processor(database_url, fake_graph)
    wait_for_sends(fake_graph, process, 60)

    os.kill(process.pid, signal.SIGKILL)
    process.communicate(timeout=10)
    held_at_kill = rows_by_status(factory).get("sending", 0)
    assert held_at_kill > 0  # it died holding claims: the case under test
    time.sleep(LEASE_SECONDS + 0.2)
    # Requests already read by the API may still be accepted after the client died, as with Meta.
    sent_before_recovery = dict(fake_graph.counts())

    config = processor_config(database_url, resend_unconfirmed=resend, whatsapp_max_mps=500)
    sender = fake_sender(fake_graph)
    try:
        code, summary = run_processor(config, factory, lambda: MessageProcessor(factory, sender, config),
                                      time_budget=20)
    finally:
        sender.close()

    assert summary.recovered == held_at_kill
    counts = fake_graph.counts()
    rows = recipients_by_status(factory)
    accepted = {m["wamid"] for m in fake_graph.messages()}
    with factory() as session:
        report = broadcast_report(session, broadcast_id)
    unconfirmed = {wa_id for wa_id, (_, _, times) in rows.items() if times}
    assert len(unconfirmed) == held_at_kill == report.unconfirmed
    if not resend:
        # Nothing is sent twice; every recipient either got exactly one message recorded as
        # sent, or is `unknown` (it may or may not have got one) and listed for the operator.
        assert code == EXIT_UNCONFIRMED
        assert max(counts.values()) == 1
        assert {status for status, _, _ in rows.values()} <= {"sent", "unknown"}
        for wa_id, (status, wamid, _) in rows.items():
            if status == "sent":
                assert counts[wa_id] == 1 and wamid in accepted
            else:
                assert wa_id in unconfirmed and counts.get(wa_id, 0) <= 1
        assert {w for w in rows if w not in counts} <= unconfirmed  # the unsent are all visible
        assert report.counts["unknown"] == held_at_kill and len(report.unknown_recipients) == min(held_at_kill, 50)
    else:
        # Everyone gets the message; only the unconfirmed rows may have got it twice.
        assert code == EXIT_OK
        assert {status for status, _, _ in rows.values()} == {"sent"}
        assert set(counts) == set(rows) and max(counts.values()) <= 2
        twice = {wa_id for wa_id, count in counts.items() if count == 2}
        assert twice <= unconfirmed
        assert twice == {w for w in unconfirmed if sent_before_recovery.get(w)}
        assert report.resent_unconfirmed == held_at_kill and report.counts["unknown"] == 0


def test_the_cron_run_enriches_new_messages_for_analytics(factory, fake_graph, database_url):
    from database_models import ReceivedMessageLog, utcnow

    with factory() as session:
        contact = Contact(wa_id="989121230000", attributes={})
        session.add(contact)
        session.flush()
        session.add(ReceivedMessageLog(wamid="wamid.enrich1", contact_id=contact.id, message_type="text",
                                       text="سفارشم خراب رسید، خیلی بد بود", payload={}, received_at=utcnow()))
        session.commit()
    finished = subprocess.run([sys.executable, "run_broadcast_processor.py"], cwd=ROOT, capture_output=True,
                              text=True, env=processor_env(database_url, fake_graph), timeout=60)
    assert finished.returncode == EXIT_OK, finished.stderr
    with factory() as session:
        message = session.scalars(select(ReceivedMessageLog)).one()
    assert message.enriched_at is not None
    assert message.sentiment == "negative"
    assert "سفارش" in message.keywords
    assert fake_graph.stats()["total"] == 0


def test_a_never_migrated_database_is_one_line_naming_the_migration_and_exit_2(tmp_path, fake_graph):
    never_migrated = f"sqlite:///{tmp_path / 'never-migrated.db'}"
    finished = subprocess.run([sys.executable, "run_broadcast_processor.py"], cwd=ROOT, capture_output=True, text=True,
                              env=processor_env(never_migrated, fake_graph, LOG_LEVEL="INFO"), timeout=60)
    assert finished.returncode == EXIT_CONFIG
    assert finished.stdout == ""
    [line] = json_lines(finished.stderr)
    assert line["level"] == "ERROR" and line["event"] == "processor.no_schema"
    assert "schema" in line["message"] and "`alembic upgrade head`" in line["message"]
    assert "`make migrate`" in line["message"] and "Traceback" not in finished.stderr
    assert fake_graph.stats()["total"] == 0


def test_a_configuration_error_is_one_json_line_and_exit_2(tmp_path, fake_graph):
    finished = subprocess.run([sys.executable, "run_broadcast_processor.py"], cwd=ROOT, capture_output=True, text=True,
                              env=processor_env(f"sqlite:///{tmp_path / 'x.db'}", fake_graph, TIMEZONE="Mars/Olympus"),
                              timeout=60)
    assert finished.returncode == EXIT_CONFIG
    [line] = json_lines(finished.stderr)
    assert line["message"] == "configuration error: TIMEZONE: unknown timezone 'Mars/Olympus'"
