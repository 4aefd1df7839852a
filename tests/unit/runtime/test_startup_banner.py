"""The start-up lines gunicorn's when_ready hook prints: the real addresses, how to log in (the first admin's
command while there is none), and the API token only in development."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from conftest import ROOT

from config import DEVELOPMENT_DEFAULTS, load_config
from runtime.startup_banner import browsable, startup_lines

DEVELOPMENT_TOKEN = DEVELOPMENT_DEFAULTS["ADMIN_API_TOKEN"]
PRODUCTION = {"APP_ENV": "production", "WHATSAPP_APP_SECRET": "a" * 32, "WHATSAPP_VERIFY_TOKEN": "v" * 16,
              "FLASK_SECRET_KEY": "k" * 32}


@pytest.mark.parametrize(("listener", "url"), [
    ("http://127.0.0.1:8000", "http://127.0.0.1:8000"),
    ("http://0.0.0.0:8123", "http://127.0.0.1:8123"),
    ("http://[::]:8000", "http://[::1]:8000"),
    ("https://10.1.2.3:443", "https://10.1.2.3:443"),
    ("unix:/run/whatsapp/app.sock", "unix:/run/whatsapp/app.sock"),
])
def test_a_listener_becomes_an_address_a_browser_opens(listener, url):
    assert browsable(listener) == url


def test_development_prints_both_urls_and_the_development_token():
    lines = startup_lines(["http://0.0.0.0:8000"], load_config({}))
    assert "  webhook:   http://127.0.0.1:8000/webhook" in lines
    assert "  dashboard: http://127.0.0.1:8000/dashboard" in lines
    assert f"  admin API (machines): the development token {DEVELOPMENT_TOKEN}" in lines


def test_without_an_operator_the_lines_give_the_command_that_creates_the_first_admin(tmp_path):
    from conftest import run_migrations

    from accounts.operators import create_operator
    from database_setup import create_engine_for, create_session_factory
    from runtime.startup_banner import operator_count

    url = f"sqlite:///{tmp_path / 'banner.db'}"
    config = load_config({"SQLALCHEMY_DATABASE_URL": url})
    assert operator_count(config) is None  # no schema yet: unknown, and the start goes on
    run_migrations(url)
    assert operator_count(config) == 0
    lines = startup_lines(["http://127.0.0.1:8000"], config, operator_count(config))
    assert "    .venv/bin/flask --app webhook_handler users create admin --role admin" in lines
    engine = create_engine_for(url)
    with create_session_factory(engine)() as session:
        create_operator(session, "boss", "long enough", "admin")
        session.commit()
    engine.dispose()
    text = "\n".join(startup_lines(["http://127.0.0.1:8000"], config, operator_count(config)))
    assert "users create admin" not in text and "log in with your operator account" in text


def test_a_token_the_operator_chose_is_never_printed():
    chosen = "operator-chosen-token-" + "x" * 20
    for config in (load_config({"ADMIN_API_TOKEN": chosen}), load_config({**PRODUCTION, "ADMIN_API_TOKEN": chosen}),
                   load_config({"ADMIN_API_TOKEN": DEVELOPMENT_TOKEN})):
        text = "\n".join(startup_lines(["http://127.0.0.1:8000"], config))
        assert chosen not in text and DEVELOPMENT_TOKEN not in text
        assert "admin API (machines): your ADMIN_API_TOKEN" in text


def test_production_without_a_token_says_the_dashboard_is_switched_off():
    text = "\n".join(startup_lines(["unix:/run/app.sock"], load_config(PRODUCTION)))
    assert "admin API is switched off: set ADMIN_API_TOKEN" in text
    assert "listening on unix:/run/app.sock" in text and DEVELOPMENT_TOKEN not in text


def _run_banner(environment: dict[str, str]) -> str:
    """Run runtime/startup_banner.py as gunicorn's when_ready hook does, in a clean environment of its own."""
    root = ROOT
    env = {"PATH": os.environ.get("PATH", ""), "SQLALCHEMY_DATABASE_URL": "sqlite://", **environment}
    finished = subprocess.run([sys.executable, "-m", "runtime.startup_banner", "http://0.0.0.0:8000"], cwd=root,
                              env=env, capture_output=True, text=True, timeout=60, check=True)
    return finished.stdout


def test_the_hook_prints_plain_lines_in_development():
    output = _run_banner({})
    assert "dashboard: http://127.0.0.1:8000/dashboard" in output
    assert DEVELOPMENT_TOKEN in output


def test_the_hook_writes_one_json_line_in_production_where_logs_are_read_by_machines():
    output = _run_banner({**PRODUCTION, "ADMIN_API_TOKEN": "t" * 32})
    lines = output.splitlines()
    assert len(lines) == 1
    entry = json.loads(lines[0])
    assert entry["event"] == "server.ready"
    assert "http://127.0.0.1:8000/dashboard" in entry["message"]
    assert "t" * 32 not in output
