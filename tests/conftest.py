"""Shared fixtures: databases (SQLite always, PostgreSQL with TEST_DATABASE_URL), the app,
a signed-webhook helper, factories, and the fake Graph API."""

from __future__ import annotations

import json
import os
import socket
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import werkzeug.security
from alembic import command
from alembic.config import Config as AlembicConfig
from jinja2 import BytecodeCache
from sqlalchemy import Engine, create_engine, make_url, text
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "tests" / "support"))  # the fake Graph API and shared helpers

from dashboard_testing import log_in  # noqa: E402

from config import Config  # noqa: E402
from database_models import Base, Contact, ContactTag  # noqa: E402
from database_setup import create_engine_for, create_session_factory  # noqa: E402
from inbound.signatures import sign_payload  # noqa: E402
from webhook_handler import create_app  # noqa: E402

APP_SECRET = "test-app-secret-value-0123456789abcdef"  # production wants 32+ characters
VERIFY_TOKEN = "test-verify-token-value"
GRAPH_TOKEN = "test-graph-token-value"
PHONE_NUMBER_ID = "106540352242922"
# Labelled evaluation sets written for this repository (tests/data/README.md says how).
EVAL_DATA = ROOT / "tests" / "data"


# How every test that needs the production server starts it.
GUNICORN_COMMAND = [f"{Path(sys.executable).parent}/gunicorn", "-c", "gunicorn.conf.py", "webhook_handler:create_app()"]


SYSTEM_TESTS = ROOT / "tests" / "system"


@pytest.hookimpl(trylast=True)  # after pytest has grouped the tests by backend
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The system runs first: real gunicorn, Celery, nginx, Chromium, a few to fifty seconds a module.

    `make test` hands whole modules to its workers in this order (`--no-loadscope-reorder`). In
    pytest-xdist's default order, most tests per module first, these few-test modules came last,
    and one worker could spend the end of the run alone on a production install or a browser.
    """
    items.sort(key=lambda item: not item.path.is_relative_to(SYSTEM_TESTS))


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(condition: Callable[[], Any], what: str, timeout: float = 30.0) -> Any:
    """Poll `condition` every 50 ms until it returns something truthy and return that; fail naming `what`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.05)
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")


class _RememberedKeys:
    """werkzeug's scrypt key derivation, each (method, salt, password) worked out once per test process.

    The key is a pure function of those three, so a remembered one is the same bytes scrypt would
    give again: every password check still compares the stored hash with the real key of the password
    typed (a wrong password is a new triple, derived for real). What it saves is the second derivation
    of the same triple, which is most of a dashboard test's set-up: `log_in` creates the test admin
    (one derivation) and then logs in with the same password (the same derivation again), 0.1 s each.
    """

    def __init__(self, derive: Callable[[str, str, str], tuple[str, str]]) -> None:
        self.derive = derive
        self.keys: dict[tuple[str, str, str], tuple[str, str]] = {}

    def __call__(self, method: str, salt: str, password: str) -> tuple[str, str]:
        triple = (method, salt, password)
        if triple not in self.keys:
            self.keys[triple] = self.derive(method, salt, password)
        return self.keys[triple]


werkzeug.security._hash_internal = _RememberedKeys(werkzeug.security._hash_internal)


def run_migrations(database_url: str) -> None:
    """`alembic upgrade head` on `database_url`, the way operators build a schema."""
    alembic_config = AlembicConfig(str(ROOT / "alembic.ini"))
    alembic_config.attributes["database_url"] = database_url
    alembic_config.attributes["skip_logging_setup"] = True
    command.upgrade(alembic_config, "head")


def reset_database(engine: Engine) -> None:
    """Drop every table (ours and Alembic's) so migrations start from nothing."""
    with engine.begin() as connection:
        Base.metadata.drop_all(connection)
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))


