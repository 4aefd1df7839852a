"""Who may see the dashboard: login with the admin token, the session and its server-side record, CSRF.

Every request passes `_guard`: a POST without this session's CSRF token gets 400, and a page
other than the login form redirects there unless the session is logged in (checked against
`web.dashboard.sessions`, so logging out ends every copy of the cookie).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import time
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from flask import abort, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from werkzeug.wrappers import Response

from database_models import utcnow
from runtime.context import platform
from web.dashboard import sessions as login_sessions
from web.dashboard.blueprint import dashboard
from web.dashboard.throttle import FAILED_LOGIN_WINDOW, MAX_FAILED_LOGINS, LoginThrottle, retry_after
from web.i18n import format_number
from web.request_db import request_db

logger = logging.getLogger("web.dashboard")


SESSION_MAX_AGE = 12 * 3600  # seconds a login lasts, whatever the browser does with the cookie
OPEN_ENDPOINTS = frozenset({"dashboard.login", "dashboard.login_form", "dashboard.choose_language"})


@dashboard.record_once
def _set_up(state: Any) -> None:
    state.app.extensions["dashboard_login_throttle"] = LoginThrottle()


def _token_fingerprint(token: str) -> str:
    """Which admin token a session was opened with (rotating the token logs everyone out)."""
    key = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(key, token.encode(), hashlib.sha256).hexdigest()[:32]


def _logged_in() -> bool:
    token = platform().config.admin_api_token
    session_id = session.get("dashboard_session")
    if not token or not session.get("dashboard_login_at") or not isinstance(session_id, str):
        return False
    if time.time() - float(session["dashboard_login_at"]) > SESSION_MAX_AGE:
        return False
    if not hmac.compare_digest(str(session.get("dashboard_token", "")), _token_fingerprint(token)):
        return False
    with request_db() as db:
        return login_sessions.login_is_open(db, session_id, utcnow())


def csrf_token() -> str:
    """This session's CSRF token (created on first use)."""
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


@dashboard.before_request
def _guard() -> Response | None:
    g.dashboard_logged_in = _logged_in()
    if request.method == "POST":
        given, expected = request.form.get("csrf_token", ""), session.get("csrf", "")
        if not expected or not hmac.compare_digest(given.encode(), str(expected).encode()):
            logger.warning("dashboard POST without a valid CSRF token", extra={"event": "dashboard.csrf_refused",
                                                                             "path": request.path})
            abort(400, _("This form has expired or did not come from the dashboard. Reload the page and try again."))
    if request.endpoint not in OPEN_ENDPOINTS and not g.dashboard_logged_in:
        # Back to the page after logging in; a form sent after the login expired is not replayed.
        back = request.full_path.rstrip("?") if request.method == "GET" else None
        return redirect(url_for("dashboard.login_form", next=back))
    return None


def _client_address() -> str:
    return request.remote_addr or "unknown"


def next_parameter(values: Any) -> str | None:
    """The page to return to after logging in; 400 when it holds a control character.

    A CR or LF would end up in the Location header, which Werkzeug refuses with a 500.
    """
    target = values.get("next")
    if target and any(ord(character) < 32 or ord(character) == 127 for character in target):
        abort(400, _("The address to return to after logging in is not valid."))
    return target


def safe_next(target: str | None) -> str:
    parts = urlsplit(target or "")
    if parts.scheme or parts.netloc or not parts.path.startswith("/dashboard") or "\\" in (target or ""):
        return url_for("dashboard.overview")
    return target or url_for("dashboard.overview")


@dashboard.get("/dashboard/login")
def login_form() -> str | Response:
    """The login page (or straight on when already logged in)."""
    target = next_parameter(request.args)
    if g.dashboard_logged_in:
        return redirect(safe_next(target))
    return _login_page()


def _login_page(error: str | None = None, status: int = 200) -> Any:
    config = platform().config
    disabled = not config.admin_api_token
    return render_template("dashboard/login.html", error=error, disabled=disabled, next=request.values.get("next", ""),
                           development_token="ADMIN_API_TOKEN" in config.used_development_defaults
                           ), (503 if disabled and status == 200 else status)


@dashboard.post("/dashboard/login")
def login() -> Any:
    """Check the admin token (constant time, throttled) and open a session."""
    target = next_parameter(request.form)
    token = platform().config.admin_api_token
    if not token:
        return _login_page()
    throttle: LoginThrottle = current_app.extensions["dashboard_login_throttle"]
    client, now = _client_address(), time.time()
    session_failures = [t for t in session.get("login_failures", []) if now - t < FAILED_LOGIN_WINDOW]
    wait = max(retry_after(throttle.recent(client, now), now), retry_after(session_failures, now))
    if wait > 0:
        minutes = max(1, round(wait / 60))
        return _login_page(ngettext("Too many failed attempts. Try again in %(minutes)s minute.",
                                    "Too many failed attempts. Try again in %(minutes)s minutes.", minutes,
                                    minutes=format_number(minutes)), 429)
    given = request.form.get("token", "")
    if not hmac.compare_digest(given.encode(), token.encode()):
        throttle.record(client, now, failed=True)
        session["login_failures"] = (session_failures + [now])[-MAX_FAILED_LOGINS:]
        logger.warning("dashboard login refused", extra={"event": "dashboard.login_refused", "client": client})
        return _login_page(_("That token is not right."), 401)
    throttle.record(client, now, failed=False)
    session.clear()  # a fresh session (and CSRF token) on login: no fixation
    with request_db() as db:
        session_id = login_sessions.open_login(db, utcnow(), timedelta(seconds=SESSION_MAX_AGE))
        db.commit()
    session.update(dashboard_login_at=now, dashboard_token=_token_fingerprint(token), dashboard_session=session_id)
    logger.info("dashboard login", extra={"event": "dashboard.login", "client": client})
    return redirect(safe_next(target))


@dashboard.post("/dashboard/logout")
def logout() -> Response:
    """End the session, here and for every copy of its cookie."""
    session_id = session.get("dashboard_session")
    if isinstance(session_id, str):
        with request_db() as db:
            login_sessions.end_login(db, session_id, utcnow())
            db.commit()
    session.clear()
    flash(_("You are logged out."), "info")
    return redirect(url_for("dashboard.login_form"))
