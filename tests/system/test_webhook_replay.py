"""Replaying a corpus of real-shaped webhooks three times, concurrently, against gunicorn on PostgreSQL.

Three client processes each deliver the whole corpus (so every envelope arrives three
times, its copies racing each other in different gunicorn workers). Afterwards there is
exactly one row per wamid and one status event per (wamid, status), and the fake Graph
API received exactly one chatbot reply per distinct inbound message that gets one.

`GunicornApp` and `production_env` are shared with the database-outage test.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import socket
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import APP_SECRET, GRAPH_TOKEN, GUNICORN_COMMAND, PHONE_NUMBER_ID, ROOT, VERIFY_TOKEN, clean_tables
from sqlalchemy import func, select

from config import Config
from database_models import MessageStatusEvent, ReceivedMessageLog, ScheduledMessage
from database_setup import create_session_factory
from inbound.sample_payloads import envelope, inbound_message, messages_change, status_envelope, status_item
from inbound.signatures import sign_payload
from outbound.processor import MessageProcessor
from whatsapp_service import WhatsAppService

# gunicorn in production runs on PostgreSQL; SQLite's single writer is not what this is about.
pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)

CLIENTS = 3  # each replays the whole corpus: 3× duplication
# Texts the chatbot answers (a greeting, an order question, a price question, a fallback);
# none of them opts out or hands the conversation to a human, which would silence it.
ANSWERED_TEXTS = ("hello there", "سفارش من به کجا رسید", "قیمتش چقدره", "do you sell blue umbrellas")


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def production_env(database_url: str, graph_url: str, port: int, workers: int = 2, **extra: str) -> dict[str, str]:
    """The environment of a production gunicorn: APP_ENV=production, real secrets, replies after the 200."""
    return os.environ | {
        "APP_ENV": "production", "WHATSAPP_APP_SECRET": APP_SECRET, "WHATSAPP_VERIFY_TOKEN": VERIFY_TOKEN,
        "FLASK_SECRET_KEY": "scale-test-flask-secret-0123456789",
        "ADMIN_API_TOKEN": "scale-test-admin-token-0123456789",
        "SQLALCHEMY_DATABASE_URL": database_url, "WHATSAPP_API_TOKEN": GRAPH_TOKEN,
        "WHATSAPP_PHONE_NUMBER_ID": PHONE_NUMBER_ID, "WHATSAPP_API_BASE_URL": graph_url,
        "SEND_REPLIES_INLINE": "false", "GUNICORN_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": str(workers),
    } | extra


class GunicornApp:
    """`gunicorn -c gunicorn.conf.py 'webhook_handler:create_app()'` as a subprocess."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.env = env
        self.url = f"http://{env['GUNICORN_BIND']}"
        self.log_path = log_path
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 90.0) -> GunicornApp:
        """Start it and wait until /healthz answers at all (200, or 503 with no database); a start took over 30 s
        with two pytest workers and a language cross-validation on the two cores (2026-12-07)."""
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                GUNICORN_COMMAND, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"gunicorn exited with {self.process.returncode}:\n{self.log_path.read_text()[-3000:]}")
            try:
                httpx.get(f"{self.url}/healthz", timeout=2)
                return self
            except httpx.TransportError:
                time.sleep(0.2)
        self.stop()
        pytest.fail(f"gunicorn did not answer within {timeout:.0f} s:\n{self.log_path.read_text()[-3000:]}")

    def stop(self) -> None:
        """Graceful stop (SIGTERM to the master), killed if it hangs."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=25)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def signed_post(client: httpx.Client, url: str, body: bytes) -> int:
    """POST `body` to /webhook with Meta's signature; the status code (0 when no answer came)."""
    headers = {"Content-Type": "application/json", "X-Hub-Signature-256": sign_payload(body, APP_SECRET)}
    try:
        return client.post(f"{url}/webhook", content=body, headers=headers).status_code
    except httpx.TransportError:
        return 0


def replay(url: str, bodies: list[bytes]) -> list[int]:
    """Post every body in order from this process; the status codes (runs in a client process)."""
    with httpx.Client(timeout=30) as client:
        return [signed_post(client, url, body) for body in bodies]


