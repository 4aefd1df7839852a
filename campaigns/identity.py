"""Who a webhook item is from: a contact found by phone number or business-scoped user id.

Since April 2026 Meta names a WhatsApp user by a business-scoped user id (BSUID, in
`user_id`, `from_user_id`, `recipient_user_id`), alongside the phone number (`wa_id`,
`from`, `recipient_id`) or, for a user with a username, instead of it. A contact is found
by either; when one webhook shows both for two stored contacts they are one person and are
merged (messages, queue rows, tags and conversation state move to the older contact). The
system messages `user_changed_number` and `user_changed_user_id` move the identifiers to
the contact that had the old ones, so the conversation continues in one thread.

The payload is read by `webhook_identity` (Identity, sender_of, …) and a merge is done by
`contact_merge`; both are re-exported here, so callers import everything from `identity`.
Every function takes the request's session and never commits.
"""

from __future__ import annotations

import functools
import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, case, func, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import Insert, Update

from campaigns.contact_merge import merge_contacts
from campaigns.webhook_identity import (
    CHANGED_NUMBER,
    CHANGED_USER_ID,
    MAX_NAME_LENGTH,
    MAX_USER_ID_LENGTH,
    MAX_USERNAME_LENGTH,
    MAX_WA_ID_LENGTH,
    USER_ID_PATTERN,
    Identity,
    Profiles,
    clean,
    is_user_id,
    profiles_of,
    sender_of,
)
from database_models import Contact, utcnow
from database_setup import dialect_insert

logger = logging.getLogger(__name__)


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
                      "profile_name": identity.name, "attributes": {}, "created_at": utcnow(), "updated_at": utcnow()}
        statement = statements.ensure_by_wa_id if identity.wa_id else statements.ensure_by_user_id
        return self.session.execute(statement, parameters).scalar_one()

    def ensure_many(self, identities: Sequence[Identity]) -> dict[str, int]:
        """`ensure` for many identities that name one identifier each: {phone number or BSUID: contact id}.

        One multi-row upsert per kind of identifier (each identifier once: a multi-row upsert
        may not touch one row twice), in pages of SQLAlchemy's insertmanyvalues.
        """
        statements, now, ids = _statements(self.dialect), utcnow(), {}
        distinct = {identity.wa_id or identity.user_id: identity for identity in identities}
        for column, statement in (("wa_id", statements.ensure_by_wa_id), ("user_id", statements.ensure_by_user_id)):
            chosen = [identity for key, identity in distinct.items() if getattr(identity, column) == key]
            if chosen:
                ids.update((key, contact_id) for contact_id, key in self.session.execute(
                    statement.returning(Contact.__table__.c[column]),
                    [{"wa_id": identity.wa_id, "user_id": None if identity.wa_id else identity.user_id,
                      "profile_name": identity.name, "attributes": {}, "created_at": now, "updated_at": now}
                     for identity in chosen]))
        return ids

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


def _parameters(identity: Identity, seen_at: datetime | None) -> dict[str, Any]:
    now = utcnow()
    return {"wa_id": identity.wa_id, "user_id": identity.user_id, "parent_user_id": identity.parent_user_id,
            "username": identity.username, "profile_name": identity.name, "attributes": {},
            "last_inbound_at": seen_at, "profile_name_updated_at": seen_at if identity.name else None,
            "created_at": now, "updated_at": now}


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
        {name: param(name) for name in ("wa_id", "user_id", "parent_user_id", "username", "profile_name",
                                        "attributes", "created_at", "updated_at")}
        | {"opted_out": False, "last_inbound_at": param("last_inbound_at"),
           "first_inbound_at": param("last_inbound_at"), "profile_name_updated_at": param("profile_name_updated_at")}
    )

    def refreshed(incoming: Any) -> dict[str, Any]:
        # What a new inbound item updates on a known contact: never an identifier to NULL, never the
        # operator's `name`, and the profile name only from a message at least as new as the one that set it.
        newer_name = and_(incoming.profile_name.is_not(None), or_(
            known.profile_name_updated_at.is_(None), incoming.profile_name_updated_at >= known.profile_name_updated_at))
        return {
            "profile_name": case((newer_name, incoming.profile_name), else_=known.profile_name),
            "profile_name_updated_at": case((newer_name, incoming.profile_name_updated_at),
                                            else_=known.profile_name_updated_at),
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
        profile_name, username, parent_user_id = param("profile_name"), param("username"), param("parent_user_id")
        last_inbound_at, updated_at = param("last_inbound_at"), param("updated_at")
        profile_name_updated_at = param("profile_name_updated_at")

    touch = (update(contacts).where(known.id == bindparam("contact_id"))
             .values(refreshed(_Incoming) | {"wa_id": func.coalesce(param("wa_id"), known.wa_id),
                                             "user_id": func.coalesce(param("user_id"), known.user_id)}))
    passive = insert(contacts).values(
        {name: param(name) for name in ("wa_id", "user_id", "profile_name", "attributes", "created_at", "updated_at")}
        | {"opted_out": False})
    # An update rather than "do nothing", so that the statement returns the known contact's id too.
    keep_name = {"profile_name": func.coalesce(known.profile_name, passive.excluded.profile_name)}
    ensure_by_wa_id = passive.on_conflict_do_update(index_elements=[known.wa_id], set_=keep_name).returning(known.id)
    ensure_by_user_id = passive.on_conflict_do_update(index_elements=[known.user_id],
                                                      set_=keep_name).returning(known.id)
    return _Statements(upsert_by_wa_id, upsert_by_user_id, touch, ensure_by_wa_id, ensure_by_user_id)


__all__ = ["CHANGED_NUMBER", "CHANGED_USER_ID", "MAX_NAME_LENGTH", "MAX_USERNAME_LENGTH", "USER_ID_PATTERN",
           "ContactResolver", "Identity", "Profiles", "clean", "is_user_id", "merge_contacts", "profiles_of",
           "sender_of"]
