"""accounts.operators: creating operators with clear refusals, hashed passwords, and changes that end logins."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from accounts.operators import (
    AccountError,
    check_login,
    create_operator,
    disable_operator,
    enable_operator,
    list_operators,
    operator_count,
    set_password,
)
from database_models import DashboardSession, utcnow
from web.dashboard.sessions import logged_in_operator, open_login

LIFETIME = timedelta(hours=12)


def test_a_created_operator_logs_in_with_the_password_which_is_stored_hashed(session):
    operator = create_operator(session, " Sara ", "correct horse battery", "agent", "Sara K.")
    assert (operator.username, operator.role, operator.display_name) == ("sara", "agent", "Sara K.")
    assert "correct horse battery" not in operator.password_hash and operator.password_hash.startswith("scrypt:")
    assert check_login(session, "SARA", "correct horse battery") is operator
    assert check_login(session, "sara", "wrong password") is None
    assert check_login(session, "nobody", "correct horse battery") is None
    assert operator_count(session) == 1


@pytest.mark.parametrize(("username", "password", "role", "code"), [
    ("sara", "long enough", "owner", "bad_role"),
    ("sara", "", "agent", "empty_password"),
    ("sara", "        ", "agent", "empty_password"),
    ("sara", "short", "agent", "short_password"),
    ("sara", "x" * 257, "agent", "long_password"),
    ("", "long enough", "agent", "bad_username"),
    ("sara karimi", "long enough", "agent", "bad_username"),
    ("سارا", "long enough", "agent", "bad_username"),
])
def test_bad_input_is_refused_with_a_reason_and_creates_nothing(session, username, password, role, code):
    with pytest.raises(AccountError) as refused:
        create_operator(session, username, password, role)
    assert refused.value.code == code and str(refused.value)
    assert list_operators(session) == []


def test_a_username_is_taken_once_whatever_its_case(session):
    create_operator(session, "sara", "long enough", "agent")
    with pytest.raises(AccountError, match="exists already") as refused:
        create_operator(session, "SARA", "another password", "admin")
    assert refused.value.code == "duplicate_username"


def test_disabling_or_a_new_password_ends_every_login_of_that_operator_only(session):
    now = utcnow()
    admin = create_operator(session, "boss", "long enough", "admin")
    sara = create_operator(session, "sara", "long enough", "agent")
    ali = create_operator(session, "ali", "long enough", "agent")
    sara_logins = [open_login(session, now, LIFETIME, sara) for _ in range(2)]
    ali_login = open_login(session, now, LIFETIME, ali)
    assert all(logged_in_operator(session, login, now) is sara for login in sara_logins)

    set_password(session, sara, "a new password")
    assert [logged_in_operator(session, login, now) for login in sara_logins] == [None, None]
    assert logged_in_operator(session, ali_login, now) is ali
    assert check_login(session, "sara", "long enough") is None
    assert check_login(session, "sara", "a new password") is sara

    disable_operator(session, ali)
    assert logged_in_operator(session, ali_login, now) is None
    revoked = session.scalars(select(DashboardSession).where(DashboardSession.operator_id == ali.id)).one()
    assert revoked.revoked_at is not None
    assert logged_in_operator(session, open_login(session, now, LIFETIME, admin), now) is admin


def test_a_disabled_operator_cannot_use_a_login_and_enabling_does_not_revive_old_ones(session):
    now = utcnow()
    create_operator(session, "boss", "long enough", "admin")
    sara = create_operator(session, "sara", "long enough", "agent")
    old = open_login(session, now, LIFETIME, sara)
    disable_operator(session, sara)
    with pytest.raises(AccountError) as again:
        disable_operator(session, sara)
    assert again.value.code == "already_disabled"
    enable_operator(session, sara)
    assert logged_in_operator(session, old, now) is None
    assert logged_in_operator(session, open_login(session, now, LIFETIME, sara), now) is sara


def test_the_last_active_admin_cannot_be_disabled(session):
    boss = create_operator(session, "boss", "long enough", "admin")
    create_operator(session, "sara", "long enough", "agent")
    with pytest.raises(AccountError) as refused:
        disable_operator(session, boss)
    assert refused.value.code == "last_admin" and boss.disabled_at is None
    deputy = create_operator(session, "deputy", "long enough", "admin")
    disable_operator(session, boss)
    with pytest.raises(AccountError):
        disable_operator(session, deputy)


def test_a_login_without_an_operator_opens_nothing(session):
    now = utcnow()
    assert logged_in_operator(session, open_login(session, now, LIFETIME), now) is None
