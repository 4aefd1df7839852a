"""Order records: one order's fields checked and upserted, and the orders CSV import.

An order names its contact by phone number (any way people write one: `+98 912…`, `0912…`,
Persian digits) or by BSUID; an unknown contact is created as the contacts import does, so
the customer's first message finds their orders. The import reads `number,wa_id,status,
tracking_code` plus the optional `carrier,expected_at,items` in any encoding a spreadsheet
writes (`campaigns.spreadsheet.decode_upload`); `expected_at` is a Jalali `1405/09/20` or an
ISO date (`language.jalali.parse_moment`). Bad lines are reported with their line number and
the good ones imported; importing the same file twice changes nothing the second time. The
CLI (`orders import`) and the dashboard's upload both call `import_orders_csv`; the dashboard's
preview runs it in a transaction it rolls back, so the preview counts exactly what the commit does.
"""

from __future__ import annotations

import csv
import io
import logging
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from campaigns.contacts import ContactError, normalize_address
from campaigns.identity import ContactResolver, Identity, is_user_id
from campaigns.spreadsheet import EncodingError, decode_upload
from database_models import Order
from language.jalali import MomentError, latin_digits, parse_moment
from orders.notifications import notify_status, notify_statuses
from orders.rules import OrderRules

logger = logging.getLogger(__name__)

REQUIRED_COLUMNS = ("number", "wa_id", "status")
OPTIONAL_COLUMNS = ("tracking_code", "carrier", "expected_at", "items")
LIMITS = {"number": 64, "status": 32, "tracking_code": 64, "carrier": 64, "items": 1000}
# Windows-1256 has no Persian ی: Excel stores Arabic ي/ك, stored here as the Persian letters (as contacts are).
PERSIAN_LETTERS = str.maketrans({"\u064a": "\u06cc", "\u0649": "\u06cc", "\u0643": "\u06a9"})
FIELDS = ("contact_id", "status", "carrier", "tracking_code", "expected_at", "items")
# Orders an import stores at a time: one look-up of customers and of known orders each, one flush.
STORE_BATCH = 500


class OrderError(ValueError):
    """An order value or an orders file that cannot be stored; the message says why.

    `code` names the problem and `params` its details, for interfaces that translate it (the dashboard).
    """

    def __init__(self, message: str, code: str = "invalid", **params: Any) -> None:
        super().__init__(message)
        self.code, self.params = code, params


@dataclass
class OrderImportReport:
    """What an orders import did: orders created, updated, unchanged, notifications queued, rejected lines.

    `lines` is (line, order number, outcome) for every line imported, in file order.
    """

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    notified: int = 0
    errors: list[tuple[int, OrderError]] = field(default_factory=list)
    lines: list[tuple[int, str, str]] = field(default_factory=list)
    encoding: str = "utf-8"


def clean_order(values: dict[str, Any], rules: OrderRules, zone: tzinfo) -> dict[str, Any]:
    """The order's fields checked: number, address (wa_id or BSUID), status, and the optional ones."""
    cleaned: dict[str, Any] = {}
    for key, limit in LIMITS.items():
        text = str(values.get(key) or "").strip()
        text = text.translate(PERSIAN_LETTERS) if key == "items" else latin_digits(text)
        if len(text) > limit:
            raise OrderError(f"{key} is longer than {limit} characters", "too_long", key=key, limit=limit)
        cleaned[key] = text or None
    if not cleaned["number"]:
        raise OrderError("number is empty", "number_empty")
    cleaned["status"] = (cleaned["status"] or "").lower()
    if cleaned["status"] not in rules.statuses:
        raise OrderError(f"unknown status {cleaned['status']!r} (one of: {', '.join(rules.statuses)})",
                         "unknown_status", status=cleaned["status"], statuses=rules.statuses)
    cleaned["carrier"] = (cleaned["carrier"] or "").lower().replace(" ", "_") or None
    raw_contact = str(values.get("wa_id") or values.get("user_id") or "").strip()
    if not raw_contact:
        raise OrderError("wa_id is empty (a phone number or a BSUID)", "wa_id_empty")
    try:
        cleaned["address"] = normalize_address(raw_contact)
    except ContactError as error:
        raise OrderError(str(error), "contact", contact_error=error) from None
    expected = str(values.get("expected_at") or "").strip()
    try:
        cleaned["expected_at"] = parse_moment(expected, zone) if expected else None
    except MomentError as error:
        raise OrderError(f"expected_at: {error}", "bad_date", value=expected) from None
    return cleaned


