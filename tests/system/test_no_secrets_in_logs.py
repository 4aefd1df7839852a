"""No secret ever reaches a log, even at LOG_LEVEL=DEBUG, across the whole webhook-to-reply flow.

The secrets: the app secret, the Graph API token, the verify token, the admin token, the
Flask secret key, an operator's password (given to `flask users create` on standard input and
typed into the login form) and, on PostgreSQL, the password inside the database URL (trust
authentication ignores it, so the test URL carries one). The flows: the verification
handshake, a signed inbound text answered through WhatsAppService at the fake Graph API,
its status webhooks, a refused send, bad and missing signatures, the admin API and the
dashboard login, the CLI (`smoke`, the cron processor, `alembic upgrade`), in process and
under gunicorn. What is searched is everything: every record any logger emits (the app's
own and pywa, httpx, httpcore, urllib3, werkzeug, sqlalchemy, alembic, all at DEBUG),
unformatted, plus every byte the processes write to stdout and stderr.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from conftest import GUNICORN_COMMAND, PHONE_NUMBER_ID, ROOT, clean_tables, free_port, wait_until
from deployment import console_script
from fake_graph_api import FakeGraphAPI
from sqlalchemy.engine import make_url

from inbound.sample_payloads import status_envelope, status_item, text_message_envelope
from inbound.signatures import sign_payload
from webhook_handler import create_app

APP_SECRET = "leakcheck-app-secret-5d1e0c9b8a7f6e5d"
API_TOKEN = "EAAleakcheckGraphToken9c1d"
VERIFY_TOKEN = "leakcheck-verify-token-a2c9"
ADMIN_TOKEN = "leakcheck-admin-token-51be3a9c7d2e1f40"
SECRET_KEY = "leakcheck-flask-key-0e44b6a1c3d5e7f9"
DB_PASSWORD = "leakcheckDbPass83x"
OPERATOR = ("leakcheck-admin", "leakcheck-operator-password-7d1e")
LIBRARY_LOGGERS = (
    "pywa",
    "httpx",
    "httpcore",
    "urllib3",
    "werkzeug",
    "sqlalchemy.engine",
    "sqlalchemy.pool",
    "sqlalchemy.orm",
    "alembic",
    "flask.app",
    "fake_graph_api",
)
CUSTOMERS = ("989120000401", "989120000402")


def secret_values(database_url: str) -> dict[str, str]:
    """The secret values this test must never find, by setting name."""
    values = {
        "WHATSAPP_APP_SECRET": APP_SECRET,
        "WHATSAPP_API_TOKEN": API_TOKEN,
        "WHATSAPP_VERIFY_TOKEN": VERIFY_TOKEN,
        "ADMIN_API_TOKEN": ADMIN_TOKEN,
        "FLASK_SECRET_KEY": SECRET_KEY,
        "an operator's password": OPERATOR[1],
    }
    if make_url(database_url).password:
        values["database password"] = DB_PASSWORD
    return values


def assert_no_secret(text: str, database_url: str, where: str) -> None:
    leaked = [name for name, value in secret_values(database_url).items() if value in text]
    assert not leaked, f"{', '.join(leaked)} found in {where}"


@pytest.fixture
def secret_database_url(database_url: str) -> str:
    """The test database's URL, with a password when it is PostgreSQL."""
    url = make_url(database_url)
    if url.get_backend_name() != "postgresql":
        return database_url
    return url.set(password=DB_PASSWORD).render_as_string(hide_password=False)


@pytest.fixture
def graph() -> Iterator[FakeGraphAPI]:
    """The fake Graph API accepting this test's token."""
    with FakeGraphAPI(token=API_TOKEN) as server:
        yield server


