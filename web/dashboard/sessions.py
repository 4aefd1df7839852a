"""The server-side record of dashboard logins (`dashboard_sessions`): open, check, end.

The signed cookie alone cannot be withdrawn: a copy stays valid until it expires. So each
login is also a row, keyed by the SHA-256 of a random id that only the cookie carries (a
copy of the table opens no session), with its expiry and, after logout, its revocation.
The dashboard checks the row on every request. A row names its operator and their
`session_version` at login: disabling the operator or changing their password (accounts.operators)
raises the version, which ends the login too. Like the other services these take a Session,
may flush, and never commit: the request does.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, update
from sqlalchemy.orm import Session

from database_models import DashboardSession, Operator

# Rows are kept this long past their expiry (a day of "why was I logged out?"), then deleted at a login.
KEEP_EXPIRED = timedelta(days=1)


def stored_key(session_id: str) -> str:
    """The row key of a session id: its SHA-256, hex."""
    return hashlib.sha256(session_id.encode()).hexdigest()


def open_login(db: Session, now: datetime, lifetime: timedelta, operator: Operator | None = None) -> str:
    """Record a new login (of `operator`) lasting `lifetime`, and delete long-expired ones; the id for the cookie."""
    session_id = secrets.token_urlsafe(32)
    db.execute(delete(DashboardSession).where(DashboardSession.expires_at < now - KEEP_EXPIRED))
    db.add(DashboardSession(id=stored_key(session_id), created_at=now, expires_at=now + lifetime,
                            operator_id=operator.id if operator is not None else None,
                            operator_version=operator.session_version if operator is not None else None))
    db.flush()
    return session_id


def login_is_open(db: Session, session_id: str, now: datetime) -> bool:
    """Whether the login exists, was not ended, and has not expired."""
    record = db.get(DashboardSession, stored_key(session_id))
    return record is not None and record.revoked_at is None and record.expires_at > now


def logged_in_operator(db: Session, session_id: str, now: datetime) -> Operator | None:
    """The operator of an open login, or None: ended, expired, nobody's, disabled, or opened before a new password."""
    record = db.get(DashboardSession, stored_key(session_id))
    if record is None or record.revoked_at is not None or record.expires_at <= now or record.operator_id is None:
        return None
    operator = db.get(Operator, record.operator_id)
    if operator is None or operator.disabled_at is not None or operator.session_version != record.operator_version:
        return None
    return operator


def end_login(db: Session, session_id: str, now: datetime) -> None:
    """Revoke the login: every copy of its cookie is refused from now on."""
    db.execute(update(DashboardSession)
               .where(DashboardSession.id == stored_key(session_id), DashboardSession.revoked_at.is_(None))
               .values(revoked_at=now))
