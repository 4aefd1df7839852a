"""Importing orders by uploading a CSV: upload, preview (first orders and every rejected line), commit.

One code path with the CLI: the file is read and imported by `orders.records.import_orders_csv`
(any encoding a spreadsheet writes, Jalali or ISO dates). The preview runs that import in a
transaction and rolls it back, so its counts (created, updated, unchanged, customers notified,
lines rejected) are what the commit will do. Between the preview and the commit the bytes wait
in `order_uploads` (server-side: the commit may reach another worker), tied to the login that
uploaded them, for an hour (`uploads`). A file that cannot be imported at all (not text, no
number/wa_id/status header) is refused on upload with the reason, and nothing is stored.
"""

from __future__ import annotations

import csv
import logging
from collections.abc import Callable
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from database_models import Order, OrderUpload
from orders.records import OrderError, OrderImportReport, import_orders_csv, read_orders_csv
from orders.rules import order_rules
from runtime.context import platform
from web.dashboard.access import admin_required
from web.dashboard.blueprint import dashboard
from web.dashboard.contacts_messages import describe as describe_contact_error
from web.dashboard.operators import record_action
from web.dashboard.uploads import keep_upload, pending_upload
from web.i18n import current_language, format_number, localise_digits
from web.request_db import request_db

logger = logging.getLogger("web.dashboard.orders")
MAX_UPLOAD_BYTES = 1024 * 1024
# The preview and the commit each run the whole import inside one request, under gunicorn's 20 s timeout.
# bench/orders_import.py on this machine's 2 shared cores (load 3), PostgreSQL: 2,000 orders whose status
# each moved on, so that every one is notified, 4.7 s; 2,000 new, half notified, 2.0 s. 2,000 keeps a busy
# machine well inside the timeout. Larger files: `flask orders import` or the API.
MAX_UPLOAD_ORDERS = 2000
PREVIEW_ROWS = 20
ERRORS_SHOWN = 500

# Called at request time, so each message is read in the request's language.
_MESSAGES: dict[str, Callable[[dict], str]] = {
    "too_long": lambda p: _("%(column)s is longer than %(limit)s characters.", column=p["key"],
                            limit=localise_digits(p["limit"])),
    "number_empty": lambda p: _("The order number is empty."),
    "unknown_status": lambda p: _("Unknown status %(status)s (one of: %(statuses)s).", status=p["status"],
                                  statuses=", ".join(p["statuses"])),
    "wa_id_empty": lambda p: _("The customer is empty: write their phone number or BSUID in wa_id."),
    "contact": lambda p: describe_contact_error(p["contact_error"]),
    "bad_date": lambda p: _("expected_at is not a date: %(value)s (write 1405/09/20 or 2026-12-11).",
                            value=p["value"]),
    "more_fields": lambda p: _("This line has more fields than the header has columns."),
    "duplicate": lambda p: _("Order %(number)s already appears on line %(line)s.", number=p["number"],
                             line=localise_digits(p["line"])),
    "missing_columns": lambda p: _("The file needs a header line with number, wa_id and status (optional: "
                                   "tracking_code, carrier, expected_at, items); missing: %(missing)s.",
                                   missing=", ".join(p["missing"])),
    "unreadable": lambda p: _("This file is not a CSV that can be read (an Excel workbook, or text in an unknown "
                              "encoding). In Excel choose Save As, then CSV UTF-8 or CSV."),
}


def describe_order_error(error: OrderError) -> str:
    """The problem in the interface language (the English text when the code is not known here)."""
    message = _MESSAGES.get(error.code)
    return message(error.params) if message else str(error)