def postgres_url_or_skip() -> str:
    """TEST_DATABASE_URL; without it skip (visibly), or fail under CI=true."""
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but TEST_DATABASE_URL is not set")
        pytest.skip("PostgreSQL tests need TEST_DATABASE_URL (.ci/run sets it)")
    return url


@contextmanager
def worker_database(url: str) -> Iterator[str]:
    """TEST_DATABASE_URL itself in a plain run; under pytest-xdist (`make test` runs workers in
    parallel) a database of this worker's own beside it (`<name>_gw0`, …), created empty and
    dropped at the end, so two workers never share rows."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        yield url
        return
    base = make_url(url)
    name = f"{base.database}_{worker}"
    server = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with server.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with server.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        server.dispose()


def migrated_empty(url: str) -> str:
    """`url`'s database emptied (every table dropped) and migrated to head; skip or fail when it is unreachable."""
    engine = create_engine_for(url)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as error:  # the database itself is what is missing here
        if os.environ.get("CI") == "true":
            pytest.fail(f"cannot reach the test database {engine.url!r}: {error}")
        pytest.skip(f"test database unreachable: {error}")
    reset_database(engine)
    engine.dispose()
    run_migrations(url)
    return url


@pytest.fixture(scope="session")
def _sqlite_database(tmp_path_factory: pytest.TempPathFactory) -> str:
    return migrated_empty(f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}")


@pytest.fixture(scope="session")
def _postgresql_database() -> Iterator[str]:
    with worker_database(postgres_url_or_skip()) as url:
        yield migrated_empty(url)


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> str:
    """A migrated database of each backend, emptied by the fixtures that commit.

    Each backend's database is built once per process by the fixture above: pytest tears a
    parametrised session fixture down whenever the next test wants the other parameter, and under
    `--dist loadscope` a worker runs a module's SQLite tests and then its PostgreSQL ones, so
    building here rebuilt (dropped and migrated) both databases for every module.
    """
    return request.getfixturevalue(f"_{request.param}_database")


@pytest.fixture(scope="session")
def _engines() -> Iterator[dict[str, Engine]]:
    engines: dict[str, Engine] = {}
    yield engines
    for engine in engines.values():
        engine.dispose()


@pytest.fixture(scope="session")
def engine(database_url: str, _engines: dict[str, Engine]) -> Engine:
    """One engine per backend for the whole run (kept while the other backend's tests run)."""
    if database_url not in _engines:
        _engines[database_url] = create_engine_for(database_url)
    return _engines[database_url]


