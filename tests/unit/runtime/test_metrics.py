"""/metrics: webhook counters per outcome, send and batch metrics, queue depth, access control, gunicorn workers."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from conftest import APP_SECRET, GUNICORN_COMMAND, ROOT, clean_tables, free_port, run_migrations
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select

from database_models import Contact, ScheduledMessage
from inbound.sample_payloads import text_message_envelope
from inbound.signatures import sign_payload
from runtime.metrics import WEBHOOK_RESULTS, record_batch, record_claims, record_send, record_webhook
from webhook_handler import create_app

TOKEN = "test-admin-token-value"
OUTSIDE = {"REMOTE_ADDR": "203.0.113.7"}


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """{(sample name, sorted labels): value} of a Prometheus text exposition."""
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


def scrape(client, **kwargs) -> dict:
    response = client.get("/metrics", **kwargs)
    assert response.status_code == 200, response.data
    assert response.content_type.startswith("text/plain; version=")
    return samples(response.get_data(as_text=True))


def webhooks(values: dict, result: str) -> float:
    return values.get(("whatsapp_webhooks_received_total", (("result", result),)), 0.0)


# --- counters move -------------------------------------------------------------------------------

def test_every_webhook_outcome_moves_its_own_counter(app, client, post_webhook):
    before = scrape(client)
    assert {result for result in WEBHOOK_RESULTS if ("whatsapp_webhooks_received_total",
                                                     (("result", result),)) in before} == set(WEBHOOK_RESULTS)
    assert post_webhook(text_message_envelope("989121110001", "hi")).status_code == 200
    assert post_webhook(text_message_envelope("989121110002", "hi")).status_code == 200
    assert post_webhook(text_message_envelope("989121110003", "hi"), signature="").status_code == 401
    assert post_webhook(text_message_envelope("989121110003", "hi"), secret="wrong-secret").status_code == 403
    assert post_webhook(b"{not json").status_code == 400
    assert post_webhook({"object": "page", "entry": []}).status_code == 400
    assert post_webhook(text_message_envelope("989121110004", "x" * (3 * 1024 * 1024 + 10))).status_code == 413
    after = scrape(client)
    moved = {result: webhooks(after, result) - webhooks(before, result) for result in WEBHOOK_RESULTS}
    assert moved == {"stored": 2, "unsigned": 1, "bad_signature": 1, "bad_json": 1, "bad_envelope": 1,
                     "too_large": 1, "db_unavailable": 0}


def test_a_database_failure_counts_as_db_unavailable(test_config, tmp_path):
    # A real SQLite file without the schema: every insert fails the way a lost database does.
    app = create_app(test_config.replace(database_url=f"sqlite:///{tmp_path / 'empty.db'}"))
    try:
        client = app.test_client()
        before = webhooks(scrape(client), "db_unavailable")
        body = json.dumps(text_message_envelope("989121110001", "hi")).encode()
        response = client.post("/webhook", data=body, headers={"X-Hub-Signature-256": sign_payload(body, APP_SECRET),
                                                               "Content-Type": "application/json"})
        assert response.status_code == 503
        values = scrape(client)
        assert webhooks(values, "db_unavailable") - before == 1
        assert values[("whatsapp_queue_scrape_ok", ())] == 0
    finally:
        app.extensions["whatsapp_platform"].close()


def test_send_and_batch_helpers_move_their_metrics(app, client):
    before = scrape(client)
    record_send("sent", None, 0.2)
    record_send("failed", 131026, 0.4)
    record_send("failed", "not-a-code", None)
    record_send("skipped", None, None)
    record_batch(1.5)
    record_claims(40)
    after = scrape(client)

    def moved(name, **labels):
        key = (name, tuple(sorted(labels.items())))
        return after.get(key, 0.0) - before.get(key, 0.0)

    assert moved("whatsapp_messages_sent_total", status="sent", error_code="none") == 1
    assert moved("whatsapp_messages_sent_total", status="failed", error_code="131026") == 1
    assert moved("whatsapp_messages_sent_total", status="failed", error_code="other") == 1
    assert moved("whatsapp_messages_sent_total", status="skipped", error_code="none") == 1
    assert moved("whatsapp_send_latency_seconds_count") == 2
    assert moved("whatsapp_send_latency_seconds_sum") == pytest.approx(0.6)
    assert moved("whatsapp_send_latency_seconds_bucket", le="0.25") == 1
    assert moved("whatsapp_processor_batch_seconds_count") == 1
    assert moved("whatsapp_processor_batch_seconds_bucket", le="1.0") == 0
    assert moved("whatsapp_processor_batch_seconds_bucket", le="2.0") == 1
    assert moved("whatsapp_processor_claimed_messages_total") == 40


def test_the_processor_counts_what_it_sends(app, client):
    from datetime import timedelta

    from database_models import utcnow
    from scheduler import Scheduler

    platform = app.extensions["whatsapp_platform"]
    with platform.session_factory() as writer:
        for number in range(3):  # three recipients, so the pair rate (outbound/pacing.py) defers none
            contact_id = make_contact_row(writer, f"98912000123{number}")
            Scheduler(writer).add(contact_id, body="hello", kind="reply", scheduled_at=utcnow() - timedelta(seconds=1))
        writer.commit()
    before = scrape(client)
    summary = platform.processor.process_due(time_budget=5)
    after = scrape(client)
    key = ("whatsapp_messages_sent_total", (("error_code", "none"), ("status", "sent")))
    assert summary.sent == 3
    assert after[key] - before.get(key, 0.0) == 3
    count = ("whatsapp_send_latency_seconds_count", ())
    assert after[count] - before.get(count, 0.0) == 3
    batches = ("whatsapp_processor_batch_seconds_count", ())
    assert after[batches] - before.get(batches, 0.0) == 1
    claimed = ("whatsapp_processor_claimed_messages_total", ())
    assert after[claimed] - before.get(claimed, 0.0) == 3


def test_claims_are_counted_while_the_run_still_sends(test_config, engine, fake_graph):
    """An operator watching /metrics sees a long run's claims as they happen, not when it ends."""
    import threading

    from template_testing import graph_sender

    from database_models import utcnow
    from scheduler import Scheduler

    app = create_app(test_config, sender=graph_sender(fake_graph))
    client = app.test_client()
    platform = app.extensions["whatsapp_platform"]
    try:
        with platform.session_factory() as writer:
            for number in range(3):
                contact_id = make_contact_row(writer, f"98912000124{number}")
                Scheduler(writer).add(contact_id, body="hello", kind="reply",
                                      scheduled_at=utcnow() - timedelta(seconds=1))
            writer.commit()
        fake_graph.set_latency(1500)  # every send waits 1.5 s at the fake API
        claimed = ("whatsapp_processor_claimed_messages_total", ())
        sent = ("whatsapp_messages_sent_total", (("error_code", "none"), ("status", "sent")))
        before = scrape(client)
        run = threading.Thread(target=platform.processor.process_due, kwargs={"time_budget": 10})
        run.start()
        during, deadline = before, time.monotonic() + 1.2
        while time.monotonic() < deadline and during.get(claimed, 0.0) - before.get(claimed, 0.0) < 3:
            time.sleep(0.05)
            during = scrape(client)
        run.join(timeout=20)
        after = scrape(client)
        assert during.get(claimed, 0.0) - before.get(claimed, 0.0) == 3
        assert during.get(sent, 0.0) == before.get(sent, 0.0)  # nothing answered yet: the claims came first
        assert after.get(sent, 0.0) - before.get(sent, 0.0) == 3
        assert after.get(claimed, 0.0) - before.get(claimed, 0.0) == 3
    finally:
        fake_graph.set_latency(0)
        platform.close()
        clean_tables(engine)


