"""The contacts page's queries: search and filters, keyset pages on the primary key, the CSV export.

A page is the newest contacts first, `PAGE_SIZE` at a time, continued with `before=<id>` (keyset
paging: every page costs the same, however deep). Filters ride on indexes: a tag on
`ix_contact_tags_tag`, "opted out" on `ix_contacts_opted_out_id`, "inside the 24-hour window" on
`ix_contacts_last_inbound_at` (migration 0006); bench/contacts_pages.py times them on 100,000
contacts. The search matches part of a name (Persian ی/ک or Arabic ي/ك alike), part of a number
(any digits), part of a username, a BSUID, or a whole tag.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, exists, func, or_, select
from sqlalchemy.orm import Session, selectinload

from campaigns.contacts import EXPORT_COLUMNS, RESERVED_COLUMNS, ContactError, parse_tags
from campaigns.spreadsheet import csv_text
from database_models import Contact, ContactTag
from language.jalali import latin_digits
from web.dashboard.inbox import CUSTOMER_SERVICE_WINDOW
from web.dashboard.search_text import typed_text

PAGE_SIZE = 50
MAX_SEARCH = 100
_TO_ARABIC = str.maketrans({"\u06cc": "\u064a", "\u06a9": "\u0643"})  # ی ک → ي ك (names a webhook stored as typed)
_TO_PERSIAN = str.maketrans({"\u064a": "\u06cc", "\u0649": "\u06cc", "\u0643": "\u06a9"})
_NUMBER_PUNCTUATION = str.maketrans("", "", " -().\u200e\u200f")


@dataclass(frozen=True)
class ContactFilter:
    """What the operator asked the list for (from the page's query string)."""

    search: str = ""
    tag: str = ""
    opted_out: str = ""  # "", "yes" or "no"
    window: bool = False  # only contacts inside the 24-hour window
    before: int | None = None  # keyset: contacts with a smaller id

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> ContactFilter:
        """The filter a query string asks for; what cannot be understood is left out."""
        before = args.get("before", "")
        tag = typed_text(args.get("tag"), MAX_SEARCH)
        try:
            tag = (parse_tags([tag]) or [""])[0]
        except ContactError:
            tag = ""
        return cls(search=typed_text(args.get("q"), MAX_SEARCH), tag=tag,
                   opted_out=args.get("opted_out", "") if args.get("opted_out") in ("yes", "no") else "",
                   window=args.get("window") == "open",
                   before=int(before) if before.isdigit() and 0 < int(before) < 2**31 else None)

    def query_args(self, **changes: Any) -> dict[str, Any]:
        """The query string of this filter (with `changes`), for links: empty values left out."""
        values = {"q": self.search, "tag": self.tag, "opted_out": self.opted_out,
                  "window": "open" if self.window else "", "before": self.before} | changes
        return {key: value for key, value in values.items() if value}

    @property
    def narrowed(self) -> bool:
        return bool(self.search or self.tag or self.opted_out or self.window)


@dataclass(frozen=True)
class ContactPage:
    """One page of the list: its contacts, how many match in all, and where the next page starts."""

    contacts: list[Contact]
    total: int
    next_before: int | None


def _filtered(query: Select, chosen: ContactFilter, now: datetime) -> Select:
    if chosen.search:
        query = query.where(_matches(chosen.search))
    if chosen.tag:
        query = query.where(exists().where(ContactTag.contact_id == Contact.id, ContactTag.tag == chosen.tag))
    if chosen.opted_out:
        query = query.where(Contact.opted_out.is_(chosen.opted_out == "yes"))
    if chosen.window:
        query = query.where(Contact.last_inbound_at > now - CUSTOMER_SERVICE_WINDOW)
    return query


def _matches(search: str) -> Any:
    """Part of a name, number or username, a BSUID or a whole tag.

    Each condition reads every row (a LIKE on an infix), so only those the needle can match are
    asked: a number is looked for among numbers only, and lower() (about 100 ms per 100,000 rows
    on PostgreSQL) only where a Latin letter could differ in case: Persian has none.
    """
    conditions = [Contact.user_id == search]
    digits = latin_digits(search).lstrip("+").translate(_NUMBER_PUNCTUATION).lstrip("0")
    if digits.isdigit() and digits.isascii():
        return or_(Contact.wa_id.contains(digits), *conditions)
    needle = search.lower()
    persian = needle.translate(_TO_PERSIAN)
    for variant in sorted({persian, persian.translate(_TO_ARABIC)}):
        for column in (Contact.name, Contact.profile_name):  # the operator's name and the WhatsApp profile's
            name = func.lower(column) if re.search("[a-z]", variant) else column
            conditions.append(name.contains(variant, autoescape=True))
    conditions.append(func.lower(Contact.username).contains(needle.lstrip("@"), autoescape=True))
    try:
        tags = parse_tags([search])
    except ContactError:
        tags = []
    if tags:
        conditions.append(Contact.id.in_(select(ContactTag.contact_id).where(ContactTag.tag == tags[0])))
    return or_(*conditions)


def contact_page(session: Session, chosen: ContactFilter, now: datetime) -> ContactPage:
    """The page of contacts `chosen` asks for, newest first."""
    query = _filtered(select(Contact).options(selectinload(Contact.tags)), chosen, now)
    if chosen.before is not None:
        query = query.where(Contact.id < chosen.before)
    contacts = list(session.scalars(query.order_by(Contact.id.desc()).limit(PAGE_SIZE + 1)))
    total = session.scalar(_filtered(select(func.count()).select_from(Contact), chosen, now)) or 0
    more = len(contacts) > PAGE_SIZE
    contacts = contacts[:PAGE_SIZE]
    return ContactPage(contacts, total, contacts[-1].id if more else None)


def all_tags(session: Session, limit: int = 200) -> list[str]:
    """The tags in use, for the filter's choices (alphabetical, at most `limit`)."""
    return list(session.scalars(select(ContactTag.tag).distinct().order_by(ContactTag.tag).limit(limit)))


def export_csv(session: Session, chosen: ContactFilter, now: datetime) -> str:
    """The filtered list (every page) as CSV that imports back: wa_id,user_id,username,name,tags and attributes."""
    ids = _filtered(select(Contact.id), chosen, now).subquery()
    rows = session.execute(select(Contact.id, Contact.wa_id, Contact.user_id, Contact.username, Contact.name,
                                  Contact.attributes).where(Contact.id.in_(select(ids.c.id)))
                           .order_by(Contact.id.desc())).all()
    tags: dict[int, list[str]] = {}
    for contact_id, tag in session.execute(select(ContactTag.contact_id, ContactTag.tag)
                                           .where(ContactTag.contact_id.in_(select(ids.c.id)))
                                           .order_by(ContactTag.tag)):
        tags.setdefault(contact_id, []).append(tag)
    names = sorted({str(key) for row in rows for key in (row.attributes or {})} - set(RESERVED_COLUMNS))
    return csv_text([*EXPORT_COLUMNS, *names], _export_rows(rows, tags, names))


def _export_rows(rows: list[Any], tags: dict[int, list[str]], names: list[str]) -> Iterator[list[object]]:
    for row in rows:
        attributes = row.attributes or {}
        yield [row.wa_id, row.user_id, row.username, row.name, ";".join(tags.get(row.id, [])),
               *(attributes.get(name) for name in names)]

