"""web.request_db: one session per request for the API and the dashboard, closed at teardown."""

from __future__ import annotations

import pytest
from flask import g
from sqlalchemy import func, select

from database_models import Contact
from web.api.support import db
from web.request_db import _KEY, close_request_session, request_db, request_session


def contact_count(app) -> int:
    with app.extensions["whatsapp_platform"].session_factory() as session:
        return session.scalar(select(func.count()).select_from(Contact))


def test_the_api_and_the_dashboard_get_the_same_session_opened_on_first_use(app):
    with app.test_request_context("/dashboard"):
        assert _KEY not in g  # nothing opened by a request that reads nothing
        session = request_session()
        assert db() is session
        with request_db() as block:
            assert block is session
        close_request_session()
        assert _KEY not in g
        assert request_session() is not session  # a later use opens a fresh one


def test_work_not_committed_is_rolled_back_at_the_end_of_a_block_and_of_the_request(app):
    with app.test_request_context("/api/contacts"):
        with request_db() as session:
            session.add(Contact(wa_id="989121239001", attributes={}))
            session.flush()
        request_session().add(Contact(wa_id="989121239002", attributes={}))
        request_session().flush()
        close_request_session()
    assert contact_count(app) == 0


def test_an_error_inside_a_block_rolls_back_and_the_request_can_still_read_and_commit(app):
    with app.test_request_context("/dashboard"):
        with pytest.raises(RuntimeError), request_db() as session:
            session.add(Contact(wa_id="989121239003", attributes={}))
            session.flush()
            raise RuntimeError("the view failed")
        with request_db() as session:
            assert session.scalar(select(func.count()).select_from(Contact)) == 0
            session.add(Contact(wa_id="989121239004", attributes={}))
            session.commit()
        close_request_session()
    assert contact_count(app) == 1


def test_a_real_request_closes_its_session_at_teardown(app, client):
    client.set_cookie("lang", "en")
    answer = client.get("/api/contacts", headers={"Authorization": "Bearer test-admin-token-value"})
    assert answer.status_code == 200
    page = client.get("/dashboard/login")
    assert page.status_code == 200
    pool = app.extensions["whatsapp_platform"].engine.pool
    checked_out = getattr(pool, "checkedout", lambda: 0)()
    assert checked_out == 0  # every connection went back to the pool
