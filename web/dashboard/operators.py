"""Who is acting in the dashboard, and the record of what they did (`audit_events`).

`current_operator()` is the logged-in operator of this request (set by the login guard); None
only outside a dashboard login (the JSON API and the commands act as no operator).
`record_action` adds one audit row in the caller's session, which the request commits with the
action itself: an action and its record land together or not at all.
"""

from __future__ import annotations

from typing import Any

from flask import g
from sqlalchemy.orm import Session

from database_models import AuditEvent, Operator, utcnow


def current_operator() -> Operator | None:
    """The operator logged in for this request (None outside a dashboard login: the API, a command)."""
    return g.get("dashboard_operator")


def current_operator_id() -> int | None:
    operator = current_operator()
    return operator.id if operator is not None else None


def record_action(db: Session, action: str, subject_type: str | None = None, subject_id: Any = None,
                  **detail: Any) -> AuditEvent:
    """Add the audit row for `action` by this request's operator (flushed, not committed)."""
    event = AuditEvent(at=utcnow(), operator_id=current_operator_id(), action=action, subject_type=subject_type,
                       subject_id=None if subject_id is None else str(subject_id), detail=detail or None)
    db.add(event)
    db.flush()
    return event
