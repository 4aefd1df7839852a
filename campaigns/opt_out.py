"""The one place that writes a contact's marketing choice (opted out of broadcasts, or back in).

Every writer goes through here — the chatbot (a customer's STOP / START), the webhook's
`user_preferences` items, Meta's error 131050 on a status or a send, the admin API — so that
each change records the same three things: the state on `contacts` (`opted_out`, since when),
why (`opted_out_source`, one of SOURCES, and `opted_out_reason`: the customer's words, Meta's
error), and one `opt_out_events` row naming the source, the reason and the actor (the
operator or API client, when a person did it).

A change is written only when the choice changes: a second STOP keeps the first one's time
and reason and adds no event. Three forms, for three kinds of caller:
- `set_choice(contact, ...)`: an ORM contact in the caller's session (the chatbot, the API);
- `set_choice_by_identifier(session, ...)`: a phone number or BSUID, the contact created when
  new (webhook items);
- `set_choice_where(session, condition, ...)`: every contact a SQL condition selects (the
  processor's failed sends), and `status_opt_out_ctes(...)`: the same writes as PostgreSQL
  CTEs, for the status writer's single statement.
An opt-out also writes the `contact.opted_out` event for outbound webhook subscribers
(`integrations.events`; in the status writer's statement, `integrations.status_sql`).
Nothing here commits.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, insert, update
from sqlalchemy.orm import Session, object_session

from database_models import Contact, OptOutEvent, utcnow
from database_setup import dialect_insert
from integrations import events

logger = logging.getLogger(__name__)

# Who or what made the choice.
CUSTOMER_MESSAGE = "customer_message"  # the customer wrote STOP / START (or a phrase meaning it) to the bot
MARKETING_PREFERENCE = "marketing_preference"  # a user_preferences webhook item (stop, resume, signup)
META_ERROR = "meta_error"  # Meta refused a marketing message: the user stopped them in WhatsApp (131050)
API = "api"  # the admin API
OPERATOR = "operator"  # an operator in the dashboard
SOURCES = (CUSTOMER_MESSAGE, MARKETING_PREFERENCE, META_ERROR, API, OPERATOR)
MAX_REASON_LENGTH = 256
MAX_ACTOR_LENGTH = 128


def meta_error_reason(code: int | None, title: str | None) -> str:
    """The reason recorded for a Meta error: "131050: <title>" (the PostgreSQL CTEs build the same text)."""
    return (f"{code}: {title}" if title else str(code))[:MAX_REASON_LENGTH]


def set_choice(contact: Contact, opted_out: bool, source: str, reason: str | None = None,
               actor: str | None = None, at: datetime | None = None) -> bool:
    """Opt `contact` (an ORM object in a session) out or back in; whether anything changed."""
    session = object_session(contact)
    if session is None:
        raise ValueError("the contact must belong to a session")
    _check(source)
    if bool(contact.opted_out) == opted_out:
        return False
    events.contact_opted_out(session, contact, source, opted_out)  # `contact.opted_out` to subscribers
    at = at or utcnow()
    reason, actor = _short(reason, MAX_REASON_LENGTH), _short(actor, MAX_ACTOR_LENGTH)
    contact.opted_out, contact.opted_out_at = opted_out, at if opted_out else None
    contact.opted_out_source, contact.opted_out_reason = (source, reason) if opted_out else (None, None)
    session.add(OptOutEvent(contact=contact, opted_out=opted_out, source=source, reason=reason, actor=actor, at=at))
    _log(opted_out, source, 1)
    return True


def set_choice_by_identifier(session: Session, opted_out: bool, source: str, *, wa_id: str | None = None,
                             user_id: str | None = None, reason: str | None = None,
                             at: datetime | None = None) -> list[int]:
    """The choice of the contact with this phone number (else this BSUID), created when new; ids changed."""
    column, value = ("wa_id", wa_id[:32]) if wa_id else ("user_id", (user_id or "")[:160])
    if not value:
        raise ValueError("a phone number or a BSUID is needed")
    now = utcnow()
    insert_new = dialect_insert(session.get_bind().dialect.name)(Contact.__table__).values(
        {column: value, "attributes": {}, "opted_out": False, "created_at": now, "updated_at": now})
    session.execute(insert_new.on_conflict_do_nothing(index_elements=[column]))
    return set_choice_where(session, Contact.__table__.c[column] == value, opted_out, source, reason=reason, at=at)


def set_choice_where(session: Session, condition: ColumnElement[bool], opted_out: bool, source: str, *,
                     reason: str | None = None, actor: str | None = None, at: datetime | None = None) -> list[int]:
    """The choice of every contact `condition` selects (set-based: one UPDATE, one INSERT); ids changed."""
    _check(source)
    at = at or utcnow()
    reason, actor = _short(reason, MAX_REASON_LENGTH), _short(actor, MAX_ACTOR_LENGTH)
    contacts = Contact.__table__
    events.contacts_opting_out(session, condition, source, opted_out)  # before the write: who is still opted in
    changed = list(session.scalars(
        update(contacts).where(condition, contacts.c.opted_out != opted_out).values(
            opted_out=opted_out, opted_out_at=at if opted_out else None,
            opted_out_source=source if opted_out else None, opted_out_reason=reason if opted_out else None,
            updated_at=utcnow(),
        ).returning(contacts.c.id)))
    if changed:
        session.execute(insert(OptOutEvent.__table__), [
            {"contact_id": contact_id, "opted_out": opted_out, "source": source, "reason": reason, "actor": actor,
             "at": at} for contact_id in changed])
        # Contacts already loaded in this session must not keep the old choice.
        for contact in session.identity_map.values():
            if isinstance(contact, Contact) and contact.id in changed:
                session.expire(contact)
        _log(opted_out, source, len(changed))
    return changed


def status_opt_out_ctes(recipients: str, now: str) -> str:
    """PostgreSQL CTEs opting out, for META_ERROR, the recipients of the CTE named `recipients`.

    `recipients` has the columns wa_id, user_id (used when wa_id is NULL), error_code and
    error_title, one row per contact; `now` is the parameter holding the time. The writes are
    `set_choice_by_identifier`'s: a new contact is created opted out, a contact opted in is
    opted out, an opted-out one is left as it is, and each change gets its `opt_out_events` row.
    """
    reason = (f"left(CASE WHEN error_title IS NULL OR error_title = '' THEN error_code::text "
              f"ELSE error_code::text || ': ' || error_title END, {MAX_REASON_LENGTH})")

    def by(column: str, where: str) -> str:
        return f"""
    INSERT INTO contacts ({column}, attributes, opted_out, opted_out_at, opted_out_source, opted_out_reason,
                          created_at, updated_at)
    SELECT {column}, '{{}}'::json, true, {now}, '{META_ERROR}', {reason}, {now}, {now} FROM {recipients}
    WHERE {where}
    ON CONFLICT ({column}) DO UPDATE SET opted_out = true, opted_out_at = EXCLUDED.opted_out_at,
        opted_out_source = EXCLUDED.opted_out_source, opted_out_reason = EXCLUDED.opted_out_reason,
        updated_at = EXCLUDED.updated_at
    WHERE contacts.opted_out IS NOT TRUE
    RETURNING contacts.id, contacts.opted_out_reason"""

    return f"""opted_out_by_wa_id AS ({by("wa_id", "wa_id IS NOT NULL")}
), opted_out_by_user_id AS ({by("user_id", "wa_id IS NULL AND user_id IS NOT NULL")}
), opt_out_history AS (
    INSERT INTO opt_out_events (contact_id, opted_out, source, reason, at)
    SELECT id, true, '{META_ERROR}', opted_out_reason, {now} FROM opted_out_by_wa_id
    UNION ALL SELECT id, true, '{META_ERROR}', opted_out_reason, {now} FROM opted_out_by_user_id
    RETURNING id
)"""


def _check(source: str) -> None:
    if source not in SOURCES:
        raise ValueError(f"unknown opt-out source {source!r}; one of {', '.join(SOURCES)}")


def _short(value: Any, limit: int) -> str | None:
    if not isinstance(value, str):
        return None
    value = value.replace("\x00", "").strip()
    return value[:limit] or None


def _log(opted_out: bool, source: str, count: int) -> None:
    logger.info("marketing choice changed", extra={"event": "contact.opted_out" if opted_out else "contact.opted_in",
                                                   "source": source, "contacts": count})
