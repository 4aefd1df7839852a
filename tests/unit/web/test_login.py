"""Logging in as an operator: username and password, the per-account throttle, and what ends a login."""

from __future__ import annotations

from dashboard_testing import csrf_from, log_in, make_operator, operator_id, post_form
from sqlalchemy import select

from database_models import AuditEvent

AGENT_PASSWORD = "test-agent-password"


def _thief(app, client):
    """Another browser holding a copy of `client`'s session cookie."""
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    return thief


def _actions(db) -> list[tuple[str, int | None, str | None]]:
    rows = db.execute(select(AuditEvent.action, AuditEvent.operator_id, AuditEvent.subject_id)
                      .order_by(AuditEvent.id)).all()
    db.commit()
    return [tuple(row) for row in rows]


def test_the_form_posts_a_username_and_a_password(client):
    page = client.get("/dashboard/login").get_data(as_text=True)
    assert 'name="username"' in page and 'name="password"' in page and 'name="csrf_token"' in page
    assert 'name="token"' not in page


def test_login_and_logout_are_recorded_with_the_operator(logged_in, app, db):
    admin = operator_id(app, "admin")
    post_form(logged_in, "/dashboard/logout", page="/dashboard")
    assert _actions(db) == [("login.succeeded", admin, str(admin)), ("logout", admin, str(admin))]


def test_failed_logins_are_throttled_per_account_from_every_address_and_browser(app, db):
    make_operator(app, "sara", AGENT_PASSWORD, "agent")
    for number in range(5):  # five guesses, each from a new address and a new browser
        guesser = app.test_client()
        guesser.environ_base["REMOTE_ADDR"] = f"198.51.100.{number}"
        assert log_in(guesser, "guess", "sara").status_code == 401
    owner = app.test_client()
    owner.set_cookie("lang", "en")
    owner.environ_base["REMOTE_ADDR"] = "203.0.113.7"
    throttled = log_in(owner, AGENT_PASSWORD, "sara")
    assert throttled.status_code == 429 and "Too many failed attempts" in throttled.get_data(as_text=True)
    assert owner.get("/dashboard").status_code == 302
    other_account = app.test_client()
    other_account.environ_base["REMOTE_ADDR"] = "203.0.113.8"
    assert log_in(other_account).status_code == 302  # the admin account was not guessed at
    sara = operator_id(app, "sara")
    assert [action for action in _actions(db) if action[2] == str(sara)] == [("login.failed", None, str(sara))] * 5


def test_a_successful_login_clears_the_accounts_failures(app):
    make_operator(app, "sara", AGENT_PASSWORD, "agent")
    for number in range(4):
        guesser = app.test_client()
        guesser.environ_base["REMOTE_ADDR"] = f"198.51.100.{number}"
        log_in(guesser, "guess", "sara")
    assert log_in(app.test_client(), AGENT_PASSWORD, "sara").status_code == 302
    for number in range(4):
        guesser = app.test_client()
        guesser.environ_base["REMOTE_ADDR"] = f"198.51.101.{number}"
        assert log_in(guesser, "guess", "sara").status_code == 401
    assert log_in(app.test_client(), AGENT_PASSWORD, "sara").status_code == 302


def test_a_disabled_operator_is_refused_and_their_open_sessions_end(app, agent, logged_in):
    sara_copy = _thief(app, agent)
    assert sara_copy.get("/dashboard/inbox").status_code == 200
    sara = operator_id(app, "agent")
    assert post_form(logged_in, f"/dashboard/users/{sara}/disable", page="/dashboard/users").status_code == 302
    for browser in (agent, sara_copy):
        answer = browser.get("/dashboard/inbox")
        assert answer.status_code == 302 and answer.headers["Location"].startswith("/dashboard/login")
    again = log_in(app.test_client(), AGENT_PASSWORD, "agent")
    assert again.status_code == 403 and "این حساب غیرفعال است" in again.get_data(as_text=True)


def test_a_new_password_ends_the_sessions_opened_with_the_old_one(app, agent, logged_in):
    sara_copy = _thief(app, agent)
    sara = operator_id(app, "agent")
    answer = post_form(logged_in, f"/dashboard/users/{sara}/password", {"password": "a brand new password"},
                       page="/dashboard/users")
    assert answer.status_code == 302
    assert agent.get("/dashboard").status_code == 302 and sara_copy.get("/dashboard").status_code == 302
    assert log_in(app.test_client(), AGENT_PASSWORD, "agent").status_code == 401
    assert log_in(app.test_client(), "a brand new password", "agent").status_code == 302
    assert logged_in.get("/dashboard").status_code == 200  # the admin's own session is untouched


def test_logout_ends_an_old_copy_of_the_cookie_and_not_the_operators_other_logins(app, agent):
    copy = _thief(app, agent)
    elsewhere = app.test_client()
    assert log_in(elsewhere, AGENT_PASSWORD, "agent").status_code == 302
    assert post_form(agent, "/dashboard/logout", page="/dashboard").status_code == 302
    assert copy.get("/dashboard").status_code == 302
    assert elsewhere.get("/dashboard").status_code == 200


def test_an_empty_or_huge_form_is_a_clear_refusal(client):
    log_in(client)  # creates the admin
    client.post("/dashboard/logout", data={"csrf_token": csrf_from(client, "/dashboard")})
    for fields in ({"username": "", "password": ""}, {"username": "admin", "password": "x" * 5000},
                   {"username": "a" * 5000, "password": "whatever"}):
        answer = client.post("/dashboard/login", data={"csrf_token": csrf_from(client), **fields})
        assert answer.status_code == 401
    assert client.get("/dashboard").status_code == 302


def test_login_errors_read_in_persian(persian_client):
    answer = log_in(persian_client, "wrong password")
    assert answer.status_code == 401 and "نام کاربری و گذرواژه با هم نمی‌خوانند." in answer.get_data(as_text=True)


def test_an_operator_changes_their_password_stays_logged_in_and_ends_their_other_sessions(app, agent, db):
    elsewhere = app.test_client()
    assert log_in(elsewhere, AGENT_PASSWORD, "agent").status_code == 302
    copy = _thief(app, agent)
    wrong = post_form(agent, "/dashboard/account/password", {"current_password": "not it", "new_password":
                      "a brand new password", "new_password_again": "a brand new password"}, page="/dashboard/account")
    assert wrong.status_code == 400 and "The current password is not right." in wrong.get_data(as_text=True)
    short = post_form(agent, "/dashboard/account/password", {"current_password": AGENT_PASSWORD, "new_password":
                      "short", "new_password_again": "short"}, page="/dashboard/account")
    assert short.status_code == 400 and "at least 8 characters" in short.get_data(as_text=True)
    assert elsewhere.get("/dashboard").status_code == 200  # nothing changed yet
    changed = post_form(agent, "/dashboard/account/password", {"current_password": AGENT_PASSWORD, "new_password":
                        "a brand new password", "new_password_again": "a brand new password"},
                        page="/dashboard/account")
    assert changed.status_code == 302
    assert "Your password is changed." in agent.get("/dashboard/account").get_data(as_text=True)
    assert elsewhere.get("/dashboard").status_code == 302 and copy.get("/dashboard").status_code == 302
    assert log_in(app.test_client(), "a brand new password", "agent").status_code == 302
    agent_id = operator_id(app, "agent")
    assert ("operator.password_changed", agent_id, str(agent_id)) in _actions(db)
