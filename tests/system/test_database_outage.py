"""PostgreSQL stopped under load and started again: 503 while it is down, nothing acknowledged lost.

The test runs its own PostgreSQL cluster (initdb into a temporary directory, a free
port) — never the machine's shared server — with the app under gunicorn in front of it.
Two client threads post signed webhooks without pause while the cluster is stopped
(`pg_ctl stop -m immediate`, a crash) and started again. Every request answered 200 is
in the database afterwards; requests sent while the database is down are answered 503
(never 500, never 200); /healthz goes 503 then 200; the app recovers with no restart,
and the refused webhooks, delivered again as Meta would, are stored too.
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from conftest import run_migrations, wait_until
from sqlalchemy import select
from test_webhook_replay import GunicornApp, free_port, production_env, signed_post

from database_models import MessageStatusEvent, ReceivedMessageLog
from database_setup import create_engine_for
from inbound.sample_payloads import status_envelope, status_item, text_message_envelope

pytestmark = pytest.mark.slow


def postgres_binaries_or_skip() -> Path:
    """The directory holding initdb and pg_ctl (the newest installed version)."""
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    found = candidates[-1] if candidates else shutil.which("initdb")
    if found and Path(found).with_name("pg_ctl").exists():
        return Path(found).parent
    if os.environ.get("CI") == "true":
        pytest.fail("CI=true but initdb/pg_ctl are not installed (Debian: postgresql)")
    pytest.skip("the outage test needs initdb and pg_ctl to run a private PostgreSQL cluster")


class PrivateCluster:
    """A throwaway PostgreSQL cluster this test may stop and start at will."""

    def __init__(self, binaries: Path) -> None:
        self.binaries = binaries
        self.directory = Path(tempfile.mkdtemp(prefix="wa-outage-pg-"))
        self.port = free_port()
        self.url = f"postgresql+psycopg2://postgres@127.0.0.1:{self.port}/postgres"
        self._as_postgres: list[str] = []
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root
            shutil.chown(self.directory, "postgres", "postgres")
            self._as_postgres = ["runuser", "-u", "postgres", "--"]

    def _run(self, tool: str, *arguments: str) -> None:
        command = [*self._as_postgres, str(self.binaries / tool), *arguments]
        completed = subprocess.run(command, capture_output=True, text=True, timeout=60)
        if completed.returncode != 0:
            log = self.directory / "server.log"
            pytest.fail(f"{tool} {' '.join(arguments)} failed: {completed.stderr}\n"
                        f"{log.read_text()[-2000:] if log.exists() else ''}")

    def init(self) -> None:
        """initdb with trust authentication (local, throwaway) and no fsync (speed, not durability)."""
        self._run("initdb", "-D", str(self.directory / "data"), "-A", "trust", "-U", "postgres", "--no-sync",
                  "--no-instructions")

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        options = f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run("pg_ctl", "-D", str(self.directory / "data"), "-o", options, "-l",
                  str(self.directory / "server.log"), "-w", "-t", "30", "start")

    def stop(self, mode: str = "immediate") -> None:
        """Stop the server (`immediate` is a crash: no checkpoint, clients cut off)."""
        self._run("pg_ctl", "-D", str(self.directory / "data"), "-m", mode, "-w", "stop")

    def destroy(self) -> None:
        """Stop it if running and delete its files."""
        subprocess.run([*self._as_postgres, str(self.binaries / "pg_ctl"), "-D", str(self.directory / "data"),
                        "-m", "immediate", "stop"], capture_output=True, timeout=60)
        shutil.rmtree(self.directory, ignore_errors=True)


@pytest.fixture
def cluster() -> Iterator[PrivateCluster]:
    """A private, migrated PostgreSQL cluster, removed afterwards."""
    cluster = PrivateCluster(postgres_binaries_or_skip())
    try:
        cluster.init()
        cluster.start()
        run_migrations(cluster.url)
        yield cluster
    finally:
        cluster.destroy()


@dataclass
class Delivery:
    """One webhook POST: when it was sent and answered, what it carried, the status code."""

    started: float
    finished: float
    wamid: str
    body: bytes
    status: int


class Load:
    """Client threads posting distinct signed text webhooks until stopped."""

    def __init__(self, url: str, threads: int = 2) -> None:
        self.url = url
        self.deliveries: list[Delivery] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._counter = iter(range(10**9))
        self._threads = [threading.Thread(target=self._run, args=(n,), daemon=True) for n in range(threads)]

    def __enter__(self) -> Load:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=60)

    def _run(self, thread_number: int) -> None:
        with httpx.Client(timeout=25) as client:
            while not self._stop.is_set():
                number = next(self._counter)
                wamid = f"wamid.OUTAGE{thread_number}-{number:07d}"
                sender = f"98914{number % 200:07d}"
                # One thread sends texts (one transaction), the other statuses (status_writer's single statement).
                payload = (status_envelope(status_item(wamid, "delivered", sender)) if thread_number % 2
                           else text_message_envelope(sender, f"hello {number}", wamid=wamid))
                body = json.dumps(payload).encode()
                started = time.monotonic()
                status = signed_post(client, self.url, body)
                with self._lock:
                    self.deliveries.append(Delivery(started, time.monotonic(), wamid, body, status))

    def count(self, status: int, after: float = 0.0) -> int:
        """Answers with `status` to requests sent after `after` (monotonic seconds)."""
        with self._lock:
            return sum(1 for d in self.deliveries if d.status == status and d.started > after)


def stored_wamids(engine) -> set[str]:
    """The wamids of every stored message and status event."""
    with engine.connect() as connection:
        return (set(connection.scalars(select(ReceivedMessageLog.wamid)))
                | set(connection.scalars(select(MessageStatusEvent.wamid))))


def health(url: str) -> int:
    """The status code of GET /healthz."""
    return httpx.get(f"{url}/healthz", timeout=10).status_code


def test_database_outage_answers_503_loses_nothing_and_recovers(cluster, fake_graph, tmp_path):
    server = GunicornApp(production_env(cluster.url, fake_graph.url, free_port(), workers=2),
                         tmp_path / "gunicorn.log").start()
    engine = create_engine_for(cluster.url)
    try:
        assert health(server.url) == 200
        with Load(server.url) as load:
            wait_until(lambda: load.count(200) >= 50, "webhooks stored before the outage")
            cluster.stop("immediate")
            down_since = time.monotonic()
            wait_until(lambda: load.count(503, after=down_since) >= 30, "503 answers while the database is down")
            assert health(server.url) == 503
            restart_at = time.monotonic()
            cluster.start()
            up_since = time.monotonic()
            wait_until(lambda: load.count(200, after=up_since) >= 50, "the app storing webhooks again by itself")
            assert health(server.url) == 200

        deliveries = load.deliveries
        codes = Counter(d.status for d in deliveries)
        assert set(codes) <= {200, 503}, f"only 200 and 503 may be answered: {codes}"
        during_outage = [d for d in deliveries if d.started > down_since and d.finished < restart_at]
        assert during_outage and {d.status for d in during_outage} == {503}
        stored = stored_wamids(engine)
        acknowledged = {d.wamid for d in deliveries if d.status == 200}
        assert acknowledged <= stored, f"{len(acknowledged - stored)} acknowledged webhooks were lost"

        # Meta retries what was refused: delivered again, every refused webhook is stored too.
        with httpx.Client(timeout=25) as client:
            assert {signed_post(client, server.url, d.body) for d in deliveries if d.status == 503} == {200}
        assert stored_wamids(engine) == {d.wamid for d in deliveries}
    finally:
        server.stop()
        engine.dispose()