def _max_megabytes() -> str:
    return localise_digits(MAX_UPLOAD_BYTES // (1024 * 1024))


def _form(error: str | None = None, status: int = 200) -> Any:
    return render_template("dashboard/orders_import.html", error=error, preview=None, max_megabytes=_max_megabytes(),
                           max_orders=format_number(MAX_UPLOAD_ORDERS),
                           statuses=", ".join(order_rules(platform().config).statuses)), status


@dashboard.get("/dashboard/orders/import", endpoint="orders_import")
@admin_required
def import_form() -> Any:
    """The upload form."""
    return _form()


@dashboard.post("/dashboard/orders/import", endpoint="orders_upload")
@admin_required
def upload() -> Any:
    """Check the uploaded CSV and keep it for the preview; a file that cannot be imported is refused."""
    too_large = _("The file is larger than %(size)s MB: split it into smaller files.", size=_max_megabytes())
    if (request.content_length or 0) > MAX_UPLOAD_BYTES + 64 * 1024:
        return _form(too_large, 413)
    given = request.files.get("file")
    data = given.read(MAX_UPLOAD_BYTES + 1) if given else b""
    if not data.strip():
        return _form(_("Choose a CSV file to upload."), 400)
    if len(data) > MAX_UPLOAD_BYTES:
        return _form(too_large, 413)
    try:
        reader, _encoding = read_orders_csv(data)
        lines = sum(1 for _row in reader)
    except OrderError as error:
        return _form(describe_order_error(error), 400)
    except csv.Error:  # a field past the csv module's size limit, deep in the file
        return _form(describe_order_error(OrderError("unreadable", "unreadable")), 400)
    if lines > MAX_UPLOAD_ORDERS:
        return _form(_("The file has %(count)s orders; at most %(limit)s can be uploaded here. Split it, or import it "
                       "with flask orders import.", count=format_number(lines),
                       limit=format_number(MAX_UPLOAD_ORDERS)), 413)
    with request_db() as db:
        token = keep_upload(db, OrderUpload, data, given.filename or "orders.csv")
        db.commit()
    logger.info("orders file uploaded", extra={"event": "dashboard.orders_upload", "bytes": len(data)})
    return redirect(url_for("dashboard.orders_import_preview", token=token))


def _preview_rows(db: Session, report: OrderImportReport) -> list[dict[str, Any]]:
    """The first imported lines as they will be stored, read inside the preview's transaction."""
    rules, language = order_rules(platform().config), current_language()
    shown = report.lines[:PREVIEW_ROWS]
    orders = {order.number: order for order in db.scalars(
        select(Order).where(Order.number.in_([number for _, number, _ in shown])))}
    rows = []
    for line, number, outcome in shown:
        order = orders[number]
        rows.append({"line": line, "outcome": outcome, "number": order.number, "handle": order.contact.handle,
                     "name": order.contact.display_name, "status_name": rules.status_name(order.status, language),
                     "carrier_name": rules.carrier_name(order.carrier, language),
                     "tracking_code": order.tracking_code, "expected_at": order.expected_at, "items": order.items})
    return rows


@dashboard.get("/dashboard/orders/import/<token>", endpoint="orders_import_preview")
@admin_required
def preview(token: str) -> str:
    """What the import would do: it runs, is counted, and is rolled back."""
    config = platform().config
    with request_db() as db:
        upload = pending_upload(db, OrderUpload, token)
        filename, data = upload.filename, upload.data
        report = import_orders_csv(db, data, order_rules(config), config.zone, preview=True)
        rows = _preview_rows(db, report)
        db.rollback()  # a preview: nothing of it is kept
    errors = [(line, describe_order_error(error)) for line, error in report.errors[:ERRORS_SHOWN]]
    valid = report.created + report.updated + report.unchanged
    return render_template("dashboard/orders_import.html", error=None, token=token, filename=filename,
                           preview=rows, report=report, valid=valid, errors=errors,
                           errors_hidden=max(0, len(report.errors) - ERRORS_SHOWN), max_megabytes=_max_megabytes(),
                           max_orders=format_number(MAX_UPLOAD_ORDERS))


@dashboard.post("/dashboard/orders/import/<token>", endpoint="orders_import_commit")
@admin_required
def commit(token: str) -> Response:
    """Import the previewed file in one transaction (notifications queued with it) and say what it did."""
    config = platform().config
    with request_db() as db:
        upload = pending_upload(db, OrderUpload, token)
        report = import_orders_csv(db, upload.data, order_rules(config), config.zone)
        record_action(db, "orders.imported", "order_upload", upload.filename, created=report.created,
                      updated=report.updated, unchanged=report.unchanged, rejected=len(report.errors),
                      notified=report.notified)
        db.delete(upload)
        db.commit()
    flash(_("Import done: %(created)s created, %(updated)s updated, %(unchanged)s unchanged, %(rejected)s rejected; "
            "%(notified)s customers notified.", created=format_number(report.created),
            updated=format_number(report.updated), unchanged=format_number(report.unchanged),
            rejected=format_number(len(report.errors)), notified=format_number(report.notified)), "success")
    return redirect(url_for("dashboard.orders_list"))


@dashboard.post("/dashboard/orders/import/<token>/discard", endpoint="orders_import_discard")
@admin_required
def discard(token: str) -> Response:
    """Forget the uploaded file without importing it."""
    with request_db() as db:
        db.delete(pending_upload(db, OrderUpload, token))
        db.commit()
    flash(_("The file was discarded; nothing was imported."), "info")
    return redirect(url_for("dashboard.orders_import"))
