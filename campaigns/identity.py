"""Who a webhook item is from: a contact found by phone number or business-scoped user id.

Since April 2026 Meta names a WhatsApp user by a business-scoped user id (BSUID, in
`user_id`, `from_user_id`, `recipient_user_id`), alongside the phone number (`wa_id`,
`from`, `recipient_id`) or, for a user with a username, instead of it. A contact is found
by either; when one webhook shows both for two stored contacts they are one person and are
merged (messages, queue rows, tags and conversation state move to the older contact). The
system messages `user_changed_number` and `user_changed_user_id` move the identifiers to
the contact that had the old ones, so the conversation continues in one thread.

Every function takes the request's session and never commits.
"""

from __future__ import annotations

import functools
import logging
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, case, delete, func, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import Insert, Update

from database_models import (
    CANCELLED,
    FAILED,
    PAUSED,
    PENDING,
    SKIPPED,
    STATE_BOT,
    Contact,
    ContactTag,
    ConversationState,
    Order,
    OrderInquiry,
    ReceivedMessageLog,
    ScheduledMessage,
    utcnow,
)
from database_setup import dialect_insert

logger = logging.getLogger(__name__)

# A BSUID is an ISO country code, a dot and up to 128 letters or digits (a parent BSUID has
# ENT in between): US.13491208655302741918, US.ENT.11815799212886844830.
USER_ID_PATTERN = re.compile(r"^[A-Z]{2}\.(?:ENT\.)?[A-Za-z0-9]{1,128}$")
MAX_WA_ID_LENGTH = 32
MAX_USER_ID_LENGTH = 160
MAX_USERNAME_LENGTH = 128
MAX_NAME_LENGTH = 256
CHANGED_NUMBER, CHANGED_USER_ID = "user_changed_number", "user_changed_user_id"
# Queue rows that have not reached the customer: the ones to drop when a merge finds two for one campaign.
_NOT_SENT = (PENDING, PAUSED, CANCELLED, SKIPPED, FAILED)


def is_user_id(value: str | None) -> bool:
    """Whether `value` has the shape of a BSUID (or a parent BSUID) rather than a phone number."""
    return bool(value) and USER_ID_PATTERN.match(value) is not None


def clean(value: Any, limit: int) -> str | None:
    """A non-empty string without NUL or lone surrogates, at most `limit` characters, else None."""
    if not isinstance(value, str) or not value:
        return None
    if "\x00" in value or not value.isascii():
        value = value.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")
    return value if value and len(value) <= limit else None


def _cut(value: Any, limit: int) -> str | None:
    text = clean(value, 10**6)
    return text[:limit] if text else None


@dataclass(frozen=True)
class Identity:
    """What one webhook item says about a user: at least a phone number or a BSUID."""

    wa_id: str | None = None
    user_id: str | None = None
    parent_user_id: str | None = None
    username: str | None = None
    name: str | None = None

    def __bool__(self) -> bool:
        return bool(self.wa_id or self.user_id)


def profiles_of(contacts: Any) -> Profiles:
    """The `contacts` array of a messages change as identities (entries naming nobody are dropped)."""
    profiles = []
    for contact in contacts if isinstance(contacts, list) else []:
        if not isinstance(contact, dict):
            continue
        profile = contact.get("profile") if isinstance(contact.get("profile"), dict) else {}
        identity = Identity(
            wa_id=clean(contact.get("wa_id"), MAX_WA_ID_LENGTH),
            user_id=clean(contact.get("user_id"), MAX_USER_ID_LENGTH),
            parent_user_id=clean(contact.get("parent_user_id"), MAX_USER_ID_LENGTH),
            username=_cut(profile.get("username"), MAX_USERNAME_LENGTH),
            name=_cut(profile.get("name"), MAX_NAME_LENGTH),
        )
        if identity:
            profiles.append(identity)
    return Profiles(profiles)


