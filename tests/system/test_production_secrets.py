"""Production refuses a trivially weak secret before serving anything: one line naming the variable, no traceback."""

from __future__ import annotations

import json
import os
import subprocess

from conftest import GUNICORN_COMMAND, ROOT, free_port

STRONG = {"WHATSAPP_APP_SECRET": "0f3c9a7be21d4c58a6e0b7d19f2c4e81", "WHATSAPP_VERIFY_TOKEN": "verify-token-0123456789",
          "FLASK_SECRET_KEY": "flask-secret-key-0123456789abcdef"}


def test_gunicorn_refuses_a_one_character_admin_token_in_one_line():
    env = {key: value for key, value in os.environ.items() if not key.startswith(("WHATSAPP_", "ADMIN_", "FLASK_"))}
    env |= STRONG | {"APP_ENV": "production", "ADMIN_API_TOKEN": "a", "GUNICORN_BIND": f"127.0.0.1:{free_port()}"}
    result = subprocess.run(GUNICORN_COMMAND, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    errors = [json.loads(line)["message"] for line in result.stderr.splitlines() if "configuration error" in line]
    assert errors == ["configuration error: ADMIN_API_TOKEN is too short for APP_ENV=production (1 character, "
                      "at least 32); generate one with: python3 -c 'import secrets; print(secrets.token_urlsafe(32))'"]
    assert "Traceback" not in result.stderr and "Booting worker" not in result.stderr
