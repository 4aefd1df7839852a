"""Driving the dashboard through Flask's test client: log in, read a form's CSRF token, post a form."""

from __future__ import annotations

import re

ADMIN_TOKEN = "test-admin-token-value"  # conftest's test_config
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_from(client, path: str = "/dashboard/login") -> str:
    """The CSRF token of the form on `path`."""
    match = CSRF.search(client.get(path).get_data(as_text=True))
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def log_in(client, token: str = ADMIN_TOKEN):
    return client.post("/dashboard/login", data={"csrf_token": csrf_from(client), "token": token})


def post_form(client, path: str, data: dict | None = None, page: str = "/dashboard/inbox"):
    """POST a dashboard form the way a browser does: with the CSRF token of a page."""
    return client.post(path, data={"csrf_token": csrf_from(client, page), **(data or {})})
