"""Creating, listing, disabling and resetting operators, and checking a password at login.

Passwords are hashed with werkzeug's scrypt (`werkzeug.security`, already a dependency of
Flask): a copy of the table yields no password. Every change that must end an operator's
logins (disabling, a new password) raises `session_version` and revokes the operator's rows
in `dashboard_sessions`, so every copy of every cookie of theirs is refused on its next request.
The last active admin cannot be disabled: somebody must remain able to manage users.
"""

from __future__ import annotations

import functools
import re
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from database_models import ROLE_ADMIN, ROLES, DashboardSession, Operator, utcnow

# NIST SP 800-63B asks for at least 8 characters and no composition rules; the upper bound keeps
# one login from making the server hash a megabyte.
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 256
USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,63}")


@functools.cache
def _unknown_user_hash() -> str:
    """Checked against when the username is unknown, so a wrong name takes as long as a wrong password."""
    return generate_password_hash("no operator has this password", method="scrypt")


class AccountError(ValueError):
    """A refused account change; `code` names the reason (the dashboard translates it), str() says it in English."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def normalise_username(username: str) -> str:
    return (username or "").strip().lower()


def _checked_username(username: str) -> str:
    name = normalise_username(username)
    if not USERNAME.fullmatch(name):
        raise AccountError("bad_username", "a username has 2 to 64 characters: letters a-z, digits, '.', '_' "
                                           "or '-', starting with a letter or digit")
    return name


def _checked_password(password: str) -> str:
    if not password or not password.strip():
        raise AccountError("empty_password", "the password is empty")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError("short_password", f"the password is shorter than {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AccountError("long_password", f"the password is longer than {MAX_PASSWORD_LENGTH} characters")
    return password


def _checked_role(role: str) -> str:
    if role not in ROLES:
        raise AccountError("bad_role", f"the role must be one of: {', '.join(ROLES)}")
    return role


def find_operator(db: Session, username: str) -> Operator | None:
    """The operator with this username (case-insensitive), or None."""
    return db.scalars(select(Operator).where(Operator.username == normalise_username(username))).first()


def list_operators(db: Session) -> list[Operator]:
    """Every operator, active ones first, then by username."""
    return list(db.scalars(select(Operator).order_by(Operator.disabled_at.is_not(None), Operator.username)))


def operator_count(db: Session) -> int:
    """How many operators exist (0: nobody can log in yet; the login page says how to create the first admin)."""
    return db.scalar(select(func.count()).select_from(Operator)) or 0


def create_operator(db: Session, username: str, password: str, role: str, display_name: str | None = None
                    ) -> Operator:
    """A new operator; AccountError for a bad or taken username, a bad role, an empty or short password."""
    name, role = _checked_username(username), _checked_role(role)
    _checked_password(password)
    if find_operator(db, name) is not None:
        raise AccountError("duplicate_username", f"an operator named {name!r} exists already")
    shown = (display_name or "").strip() or None
    if shown is not None and len(shown) > 128:
        raise AccountError("long_display_name", "the display name is longer than 128 characters")
    operator = Operator(username=name, password_hash=generate_password_hash(password, method="scrypt"), role=role,
                        display_name=shown, session_version=1)
    db.add(operator)
    db.flush()
    return operator


def end_logins(db: Session, operator: Operator, now: datetime | None = None) -> None:
    """End every login of `operator`: a new session version, and their open session rows revoked."""
    operator.session_version = (operator.session_version or 1) + 1
    db.execute(update(DashboardSession)
               .where(DashboardSession.operator_id == operator.id, DashboardSession.revoked_at.is_(None))
               .values(revoked_at=now or utcnow()))
    db.flush()


def _other_active_admins(db: Session, operator: Operator) -> int:
    return db.scalar(select(func.count()).select_from(Operator).where(
        Operator.role == ROLE_ADMIN, Operator.disabled_at.is_(None), Operator.id != operator.id)) or 0


def disable_operator(db: Session, operator: Operator, now: datetime | None = None) -> None:
    """Disable `operator` and end their logins; AccountError when they are the last active admin."""
    if operator.disabled_at is not None:
        raise AccountError("already_disabled", f"{operator.username} is disabled already")
    if operator.is_admin and _other_active_admins(db, operator) == 0:
        raise AccountError("last_admin", "this is the last active admin: create or enable another admin first")
    operator.disabled_at = now or utcnow()
    end_logins(db, operator, now)


def enable_operator(db: Session, operator: Operator) -> None:
    """Let a disabled operator log in again (their old logins stay ended)."""
    if operator.disabled_at is None:
        raise AccountError("already_enabled", f"{operator.username} is active already")
    operator.disabled_at = None
    db.flush()


def set_password(db: Session, operator: Operator, password: str, now: datetime | None = None) -> None:
    """Give `operator` a new password and end every login opened with the old one."""
    operator.password_hash = generate_password_hash(_checked_password(password), method="scrypt")
    end_logins(db, operator, now)


def check_login(db: Session, username: str, password: str) -> Operator | None:
    """The operator these credentials belong to (disabled ones included: the caller refuses them), or None."""
    if len(password or "") > MAX_PASSWORD_LENGTH:
        return None
    operator = find_operator(db, username)
    if operator is None:
        check_password_hash(_unknown_user_hash(), password or "")  # the same work as for a known name
        return None
    return operator if check_password_hash(operator.password_hash, password or "") else None
