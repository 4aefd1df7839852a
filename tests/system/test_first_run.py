"""A new user's first hour, run the way the README and the seed tell them to: real processes, real commands.

`gunicorn webhook_handler:app` (the seed's command) through the venv's `gunicorn` console script,
the start-up lines that say where the app is and how to create the first admin, `/` leading to
the dashboard, whose login page gives the same command, the command itself (password piped in),
and `make demo URL=…` against an app on another port. Importing the app module builds nothing.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from conftest import ROOT, free_port, run_migrations, wait_until

from config import DEVELOPMENT_DEFAULTS
from runtime.startup_banner import FIRST_ADMIN_COMMAND

GUNICORN = Path(sys.executable).parent / "gunicorn"
FLASK = Path(sys.executable).parent / "flask"


def development_env(database_url: str, **values: str) -> dict[str, str]:
    """The environment of a developer who set nothing but the database (a temporary one here)."""
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("WHATSAPP_", "SQLALCHEMY_", "ADMIN_", "FLASK_", "GUNICORN_", "TRUSTED_"))
           and key not in ("APP_ENV", "WEB_CONCURRENCY", "LOG_LEVEL", "PROMETHEUS_MULTIPROC_DIR")}
    return env | {"SQLALCHEMY_DATABASE_URL": database_url, "PYTHONUNBUFFERED": "1"} | values


@pytest.fixture
def seed_server(tmp_path: Path) -> Iterator[tuple[str, Path, str]]:
    """`gunicorn webhook_handler:app` started from the repository, as the seed's strategy document says."""
    database_url = f"sqlite:///{tmp_path / 'first-run.db'}"
    run_migrations(database_url)
    port, log = free_port(), tmp_path / "gunicorn.log"
    env = development_env(database_url, GUNICORN_BIND=f"127.0.0.1:{port}", WEB_CONCURRENCY="2")
    with open(log, "wb") as output:
        server = subprocess.Popen([str(GUNICORN), "webhook_handler:app"], cwd=ROOT, env=env,
                                  stdout=output, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"

    def healthy() -> bool:
        if server.poll() is not None:
            pytest.fail(f"gunicorn exited with {server.returncode}:\n{log.read_text()}")
        try:
            return httpx.get(f"{base}/healthz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        wait_until(healthy, "gunicorn webhook_handler:app to answer /healthz", timeout=60)
        yield base, log, database_url
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


def test_the_seeds_gunicorn_command_serves_the_app(seed_server):
    base, log, _ = seed_server
    health = httpx.get(f"{base}/healthz", timeout=5)
    assert health.status_code == 200 and health.json() == {"status": "ok"}
    assert "Failed to find attribute" not in log.read_text()


def test_start_up_says_where_the_app_is_and_how_to_log_in(seed_server):
    base, log, _ = seed_server
    output = log.read_text()
    assert f"webhook:   {base}/webhook" in output
    assert f"dashboard: {base}/dashboard" in output
    assert "nobody can log in yet: create the first admin" in output
    assert f"    {FIRST_ADMIN_COMMAND}" in output
    assert f"admin API (machines): the development token {DEVELOPMENT_DEFAULTS['ADMIN_API_TOKEN']}" in output
    assert output.count("WhatsApp platform ready") == 1  # the master says it once, not every worker


def test_a_new_user_follows_the_printed_lines_into_the_dashboard_and_out_again(seed_server):
    base, _, database_url = seed_server
    with httpx.Client(base_url=base, timeout=5) as browser:
        root = browser.get("/")
        assert root.status_code == 302 and root.headers["Location"] == "/dashboard"
        login_page = browser.get("/dashboard", follow_redirects=True)
        assert login_page.status_code == 200 and 'name="username"' in login_page.text
        assert FIRST_ADMIN_COMMAND in login_page.text
        created = subprocess.run([str(FLASK), *FIRST_ADMIN_COMMAND.split()[1:]], cwd=ROOT, input="first-admin-pass\n",
                                 env=development_env(database_url), capture_output=True, text=True, timeout=60)
        assert created.returncode == 0, created.stdout + created.stderr
        assert "created admin admin" in created.stdout and "first-admin-pass" not in created.stdout + created.stderr
        login_page = browser.get("/dashboard/login")
        assert FIRST_ADMIN_COMMAND not in login_page.text
        csrf = login_page.text.split('name="csrf_token" value="')[1].split('"')[0]
        answer = browser.post("/dashboard/login", data={"csrf_token": csrf, "username": "admin",
                                                        "password": "first-admin-pass"})
        assert answer.status_code == 302
        overview = browser.get("/dashboard")
        assert overview.status_code == 200
        copied = browser.cookies["session"]
        csrf = overview.text.split('name="csrf_token" value="')[1].split('"')[0]
        assert browser.post("/dashboard/logout", data={"csrf_token": csrf}).status_code == 302
    with httpx.Client(base_url=base, timeout=5, cookies={"session": copied}) as thief:
        for _ in range(4):  # whichever of the two workers answers
            assert thief.get("/dashboard").headers["Location"].startswith("/dashboard/login")


def test_make_demo_posts_to_the_url_it_is_given(seed_server):
    base, _, database_url = seed_server
    venv = Path(sys.executable).parents[1]  # the virtualenv running these tests, so make installs nothing
    result = subprocess.run(["make", "--no-print-directory", "demo", f"URL={base}", f"VENV={venv}"], cwd=ROOT,
                            env=development_env(database_url), capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"POST {base}/webhook -> 200 OK" in result.stdout
    assert "stored: message #1 from contact #1, text: سلام، سفارشم کجاست؟" in result.stdout
    assert "reply (order_status, sent, dry run, nothing sent):" in result.stdout


def test_importing_the_app_module_builds_nothing_and_reads_no_setting(tmp_path):
    (tmp_path / ".env").write_text("FIRST_RUN_MARKER=loaded\n")
    probe = textwrap.dedent(f"""
        import gc, os, sys, traceback
        sys.path.insert(0, {str(ROOT)!r})
        ROOT = {str(ROOT)!r}
        reads = []

        class WatchedEnviron(type(os.environ)):
            def __getitem__(self, key):
                self._note(key)
                return super().__getitem__(key)
            def _note(self, key):
                # The reader is the innermost frame outside the mapping machinery (os.environ.get, getenv).
                for frame in reversed(traceback.extract_stack()[:-2]):
                    if frame.filename.endswith(("os.py", "_collections_abc.py", " os>", " _collections_abc>")):
                        continue
                    if frame.filename.startswith(ROOT) and "/.venv/" not in frame.filename:
                        reads.append((key, frame.filename, frame.lineno))
                    return

        original = os.environ
        os.environ = WatchedEnviron(original._data, original.encodekey, original.decodekey,
                                    original.encodevalue, original.decodevalue)
        import sqlalchemy
        import webhook_handler  # noqa
        engines = [o for o in gc.get_objects() if isinstance(o, sqlalchemy.Engine)]
        print("reads", reads)
        print("engines", len(engines))
        print("marker", os.environ.get("FIRST_RUN_MARKER"))
        print("app built", "_lazy_app" in vars(webhook_handler) and webhook_handler._lazy_app is not None)
    """)
    result = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True, timeout=60,
                            env={k: v for k, v in os.environ.items() if k != "FIRST_RUN_MARKER"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["reads []", "engines 0", "marker None", "app built False"]


def test_the_lazy_app_is_built_once_on_first_access(monkeypatch, tmp_path):
    import webhook_handler

    monkeypatch.setattr(webhook_handler, "_lazy_app", None)
    monkeypatch.setenv("SQLALCHEMY_DATABASE_URL", f"sqlite:///{tmp_path / 'lazy.db'}")
    monkeypatch.chdir(tmp_path)  # no .env here
    built = webhook_handler.app
    try:
        assert built is webhook_handler.app
        assert built.extensions["whatsapp_platform"].config.database_url.endswith("lazy.db")
        with pytest.raises(AttributeError, match="no attribute 'application'"):
            _ = webhook_handler.application
    finally:
        built.extensions["whatsapp_platform"].close()


def test_development_values_are_named_in_one_warning_per_process(tmp_path, caplog):
    from config import load_config
    from webhook_handler import create_app

    caplog.set_level("WARNING", logger="webhook_handler")
    app = create_app(load_config({"SQLALCHEMY_DATABASE_URL": f"sqlite:///{tmp_path / 'dev.db'}"}))
    try:
        warnings = [record.getMessage() for record in caplog.records
                    if getattr(record, "event", None) == "config.development_default"]
    finally:
        app.extensions["whatsapp_platform"].close()
    assert warnings == ["development values in use for WHATSAPP_APP_SECRET, WHATSAPP_VERIFY_TOKEN, "
                        "FLASK_SECRET_KEY, ADMIN_API_TOKEN (never do this in production)"]
