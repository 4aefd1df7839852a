"""The reads and small changes the admin API needs beyond contacts_service and broadcast_service.

Contacts: search and keyset paging, tag and attribute edits, opt-out / opt-in. A
contact's conversation: inbound log and outbound queue merged newest first. Broadcasts:
keyset paging with rows counted by status. Like every service here these take a
Session, may flush, never commit, and raise small domain exceptions. Pages are keyset
pages (an opaque cursor, `limit` rows), so page 1000 costs what page 1 costs.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, exists, func, or_, select
from sqlalchemy.orm import Session, selectinload

from campaigns.contacts import MAX_NAME_LENGTH, ContactError, normalize_wa_id, parse_tags, upsert_contact
from database_models import QUEUE_STATUSES, Broadcast, Contact, ContactTag, ReceivedMessageLog, ScheduledMessage, utcnow
from integrations import events as outbound_webhooks

_DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789")


class NotFoundError(LookupError):
    """No row with the requested id."""


class ContactExistsError(ContactError):
    """A contact with this number already exists; `contact_id` is its id."""

    def __init__(self, wa_id: str, contact_id: int) -> None:
        super().__init__(f"contact {wa_id} already exists (id {contact_id})")
        self.contact_id = contact_id


class CursorError(ValueError):
    """A paging cursor this API did not issue."""


@dataclass
class Page:
    """One page of items and the cursor of the next one (None on the last page)."""

    items: list[Any]
    next_cursor: str | None


# --- cursors ---------------------------------------------------------------------------

def encode_cursor(*parts: object) -> str:
    """An opaque, URL-safe cursor for these key parts."""
    return base64.urlsafe_b64encode("|".join(str(part) for part in parts).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, count: int) -> list[str]:
    """The key parts of a cursor made by encode_cursor; CursorError when it is not one."""
    try:
        parts = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode().split("|")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise CursorError("not a cursor this API issued") from None
    if len(parts) != count:
        raise CursorError("not a cursor this API issued")
    return parts


INTEGER_IDS, BIG_INTEGER_IDS = 2**31, 2**63  # one past the largest id of an Integer / a BigInteger column


def _row_id(raw: str, limit: int = INTEGER_IDS) -> int:
    """A row id from a cursor: ASCII digits below `limit` (the id column's range), or CursorError.

    Unbounded, a forged id overflowed SQLite's 64-bit integers (a 500); `int()` alone also
    takes signs, spaces, underscores and non-ASCII digits the API never writes.
    """
    if not re.fullmatch(r"[1-9][0-9]{0,18}", raw) or int(raw) >= limit:
        raise CursorError("not a cursor this API issued")
    return int(raw)


def _id_from_cursor(cursor: str | None) -> int | None:
    if cursor is None:
        return None
    [raw] = decode_cursor(cursor, 1)
    return _row_id(raw)


# --- contacts --------------------------------------------------------------------------

def get_contact(session: Session, contact_id: int) -> Contact:
    """The contact with this id; NotFoundError otherwise."""
    contact = session.get(Contact, contact_id) if 0 < contact_id < 2**31 else None
    if contact is None:
        raise NotFoundError(f"no contact {contact_id}")
    return contact


def list_contacts(session: Session, *, search: str | None = None, tag: str | None = None,
                  opted_out: bool | None = None, limit: int = 50, cursor: str | None = None) -> Page:
    """Contacts newest first, matching part of the name or number, a tag and the opt-out state."""
    query = select(Contact).options(selectinload(Contact.tags)).order_by(Contact.id.desc()).limit(limit + 1)
    before = _id_from_cursor(cursor)
    if before is not None:
        query = query.where(Contact.id < before)
    if search and search.strip():
        needle = search.strip()
        matches = [func.lower(Contact.name).contains(needle.lower(), autoescape=True)]
        digits = needle.translate(_DIGITS).lstrip("+").replace(" ", "").replace("-", "").lstrip("0")
        if digits.isdigit() and digits.isascii():
            matches.append(Contact.wa_id.contains(digits))
        matches.append(func.lower(Contact.username).contains(needle.lstrip("@").lower(), autoescape=True))
        query = query.where(or_(*matches))
    if tag:
        [wanted] = parse_tags([tag]) or [""]
        query = query.where(exists().where(ContactTag.contact_id == Contact.id, ContactTag.tag == wanted))
    if opted_out is not None:
        query = query.where(Contact.opted_out.is_(opted_out))
    contacts = list(session.scalars(query))
    more = len(contacts) > limit
    contacts = contacts[:limit]
    return Page(contacts, encode_cursor(contacts[-1].id) if more else None)


def create_contact(session: Session, wa_id: str, name: str | None = None, tags: Iterable[str] = (),
                   attributes: dict[str, Any] | None = None) -> Contact:
    """A new contact; ContactExistsError when the number is known, ContactError for bad values."""
    number = normalize_wa_id(wa_id)
    existing = session.scalar(select(Contact.id).where(Contact.wa_id == number))
    if existing is not None:
        raise ContactExistsError(number, existing)
    contact, _ = upsert_contact(session, number, name, tags, attributes)
    return contact


def update_contact(session: Session, contact_id: int, changes: dict[str, Any]) -> Contact:
    """Apply name, tags (replace), add_tags, remove_tags and attributes (merge; None removes) to a contact."""
    contact = get_contact(session, contact_id)
    current = set(contact.tag_names)
    add = parse_tags(changes.get("add_tags") or [])
    remove = set(parse_tags(changes.get("remove_tags") or []))
    if "tags" in changes:
        wanted = parse_tags(changes["tags"] or [])
        add, remove = wanted + [tag for tag in add if tag not in wanted], remove | (current - set(wanted))
    if clash := sorted(remove & set(add)):
        raise ContactError(f"tag {clash[0]!r} is both added and removed")
    attributes = changes.get("attributes") or {}
    if "name" in changes:
        name = (changes["name"] or "").strip()
        if len(name) > MAX_NAME_LENGTH:
            raise ContactError(f"name longer than {MAX_NAME_LENGTH} characters")
        contact.name = name or None
    dropped = [key for key, value in attributes.items() if value is None]
    if dropped:
        contact.attributes = {k: v for k, v in (contact.attributes or {}).items() if k not in dropped}
    contact.updated_at = utcnow()
    session.flush()
    kept = {key: value for key, value in attributes.items() if value is not None}
    if kept or add:
        upsert_contact(session, contact.address, None, add, kept)
    if remove & current:
        session.execute(delete(ContactTag).where(ContactTag.contact_id == contact.id,
                                                 ContactTag.tag.in_(sorted(remove & current))))
    return _reload(session, contact.id)


def set_opted_out(session: Session, contact_id: int, opted_out: bool) -> Contact:
    """Opt a contact out of broadcasts (or back in); doing it twice changes nothing more."""
    contact = get_contact(session, contact_id)
    if contact.opted_out != opted_out:
        outbound_webhooks.contact_opted_out(session, contact, "operator", opted_out)
        contact.opted_out = opted_out
        contact.opted_out_at = utcnow() if opted_out else None
        session.flush()
    return contact


def _reload(session: Session, contact_id: int) -> Contact:
    session.flush()
    return session.scalars(select(Contact).where(Contact.id == contact_id)
                           .execution_options(populate_existing=True)).one()


def contact_as_dict(contact: Contact) -> dict[str, Any]:
    """A contact as the API shows it."""
    return {
        "id": contact.id, "wa_id": contact.wa_id, "user_id": contact.user_id, "username": contact.username,
        "parent_user_id": contact.parent_user_id, "handle": contact.handle, "name": contact.name,
        "tags": contact.tag_names,
        "attributes": dict(contact.attributes or {}), "opted_out": bool(contact.opted_out),
        "opted_out_at": _iso(contact.opted_out_at), "first_inbound_at": _iso(contact.first_inbound_at),
        "last_inbound_at": _iso(contact.last_inbound_at), "created_at": _iso(contact.created_at),
        "updated_at": _iso(contact.updated_at),
    }


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


# --- a contact's conversation ------------------------------------------------------------

def contact_messages(session: Session, contact_id: int, limit: int = 50, cursor: str | None = None) -> Page:
    """Inbound and outbound messages of a contact, newest first (outbound by creation time)."""
    get_contact(session, contact_id)
    inbound, outbound = ReceivedMessageLog, ScheduledMessage
    in_query = select(inbound).where(inbound.contact_id == contact_id)
    out_query = select(outbound).where(outbound.contact_id == contact_id)
    if cursor is not None:
        raw_at, kind, raw_id = decode_cursor(cursor, 3)
        try:
            at = datetime.fromisoformat(raw_at)
        except ValueError:
            raise CursorError("not a cursor this API issued") from None
        row_id = _row_id(raw_id, BIG_INTEGER_IDS)  # both message tables have BigInteger ids
        if kind not in ("in", "out") or at.tzinfo is None:
            raise CursorError("not a cursor this API issued")
        # Order is (time, kind, id) descending with "out" > "in": rows after the cursor sort below it.
        if kind == "in":
            in_query = in_query.where(or_(inbound.received_at < at,
                                          and_(inbound.received_at == at, inbound.id < row_id)))
            out_query = out_query.where(outbound.created_at < at)
        else:
            in_query = in_query.where(inbound.received_at <= at)
            out_query = out_query.where(or_(outbound.created_at < at,
                                            and_(outbound.created_at == at, outbound.id < row_id)))
    rows = [("in", m.received_at, m) for m in session.scalars(
        in_query.order_by(inbound.received_at.desc(), inbound.id.desc()).limit(limit + 1))]
    rows += [("out", m.created_at, m) for m in session.scalars(
        out_query.order_by(outbound.created_at.desc(), outbound.id.desc()).limit(limit + 1))]
    rows.sort(key=lambda row: (row[1], row[0], row[2].id), reverse=True)
    more = len(rows) > limit
    rows = rows[:limit]
    last = rows[-1] if rows else None
    return Page([_message(kind, row) for kind, _, row in rows],
                encode_cursor(last[1].isoformat(), last[0], last[2].id) if more and last else None)


def _message(kind: str, row: Any) -> dict[str, Any]:
    if kind == "in":
        return {"id": row.id, "direction": "inbound", "at": row.received_at.isoformat(), "type": row.message_type,
                "text": row.text, "status": None, "wamid": row.wamid, "broadcast_id": None, "template_name": None,
                "error_code": None, "error_title": None, "sentiment": row.sentiment, "intent": row.intent}
    return {"id": row.id, "direction": "outbound", "at": row.created_at.isoformat(), "type": row.kind,
            "text": row.body, "status": row.status, "wamid": row.wamid, "broadcast_id": row.broadcast_id,
            "template_name": row.template_name, "error_code": row.last_error_code,
            "error_title": row.last_error_title, "sentiment": None, "intent": None}


# --- broadcasts --------------------------------------------------------------------------

def get_broadcast(session: Session, broadcast_id: int) -> Broadcast:
    """The broadcast with this id; NotFoundError otherwise."""
    broadcast = session.get(Broadcast, broadcast_id) if 0 < broadcast_id < 2**31 else None
    if broadcast is None:
        raise NotFoundError(f"no broadcast {broadcast_id}")
    return broadcast


def status_counts(session: Session, broadcast_ids: Sequence[int]) -> dict[int, dict[str, int]]:
    """Queue rows of each broadcast counted by status (index (broadcast_id, status))."""
    counts = {broadcast_id: dict.fromkeys(QUEUE_STATUSES, 0) for broadcast_id in broadcast_ids}
    if broadcast_ids:
        rows = ScheduledMessage.__table__.c
        for broadcast_id, status, count in session.execute(
                select(rows.broadcast_id, rows.status, func.count()).where(rows.broadcast_id.in_(broadcast_ids))
                .group_by(rows.broadcast_id, rows.status)):
            counts[broadcast_id][status] = count
    return counts


def list_broadcast_page(session: Session, limit: int = 50, cursor: str | None = None) -> Page:
    """Broadcasts newest first with their rows counted by status."""
    query = select(Broadcast).order_by(Broadcast.id.desc()).limit(limit + 1)
    before = _id_from_cursor(cursor)
    if before is not None:
        query = query.where(Broadcast.id < before)
    broadcasts = list(session.scalars(query))
    more = len(broadcasts) > limit
    broadcasts = broadcasts[:limit]
    counts = status_counts(session, [b.id for b in broadcasts])
    return Page([broadcast_as_dict(b, counts[b.id]) for b in broadcasts],
                encode_cursor(broadcasts[-1].id) if more else None)


def broadcast_as_dict(broadcast: Broadcast, counts: dict[str, int]) -> dict[str, Any]:
    """A broadcast's summary as the API shows it."""
    return {"id": broadcast.id, "name": broadcast.name, "status": broadcast.status,
            "scheduled_at": broadcast.scheduled_at.isoformat(), "recipients": broadcast.recipient_count,
            "completed_at": broadcast.completed_at.isoformat() if broadcast.completed_at else None,
            "counts": counts}
