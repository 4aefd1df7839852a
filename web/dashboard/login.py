"""Who may see the dashboard: operators' logins with a username and a password, the session, CSRF.

Every request passes `_guard`: a POST without this session's CSRF token gets 400, and a page
other than the login form redirects there unless the session belongs to an operator who may
still use it (`web.dashboard.sessions.logged_in_operator`: the login was not ended or expired,
the operator is not disabled and has not had a new password since). The guard puts that
operator on `g.dashboard_operator` (read through `web.dashboard.operators.current_operator`).
ADMIN_API_TOKEN opens the JSON API and /metrics to machines; it logs nobody in here.

Failed logins are throttled per client address (in this process), per browser session (in the
signed cookie) and per account (failed logins in the audit trail since its last login, so every
worker sees them); see `web.dashboard.throttle`.
"""

from __future__ import annotations

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
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from accounts.operators import MAX_PASSWORD_LENGTH, check_login, find_operator, operator_count
from database_models import AuditEvent, Operator, utcnow
from runtime.startup_banner import FIRST_ADMIN_COMMAND  # the start-up lines give the same command
from web.dashboard import sessions as login_sessions
from web.dashboard.blueprint import dashboard
from web.dashboard.operators import record_action
from web.dashboard.throttle import FAILED_LOGIN_WINDOW, MAX_FAILED_LOGINS, LoginThrottle, account_failures, retry_after
from web.i18n import format_number
from web.request_db import request_db

logger = logging.getLogger("web.dashboard")


SESSION_MAX_AGE = 12 * 3600  # seconds a login lasts, whatever the browser does with the cookie
OPEN_ENDPOINTS = frozenset({"dashboard.login", "dashboard.login_form", "dashboard.choose_language"})


@dashboard.record_once
def _set_up(state: Any) -> None:
    state.app.extensions["dashboard_login_throttle"] = LoginThrottle()


def _logged_in_operator() -> Operator | None:
    session_id = session.get("dashboard_session")
    if not session.get("dashboard_login_at") or not isinstance(session_id, str):
        return None
    if time.time() - float(session["dashboard_login_at"]) > SESSION_MAX_AGE:
        return None
    with request_db() as db:
        return login_sessions.logged_in_operator(db, session_id, utcnow())


def csrf_token() -> str:
    """This session's CSRF token (created on first use)."""
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


@dashboard.before_request
def _guard() -> Response | None:
    g.dashboard_operator = _logged_in_operator()
    g.dashboard_logged_in = g.dashboard_operator is not None
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
    with request_db() as db:
        first_run = operator_count(db) == 0
    return render_template("dashboard/login.html", error=error, next=request.values.get("next", ""),
                           username=request.form.get("username", "").strip()[:64], first_run=first_run,
                           first_admin_command=FIRST_ADMIN_COMMAND), status


def _too_many(wait: float) -> Any:
    minutes = max(1, round(wait / 60))
    return _login_page(ngettext("Too many failed attempts. Try again in %(minutes)s minute.",
                                "Too many failed attempts. Try again in %(minutes)s minutes.", minutes,
                                minutes=format_number(minutes)), 429)


def start_session(db: Session, operator: Operator) -> None:
    """Open a login for `operator` in this browser: a fresh cookie (and CSRF token, no fixation) and its row.

    The caller commits; the cookie is sent with the response either way, and names a row that
    exists only once the commit lands.
    """
    session.clear()
    session_id = login_sessions.open_login(db, utcnow(), timedelta(seconds=SESSION_MAX_AGE), operator)
    session.update(dashboard_login_at=time.time(), dashboard_session=session_id)
    g.dashboard_operator = operator


@dashboard.post("/dashboard/login")
def login() -> Any:
    """Check the username and password (throttled) and open a session for that operator."""
    target = next_parameter(request.form)
    throttle: LoginThrottle = current_app.extensions["dashboard_login_throttle"]
    client, now = _client_address(), time.time()
    username, password = request.form.get("username", ""), request.form.get("password", "")
    session_failures = [t for t in session.get("login_failures", []) if now - t < FAILED_LOGIN_WINDOW]
    wait = max(retry_after(throttle.recent(client, now), now), retry_after(session_failures, now))
    if wait > 0:
        return _too_many(wait)
    with request_db() as db:
        account = find_operator(db, username) if username.strip() and len(username) <= 64 else None
        if account is not None:
            wait = retry_after(account_failures(db, account.id, now), now)
            if wait > 0:
                logger.warning("dashboard login throttled for an account",
                               extra={"event": "dashboard.login_throttled", "client": client,
                                      "operator_id": account.id})
                return _too_many(wait)
        operator = check_login(db, username, password) if username.strip() else None
        if operator is None:
            throttle.record(client, now, failed=True)
            session["login_failures"] = (session_failures + [now])[-MAX_FAILED_LOGINS:]
            if account is not None:  # counted against the account, whoever tries it
                db.add(AuditEvent(at=utcnow(), operator_id=None, action="login.failed", subject_type="operator",
                                  subject_id=str(account.id), detail={"client": client}))
                db.commit()
            logger.warning("dashboard login refused", extra={"event": "dashboard.login_refused", "client": client})
            message = (_("The password is too long.") if len(password) > MAX_PASSWORD_LENGTH
                       else _("That username and password do not match."))
            return _login_page(message, 401)
        if operator.disabled_at is not None:
            logger.warning("dashboard login of a disabled operator", extra={"event": "dashboard.login_disabled",
                                                                            "operator_id": operator.id})
            return _login_page(_("This account is disabled. Ask an admin to enable it."), 403)
        throttle.record(client, now, failed=False)
        start_session(db, operator)
        record_action(db, "login.succeeded", "operator", operator.id, client=client)
        db.commit()
    logger.info("dashboard login", extra={"event": "dashboard.login", "client": client, "operator_id": operator.id})
    return redirect(safe_next(target))


@dashboard.post("/dashboard/logout")
def logout() -> Response:
    """End the session, here and for every copy of its cookie."""
    session_id = session.get("dashboard_session")
    if isinstance(session_id, str):
        with request_db() as db:
            login_sessions.end_login(db, session_id, utcnow())
            operator = g.get("dashboard_operator")
            if operator is not None:
                record_action(db, "logout", "operator", operator.id)
            db.commit()
    session.clear()
    flash(_("You are logged out."), "info")
    return redirect(url_for("dashboard.login_form"))