def upsert_order(session: Session, values: dict[str, Any], rules: OrderRules, zone: tzinfo,
                 language: str | None = None) -> tuple[Order, str, bool]:
    """Create or update one order from raw values; (the order, created/updated/unchanged, notification queued)."""
    cleaned = clean_order(values, rules, zone)
    address = cleaned.pop("address")
    identity = Identity(user_id=address) if is_user_id(address) else Identity(wa_id=address)
    cleaned["contact_id"] = ContactResolver(session).ensure(identity)
    known = session.scalars(select(Order).where(Order.number == cleaned["number"])).one_or_none()
    order, outcome = _apply(session, known, cleaned)
    session.flush()
    notified = outcome != "unchanged" and notify_status(session, order, rules, language, zone)
    return order, outcome, notified


def _apply(session: Session, order: Order | None, values: dict[str, Any]) -> tuple[Order, str]:
    """A new order from `values` (added to the session), or the known one brought up to them; and the outcome."""
    if order is None:
        order = Order(**values)
        session.add(order)
        return order, "created"
    changes = {key: values[key] for key in FIELDS if getattr(order, key) != values[key]}
    for key, value in changes.items():
        setattr(order, key, value)
    return order, "updated" if changes else "unchanged"


def read_orders_csv(data: bytes) -> tuple[csv.DictReader, str]:
    """The file's rows (lower-case header) and its encoding; OrderError when the file itself is unusable."""
    try:
        text, encoding = decode_upload(data)
    except EncodingError as error:
        raise OrderError(str(error), "unreadable") from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [(cell or "").strip().lower() for cell in reader.fieldnames or []]
    missing = [column for column in REQUIRED_COLUMNS if column not in header]
    if missing:
        raise OrderError(f"the CSV needs a header line with {', '.join(REQUIRED_COLUMNS)} "
                         f"(optional: {', '.join(OPTIONAL_COLUMNS)}); missing: {', '.join(missing)}",
                         "missing_columns", missing=missing)
    reader.fieldnames = header
    return reader, encoding


def import_orders_csv(session: Session, data: bytes, rules: OrderRules, zone: tzinfo, *,
                      preview: bool = False) -> OrderImportReport:
    """Import an orders CSV (bytes in any spreadsheet encoding); OrderError when the file itself is unusable.

    `preview`: the caller rolls the transaction back (the dashboard's preview); only the log says so.
    """
    reader, encoding = read_orders_csv(data)
    report, seen, checked = OrderImportReport(encoding=encoding), {}, []
    for row in _rows(reader):
        line = reader.line_num
        number = latin_digits(row.get("number") or "").strip()
        if None in row:
            report.errors.append((line, OrderError("more fields than header columns", "more_fields")))
            continue
        if number and number in seen:
            report.errors.append((line, OrderError(f"order {number} already appears on line {seen[number]}",
                                                   "duplicate", number=number, line=seen[number])))
            continue
        try:
            checked.append((line, clean_order(row, rules, zone)))
        except OrderError as error:
            report.errors.append((line, error))
            continue
        seen[number] = line
    for start in range(0, len(checked), STORE_BATCH):
        _store(session, checked[start:start + STORE_BATCH], rules, zone, report)
    logger.info("orders import previewed" if preview else "orders imported", extra={
        "event": "orders.import_preview" if preview else "orders.import", "orders_created": report.created,
        "orders_updated": report.updated, "orders_unchanged": report.unchanged,
        "orders_rejected": len(report.errors), "encoding": encoding})
    return report


def _store(session: Session, checked: list[tuple[int, dict[str, Any]]], rules: OrderRules, zone: tzinfo,
           report: OrderImportReport) -> None:
    """Store checked orders as `upsert_order` does, a batch at a time: the customers found or created in one
    statement, the known orders read in one, the rows written in one flush, then the notifications."""
    identities = [Identity(user_id=address) if is_user_id(address) else Identity(wa_id=address)
                  for address in {cleaned["address"] for _, cleaned in checked}]
    contacts = ContactResolver(session).ensure_many(identities)
    known = {order.number: order for order in session.scalars(
        select(Order).where(Order.number.in_([cleaned["number"] for _, cleaned in checked])))}
    changed = []
    for line, cleaned in checked:
        values = {key: value for key, value in cleaned.items() if key != "address"} | {
            "contact_id": contacts[cleaned["address"]]}
        order, outcome = _apply(session, known.get(cleaned["number"]), values)
        setattr(report, outcome, getattr(report, outcome) + 1)
        report.lines.append((line, cleaned["number"], outcome))
        if outcome != "unchanged":
            changed.append(order)
    session.flush()
    report.notified += notify_statuses(session, changed, rules, zone)


def _rows(reader: csv.DictReader) -> Any:
    """The reader's rows; a line the csv module cannot read (a field past its size limit) is an OrderError."""
    try:
        yield from reader
    except csv.Error as error:
        raise OrderError(f"line {reader.line_num}: {error}", "unreadable") from None


def describe_moment(moment: datetime | None) -> str:
    """An ISO date for CLI output, or an empty string."""
    return moment.date().isoformat() if moment else ""
