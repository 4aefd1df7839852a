"""A malformed rules/orders.yaml stops the processes that use it, with one line naming the file and the key:
gunicorn refuses to start (its preflight check) and `flask orders import` exits 1 without a traceback.

A bad file is never found by a request: the chatbot reads it when a worker starts.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import GUNICORN_COMMAND, ROOT, free_port

SECRET = "orders-app-secret-value-0123456789abcdef"
FLASK = str(Path(sys.executable).parent / "flask")  # the virtualenv's, as the guide runs it


@pytest.fixture
def bad_rules(tmp_path):
    """A chatbot rules file as shipped and, beside it, an orders file whose needs_person names no status."""
    (tmp_path / "chatbot_rules.yaml").write_bytes((ROOT / "rules" / "chatbot_rules.yaml").read_bytes())
    shipped = (ROOT / "rules" / "orders.yaml").read_text(encoding="utf-8")
    (tmp_path / "orders.yaml").write_text(shipped.replace("needs_person: [returned, problem]",
                                                          "needs_person: [returned, lost]"), encoding="utf-8")
    return tmp_path


def environment(rules_dir, **values: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WHATSAPP_", "SQLALCHEMY_", "ADMIN_", "FLASK_"))}
    env.update(CHATBOT_RULES_PATH=str(rules_dir / "chatbot_rules.yaml"),
               SQLALCHEMY_DATABASE_URL=f"sqlite:///{rules_dir / 'unused.db'}", **values)
    return env


def test_gunicorn_refuses_to_start_with_one_line_naming_the_key(bad_rules):
    env = environment(bad_rules, APP_ENV="production", WHATSAPP_APP_SECRET=SECRET,
                      WHATSAPP_VERIFY_TOKEN="verify-token-0123456789", FLASK_SECRET_KEY=SECRET,
                      GUNICORN_BIND=f"127.0.0.1:{free_port()}", GUNICORN_CONTROL_SOCKET=str(bad_rules / "g.ctl"))
    result = subprocess.run(GUNICORN_COMMAND, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    lines = [json.loads(line) for line in (result.stdout + result.stderr).splitlines() if line.strip()]
    errors = [line["message"] for line in lines if line["level"] == "ERROR"]
    assert errors == [f"orders rules error: {bad_rules / 'orders.yaml'}: needs_person: not in statuses: ['lost']"]
    assert "Traceback" not in result.stderr


def test_the_orders_command_says_what_is_wrong_and_exits_1(bad_rules):
    orders = bad_rules / "orders.csv"
    orders.write_text("number,wa_id,status\n1001,09121110001,paid\n", encoding="utf-8")
    result = subprocess.run([FLASK, "--app", "webhook_handler", "orders", "import", str(orders)], cwd=ROOT,
                            env=environment(bad_rules), capture_output=True, text=True, timeout=60)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1] == (
        f"Error: orders rules error: {bad_rules / 'orders.yaml'}: needs_person: not in statuses: ['lost']")