class RecordText(logging.Handler):
    """Keeps the full text of every record: message, exception and every extra field, unformatted."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.parts: list[str] = []
        self.loggers: set[str] = set()

    def emit(self, record: logging.LogRecord) -> None:
        self.loggers.add(record.name)
        self.parts.append(record.getMessage())
        self.parts.append(repr(vars(record)))
        if record.exc_info:
            self.parts.append(logging.Formatter().formatException(record.exc_info))

    @property
    def text(self) -> str:
        return "\n".join(self.parts)


def signed_post(client, payload: dict) -> int:
    body = json.dumps(payload, ensure_ascii=False).encode()
    headers = {"Content-Type": "application/json", "X-Hub-Signature-256": sign_payload(body, APP_SECRET)}
    return client.post("/webhook", content=body, headers=headers).status_code


def exercise(client, graph: FakeGraphAPI) -> None:
    """Every flow that handles a secret, through an httpx-like `client` of the app."""
    handshake = {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "42"}
    assert client.get("/webhook", params=handshake).status_code == 200
    assert client.get("/webhook", params=handshake | {"hub.verify_token": "wrong"}).status_code == 403
    assert signed_post(client, text_message_envelope(CUSTOMERS[0], "سلام")) == 200
    reply = wait_until(lambda: graph.messages(), "the reply at the fake Graph API")[0]
    assert signed_post(client, status_envelope(status_item(reply["wamid"], "delivered", CUSTOMERS[0]))) == 200
    assert signed_post(client, status_envelope(status_item(reply["wamid"], "read", CUSTOMERS[0]))) == 200
    graph.fail_next(1, status=401, code=190)  # the token was revoked: Meta's answer
    assert signed_post(client, text_message_envelope(CUSTOMERS[1], "hello")) == 200
    wait_until(lambda: graph.stats()["by_outcome"].get("failed_next"), "the failed send at the fake Graph API")
    body = json.dumps(text_message_envelope(CUSTOMERS[1], "forged")).encode()
    assert (
        client.post("/webhook", content=body, headers={"X-Hub-Signature-256": "sha256=" + "0" * 64}).status_code == 403
    )
    assert client.post("/webhook", content=body).status_code == 401
    bearer = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    assert client.get("/api/contacts", headers=bearer).status_code == 200
    assert client.get("/api/contacts", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.get("/api/contacts", params={"token": ADMIN_TOKEN}).status_code == 401
    assert client.get("/metrics", headers=bearer).status_code == 200
    login_page = client.get("/dashboard/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', login_page.text).group(1)
    # The cookie is Secure in production; over plain HTTP to gunicorn it is carried by hand.
    cookie = {"Cookie": login_page.headers["Set-Cookie"].split(";")[0]}
    for password, status in (("wrong password", 401), (OPERATOR[1], 302)):
        answer = client.post("/dashboard/login", data={"csrf_token": csrf, "username": OPERATOR[0],
                                                       "password": password}, headers=cookie)
        assert answer.status_code == status


class FlaskClient:
    """The Flask test client with httpx's call shapes, so `exercise` runs in process and over HTTP alike."""

    def __init__(self, app) -> None:
        self._client = app.test_client()

    def get(self, path: str, params: dict | None = None, headers: dict | None = None):
        return _Answer(self._client.get(path, query_string=params, headers=headers))

    def post(self, path: str, content: bytes | None = None, data: dict | None = None, headers: dict | None = None):
        return _Answer(self._client.post(path, data=content if content is not None else data, headers=headers))


class _Answer:
    def __init__(self, response) -> None:
        self.status_code, self.text, self.headers = (
            response.status_code,
            response.get_data(as_text=True),
            response.headers,
        )


