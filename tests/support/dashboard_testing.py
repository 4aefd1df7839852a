"""Driving the dashboard through Flask's test client: operators, log in, read a form's CSRF token, post a form."""

from __future__ import annotations

import re
from unittest import mock

from sqlalchemy import select
from werkzeug.security import generate_password_hash

ADMIN_USERNAME = "admin"
ADMIN_PASSWORD = "test-admin-password"  # an admin `log_in` creates when the app has none by this name
ADMIN_TOKEN = "test-admin-token-value"  # conftest's test_config: the JSON API's machine token
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_from(client, path: str = "/dashboard/login") -> str:
    """The CSRF token of the form on `path`."""
    match = CSRF.search(client.get(path).get_data(as_text=True))
    assert match, f"no CSRF token on {path}"
    return match.group(1)


# One real scrypt hash per password for the operators tests set up (accounts.operators makes it
# with a fresh salt each time; these operators are the set-up, not what is tested). With conftest's
# remembered keys, logging in with that password then costs no second derivation either.
_SET_UP_HASHES: dict[str, str] = {}


def _set_up_hash(password: str, method: str = "scrypt") -> str:
    if (password, method) not in _SET_UP_HASHES:
        _SET_UP_HASHES[password, method] = generate_password_hash(password, method=method)
    return _SET_UP_HASHES[password, method]


def make_operator(app, username: str, password: str, role: str = "admin", display_name: str | None = None):
    """Create (and commit) an operator in `app`'s database, as `flask … users create` does (the same
    checks and row, its password hash made once per password in a test run); returns its id."""
    from accounts import operators

    with app.extensions["whatsapp_platform"].session_factory() as db:
        operator = operators.find_operator(db, username)
        if operator is None:
            with mock.patch.object(operators, "generate_password_hash", _set_up_hash):
                operator = operators.create_operator(db, username, password, role, display_name)
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