def make_contact_row(session, wa_id: str) -> int:
    from database_models import Contact

    contact = Contact(wa_id=wa_id, attributes={})
    session.add(contact)
    session.flush()
    return contact.id


def test_unknown_webhook_result_is_refused():
    with pytest.raises(ValueError):
        record_webhook("weird")


# --- queue depth -------------------------------------------------------------------------------------

def test_queue_depth_is_read_from_the_queue_at_scrape_time(app, client, post_webhook):
    post_webhook(text_message_envelope("989121110001", "hi"))  # a contact to attach rows to
    now = datetime.now(UTC)
    with app.extensions["whatsapp_platform"].session_factory() as session:
        contact_id = session.scalar(select(Contact.id))
        session.execute(ScheduledMessage.__table__.delete())
        rows = [("pending", now - timedelta(minutes=10)), ("pending", now - timedelta(minutes=1)),
                ("pending", now + timedelta(hours=1)), ("paused", now), ("paused", now), ("unknown", now),
                ("sent", now), ("failed", now)]
        session.add_all(ScheduledMessage(contact_id=contact_id, body="x", status=status, scheduled_at=at)
                        for status, at in rows)
        session.commit()
    values = scrape(client)
    depth = {labels[0][1]: value for (name, labels), value in values.items() if name == "whatsapp_queue_messages"}
    assert depth == {"pending": 3, "sending": 0, "paused": 2, "unknown": 1}
    assert 590 <= values[("whatsapp_queue_oldest_due_seconds", ())] <= 900
    assert values[("whatsapp_queue_scrape_ok", ())] == 1
    with app.extensions["whatsapp_platform"].session_factory() as session:
        session.execute(ScheduledMessage.__table__.update().values(status="sent"))
        session.commit()
    values = scrape(client)
    assert values[("whatsapp_queue_messages", (("status", "pending"),))] == 0
    assert values[("whatsapp_queue_oldest_due_seconds", ())] == 0


