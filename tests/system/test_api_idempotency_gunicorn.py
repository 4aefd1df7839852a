"""One `Idempotency-Key` sent at the same moment to two gunicorn workers creates one broadcast, on both databases.

gunicorn starts as the README says (conftest's GUNICORN_COMMAND) with WEB_CONCURRENCY=2 sync
workers, each serving one request at a time, so concurrent requests run in two processes
that share nothing but the database. Each round fires the same POST /api/v1/broadcasts from
several threads released together; every answer must be the same 201 with the same id.
"""

from __future__ import annotations

import os
import subprocess
import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from conftest import GUNICORN_COMMAND, ROOT, clean_tables, free_port, wait_until
from sqlalchemy import func, select

from database_models import Broadcast, IdempotencyKey
from database_setup import create_session_factory

TOKEN = "system-test-admin-token-0123456789abcdef"
ROUNDS, SENDERS = 12, 6


def _environment(database_url: str, port: int, tmp_path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WHATSAPP_", "SQLALCHEMY_", "ADMIN_", "FLASK_"))}
    env.update(SQLALCHEMY_DATABASE_URL=database_url, ADMIN_API_TOKEN=TOKEN, GUNICORN_BIND=f"127.0.0.1:{port}",
               WEB_CONCURRENCY="2", GUNICORN_CONTROL_SOCKET=str(tmp_path / "gunicorn.ctl"))
    return env


@pytest.fixture
def server(database_url, engine, tmp_path):
    """gunicorn with two workers on the test database; its base URL."""
    port = free_port()
    process = subprocess.Popen(GUNICORN_COMMAND, cwd=ROOT, env=_environment(database_url, port, tmp_path),
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"

    def healthy() -> bool:
        assert process.poll() is None, "gunicorn exited"
        try:
            return httpx.get(f"{base}/healthz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        wait_until(healthy, "gunicorn to serve", timeout=180)  # a loaded 2-core machine boots slowly
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)
        clean_tables(engine)


def _round(base: str, number: int) -> list[tuple[int, dict]]:
    """SENDERS threads post the same keyed body at once; their (status, body) answers."""
    start = threading.Barrier(SENDERS)
    body = {"name": f"Round {number}", "text": "Your order has shipped",
            "audience": {"numbers": ["989121000001", "989121000002"]}}
    headers = {"Authorization": f"Bearer {TOKEN}", "Idempotency-Key": f"round-{number}"}

    def send(_: int) -> tuple[int, dict]:
        with httpx.Client(timeout=30) as client:
            start.wait()
            response = client.post(f"{base}/api/v1/broadcasts", json=body, headers=headers)
            return response.status_code, response.json()

    with ThreadPoolExecutor(SENDERS) as pool:
        return list(pool.map(send, range(SENDERS)))


def test_concurrent_requests_with_one_key_on_two_workers_create_one_broadcast(server, engine):
    for number in range(ROUNDS):
        answers = _round(server, number)
        assert {status for status, _ in answers} == {201}, answers
        assert len({body["id"] for _, body in answers}) == 1, answers
        assert all(body == answers[0][1] for _, body in answers)
    with create_session_factory(engine)() as session:
        assert session.scalar(select(func.count()).select_from(Broadcast)) == ROUNDS
        assert session.scalar(select(func.count()).select_from(IdempotencyKey)) == ROUNDS
