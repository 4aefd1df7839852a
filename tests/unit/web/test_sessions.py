"""The server-side record of dashboard logins: open, checked, ended, expired, cleared."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from database_models import DashboardSession, utcnow
from web.dashboard.sessions import end_login, login_is_open, open_login, stored_key

LIFETIME = timedelta(hours=12)


def test_a_login_is_open_until_it_is_ended(session):
    now = utcnow()
    login = open_login(session, now, LIFETIME)
    assert login_is_open(session, login, now)
    end_login(session, login, now)
    assert not login_is_open(session, login, now)
    assert session.get(DashboardSession, stored_key(login)).revoked_at == now


def test_a_login_expires_after_its_lifetime(session):
    now = utcnow()
    login = open_login(session, now, LIFETIME)
    assert login_is_open(session, login, now + LIFETIME - timedelta(seconds=1))
    assert not login_is_open(session, login, now + LIFETIME)


def test_an_unknown_or_forged_id_opens_nothing(session):
    login = open_login(session, utcnow(), LIFETIME)
    assert not login_is_open(session, "forged", utcnow())
    assert not login_is_open(session, stored_key(login), utcnow())  # the stored key is not the id


def test_ending_one_login_leaves_the_others_open(session):
    now = utcnow()
    first, second = open_login(session, now, LIFETIME), open_login(session, now, LIFETIME)
    end_login(session, first, now)
    assert login_is_open(session, second, now) and not login_is_open(session, first, now)


def test_logins_expired_for_a_day_are_deleted_at_the_next_login(session):
    now = utcnow()
    old = open_login(session, now - timedelta(days=3), LIFETIME)
    recent = open_login(session, now - LIFETIME - timedelta(hours=1), LIFETIME)  # expired an hour ago: kept
    open_login(session, now, LIFETIME)
    keys = set(session.scalars(select(DashboardSession.id)))
    assert stored_key(old) not in keys and stored_key(recent) in keys and len(keys) == 2
