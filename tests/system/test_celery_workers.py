"""Scale-out on Celery: real worker and beat processes on a real Redis broker share one PostgreSQL queue.

Workers and beat are started exactly as docs/operations.md gives them: the `celery` console
script of the virtualenv (`celery -A tasks worker --pool=solo --loglevel INFO`, plus `-n` for
a second worker on one machine), never `python -m celery`, which keeps the working directory
on sys.path and so hid that every task failed with ModuleNotFoundError (issue 11, item 9).

A broadcast is scheduled through the broadcast service, processing tasks are sent to a
queue of this run's own (so parallel runs never take each other's tasks), and the fake
Graph API counts what arrived: every recipient exactly once, both workers sending. Further
tests run a worker and beat from an installed copy with nothing but `.env` for settings,
and check the logs (JSON only), the metrics, failing tasks and a rotated token.
"""

from __future__ import annotations

import os
import subprocess
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import GRAPH_TOKEN, PHONE_NUMBER_ID, ROOT, clean_tables
from conftest import wait_until as conftest_wait_until
from deployment import (
    CELERY_BEAT_ARGS,
    CELERY_WORKER_ARGS,
    clean_environment,
    console_script,
    install_copy,
    json_lines,
    multiprocess_samples,
    write_env_file,
)
from sqlalchemy import func, select

from broadcast_service import Audience, TemplateSpec, schedule_broadcast
from database_models import PENDING, SENDING, Contact, ReceivedMessageLog, ScheduledMessage, utcnow
from database_setup import create_session_factory
from tasks import ENRICH_TASK, PROCESS_TASK, create_celery_app

# The queue is shared through PostgreSQL's row locks; SQLite is one machine's database.
pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
WORKERS = 2
PER_WORKER_MPS = 1000  # the Cloud API maximum: the test measures correctness, the workers go flat out


def redis_or_skip() -> None:
    """Skip (visibly) when Redis does not answer; under CI=true fail instead."""
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true but Redis at {REDIS_URL} does not answer: {error}")
        pytest.skip(f"Redis at {REDIS_URL} does not answer ({error}); .ci/run starts one")


@pytest.fixture
def queue_name() -> Iterator[str]:
    """A Celery queue (and exchange) of this test alone, deleted afterwards."""
    redis_or_skip()
    import redis

    name = f"whatsapp-test-{uuid.uuid4().hex[:12]}"
    yield name
    client = redis.Redis.from_url(REDIS_URL)
    client.delete(name, f"_kombu.binding.{name}")
    client.close()


@dataclass
class Workers:
    """Started `celery -A tasks worker --pool=solo --loglevel INFO -n NAME` processes: their names and processes."""

    names: list[str]
    processes: list[subprocess.Popen]
    log: Path


