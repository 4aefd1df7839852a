"""Contacts an operator manages: number normalisation, upserts with tags and attributes, CSV import.

WhatsApp identifies a user by `wa_id`, the international number as digits only. Operators
type numbers every way people write them, so `normalize_wa_id` accepts `+98 912-345 6789`,
`00989123456789`, `(0912) 345 6789` and Persian or Arabic digits, and turns a national
number (one leading 0, e.g. Iran's 09xxxxxxxxx) into the international form with
DEFAULT_COUNTRY_CODE (98). Numbers of another country must be written with their
country code (+44…, 0044…).

A customer known only by a business-scoped user id (BSUID, `US.1349…`: a user with a
WhatsApp username may never show a number) is addressed by it wherever a number is asked
for: `normalize_address` passes a BSUID through and normalises anything else as a number.

The CSV import reads `wa_id,name,tags` plus any other column as a custom attribute (a row
with an empty wa_id may name its contact by `user_id` instead), in whatever encoding a
spreadsheet wrote it (`campaigns.spreadsheet.decode_upload`: UTF-8 with or without a BOM,
UTF-16, Windows-1256), and Persian headers too (شماره / موبایل / تلفن, نام, برچسب / برچسب‌ها:
HEADER_ALIASES). Windows-1256 has no Persian ی, so Excel stores Arabic ي/ك: names and tags are
stored with the Persian letters. `parse_contacts_csv` checks every row without writing (the
dashboard's preview); bad rows are reported with their line number while good rows are
imported, and importing the same file twice changes nothing the second time. Every
ContactError carries a `code` and its `params`, so an interface can say it in its language.
The export writes `wa_id,user_id,username,name,tags` and every attribute, so it imports back
unchanged.
"""

from __future__ import annotations

import csv
import io
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import IO, Any

from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.orm import Session, selectinload

from campaigns.identity import is_user_id
from campaigns.spreadsheet import EncodingError, decode_upload
from database_models import Contact, ContactTag, utcnow

logger = logging.getLogger(__name__)

DEFAULT_COUNTRY_CODE = "98"
MAX_NAME_LENGTH = 256
MAX_TAG_LENGTH = 64
MAX_ATTRIBUTE_LENGTH = 1000
RESERVED_COLUMNS = ("wa_id", "name", "tags", "user_id", "username")
EXPORT_COLUMNS = ("wa_id", "user_id", "username", "name", "tags")
_DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789")
_SEPARATORS = re.compile(r"[\s\-().\u200c\u200e\u200f\u202a-\u202e]")
_TAG_SPLIT = re.compile(r"[;|]")
_ATTRIBUTE_NAME = re.compile(r"^[^\W\d]\w{0,63}$")
_PERSIAN_LETTERS = str.maketrans({"\u064a": "\u06cc", "\u0649": "\u06cc", "\u0643": "\u06a9"})  # ي ى ك → ی ک
CHUNK = 1000
# Header names a spreadsheet may give each column (compared without case, spaces, ZWNJ or _).
HEADER_ALIASES = {
    "wa_id": ("wa_id", "شماره", "شماره موبایل", "شماره همراه", "شماره تلفن", "شماره تماس", "موبایل", "تلفن",
              "تلفن همراه", "phone", "number", "mobile"),
    "name": ("name", "نام", "اسم", "نام و نام خانوادگی", "نام کامل"),
    "tags": ("tags", "tag", "برچسب", "برچسب‌ها", "برچسبها", "تگ", "تگ‌ها"),
    "user_id": ("user_id", "bsuid", "شناسه کاربر"),
    "username": ("username", "نام کاربری"),
}

Row = tuple[str, str | None, list[str], dict[str, Any]]  # address, name, tags, attributes


class ContactError(ValueError):
    """A contact value (number, name, tag, attribute) or a file that cannot be stored.

    `code` names the problem and `params` its details, for interfaces that translate it.
    """

    def __init__(self, message: str, code: str = "invalid", **params: Any) -> None:
        super().__init__(message)
        self.code, self.params = code, params


