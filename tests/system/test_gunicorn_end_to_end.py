"""The production shape: gunicorn serving create_app() as the docs start it, replies through the fake Graph API.

gunicorn runs from the virtualenv's console script with the documented arguments (conftest's
GUNICORN_COMMAND, `make run`, the systemd unit's ExecStart with its EnvironmentFile). Every
line it writes must be JSON, read by the guide's `jq` filter; `.env` settings must reach
gunicorn's own settings; a reload must serve all new code, and a reload that could not start
(an empty secret pasted during a rotation) must leave the old workers serving.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time

import httpx
import pytest
from conftest import GRAPH_TOKEN, GUNICORN_COMMAND, ROOT, free_port, run_migrations, wait_until
from deployment import (
    clean_environment,
    console_script,
    install_copy,
    json_lines,
    write_env_file,
)

from inbound.sample_payloads import text_message_envelope
from inbound.signatures import sign_payload

SECRET = "e2e-app-secret-value-0123456789abcdef"  # production refuses secrets under 32 characters



def gunicorn_env(**values: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WHATSAPP_", "SQLALCHEMY_", "ADMIN_", "FLASK_"))}
    env.update(values)
    return env


def start_and_fail(env: dict[str, str]) -> subprocess.CompletedProcess:
    """Run gunicorn with `env` until it exits (it should refuse to start)."""
    return subprocess.run(GUNICORN_COMMAND, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)


def refusals(result: subprocess.CompletedProcess) -> list[str]:
    """The messages of the ERROR lines gunicorn wrote; every line it wrote must be JSON."""
    lines = json_lines(result.stdout) + json_lines(result.stderr)
    return [line["message"] for line in lines if line["level"] == "ERROR"]


def test_production_start_refuses_a_missing_secret_with_one_line(tmp_path):
    env = gunicorn_env(
        APP_ENV="production", WHATSAPP_VERIFY_TOKEN="v", FLASK_SECRET_KEY="k", GUNICORN_BIND=f"127.0.0.1:{free_port()}",
        GUNICORN_CONTROL_SOCKET=str(tmp_path / "gunicorn.ctl"),
    )
    result = start_and_fail(env)
    assert result.returncode != 0
    assert refusals(result) == [
        "configuration error: WHATSAPP_APP_SECRET is required when APP_ENV=production "
        "(set it or WHATSAPP_APP_SECRET_FILE)"
    ]
    assert "Traceback" not in result.stderr


def test_production_start_refuses_a_malformed_rules_file_with_one_line(tmp_path):
    rules = tmp_path / "rules.yaml"
    rules.write_text("intents:\n  greeting:\n    examples: [hi]\n    responses: nope\n", encoding="utf-8")
    env = gunicorn_env(
        APP_ENV="production",
        WHATSAPP_APP_SECRET=SECRET,
        WHATSAPP_VERIFY_TOKEN="verify-token-0123456789",
        FLASK_SECRET_KEY="flask-secret-key-0123456789abcdef",
        CHATBOT_RULES_PATH=str(rules),
        GUNICORN_BIND=f"127.0.0.1:{free_port()}",
        GUNICORN_CONTROL_SOCKET=str(tmp_path / "gunicorn.ctl"),
    )
    result = start_and_fail(env)
    assert result.returncode != 0
    [error] = refusals(result)
    assert error.startswith(f"chatbot rules error: {rules}:") and "Traceback" not in result.stderr


def test_gunicorn_stores_a_webhook_and_replies_through_the_fake_graph_api(tmp_path, fake_graph):
    database_url = f"sqlite:///{tmp_path / 'e2e.db'}"
    run_migrations(database_url)
    port = free_port()
    env = gunicorn_env(
        APP_ENV="production",
        WHATSAPP_APP_SECRET=SECRET,
        WHATSAPP_VERIFY_TOKEN="verify-token-0123456789",
        FLASK_SECRET_KEY="flask-secret-key-0123456789abcdef",
        SQLALCHEMY_DATABASE_URL=database_url,
        WHATSAPP_API_TOKEN=GRAPH_TOKEN,
        WHATSAPP_PHONE_NUMBER_ID="123",
        WHATSAPP_API_BASE_URL=fake_graph.url,
        GUNICORN_BIND=f"127.0.0.1:{port}",
        WEB_CONCURRENCY="2",
        GUNICORN_CONTROL_SOCKET=str(tmp_path / "gunicorn.ctl"),
        GUNICORN_ACCESS_LOG="-",
    )
    server = subprocess.Popen(
        GUNICORN_COMMAND,
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        else:
            pytest.fail("gunicorn did not become healthy")
        body = json.dumps(text_message_envelope("989120000777", "سلام")).encode()
        headers = {"Content-Type": "application/json", "X-Hub-Signature-256": sign_payload(body, SECRET)}
        for _ in range(3):  # Meta's retries of the same delivery
            assert httpx.post(f"{base}/webhook", content=body, headers=headers, timeout=10).status_code == 200
        assert (
            httpx.post(
                f"{base}/webhook", content=body, headers={**headers, "X-Hub-Signature-256": "sha256=00"}, timeout=10
            ).status_code
            == 403
        )
        for _ in range(100):
            if fake_graph.counts():
                break
            time.sleep(0.05)
        time.sleep(0.3)  # room for a wrong second reply to show up
        assert fake_graph.counts() == {"989120000777": 1}
    finally:
        server.terminate()
        output = server.communicate(timeout=30)[0].decode()
    assert '"event": "message.stored"' in output
    assert SECRET not in output and GRAPH_TOKEN not in output
    lines = json_lines(output)  # gunicorn's own lines too: one JSON object each
    assert any(line["logger"] == "gunicorn.error" and line["message"].startswith("Booting worker") for line in lines)
    access = [line for line in lines if line.get("event") == "http.access"]
    assert {(line["method"], line["path"], line["status"]) for line in access} >= {("POST", "/webhook", "200"),
                                                                                  ("POST", "/webhook", "403")}
    # The guide's filter (docs/operations.md, 3.9) must get through every line of a real run's log.
    jq = shutil.which("jq")
    if jq:
        filtered = subprocess.run([jq, "-c", 'select(.level == "ERROR")'], input=output, capture_output=True,
                                  text=True, timeout=30)
        assert filtered.returncode == 0, filtered.stderr
        assert json_lines(filtered.stdout) == [line for line in lines if line["level"] == "ERROR"]


def test_make_run_takes_gunicorn_settings_from_env_and_its_own_control_socket(tmp_path):
    directory = install_copy(tmp_path / "clone")
    port = free_port()
    write_env_file(directory / ".env", {
        "SQLALCHEMY_DATABASE_URL": f"sqlite:///{tmp_path / 'make-run.db'}", "GUNICORN_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "3", "LOG_LEVEL": "INFO",
    })
    log = tmp_path / "make-run.log"
    with open(log, "wb") as output:
        make = subprocess.Popen(["make", "run"], cwd=directory, env=clean_environment(), stdout=output,
                                stderr=subprocess.STDOUT, start_new_session=True)
    try:
        def healthy() -> bool:
            assert make.poll() is None, log.read_text()[-3000:]
            try:
                return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        wait_until(healthy, "make run to serve on the GUNICORN_BIND of .env", timeout=90)
        control_socket = directory / "instance" / "gunicorn.ctl"
        assert control_socket.is_socket()
        shown = subprocess.run([console_script("gunicornc"), "-s", str(control_socket), "-c", "show workers", "-j"],
                               capture_output=True, text=True, timeout=30)
        assert shown.returncode == 0, shown.stderr
        assert len(json.loads(shown.stdout)["workers"]) == 3  # WEB_CONCURRENCY from .env
    finally:
        os.killpg(make.pid, signal.SIGTERM)
        make.wait(timeout=30)