@pytest.mark.parametrize("libraries", ["as configured", "every library at DEBUG"])
def test_in_process_debug_logs_hold_no_secret(libraries, test_config, secret_database_url, graph, engine):
    config = test_config.replace(
        database_url=secret_database_url,
        whatsapp_app_secret=APP_SECRET,
        whatsapp_verify_token=VERIFY_TOKEN,
        whatsapp_api_token=API_TOKEN,
        whatsapp_phone_number_id=PHONE_NUMBER_ID,
        whatsapp_api_base_url=graph.url,
        admin_api_token=ADMIN_TOKEN,
        flask_secret_key=SECRET_KEY,
        log_level="DEBUG",
    )
    records = RecordText()
    root = logging.getLogger()
    root.addHandler(records)
    saved_levels = {name: logging.getLogger(name).level for name in ("", *LIBRARY_LOGGERS)}
    app = create_app(config)
    # What the app's own handler writes (formatted JSON, after its masking), into a buffer of ours.
    [app_handler] = [h for h in root.handlers if getattr(h, "_whatsapp_platform", False)]
    written = io.StringIO()
    previous_stream = app_handler.setStream(written)
    try:
        if libraries == "every library at DEBUG":
            for name in LIBRARY_LOGGERS:
                logging.getLogger(name).setLevel(logging.DEBUG)
        runner = app.test_cli_runner()
        created = runner.invoke(args=["users", "create", OPERATOR[0], "--role", "admin"],
                                input=f"{OPERATOR[1]}\n{OPERATOR[1]}\n")
        assert created.exit_code == 0, created.output
        exercise(FlaskClient(app), graph)
        assert runner.invoke(args=["smoke", "--to", CUSTOMERS[0], "--wait", "0"]).exit_code == 0
        assert runner.invoke(args=["broadcast", "process"]).exit_code == 0
    finally:
        app.extensions["whatsapp_platform"].close()
        root.removeHandler(records)
        app_handler.setStream(previous_stream)
        for name, level in saved_levels.items():
            logging.getLogger(name).setLevel(level)
        clean_tables(engine)
    output = written.getvalue()
    assert '"event": "message.stored"' in output and '"level": "DEBUG"' in output  # the flows were logged
    assert "webhook_handler" in records.loggers and "whatsapp_service" in records.loggers
    if libraries == "every library at DEBUG":
        # httpx's client logs each request; under it, graph_api.stdlib_transport's http.client logs nothing
        # (and would print to stdout, searched too, only with a debuglevel no code sets).
        assert {"pywa.api", "httpx", "sqlalchemy.engine.Engine"} <= records.loggers
    assert_no_secret(records.text, secret_database_url, "a log record")
    assert_no_secret(output, secret_database_url, "the app's log output")


def process_environment(directory: Path, database_url: str, graph: FakeGraphAPI, **extra: str) -> dict[str, str]:
    """Production settings at DEBUG, half the secrets from files (the _FILE convention), half direct."""
    environment = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("WHATSAPP_", "SQLALCHEMY_", "ADMIN_", "FLASK_", "TRUSTED_", "GUNICORN_"))
    }
    for name, value in (
        ("WHATSAPP_APP_SECRET", APP_SECRET),
        ("WHATSAPP_API_TOKEN", API_TOKEN),
        ("SQLALCHEMY_DATABASE_URL", database_url),
    ):
        (directory / name.lower()).write_text(value + "\n")
        environment[f"{name}_FILE"] = str(directory / name.lower())
    environment.update(
        APP_ENV="production",
        LOG_LEVEL="DEBUG",
        PYTHONUNBUFFERED="1",
        WHATSAPP_VERIFY_TOKEN=VERIFY_TOKEN,
        ADMIN_API_TOKEN=ADMIN_TOKEN,
        FLASK_SECRET_KEY=SECRET_KEY,
        WHATSAPP_PHONE_NUMBER_ID=PHONE_NUMBER_ID,
        WHATSAPP_API_BASE_URL=graph.url,
        **extra,
    )
    return environment



def start_gunicorn(environment: dict[str, str], directory: Path) -> subprocess.Popen:
    """gunicorn serving create_app(), its stdout and stderr in files (a full pipe would block the workers)."""
    with open(directory / "stdout.log", "wb") as stdout, open(directory / "stderr.log", "wb") as stderr:
        return subprocess.Popen(
            GUNICORN_COMMAND,
            cwd=ROOT,
            env=environment,
            stdout=stdout,
            stderr=stderr,
        )