@dataclass
class ParsedContacts:
    """A contacts CSV read and checked, nothing written: its valid rows and its rejected lines."""

    encoding: str
    columns: list[tuple[str, str]]  # (the file's header, what it became: wa_id, name, tags, … or an attribute)
    rows: list[tuple[int, Row]] = field(default_factory=list)
    errors: list[tuple[int, ContactError]] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)


@dataclass
class ImportReport:
    """What a CSV import did: contacts created, updated, unchanged, and rejected lines."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)
    wa_ids: list[str] = field(default_factory=list)  # the valid rows' numbers, each once
    duplicates: list[str] = field(default_factory=list)  # numbers of lines repeating an earlier line

    @property
    def imported(self) -> int:
        """Valid rows, whatever they changed."""
        return self.created + self.updated + self.unchanged


def normalize_wa_id(raw: str, default_country_code: str = DEFAULT_COUNTRY_CODE) -> str:
    """`raw` as WhatsApp's digits-only international number; ContactError when it cannot be one."""
    text = _SEPARATORS.sub("", str(raw or "").translate(_DIGITS))
    if text.startswith("+"):
        text = text[1:]
    elif text.startswith("00"):
        text = text[2:]
    elif text.startswith("0"):
        text = default_country_code + text[1:]  # a national number: trunk prefix 0 → country code
    if not text.isdigit() or not text.isascii():
        raise ContactError(f"not a phone number: {str(raw)[:40]!r}", "not_a_number", value=str(raw)[:40])
    if text.startswith("0") or not 8 <= len(text) <= 15:
        raise ContactError(f"not an international number (8–15 digits): {str(raw)[:40]!r}", "not_international",
                           value=str(raw)[:40])
    return text


def normalize_address(raw: str) -> str:
    """A BSUID as given, anything else as `normalize_wa_id` makes it; ContactError when it is neither."""
    text = str(raw or "").strip()
    return text if is_user_id(text) else normalize_wa_id(text)


def parse_tags(raw: str | Iterable[str] | None) -> list[str]:
    """Tags from 'vip; new|tehran' (or a list): trimmed, lower-cased, unique, in order."""
    parts = _TAG_SPLIT.split(raw) if isinstance(raw, str) else list(raw or [])
    tags: list[str] = []
    for part in parts:
        tag = part.strip().lower().translate(_PERSIAN_LETTERS)
        if not tag:
            continue
        if len(tag) > MAX_TAG_LENGTH:
            raise ContactError(f"tag longer than {MAX_TAG_LENGTH} characters: {tag[:20]!r}…", "tag_too_long",
                               tag=tag[:20], limit=MAX_TAG_LENGTH)
        if tag not in tags:
            tags.append(tag)
    return tags


def upsert_contact(session: Session, wa_id: str, name: str | None = None, tags: Iterable[str] = (),
                   attributes: dict[str, Any] | None = None) -> tuple[Contact, str]:
    """Create or update one contact (tags are added, attributes merged); returns it and created/updated/unchanged.

    `wa_id` may also be the contact's BSUID (see `normalize_address`).
    """
    address = normalize_address(wa_id)
    report = _upsert_chunk(session, [(address, clean_name(name), parse_tags(tags),
                                      clean_attributes(attributes or {}))])
    contact = session.scalars(select(Contact).where(_by_address([address]))
                              .execution_options(populate_existing=True)).one()
    outcome = "created" if report.created else "updated" if report.updated else "unchanged"
    return contact, outcome


def import_contacts_csv(session: Session, file_obj: IO[str] | IO[bytes]) -> ImportReport:
    """Import contacts from CSV (header wa_id,name,tags,… or Persian); invalid lines are reported, not fatal."""
    parsed = parse_contacts_csv(file_obj.read())
    report = ImportReport(errors=[(line, str(error)) for line, error in parsed.errors],
                          duplicates=parsed.duplicates, wa_ids=[row[0] for _, row in parsed.rows])
    rows = [row for _, row in parsed.rows]
    for start in range(0, len(rows), CHUNK):
        _merge(report, _upsert_chunk(session, rows[start:start + CHUNK]))
    # Prefixed: "created" is a LogRecord attribute, and logging refuses to overwrite it (KeyError).
    logger.info("contacts imported", extra={"event": "contacts.import", "contacts_created": report.created,
                                            "contacts_updated": report.updated,
                                            "contacts_unchanged": report.unchanged,
                                            "contacts_rejected": len(report.errors), "encoding": parsed.encoding})
    return report


