"""Driving the dashboard through Flask's test client: operators, log in, read a form's CSRF token, post a form."""

from __future__ import annotations

import re

from sqlalchemy import select

ADMIN_USERNAME = "admin"
ADMIN_PASSWORD = "test-admin-password"  # an admin `log_in` creates when the app has none by this name
ADMIN_TOKEN = "test-admin-token-value"  # conftest's test_config: the JSON API's machine token
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_from(client, path: str = "/dashboard/login") -> str:
    """The CSRF token of the form on `path`."""
    match = CSRF.search(client.get(path).get_data(as_text=True))
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def make_operator(app, username: str, password: str, role: str = "admin", display_name: str | None = None):
    """Create (and commit) an operator in `app`'s database, as `flask … users create` does; returns its id."""
    from accounts.operators import create_operator, find_operator

    with app.extensions["whatsapp_platform"].session_factory() as db:
        operator = find_operator(db, username) or create_operator(db, username, password, role, display_name)
        db.commit()
        return operator.id


def operator_id(app, username: str) -> int | None:
    from database_models import Operator

    with app.extensions["whatsapp_platform"].session_factory() as db:
        return db.scalar(select(Operator.id).where(Operator.username == username))


def log_in(client, password: str = ADMIN_PASSWORD, username: str = ADMIN_USERNAME):
    """Post the login form; the test admin is created first when the app has nobody by that name."""
    if username == ADMIN_USERNAME and operator_id(client.application, username) is None:
        make_operator(client.application, ADMIN_USERNAME, ADMIN_PASSWORD, "admin")
    return client.post("/dashboard/login", data={"csrf_token": csrf_from(client), "username": username,
                                                  "password": password})


def post_form(client, path: str, data: dict | None = None, page: str = "/dashboard/inbox"):
    """POST a dashboard form the way a browser does: with the CSRF token of a page."""
    return client.post(path, data={"csrf_token": csrf_from(client, page), **(data or {})})