def test_queue_depth_query_uses_the_status_index(app):
    engine = app.extensions["whatsapp_platform"].engine
    query = ("SELECT status, count(*) FROM scheduled_messages "
             "WHERE status IN ('pending', 'sending', 'paused', 'unknown') GROUP BY status")
    with engine.begin() as connection:
        if engine.dialect.name == "sqlite":
            plan = connection.exec_driver_sql("EXPLAIN QUERY PLAN " + query).all()
        else:  # an empty test table is cheapest to scan; ask whether an index can serve the query at all
            connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
            plan = connection.exec_driver_sql("EXPLAIN " + query).all()
    assert "ix_scheduled_messages_status_" in " ".join(str(row[-1]) for row in plan)


# --- access control ----------------------------------------------------------------------------------

def test_metrics_are_served_to_local_addresses_and_refused_elsewhere(client):
    assert client.get("/metrics").status_code == 200
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "::1"}).status_code == 200
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "::ffff:127.0.0.1"}).status_code == 200
    refused = client.get("/metrics", environ_base=OUTSIDE)
    assert refused.status_code == 403
    assert b"whatsapp_" not in refused.data
    assert client.get("/metrics", environ_base=OUTSIDE,
                      headers={"Authorization": "Bearer wrong"}).status_code == 403
    assert client.get(f"/metrics?access_token={TOKEN}", environ_base=OUTSIDE).status_code == 403


def test_the_admin_token_opens_metrics_from_anywhere(client):
    response = client.get("/metrics", environ_base=OUTSIDE, headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    assert b"whatsapp_webhooks_received_total" in response.data


def test_allowed_addresses_are_configurable_with_networks(app, client):
    context = app.extensions["whatsapp_platform"]
    context.config = context.config.replace(metrics_allowed_ips="10.0.0.0/8, 192.0.2.1")
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "10.20.30.40"}).status_code == 200
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "192.0.2.1"}).status_code == 200
    assert client.get("/metrics").status_code == 403  # 127.0.0.1 is no longer listed
    assert client.get("/metrics", environ_base=OUTSIDE).status_code == 403


def test_behind_a_proxy_the_forwarded_client_address_decides(test_config, engine):
    app = create_app(test_config.replace(trusted_proxy_hops=1))
    try:
        client = app.test_client()
        assert client.get("/metrics", headers={"X-Forwarded-For": "203.0.113.7"}).status_code == 403
        assert client.get("/metrics", headers={"X-Forwarded-For": "127.0.0.1"}).status_code == 200
    finally:
        app.extensions["whatsapp_platform"].close()
        clean_tables(engine)


# --- several gunicorn workers --------------------------------------------------------------------------


def _wait_until_serving(url: str, process: subprocess.Popen, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"gunicorn exited with {process.returncode}: {process.stderr.read().decode()[-2000:]}")
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise AssertionError("gunicorn did not start")