class Profiles(list[Identity]):
    """The identities of one `contacts` array, looked up by phone number or BSUID through indexes built once.

    A 3 MB envelope carries some 13,000 messages and as many profiles: scanning the list for
    each message took 93 million comparisons (14 s), the indexes take one pass. Read-only
    once built; the first matching profile wins, as a scan in order would find it.
    """

    def __init__(self, identities: Iterable[Identity] = ()) -> None:
        super().__init__(identities)
        self._by_wa_id: dict[str, int] = {}
        self._by_user_id: dict[str, int] = {}
        for position, identity in enumerate(self):
            if identity.wa_id:
                self._by_wa_id.setdefault(identity.wa_id, position)
            if identity.user_id:
                self._by_user_id.setdefault(identity.user_id, position)

    def matching(self, wa_id: str | None, user_id: str | None) -> Identity:
        """The first profile with this phone number or this BSUID, or an empty Identity."""
        positions = [found for found in (self._by_wa_id.get(wa_id) if wa_id else None,
                                         self._by_user_id.get(user_id) if user_id else None) if found is not None]
        return self[min(positions)] if positions else Identity()


def sender_of(message: dict[str, Any], profiles: Sequence[Identity]) -> Identity:
    """Who sent `message`: its `from` / `from_user_id` completed by the matching `contacts` entry."""
    wa_id = clean(message.get("from"), MAX_WA_ID_LENGTH)
    user_id = clean(message.get("from_user_id"), MAX_USER_ID_LENGTH)
    parent = clean(message.get("from_parent_user_id"), MAX_USER_ID_LENGTH)
    if not (wa_id or user_id):
        return Identity()
    profile = (profiles if isinstance(profiles, Profiles) else Profiles(profiles)).matching(wa_id, user_id)
    return Identity(wa_id=wa_id or profile.wa_id, user_id=user_id or profile.user_id,
                    parent_user_id=parent or profile.parent_user_id, username=profile.username, name=profile.name)


