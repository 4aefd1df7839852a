"""429 with Retry-After for addresses that fail tokens or call too often, shared by every worker (the database)."""

from __future__ import annotations

import pytest
from freezegun import freeze_time

from webhook_handler import create_app

TOKEN = "test-admin-token-value"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
WRONG = {"Authorization": "Bearer wrong-token-value"}
GUESSER, OTHER = {"REMOTE_ADDR": "203.0.113.7"}, {"REMOTE_ADDR": "203.0.113.8"}


@pytest.fixture
def second_worker(test_config):
    """Another app on the same database, as a second gunicorn worker would be."""
    app = create_app(test_config)
    yield app
    app.extensions["whatsapp_platform"].close()


@freeze_time("2026-12-06 12:00:45")
def test_an_address_that_fails_too_many_tokens_gets_429_on_every_worker_until_the_minute_ends(
        app, client, second_worker):
    for worker in (app, second_worker):
        worker.config["ADMIN_API_AUTH_FAILURES_PER_MINUTE"] = 3
    for _ in range(3):
        assert client.get("/api/v1/contacts", headers=WRONG, environ_base=GUESSER).status_code == 401
    for worker in (app, second_worker):
        blocked = worker.test_client().get("/api/v1/contacts", headers=AUTH, environ_base=GUESSER)
        assert blocked.status_code == 429  # even the right token: a guesser does not learn it guessed right
        assert blocked.headers["Retry-After"] == "15"
        assert (blocked.get_json()["code"], set(blocked.get_json())) == ("rate_limited", {"error", "code"})
    assert client.get("/api/v1/contacts", headers=AUTH, environ_base=OTHER).status_code == 200
    with freeze_time("2026-12-06 12:01:00"):
        assert client.get("/api/v1/contacts", headers=AUTH, environ_base=GUESSER).status_code == 200


@freeze_time("2026-12-06 12:00:00")
def test_a_heavy_client_gets_429_past_the_requests_a_minute(app, client, second_worker):
    for worker in (app, second_worker):
        worker.config["ADMIN_API_REQUESTS_PER_MINUTE"] = 4
    for number in range(4):
        worker = (app, second_worker)[number % 2]
        assert worker.test_client().get("/api/v1/broadcasts", headers=AUTH, environ_base=GUESSER).status_code == 200
    heavy = client.get("/api/v1/broadcasts", headers=AUTH, environ_base=GUESSER)
    assert (heavy.status_code, heavy.headers["Retry-After"]) == (429, "60")
    assert "4 requests a minute" in heavy.get_json()["error"]
    assert client.get("/api/v1/broadcasts", headers=AUTH, environ_base=OTHER).status_code == 200
