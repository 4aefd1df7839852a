"""Who a campaign's audience is: the contacts of everyone or some tags, or of a list of numbers and BSUIDs.

Scheduling (`broadcast_service.schedule_broadcast`) and the builder's estimate
(`campaigns.estimate`) both resolve an audience here, so the two always agree on who is in it,
who is a duplicate and which entries of a list are invalid. A list entry is a phone number in
any common notation or a business-scoped user id (`US.1349…`, a customer who may never show a
number): `normalize_address` reads both, so a BSUID-only row of an uploaded list is kept.
A list naming one contact twice (its number and its BSUID) counts the second as a duplicate.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import ColumnElement, distinct, exists, func, insert, or_, select
from sqlalchemy.orm import Session

from campaigns.contacts import ContactError, normalize_address
from campaigns.identity import is_user_id
from database_models import Contact, ContactTag, utcnow

CHUNK = 1000
# What scheduling and the estimate read of each recipient.
RECIPIENT_COLUMNS = (Contact.id, Contact.identifier.label("wa_id"), Contact.display_name.label("name"),
                     Contact.attributes, Contact.opted_out, Contact.last_inbound_at)


def audience_conditions(kind: str, tags: Sequence[str] = (), match_all: bool = False) -> list[ColumnElement[bool]]:
    """WHERE conditions on `contacts` for an audience of everyone ('all') or of tags; ValueError otherwise."""
    if kind == "tags" and match_all:
        having_all = (select(ContactTag.contact_id).where(ContactTag.tag.in_(tags))
                      .group_by(ContactTag.contact_id)
                      .having(func.count(distinct(ContactTag.tag)) == len(tags)))
        return [Contact.id.in_(having_all)]
    if kind == "tags":
        return [exists().where(ContactTag.contact_id == Contact.id, ContactTag.tag.in_(tags))]
    if kind == "all":
        return []
    raise ValueError(f"unknown audience kind {kind!r}")


def normalise_list(entries: Iterable[str], excluded: dict[str, int]) -> list[str]:
    """Each valid entry's address once, in order; counts `invalid_number` and `duplicate` in `excluded`."""
    addresses: dict[str, None] = {}
    for raw in entries:
        try:
            address = normalize_address(raw)
        except ContactError:
            excluded["invalid_number"] = excluded.get("invalid_number", 0) + 1
            continue
        if address in addresses:
            excluded["duplicate"] = excluded.get("duplicate", 0) + 1
        addresses[address] = None
    return list(addresses)


def by_address(addresses: Iterable[str]) -> ColumnElement[bool]:
    """Contacts whose phone number or BSUID is one of `addresses`."""
    addresses = list(addresses)
    return or_(Contact.wa_id.in_([a for a in addresses if not is_user_id(a)]),
               Contact.user_id.in_([a for a in addresses if is_user_id(a)]))


def known_addresses(session: Session, addresses: Sequence[str]) -> set[str]:
    """Which of `addresses` some contact already has (as its number or its BSUID)."""
    known: set[str] = set()
    for start in range(0, len(addresses), CHUNK):
        chunk = addresses[start:start + CHUNK]
        for wa_id, user_id in session.execute(select(Contact.wa_id, Contact.user_id).where(by_address(chunk))):
            known.update(address for address in (wa_id, user_id) if address in chunk)
    return known


def create_missing(session: Session, addresses: Sequence[str]) -> int:
    """Create a contact for every address no contact has; returns how many were created."""
    known = known_addresses(session, addresses)
    new = [address for address in addresses if address not in known]
    if new:
        now = utcnow()
        session.execute(insert(Contact.__table__), [
            {"user_id" if is_user_id(address) else "wa_id": address, "attributes": {}, "opted_out": False,
             "created_at": now, "updated_at": now} for address in new])
    return len(new)


def list_recipients(session: Session, addresses: Sequence[str], excluded: dict[str, int],
                    columns: Sequence[Any] = RECIPIENT_COLUMNS) -> list[Any]:
    """The contacts of `addresses` (`columns`, `id` first), each once; a second address of one counts as duplicate."""
    rows: dict[int, Any] = {}
    for start in range(0, len(addresses), CHUNK):
        chunk = addresses[start:start + CHUNK]
        for row in session.execute(select(*columns).where(by_address(chunk)).order_by(Contact.id)):
            rows.setdefault(row[0], row)
    matched = len(known_addresses(session, addresses)) if rows else 0
    if matched > len(rows):
        excluded["duplicate"] = excluded.get("duplicate", 0) + matched - len(rows)
    return [rows[contact_id] for contact_id in sorted(rows)]