class ContactResolver:
    """Finds or creates the contact of an identity, merging two contacts that turn out to be one."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.dialect = session.get_bind().dialect.name

    def resolve(self, identity: Identity, seen_at: datetime | None) -> int:
        """The id of the contact `identity` names, created or brought up to date (last seen, name, username)."""
        statements = _statements(self.dialect)
        parameters = _parameters(identity, seen_at)
        if not (identity.wa_id and identity.user_id):
            # One identifier: one statement, as before BSUIDs (the common case of a phone-only payload).
            upsert = statements.upsert_by_wa_id if identity.wa_id else statements.upsert_by_user_id
            return self.session.execute(upsert, parameters).scalar_one()
        found = self._find(identity.wa_id, identity.user_id)
        if not found:
            return self.session.execute(statements.upsert_by_wa_id, parameters).scalar_one()
        survivor = found[0]
        for duplicate in found[1:]:
            merge_contacts(self.session, survivor, duplicate)
        self.session.execute(statements.touch, parameters | {"contact_id": survivor})
        return survivor

    def resolve_many(self, items: Sequence[tuple[Identity, datetime | None]]) -> list[int]:
        """`resolve` for many (identity, seen at) pairs; the contact ids, in order.

        Identities naming one identifier that no other item of the batch names are upserted
        with one statement per kind of identifier (multi-row INSERT … ON CONFLICT, in pages of
        SQLAlchemy's insertmanyvalues): a multi-row upsert may not touch one row twice, and a
        contact's items must be applied in order. The others go through `resolve`, in order,
        afterwards; they name other contacts, so the order between the two groups does not matter.
        """
        keys = [("wa_id", identity.wa_id) if identity.wa_id else ("user_id", identity.user_id)
                for identity, _ in items]
        repeated = {key for key, count in Counter(keys).items() if count > 1}
        batched = [index for index, ((identity, _), key) in enumerate(zip(items, keys, strict=True))
                   if not (identity.wa_id and identity.user_id) and key not in repeated]
        ids: dict[int, int] = {}
        statements = _statements(self.dialect)
        for column, statement in (("wa_id", statements.upsert_by_wa_id), ("user_id", statements.upsert_by_user_id)):
            chosen = [index for index in batched if keys[index][0] == column]
            if not chosen:
                continue
            returned = dict((key, contact_id) for contact_id, key in self.session.execute(
                statement.returning(Contact.__table__.c[column]),
                [_parameters(*items[index]) for index in chosen]))
            ids.update((index, returned[keys[index][1]]) for index in chosen)
        for index, (identity, seen_at) in enumerate(items):
            if index not in ids:
                ids[index] = self.resolve(identity, seen_at)
        return [ids[index] for index in range(len(items))]

    def ensure(self, identity: Identity) -> int:
        """The id of the contact `identity` names, created if new; its inbound times and name stay as they are.

        For items that are not the customer writing to us one-to-one now (echoes of what the
        business sent, history, group messages): they open no window and make no one "new".
        """
        statements = _statements(self.dialect)
        parameters = {"wa_id": identity.wa_id, "user_id": identity.user_id if not identity.wa_id else None,
                      "name": identity.name, "attributes": {}, "created_at": utcnow(), "updated_at": utcnow()}
        statement = statements.ensure_by_wa_id if identity.wa_id else statements.ensure_by_user_id
        return self.session.execute(statement, parameters).scalar_one()

    def apply_change(self, message: dict[str, Any], seen_at: datetime | None) -> int | None:
        """Apply a `user_changed_number` / `user_changed_user_id` system message; the contact's id.

        The contact that had the old phone number or BSUID takes the new ones (a contact that
        already had a new one is merged into it). None when the message is not such a change.
        """
        system = message.get("system")
        kind = system.get("type") if isinstance(system, dict) else None
        if kind not in (CHANGED_NUMBER, CHANGED_USER_ID):
            return None
        old_wa_id = clean(message.get("from"), MAX_WA_ID_LENGTH)
        old_user_id = (clean(system.get("previous_user_id"), MAX_USER_ID_LENGTH)
                       or clean(message.get("from_user_id"), MAX_USER_ID_LENGTH))
        new_wa_id = clean(system.get("wa_id"), MAX_WA_ID_LENGTH) if kind == CHANGED_NUMBER else None
        new_user_id = clean(system.get("user_id"), MAX_USER_ID_LENGTH)
        new = Identity(wa_id=new_wa_id or (old_wa_id if kind == CHANGED_USER_ID else None), user_id=new_user_id,
                       parent_user_id=clean(system.get("parent_user_id"), MAX_USER_ID_LENGTH))
        old = self._find(old_wa_id, old_user_id)
        if not old:
            return self.resolve(new, seen_at) if new else None
        survivor = old[0]
        for duplicate in old[1:] + [c for c in self._find(new.wa_id, new.user_id) if c not in old]:
            merge_contacts(self.session, survivor, duplicate)
        values: dict[str, Any] = {"updated_at": utcnow()}
        if new.wa_id:
            values["wa_id"] = new.wa_id
        if new.user_id:
            values["user_id"] = new.user_id
        if new.parent_user_id:
            values["parent_user_id"] = new.parent_user_id
        self.session.execute(update(Contact).where(Contact.id == survivor).values(**values))
        logger.info("contact identity changed", extra={"event": "contact.identity_changed", "contact_id": survivor,
                                                       "change": kind})
        return survivor

    def _find(self, wa_id: str | None, user_id: str | None) -> list[int]:
        conditions = [Contact.wa_id == wa_id] if wa_id else []
        conditions += [Contact.user_id == user_id] if user_id else []
        if not conditions:
            return []
        return list(self.session.scalars(select(Contact.id).where(or_(*conditions)).order_by(Contact.id)))


def merge_contacts(session: Session, survivor: int, duplicate: int) -> None:
    """Fold contact `duplicate` into `survivor` (the older one) and delete it, losing no history.

    Messages, queue rows, tags, orders and the conversation state move; the identifiers, name,
    username and attributes are combined (the survivor's win where both have one); an
    opt-out of either stands, since either was the person's own request.
    """
    contacts = Contact.__table__
    rows = {row.id: row for row in session.execute(select(contacts).where(contacts.c.id.in_((survivor, duplicate))))}
    keep, gone = rows[survivor], rows[duplicate]
    session.execute(update(ReceivedMessageLog).where(ReceivedMessageLog.contact_id == duplicate)
                    .values(contact_id=survivor).execution_options(synchronize_session=False))
    _move_queue_rows(session, survivor, duplicate)
    tags = ContactTag.__table__.c
    session.execute(update(ContactTag.__table__).where(
        tags.contact_id == duplicate,
        tags.tag.not_in(select(tags.tag).where(tags.contact_id == survivor).scalar_subquery()),
    ).values(contact_id=survivor))
    orders = Order.__table__  # a shop's orders follow their customer (orders/)
    session.execute(update(orders).where(orders.c.contact_id == duplicate).values(contact_id=survivor))
    session.execute(delete(OrderInquiry.__table__).where(OrderInquiry.__table__.c.contact_id == duplicate))
    states = ConversationState.__table__
    state_of = dict(session.execute(select(states.c.contact_id, states.c.state)
                                    .where(states.c.contact_id.in_((survivor, duplicate)))).all())
    if duplicate in state_of and (survivor not in state_of or (
            state_of[survivor] == STATE_BOT and state_of[duplicate] != STATE_BOT)):
        # The duplicate's state is the one that matters when a human took over its conversation.
        session.execute(delete(states).where(states.c.contact_id == survivor))
        session.execute(update(states).where(states.c.contact_id == duplicate).values(contact_id=survivor))
    merged = {
        "wa_id": keep.wa_id or gone.wa_id, "user_id": keep.user_id or gone.user_id,
        "parent_user_id": keep.parent_user_id or gone.parent_user_id, "username": keep.username or gone.username,
        "name": keep.name or gone.name, "attributes": {**(gone.attributes or {}), **(keep.attributes or {})},
        "opted_out": keep.opted_out or gone.opted_out,
        "opted_out_at": keep.opted_out_at if keep.opted_out else gone.opted_out_at,
        "last_inbound_at": max((t for t in (keep.last_inbound_at, gone.last_inbound_at) if t), default=None),
        "first_inbound_at": min((t for t in (keep.first_inbound_at, gone.first_inbound_at) if t), default=None),
        "updated_at": utcnow(),
    }
    # What did not move goes with the duplicate (explicitly: SQLite may run without foreign keys),
    # and the duplicate gives up its identifiers before the survivor takes them: each is unique.
    session.execute(delete(ContactTag.__table__).where(tags.contact_id == duplicate))
    session.execute(delete(states).where(states.c.contact_id == duplicate))
    session.execute(delete(contacts).where(contacts.c.id == duplicate))
    session.execute(update(contacts).where(contacts.c.id == survivor).values(**merged))
    logger.info("contacts merged", extra={"event": "contact.merged", "contact_id": survivor,
                                          "merged_contact_id": duplicate})


def _move_queue_rows(session: Session, survivor: int, duplicate: int) -> None:
    # One row per recipient per campaign: where both contacts have one, the row that reached
    # the customer is kept, and of two that both did, the survivor's.
    queue = ScheduledMessage
    both = (select(queue.broadcast_id).where(queue.contact_id == survivor, queue.broadcast_id.is_not(None))
            .intersect(select(queue.broadcast_id).where(queue.contact_id == duplicate)))
    shared = list(session.scalars(both))
    if shared:
        session.execute(delete(queue).where(queue.contact_id == survivor, queue.broadcast_id.in_(shared),
                                            queue.status.in_(_NOT_SENT)).execution_options(synchronize_session=False))
        kept = set(session.scalars(select(queue.broadcast_id).where(queue.contact_id == survivor,
                                                                     queue.broadcast_id.in_(shared))))
        session.execute(delete(queue).where(queue.contact_id == duplicate, queue.broadcast_id.in_(kept))
                        .execution_options(synchronize_session=False))
    session.execute(update(queue).where(queue.contact_id == duplicate).values(contact_id=survivor)
                    .execution_options(synchronize_session=False))


def set_opted_out_by_user_id(session: Session, user_id: str, opted_out: bool) -> None:
    """Record the marketing choice of the contact with BSUID `user_id`, creating it when it is new."""
    now = utcnow()
    insert = dialect_insert(session.get_bind().dialect.name)
    statement = insert(Contact.__table__).values(
        user_id=user_id[:MAX_USER_ID_LENGTH], attributes={}, opted_out=opted_out,
        opted_out_at=now if opted_out else None, created_at=now, updated_at=now,
    )
    session.execute(statement.on_conflict_do_update(
        index_elements=["user_id"],
        set_={"opted_out": opted_out, "opted_out_at": statement.excluded.opted_out_at, "updated_at": now},
    ))


def _parameters(identity: Identity, seen_at: datetime | None) -> dict[str, Any]:
    now = utcnow()
    return {"wa_id": identity.wa_id, "user_id": identity.user_id, "parent_user_id": identity.parent_user_id,
            "username": identity.username, "name": identity.name, "attributes": {}, "last_inbound_at": seen_at,
            "name_updated_at": seen_at if identity.name else None, "created_at": now, "updated_at": now}


@dataclass(frozen=True)
class _Statements:
    upsert_by_wa_id: Insert
    upsert_by_user_id: Insert
    touch: Update
    ensure_by_wa_id: Insert
    ensure_by_user_id: Insert


@functools.cache
def _statements(dialect: str) -> _Statements:
    # Built once per dialect with bind parameters: every inbound message runs one of these.
    insert = dialect_insert(dialect)
    contacts = Contact.__table__
    known = contacts.c

    def param(name: str) -> Any:
        return bindparam(name, type_=known[name].type)

    new_contact = insert(contacts).values(
        {name: param(name) for name in ("wa_id", "user_id", "parent_user_id", "username", "name", "attributes",
                                        "created_at", "updated_at")}
        | {"opted_out": False, "last_inbound_at": param("last_inbound_at"),
           "first_inbound_at": param("last_inbound_at"), "name_updated_at": param("name_updated_at")}
    )

    def refreshed(incoming: Any) -> dict[str, Any]:
        # What a new inbound item updates on a known contact: never an identifier to NULL, and a
        # profile name only from a message at least as new as the one that set the stored name.
        newer_name = and_(incoming.name.is_not(None), or_(known.name_updated_at.is_(None),
                                                          incoming.name_updated_at >= known.name_updated_at))
        return {
            "name": case((newer_name, incoming.name), else_=known.name),
            "name_updated_at": case((newer_name, incoming.name_updated_at), else_=known.name_updated_at),
            "username": func.coalesce(incoming.username, known.username),
            "parent_user_id": func.coalesce(incoming.parent_user_id, known.parent_user_id),
            "last_inbound_at": case(
                (known.last_inbound_at.is_(None), incoming.last_inbound_at),
                (incoming.last_inbound_at > known.last_inbound_at, incoming.last_inbound_at),
                else_=known.last_inbound_at,
            ),
            "first_inbound_at": func.coalesce(known.first_inbound_at, incoming.last_inbound_at),
            "updated_at": incoming.updated_at,
        }

    excluded = new_contact.excluded
    upsert_by_wa_id = new_contact.on_conflict_do_update(
        index_elements=[known.wa_id],
        set_=refreshed(excluded) | {"user_id": func.coalesce(excluded.user_id, known.user_id)},
    ).returning(known.id)
    upsert_by_user_id = new_contact.on_conflict_do_update(
        index_elements=[known.user_id], set_=refreshed(excluded),
    ).returning(known.id)

    class _Incoming:  # the touch statement's parameters, named like `excluded`'s columns
        name, username, parent_user_id = param("name"), param("username"), param("parent_user_id")
        last_inbound_at, updated_at = param("last_inbound_at"), param("updated_at")
        name_updated_at = param("name_updated_at")

    touch = (update(contacts).where(known.id == bindparam("contact_id"))
             .values(refreshed(_Incoming) | {"wa_id": func.coalesce(param("wa_id"), known.wa_id),
                                             "user_id": func.coalesce(param("user_id"), known.user_id)}))
    passive = insert(contacts).values(
        {name: param(name) for name in ("wa_id", "user_id", "name", "attributes", "created_at", "updated_at")}
        | {"opted_out": False})
    # An update rather than "do nothing", so that the statement returns the known contact's id too.
    ensure_by_wa_id = passive.on_conflict_do_update(
        index_elements=[known.wa_id], set_={"name": func.coalesce(known.name, passive.excluded.name)},
    ).returning(known.id)
    ensure_by_user_id = passive.on_conflict_do_update(
        index_elements=[known.user_id], set_={"name": func.coalesce(known.name, passive.excluded.name)},
    ).returning(known.id)
    return _Statements(upsert_by_wa_id, upsert_by_user_id, touch, ensure_by_wa_id, ensure_by_user_id)


__all__ = ["ContactResolver", "Identity", "Profiles", "is_user_id", "merge_contacts", "profiles_of", "sender_of",
           "set_opted_out_by_user_id"]
