"""The request's one database session, for the admin API and the dashboard alike.

Opened on first use (a request that reads nothing opens nothing), shared by everything the
request runs — the view, the login check, the template's context — and closed at the end of
the request, which rolls back whatever was not committed. A view that writes commits once.
Services take this session as an argument and never commit or close it.

    with request_db() as db:      # the dashboard's form: the transaction ends with the block
        ...
    db = request_session()        # the admin API's form: one transaction for the view

Registered by each blueprint (`close_request_session` as its teardown).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import g
from sqlalchemy.orm import Session

from runtime.context import platform

_KEY = "request_db_session"


def request_session() -> Session:
    """The request's session, opened on first use."""
    session = g.get(_KEY)
    if session is None:
        session = platform().session_factory()
        setattr(g, _KEY, session)
    return session


@contextmanager
def request_db() -> Iterator[Session]:
    """The request's session for one block of work, whose transaction ends with the block.

    Leaving the block closes the session's transaction (what was not committed, e.g. after an
    error, is rolled back) and releases its connection; the session stays the request's and
    begins again on next use. On SQLite every transaction takes the write lock at BEGIN
    (database_setup), so a transaction held while a page renders would hold webhooks back.
    Objects read inside stay readable afterwards, as loaded.
    """
    session = request_session()
    try:
        yield session
    finally:
        session.close()


def close_request_session(_error: BaseException | None = None) -> None:
    """Teardown: close the request's session, rolling back anything not committed."""
    session = g.pop(_KEY, None)
    if session is not None:
        session.close()