def stop_gunicorn(server: subprocess.Popen, directory: Path) -> tuple[str, str]:
    """Stop gunicorn and return everything it wrote to stdout and stderr."""
    server.terminate()
    try:
        server.wait(timeout=60)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()
    return tuple((directory / name).read_text(errors="replace") for name in ("stdout.log", "stderr.log"))


@contextlib.contextmanager
def served(tmp_path: Path, database_url: str, graph, **settings: str) -> Iterator[tuple[httpx.Client, dict, list]]:
    """gunicorn with these settings, once healthy: (a client, its environment, [stdout, stderr] after stopping)."""
    port = free_port()
    environment = process_environment(tmp_path, database_url, graph, GUNICORN_BIND=f"127.0.0.1:{port}", **settings)
    server = start_gunicorn(environment, tmp_path)
    logs: list[str] = []
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=15) as client:
            wait_until(lambda: _healthy(client), "gunicorn's /healthz")
            yield client, environment, logs
    finally:
        logs.extend(stop_gunicorn(server, tmp_path))


def test_gunicorn_and_the_commands_at_debug_write_no_secret(secret_database_url, graph, engine, tmp_path):
    with served(tmp_path, secret_database_url, graph, WEB_CONCURRENCY="2", TRUSTED_PROXY_HOPS="1") as (
            client, environment, logs):
        created = subprocess.run([console_script("flask"), "--app", "webhook_handler", "users", "create", OPERATOR[0],
                                  "--role", "admin"], cwd=ROOT, env=environment, input=OPERATOR[1] + "\n",
                                 capture_output=True, text=True, timeout=120)
        assert created.returncode == 0, created.stdout + created.stderr
        exercise(client, graph)
    server_out, server_err = logs
    outputs = {"flask users create": created.stdout + created.stderr}
    commands = {
        "flask smoke": [
            console_script("flask"),
            "--app",
            "webhook_handler",
            "smoke",
            "--to",
            CUSTOMERS[0],
            "--wait",
            "0",
        ],
        "the cron processor": [sys.executable, "run_broadcast_processor.py"],
        "alembic upgrade": [console_script("alembic"), "upgrade", "head"],
    }
    try:
        for name, command in commands.items():
            result = subprocess.run(command, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120)
            assert result.returncode == 0, f"{name}: {result.stdout}\n{result.stderr}"
            outputs[name] = result.stdout + result.stderr
    finally:
        clean_tables(engine)
    assert '"level": "DEBUG", "logger": "gunicorn.error"' in server_err  # gunicorn itself logged at debug (JSON)
    assert '"event": "message.stored"' in server_out
    assert_no_secret(server_out, secret_database_url, "gunicorn's stdout (the app's log)")
    assert_no_secret(server_err, secret_database_url, "gunicorn's stderr")
    for name, output in outputs.items():
        assert_no_secret(output, secret_database_url, f"the output of {name}")


def _healthy(client: httpx.Client) -> bool:
    try:
        return client.get("/healthz").status_code == 200
    except httpx.HTTPError:
        return False


def test_gunicorn_access_log_when_enabled_holds_no_query_string(secret_database_url, graph, tmp_path):
    """GUNICORN_ACCESS_LOG=- must log paths, not query strings: Meta's handshake carries the verify token there."""
    with served(tmp_path, secret_database_url, graph, WEB_CONCURRENCY="1", GUNICORN_ACCESS_LOG="-") as (
            client, _, logs):
        handshake = {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "42"}
        assert client.get("/webhook", params=handshake).status_code == 200
        assert client.get("/api/contacts", params={"token": ADMIN_TOKEN}).status_code == 401
    output = "".join(logs)
    assert '"GET /webhook' in output  # the access log is on
    assert_no_secret(output, secret_database_url, "gunicorn's access log")