def parse_contacts_csv(data: str | bytes) -> ParsedContacts:
    """Read and check a contacts CSV without writing; ContactError when the file itself is unusable."""
    if isinstance(data, bytes):
        try:
            text, encoding = decode_upload(data)
        except EncodingError as error:
            raise ContactError(str(error), "unreadable") from None
    else:
        text, encoding = data.removeprefix("\ufeff"), "text"
    reader = csv.DictReader(io.StringIO(text, newline=""))
    columns = _header_columns(reader.fieldnames or [])
    reader.fieldnames = [column for _, column in columns]
    parsed, seen = ParsedContacts(encoding, columns), {}
    for row in reader:
        line = reader.line_num
        try:
            address, *rest = _parse_row(row)
        except ContactError as error:
            parsed.errors.append((line, error))
            continue
        if address in seen:
            parsed.errors.append((line, ContactError(f"{address} already appears on line {seen[address]}",
                                                     "duplicate", address=address, line=seen[address])))
            parsed.duplicates.append(address)
            continue
        seen[address] = line
        parsed.rows.append((line, (address, *rest)))
    return parsed


def _header_key(text: str) -> str:
    return re.sub(r"[\s_\u200c\u200f\u200e-]", "", text.strip().lower().translate(_PERSIAN_LETTERS))


_ALIASES = {_header_key(alias): column for column, aliases in HEADER_ALIASES.items() for alias in aliases}


def _header_columns(header: list[str]) -> list[tuple[str, str]]:
    """Each header cell with the column it is: a known one (by any alias) or an attribute."""
    columns: list[tuple[str, str]] = []
    for cell in header:
        given = (cell or "").strip()
        column = _ALIASES.get(_header_key(given), given)
        if column in RESERVED_COLUMNS and column in [known for _, known in columns]:
            raise ContactError(f"two columns hold the {column}: rename one", "column_twice", column=given)
        if column not in RESERVED_COLUMNS and column and not _ATTRIBUTE_NAME.match(column):
            raise ContactError(f"column {column!r} cannot be an attribute name (letters, digits and _ only)",
                               "bad_column", column=column)
        columns.append((given, column))
    if not {"wa_id", "user_id"} & {column for _, column in columns}:
        raise ContactError("the CSV needs a header line with a wa_id column (and optionally name, tags, …)",
                           "no_number_column")
    return columns


def count_existing(session: Session, addresses: list[str]) -> int:
    """How many of `addresses` (numbers or BSUIDs) are stored contacts already."""
    return sum(session.scalar(select(func.count()).select_from(Contact)
                              .where(_by_address(addresses[start:start + CHUNK]))) or 0
               for start in range(0, len(addresses), CHUNK))


def _parse_row(row: dict[str | None, Any]) -> Row:
    if None in row:
        raise ContactError("more fields than header columns", "more_fields")
    raw_number = (row.get("wa_id") or "").strip()
    user_id = (row.get("user_id") or "").strip()
    if not raw_number and not user_id:
        raise ContactError("wa_id is empty", "number_empty")
    if not raw_number and not is_user_id(user_id):
        raise ContactError(f"not a business-scoped user id: {user_id[:40]!r}", "not_a_user_id", value=user_id[:40])
    attributes = {key: value.strip() for key, value in row.items()
                  if key and key not in RESERVED_COLUMNS and value and value.strip()}
    return (normalize_wa_id(raw_number) if raw_number else user_id, clean_name(row.get("name")),
            parse_tags(row.get("tags") or ""), clean_attributes(attributes))


def clean_name(name: str | None) -> str | None:
    """The name trimmed, with Persian ی/ک for Arabic ي/ك; None when empty; ContactError when too long."""
    name = (name or "").strip().translate(_PERSIAN_LETTERS)
    if len(name) > MAX_NAME_LENGTH:
        raise ContactError(f"name longer than {MAX_NAME_LENGTH} characters", "name_too_long", limit=MAX_NAME_LENGTH)
    return name or None