def test_under_gunicorn_any_worker_reports_every_workers_counts(tmp_path: Path):
    """One worker is held busy by an unfinished request while the other stores five webhooks."""
    database = tmp_path / "gunicorn.db"
    run_migrations(f"sqlite:///{database}")
    multiproc = tmp_path / "prometheus"
    multiproc.mkdir()
    port = free_port()
    environment = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(multiproc),
                   "SQLALCHEMY_DATABASE_URL": f"sqlite:///{database}", "WHATSAPP_APP_SECRET": APP_SECRET,
                   "WHATSAPP_VERIFY_TOKEN": "verify", "FLASK_SECRET_KEY": "secret", "ADMIN_API_TOKEN": TOKEN,
                   "GUNICORN_BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": "2",
                   "GUNICORN_TIMEOUT": "30", "GUNICORN_CONTROL_SOCKET": str(tmp_path / "gunicorn.ctl")}
    for name in ("WHATSAPP_API_TOKEN", "TRUSTED_PROXY_HOPS", "METRICS_ALLOWED_IPS"):
        environment.pop(name, None)
    command = GUNICORN_COMMAND
    process = subprocess.Popen(command, cwd=ROOT, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_serving(url, process)

        def signed(number: str) -> tuple[bytes, dict]:
            body = json.dumps(text_message_envelope(number, "hi")).encode()
            return body, {"X-Hub-Signature-256": sign_payload(body, APP_SECRET), "Content-Type": "application/json"}

        held_body, held_headers = signed("989121119999")
        held = socket.create_connection(("127.0.0.1", port))
        head = (f"POST /webhook HTTP/1.1\r\nHost: localhost\r\nContent-Length: {len(held_body)}\r\n"
                + "".join(f"{k}: {v}\r\n" for k, v in held_headers.items()) + "Connection: close\r\n\r\n")
        held.sendall(head.encode() + held_body[:10])  # a sync worker now waits for the rest of this body
        time.sleep(0.5)
        for index in range(5):
            body, headers = signed(f"98912111000{index}")
            assert httpx.post(url + "/webhook", content=body, headers=headers, timeout=10).status_code == 200
        held.sendall(held_body[10:])
        assert b" 200 " in held.recv(1024)
        held.close()
        counts = set()
        for _ in range(4):  # whichever worker answers, it reports all six
            text = httpx.get(url + "/metrics", timeout=10).text
            counts.add(webhooks(samples(text), "stored"))
        assert counts == {6.0}
        assert len({path.name.rsplit("_", 1)[-1] for path in multiproc.glob("counter_*.db")}) >= 2
    finally:
        process.terminate()
        process.wait(timeout=30)


# --- the multiprocess directory ------------------------------------------------------------------------

def _write_metric_file(path: Path, values: dict[tuple[str, str, tuple[tuple[str, str], ...]], float]) -> None:
    from prometheus_client.mmap_dict import MmapedDict, mmap_key

    metric = MmapedDict(str(path))
    for (metric_name, sample_name, labels), value in values.items():
        metric.write_value(mmap_key(metric_name, sample_name, [k for k, _ in labels], [v for _, v in labels], "h"),
                           value, 0.0)
    metric.close()


def _exited_pid() -> int:
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


def test_compaction_folds_exited_processes_into_an_archive_and_keeps_every_total(tmp_path):
    from deployment import multiprocess_samples

    from runtime.metrics import compact_dead_process_files

    sent = ("whatsapp_messages_sent", "whatsapp_messages_sent_total", (("error_code", "190"), ("status", "failed")))
    bucket = ("whatsapp_send_latency_seconds", "whatsapp_send_latency_seconds_bucket", (("le", "0.5"),))
    first, second, running = _exited_pid(), _exited_pid(), os.getpid()
    _write_metric_file(tmp_path / f"counter_{first}.db", {sent: 2})
    _write_metric_file(tmp_path / f"counter_{second}.db", {sent: 3})
    _write_metric_file(tmp_path / f"counter_{running}.db", {sent: 4})
    _write_metric_file(tmp_path / f"histogram_{first}.db", {bucket: 5})
    _write_metric_file(tmp_path / f"gauge_livesum_{first}.db", {("g", "g", ()): 1})
    before = multiprocess_samples(tmp_path)

    assert compact_dead_process_files(tmp_path) == 3
    assert sorted(path.name for path in tmp_path.glob("*.db")) == sorted(
        ["counter_archive.db", "histogram_archive.db", f"counter_{running}.db"])
    after = multiprocess_samples(tmp_path)
    assert after == {key: value for key, value in before.items() if key[0] != "g"}
    assert after[("whatsapp_messages_sent_total", sent[2])] == 9

    # Later exits are added to the same archive; running processes are never touched.
    third = _exited_pid()
    _write_metric_file(tmp_path / f"counter_{third}.db", {sent: 10})
    assert compact_dead_process_files(tmp_path) == 1
    assert multiprocess_samples(tmp_path)[("whatsapp_messages_sent_total", sent[2])] == 19
    assert (tmp_path / f"counter_{running}.db").exists()
    assert compact_dead_process_files(tmp_path) == 0