@pytest.fixture
def start_workers(database_url: str, fake_graph, queue_name: str, engine, tmp_path: Path):
    """Factory: start `count` worker processes on this run's queue (stopped and tables emptied afterwards)."""
    started: list[subprocess.Popen] = []
    log = tmp_path / "celery.log"

    def start(count: int = WORKERS, mps: float = PER_WORKER_MPS) -> Workers:
        env = os.environ | {
            "APP_ENV": "development", "SQLALCHEMY_DATABASE_URL": database_url,
            "WHATSAPP_API_TOKEN": GRAPH_TOKEN, "WHATSAPP_PHONE_NUMBER_ID": PHONE_NUMBER_ID,
            "WHATSAPP_API_BASE_URL": fake_graph.url, "WHATSAPP_MAX_MPS": str(mps),
            "CELERY_BROKER_URL": REDIS_URL, "CELERY_QUEUE": queue_name,
        }
        names = [f"worker{len(started) + i}-{queue_name}@localhost" for i in range(count)]
        with open(log, "ab") as output:
            processes = [
                subprocess.Popen([console_script("celery"), *CELERY_WORKER_ARGS, "-n", name],
                                 cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
                for name in names
            ]
        started.extend(processes)
        return Workers(names, processes, log)

    yield start
    for process in started:
        process.terminate()  # warm shutdown: the current task finishes first
    for process in started:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    clean_tables(engine)


@pytest.fixture
def workers(start_workers) -> list[str]:
    """Two worker processes; their names."""
    return start_workers().names


def wait_until_ready(celery_app, names: list[str], timeout: float = 60.0) -> None:
    """Block until every named worker answers a remote-control ping."""
    deadline = time.monotonic() + timeout
    answered: set[str] = set()
    while time.monotonic() < deadline:
        for reply in celery_app.control.ping(destination=names, timeout=1.0):
            answered.update(reply)
        if answered >= set(names):
            return
    pytest.fail(f"Celery workers not ready after {timeout:.0f} s: only {sorted(answered)} answered")


def rows_by_status(factory) -> dict[str, int]:
    """How many queue rows are in each status."""
    with factory() as session:
        return dict(session.execute(select(ScheduledMessage.status, func.count())
                                    .group_by(ScheduledMessage.status)).all())


def wait_until_drained(factory, timeout: float) -> None:
    """Block until no queue row is pending or sending."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with factory() as session:
            left = session.scalar(select(func.count()).select_from(ScheduledMessage)
                                  .where(ScheduledMessage.status.in_((PENDING, SENDING))))
        if left == 0:
            return
        time.sleep(0.5)
    pytest.fail(f"{left} rows still pending or sending after {timeout:.0f} s")


@pytest.mark.parametrize("recipients", [2000, pytest.param(20000, marks=pytest.mark.slow)])
def test_two_workers_send_a_broadcast_once_to_everyone(engine, fake_graph, queue_name, workers, recipients):
    factory = create_session_factory(engine)
    numbers = [f"98915{i:07d}" for i in range(recipients)]
    with factory() as session:
        # New contacts have never written, so the template goes; its parameter makes every body unique.
        report = schedule_broadcast(session, name="scale-out", audience=Audience.of_numbers(numbers),
                                    template=TemplateSpec("scale_out_test", "en_US", ("wa_id",)))
        session.commit()
    assert report.recipients == recipients
    fake_graph.set_latency(5)

    celery_app = create_celery_app(broker_url=REDIS_URL, task_default_queue=queue_name)
    wait_until_ready(celery_app, workers)
    for _ in range(2 * WORKERS):  # more tasks than workers, as beat would send: extra ones find nothing due
        celery_app.send_task(PROCESS_TASK, kwargs={"time_budget": 120}, queue=queue_name)
    wait_until_drained(factory, timeout=60 + recipients / 100)

    counts = fake_graph.counts()
    assert set(counts) == set(numbers)
    assert set(counts.values()) == {1}
    assert fake_graph.duplicates() == []
    with factory() as session:
        rows = session.execute(select(ScheduledMessage.status, ScheduledMessage.wamid,
                                      ScheduledMessage.claimed_by)).all()
    assert Counter(row.status for row in rows) == {"sent": recipients}
    assert {row.wamid for row in rows} == {message["wamid"] for message in fake_graph.messages()}
    # claimed_by is "host:pid:run": both worker processes claimed and sent part of the campaign.
    assert len({row.claimed_by.split(":")[1] for row in rows}) == WORKERS


def test_the_enrichment_task_enriches_stored_messages_once(engine, queue_name, workers):
    factory = create_session_factory(engine)
    with factory() as session:
        contact = Contact(wa_id="989150000001", attributes={})
        session.add(contact)
        session.flush()
        texts = ["قیمت این محصول چنده؟", "the delivery was late and I am angry", "hello there"]
        session.add_all([ReceivedMessageLog(wamid=f"wamid.CELERY{i}", contact_id=contact.id, message_type="text",
                                            text=text, payload={}, received_at=utcnow())
                         for i, text in enumerate(texts)])
        session.commit()

    celery_app = create_celery_app(broker_url=REDIS_URL, task_default_queue=queue_name)
    wait_until_ready(celery_app, workers)
    for _ in range(WORKERS):  # both workers may run it at once: batches are claimed with SKIP LOCKED
        celery_app.send_task(ENRICH_TASK, queue=queue_name)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with factory() as session:
            rows = session.execute(select(ReceivedMessageLog.enriched_at, ReceivedMessageLog.sentiment,
                                          ReceivedMessageLog.keywords)).all()
        if all(row.enriched_at is not None for row in rows):
            break
        time.sleep(0.3)
    assert all(row.enriched_at is not None and row.sentiment and row.keywords is not None for row in rows)


def test_sigterm_stops_a_worker_mid_broadcast_and_hands_back_what_it_had_not_sent(engine, fake_graph, queue_name,
                                                                                   start_workers):
    factory = create_session_factory(engine)
    numbers = [f"98915{i:07d}" for i in range(3000)]
    with factory() as session:
        schedule_broadcast(session, name="sigterm", audience=Audience.of_numbers(numbers),
                           template=TemplateSpec("sigterm_test", "en_US", ("wa_id",)))
        session.commit()
    worker = start_workers(count=1, mps=100)  # 30 s of sending: it is stopped long before the end
    celery_app = create_celery_app(broker_url=REDIS_URL, task_default_queue=queue_name)
    wait_until_ready(celery_app, worker.names)
    celery_app.send_task(PROCESS_TASK, kwargs={"time_budget": 120}, queue=queue_name)
    deadline = time.monotonic() + 60
    while len(fake_graph.counts()) < 200 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(fake_graph.counts()) >= 200, "the worker never started sending"

    worker.processes[0].terminate()
    try:
        worker.processes[0].wait(timeout=60)  # the processor finishes in-flight sends, then Celery shuts down
    except subprocess.TimeoutExpired:
        pytest.fail(f"the worker ignored SIGTERM:\n{worker.log.read_text()[-3000:]}")

    statuses = rows_by_status(factory)
    assert set(statuses) == {"sent", "pending"}, statuses  # nothing left mid-send, nothing unknown
    counts = fake_graph.counts()
    assert statuses["sent"] == len(counts) and set(counts.values()) == {1}
    assert statuses["pending"] > 0  # handed back for the next run, not dropped


# --- a worker and beat from an installation, with nothing but .env -----------------------------------

@dataclass
class Installation:
    """An installed copy of the code whose `.env` holds every setting, and the processes started in it."""

    directory: Path
    metrics: Path
    queue: str
    processes: list[subprocess.Popen]
    logs: dict[str, Path]

    def start(self, name: str, args: list[str]) -> subprocess.Popen:
        """Run `celery ARGS` in the installation with a clean environment (systemd's: no settings but the file)."""
        self.logs[name] = self.directory.parent / f"{name}.log"
        with open(self.logs[name], "wb") as output:
            process = subprocess.Popen([console_script("celery"), *args], cwd=self.directory,
                                       env=clean_environment(), stdout=output, stderr=subprocess.STDOUT)
        self.processes.append(process)
        return process

    def log(self, name: str) -> str:
        return self.logs[name].read_text(encoding="utf-8")


@pytest.fixture
def installation(database_url, fake_graph, queue_name, engine, tmp_path):
    """A copy of the code with a `.env` for this test's database, fake Graph API, queue and metrics directory."""
    directory = install_copy(tmp_path / "whatsapp-platform")
    metrics = tmp_path / "metrics"
    metrics.mkdir()
    write_env_file(directory / ".env", {
        "APP_ENV": "development", "SQLALCHEMY_DATABASE_URL": database_url, "LOG_LEVEL": "INFO",
        "WHATSAPP_API_TOKEN": GRAPH_TOKEN, "WHATSAPP_PHONE_NUMBER_ID": PHONE_NUMBER_ID,
        "WHATSAPP_API_BASE_URL": fake_graph.url, "WHATSAPP_MAX_MPS": "500",
        "CELERY_BROKER_URL": REDIS_URL, "CELERY_QUEUE": queue_name, "CELERY_PROCESS_INTERVAL": "1",
        "CELERY_ENRICH_INTERVAL": "1", "PROMETHEUS_MULTIPROC_DIR": str(metrics),
    })
    installed = Installation(directory, metrics, queue_name, [], {})
    yield installed
    for process in installed.processes:
        process.terminate()
    for process in installed.processes:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    clean_tables(engine)


def test_the_documented_worker_and_beat_send_and_enrich_with_settings_from_env(engine, fake_graph, installation):
    factory = create_session_factory(engine)
    numbers = [f"98916{i:07d}" for i in range(20)]
    with factory() as session:
        schedule_broadcast(session, name="from-env", audience=Audience.of_numbers(numbers),
                           template=TemplateSpec("env_test", "en_US", ("wa_id",)))
        contact = session.scalars(select(Contact)).first()
        session.add(ReceivedMessageLog(wamid="wamid.ENV1", contact_id=contact.id, message_type="text",
                                       text="the delivery was late and I am angry", payload={}, received_at=utcnow()))
        session.commit()

    installation.start("worker", CELERY_WORKER_ARGS)
    installation.start("beat", [*CELERY_BEAT_ARGS, str(installation.directory.parent / "celerybeat-schedule")])
    wait_until_drained(factory, timeout=90)

    def enriched() -> bool:
        with factory() as session:
            return session.scalar(select(ReceivedMessageLog.enriched_at)) is not None

    conftest_wait_until(enriched, "the enrichment task to run", timeout=60)
    assert fake_graph.counts() == dict.fromkeys(numbers, 1)
    # The worker's counters are in the metrics directory the .env names, where /metrics reads them. The
    # run counts its claims when it ends, after the rows it sent are recorded (what the wait above sees).
    # A task is counted when it returns, after the work the waits above see (a loaded CI machine read the
    # counters between the two once, 2026-12-07): wait for all of them.
    claimed = ("whatsapp_processor_claimed_messages_total", ())
    succeeded = [("whatsapp_tasks_total", (("outcome", "succeeded"), ("task", task))) for task in (PROCESS_TASK,
                                                                                                  ENRICH_TASK)]
    conftest_wait_until(lambda: multiprocess_samples(installation.metrics).get(claimed, 0.0) >= len(numbers)
                        and all(multiprocess_samples(installation.metrics).get(key, 0.0) >= 1 for key in succeeded),
                        "the processor run to count its claims and both tasks to be counted", timeout=30)
    values = multiprocess_samples(installation.metrics)
    assert values[("whatsapp_messages_sent_total", (("error_code", "none"), ("status", "sent")))] == len(numbers)
    assert values[claimed] == len(numbers)
    for name in ("worker", "beat"):  # one JSON object per line, nothing printed twice
        lines = json_lines(installation.log(name))
        assert lines, f"the {name} wrote nothing"
        assert not any("MainProcess" in line.get("message", "") for line in lines)
    worker_events = {line["message"] for line in json_lines(installation.log("worker"))}
    assert any(message.endswith(" ready.") for message in worker_events)
    assert "ModuleNotFoundError" not in installation.log("worker")


def test_a_task_that_cannot_do_its_work_fails_loudly_and_is_counted(installation, tmp_path):
    env_file = installation.directory / ".env"
    empty = tmp_path / "never-migrated.db"
    env_file.write_text(env_file.read_text().replace(
        next(line for line in env_file.read_text().splitlines() if line.startswith("SQLALCHEMY_DATABASE_URL=")),
        f"SQLALCHEMY_DATABASE_URL=sqlite:///{empty}"))
    installation.start("worker", CELERY_WORKER_ARGS)
    celery_app = create_celery_app(broker_url=REDIS_URL, task_default_queue=installation.queue)
    celery_app.send_task(PROCESS_TASK, queue=installation.queue)
    celery_app.send_task(ENRICH_TASK, queue=installation.queue)

    def failures() -> float:
        values = multiprocess_samples(installation.metrics)
        return sum(values.get(("whatsapp_tasks_total", (("outcome", "failed"), ("task", task))), 0.0)
                   for task in (PROCESS_TASK, ENRICH_TASK))

    conftest_wait_until(lambda: failures() == 2, "both tasks to be counted as failed", timeout=60)
    values = multiprocess_samples(installation.metrics)
    assert values.get(("whatsapp_tasks_total", (("outcome", "succeeded"), ("task", ENRICH_TASK))), 0.0) == 0
    errors = [line for line in json_lines(installation.log("worker")) if line["level"] == "ERROR"]
    failed = [line for line in errors if "raised" in line["message"]]
    assert {PROCESS_TASK, ENRICH_TASK} <= {task for line in failed for task in (PROCESS_TASK, ENRICH_TASK)
                                           if task in line["message"]}
    assert "no enrich_pending function installed" not in installation.log("worker")


def test_a_rotated_token_reaches_a_running_worker_and_a_190_is_counted(engine, fake_graph, installation, tmp_path):
    factory = create_session_factory(engine)
    token_file = tmp_path / "whatsapp_api_token"
    token_file.write_text("revoked-token-value")
    env_file = installation.directory / ".env"
    env_file.write_text(env_file.read_text().replace(f"WHATSAPP_API_TOKEN={GRAPH_TOKEN}",
                                                     f"WHATSAPP_API_TOKEN_FILE={token_file}"))
    installation.start("worker", CELERY_WORKER_ARGS)
    celery_app = create_celery_app(broker_url=REDIS_URL, task_default_queue=installation.queue)

    def broadcast(name: str, numbers: list[str]) -> None:
        with factory() as session:
            schedule_broadcast(session, name=name, audience=Audience.of_numbers(numbers),
                               template=TemplateSpec("rotation_test", "en_US", ()))
            session.commit()
        celery_app.send_task(PROCESS_TASK, kwargs={"time_budget": 30}, queue=installation.queue)
        wait_until_drained(factory, timeout=60)

    broadcast("before", ["989170000001", "989170000002"])
    failed_190 = ("whatsapp_messages_sent_total", (("error_code", "190"), ("status", "failed")))
    assert multiprocess_samples(installation.metrics)[failed_190] == 2  # what the "any 190" alert watches
    assert fake_graph.counts() == {}

    # write_secret: the new value replaces the file atomically; the worker keeps running.
    staging = tmp_path / "whatsapp_api_token.new"
    staging.write_text(GRAPH_TOKEN)
    staging.replace(token_file)
    broadcast("after", ["989170000003"])
    assert fake_graph.counts() == {"989170000003": 1}
    assert "revoked-token-value" not in installation.log("worker")