def clean_tables(engine: Engine) -> None:
    """Delete every row, children first (tests that commit call this afterwards)."""
    with engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session whose commits are all rolled back after the test (SQLAlchemy's external-transaction recipe)."""
    connection = engine.connect()
    transaction = connection.begin()
    session = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    yield session
    session.close()
    transaction.rollback()
    connection.close()


@pytest.fixture
def factory(engine: Engine):
    """A committing session factory, for code that opens and commits its own sessions; tables emptied afterwards."""
    yield create_session_factory(engine)
    clean_tables(engine)


@pytest.fixture
def sender(fake_graph):
    """The real WhatsApp sender pointed at the fake Graph API (tests/support/broadcast_testing.fake_sender)."""
    from broadcast_testing import fake_sender

    sender = fake_sender(fake_graph)
    yield sender
    sender.close()


@pytest.fixture
def test_config(database_url: str) -> Config:
    """Settings for an app under test: real secrets of its own, the test database."""
    return Config(
        database_url=database_url,
        whatsapp_app_secret=APP_SECRET,
        whatsapp_verify_token=VERIFY_TOKEN,
        admin_api_token="test-admin-token-value",
        flask_secret_key="test-flask-secret-key",
        log_level="INFO",  # the default: a log call that breaks at INFO must fail a test here
        send_replies_inline=True,
    )


class _CompiledTemplates(BytecodeCache):
    """Jinja's compiled templates kept in memory across the apps of one test run: each test builds
    its own app, and compiling every page again for each one cost a third of a dashboard test."""

    def __init__(self) -> None:
        self.compiled: dict[str, bytes] = {}

    def load_bytecode(self, bucket) -> None:
        if bucket.key in self.compiled:
            bucket.bytecode_from_string(self.compiled[bucket.key])

    def dump_bytecode(self, bucket) -> None:
        self.compiled[bucket.key] = bucket.bytecode_to_string()


COMPILED_TEMPLATES = _CompiledTemplates()


@pytest.fixture
def app(test_config: Config, engine: Engine):
    """The Flask app on the test database, emptied after the test."""
    app = create_app(test_config)
    app.config["TESTING"] = True
    app.jinja_env.bytecode_cache = COMPILED_TEMPLATES
    yield app
    app.extensions["whatsapp_platform"].close()
    clean_tables(engine)


@pytest.fixture
def client(app):
    """A test client for `app`, reading the interface in English (`persian_client` reads it in Persian)."""
    client = app.test_client()
    client.set_cookie("lang", "en")
    return client


@pytest.fixture
def persian_client(app):
    """A test client as a first visit sees the interface: no language chosen, so Persian."""
    return app.test_client()


@pytest.fixture
def logged_in(client):
    """`client`, logged in to the dashboard as an admin operator (English)."""
    assert log_in(client).status_code == 302
    return client


@pytest.fixture
def persian(persian_client):
    """`persian_client`, logged in to the dashboard as an admin operator (Persian, as a first visit reads it)."""
    assert log_in(persian_client).status_code == 302
    return persian_client


@pytest.fixture
def agent(app):
    """A test client (English) logged in as an agent operator, `agent`."""
    from dashboard_testing import make_operator

    make_operator(app, "agent", "test-agent-password", "agent")
    client = app.test_client()
    client.set_cookie("lang", "en")
    assert log_in(client, "test-agent-password", "agent").status_code == 302
    return client


@pytest.fixture
def db(engine):
    """A committing session on the app's database (the app fixture empties the tables afterwards).

    Tests commit after reading, before each request: on SQLite every transaction holds
    the write lock, which the app would wait for (a rollback would expire the objects, and
    the next attribute access would open a transaction again).
    """
    with Session(engine, expire_on_commit=False) as session:
        yield session


@pytest.fixture
def runner(app):
    """A CLI runner for `app`."""
    return app.test_cli_runner()


@pytest.fixture
def post_webhook(client) -> Callable[..., Any]:
    """Post `payload` (dict or bytes) to /webhook, correctly signed unless told otherwise."""

    def post(payload: Any, *, secret: str = APP_SECRET, signature: str | None = None, headers: dict | None = None):
        body = payload if isinstance(payload, bytes) else json.dumps(payload, ensure_ascii=False).encode()
        all_headers = {"Content-Type": "application/json",
                       "X-Hub-Signature-256": signature if signature is not None else sign_payload(body, secret)}
        all_headers.update(headers or {})
        return client.post("/webhook", data=body, headers=all_headers)

    return post


@pytest.fixture
def make_contact(session: Session) -> Callable[..., Contact]:
    """Factory: a contact with optional name, tags and attributes, flushed."""
    counter = iter(range(1, 10**9))

    def make(wa_id: str | None = None, name: str | None = "Test Customer", *, tags: tuple[str, ...] = (),
             attributes: dict | None = None, **fields: Any) -> Contact:
        contact = Contact(wa_id=wa_id or f"98912{next(counter):07d}", name=name, attributes=attributes or {}, **fields)
        contact.tags = [ContactTag(tag=tag) for tag in tags]
        session.add(contact)
        session.flush()
        return contact

    return make


@pytest.fixture
def fake_graph():
    """A running fake Graph API on 127.0.0.1 accepting GRAPH_TOKEN."""
    from fake_graph_api import FakeGraphAPI

    server = FakeGraphAPI(token=GRAPH_TOKEN, port=0)
    server.start()
    yield server
    server.stop()