def build_corpus(seed: int = 7) -> tuple[list[bytes], dict[str, Any]]:
    """Real-shaped envelopes (single texts, batches, media, reactions, statuses) and what they must store."""
    import json

    rng = random.Random(seed)
    now = int(time.time())
    bodies: list[bytes] = []
    answered: Counter[str] = Counter()
    wamids: set[str] = set()
    statuses: set[tuple[str, str]] = set()

    def wamid() -> str:
        value = f"wamid.REPLAY{rng.getrandbits(64):016X}"
        wamids.add(value)
        return value

    def add(payload: dict[str, Any]) -> None:
        bodies.append(json.dumps(payload, ensure_ascii=False).encode())

    senders = [f"98913{i:07d}" for i in range(120)]
    for index, sender in enumerate(senders):
        profile = [{"profile": {"name": f"Customer {index}"}, "wa_id": sender}]
        if index % 4 == 0:  # a batch: two answered texts and a reaction from one sender in one request
            items = [inbound_message(sender, "text", {"body": rng.choice(ANSWERED_TEXTS)}, wamid=wamid(),
                                     timestamp=now) for _ in range(2)]
            items.append(inbound_message(sender, "reaction", {"message_id": "wamid.X", "emoji": "👍"},
                                         wamid=wamid(), timestamp=now))
            add(envelope(messages_change(items, profile)))
            answered[sender] += 2
        elif index % 4 == 1:  # a photo: answered with the media reply
            add(envelope(messages_change([inbound_message(sender, "image", {"id": "media1", "caption": "این"},
                                                          wamid=wamid(), timestamp=now)], profile)))
            answered[sender] += 1
        elif index % 4 == 2:  # a location: stored, no reply
            add(envelope(messages_change([inbound_message(sender, "location", {"latitude": 35.7, "longitude": 51.4},
                                                          wamid=wamid(), timestamp=now)], profile)))
        else:  # one text
            add(envelope(messages_change([inbound_message(sender, "text", {"body": rng.choice(ANSWERED_TEXTS)},
                                                          wamid=wamid(), timestamp=now)], profile)))
            answered[sender] += 1
    for _ in range(120):  # statuses of sends made earlier, one to five per envelope
        items = []
        for _ in range(rng.randint(1, 5)):
            sent_wamid, status = f"wamid.OUT{rng.getrandbits(64):016X}", rng.choice(["sent", "delivered", "read"])
            items.append(status_item(sent_wamid, status, rng.choice(senders), timestamp=now))
            statuses.add((sent_wamid, status))
        add(status_envelope(*items))
    rng.shuffle(bodies)
    return bodies, {"wamids": wamids, "statuses": statuses, "answered": answered}


@pytest.fixture
def served_app(database_url: str, fake_graph, engine, tmp_path: Path) -> Iterator[GunicornApp]:
    """The app under gunicorn (3 workers) on the test database, replies going to the fake Graph API."""
    server = GunicornApp(production_env(database_url, fake_graph.url, free_port(), workers=3),
                         tmp_path / "gunicorn.log").start()
    yield server
    server.stop()
    clean_tables(engine)


def wait_for_dispatch(factory, timeout: float = 30.0) -> None:
    """Wait until no reply is mid-send (the background dispatch threads have finished)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with factory() as session:
            sending = session.scalar(select(func.count()).where(ScheduledMessage.status == "sending"))
        if not sending:
            return
        time.sleep(0.2)
    pytest.fail(f"{sending} replies still sending after {timeout:.0f} s")


def test_three_concurrent_replays_store_once_and_reply_once(served_app, fake_graph, engine, database_url):
    bodies, expected = build_corpus()
    # Each client sends the corpus in the same order, a few requests apart: the three copies
    # of an envelope reach the server at nearly the same moment, in different workers.
    orders = [bodies[offset:] + bodies[:offset] for offset in (0, 2, 5)]
    with multiprocessing.get_context("spawn").Pool(CLIENTS) as pool:
        results = pool.starmap(replay, [(served_app.url, order) for order in orders])
    assert Counter(code for codes in results for code in codes) == {200: CLIENTS * len(bodies)}

    factory = create_session_factory(engine)
    wait_for_dispatch(factory)
    # Replies to one customer beyond the pair rate's burst (outbound/pacing.py) wait in the
    # queue for the processor, as the cron run would send them.
    config = Config(database_url=database_url, whatsapp_max_mps=200.0)
    sender = WhatsAppService(GRAPH_TOKEN, PHONE_NUMBER_ID, base_url=fake_graph.url)
    try:
        MessageProcessor(factory, sender, config).process_due(time_budget=30)
    finally:
        sender.close()

    with factory() as session:
        stored_wamids = list(session.scalars(select(ReceivedMessageLog.wamid)))
        stored_statuses = [tuple(row) for row in session.execute(
            select(MessageStatusEvent.wamid, MessageStatusEvent.status))]
        replies = session.execute(select(ScheduledMessage.status, ScheduledMessage.in_reply_to_id)
                                  .where(ScheduledMessage.kind == "reply")).all()
    assert len(stored_wamids) == len(set(stored_wamids)) and set(stored_wamids) == expected["wamids"]
    assert len(stored_statuses) == len(set(stored_statuses)) and set(stored_statuses) == expected["statuses"]
    assert len(replies) == sum(expected["answered"].values())
    assert {status for status, _ in replies} == {"sent"}
    assert fake_graph.counts() == dict(expected["answered"])