def clean_attributes(attributes: dict[str, Any]) -> dict[str, Any]:
    """The attributes, when every name and value can be stored; ContactError otherwise."""
    for key, value in attributes.items():
        if key in RESERVED_COLUMNS or not _ATTRIBUTE_NAME.match(str(key)):
            raise ContactError(f"invalid attribute name {key!r}", "bad_attribute_name", key=str(key)[:64])
        if isinstance(value, str) and len(value) > MAX_ATTRIBUTE_LENGTH:
            raise ContactError(f"attribute {key!r} longer than {MAX_ATTRIBUTE_LENGTH} characters",
                               "attribute_too_long", key=key, limit=MAX_ATTRIBUTE_LENGTH)
    return dict(attributes)


def _upsert_chunk(session: Session, rows: list[Row]) -> ImportReport:
    """Upsert up to CHUNK parsed rows with a few set-based statements."""
    report = ImportReport()
    addresses = {row[0] for row in rows}
    existing = {}
    for contact in session.execute(select(Contact.id, Contact.wa_id, Contact.user_id, Contact.name,
                                          Contact.attributes).where(_by_address(addresses))):
        existing |= {address: contact for address in (contact.wa_id, contact.user_id) if address in addresses}
    tags_of: dict[int, set[str]] = {}
    if existing:
        for contact_id, tag in session.execute(select(ContactTag.contact_id, ContactTag.tag).where(
                ContactTag.contact_id.in_([c.id for c in existing.values()]))):
            tags_of.setdefault(contact_id, set()).add(tag)
    now = utcnow()
    new_rows = [row for row in rows if row[0] not in existing]
    ids: dict[str, int] = {wa_id: c.id for wa_id, c in existing.items()}
    if new_rows:
        session.execute(insert(Contact.__table__), [
            {"user_id" if is_user_id(address) else "wa_id": address, "name": name, "attributes": attributes,
             "opted_out": False, "created_at": now, "updated_at": now} for address, name, _, attributes in new_rows])
        ids |= dict(session.execute(select(Contact.address, Contact.id).where(
            _by_address([row[0] for row in new_rows]))).all())
        report.created = len(new_rows)
    new_tags: list[dict[str, Any]] = []
    for wa_id, name, tags, attributes in rows:
        contact_id = ids[wa_id]
        missing = [tag for tag in tags if tag not in tags_of.get(contact_id, set())]
        new_tags.extend({"contact_id": contact_id, "tag": tag} for tag in missing)
        if wa_id not in existing:
            continue
        current = existing[wa_id]
        merged = dict(current.attributes or {}) | attributes
        changes: dict[str, Any] = {}
        if name and name != current.name:
            changes["name"] = name
        if merged != (current.attributes or {}):
            changes["attributes"] = merged
        if changes:
            session.execute(update(Contact.__table__).where(Contact.id == contact_id)
                            .values(updated_at=now, **changes))
        if changes or missing:
            report.updated += 1
        else:
            report.unchanged += 1
    if new_tags:
        session.execute(insert(ContactTag.__table__), new_tags)
    session.flush()
    return report


def _by_address(addresses: Iterable[str]) -> Any:
    """Contacts whose phone number or BSUID is one of `addresses`."""
    addresses = list(addresses)
    return or_(Contact.wa_id.in_([a for a in addresses if not is_user_id(a)]),
               Contact.user_id.in_([a for a in addresses if is_user_id(a)]))


def export_contacts_csv(session: Session) -> str:
    """Every contact as CSV (EXPORT_COLUMNS, then each attribute name, sorted); it imports back unchanged."""
    contacts = list(session.scalars(select(Contact).options(selectinload(Contact.tags)).order_by(Contact.id)))
    attribute_names = sorted({str(key) for contact in contacts for key in (contact.attributes or {})}
                             - set(RESERVED_COLUMNS))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*EXPORT_COLUMNS, *attribute_names])
    for contact in contacts:
        attributes = contact.attributes or {}
        writer.writerow([contact.wa_id or "", contact.user_id or "", contact.username or "", contact.name or "",
                         ";".join(contact.tag_names),
                         *("" if attributes.get(name) is None else str(attributes[name]) for name in attribute_names)])
    return out.getvalue()


def _merge(total: ImportReport, part: ImportReport) -> None:
    total.created += part.created
    total.updated += part.updated
    total.unchanged += part.unchanged
