"""Importing contacts by uploading a CSV: upload, preview (first rows and every rejected line), commit.

The file is read by `campaigns.contacts.parse_contacts_csv` (any encoding a spreadsheet writes,
Persian or English headers), so the dashboard, the CLI and the API import alike. Between the
preview and the commit the bytes wait in `contact_uploads` (server-side: the commit may reach
another gunicorn worker), tied to the login that uploaded them, for an hour (`uploads`); the commit
parses them again and imports in one transaction. A file that cannot be imported at all is
refused on upload with the reason, and nothing is stored.
"""

from __future__ import annotations

import io
import logging
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from campaigns.contacts import ContactError, count_existing, import_contacts_csv, parse_contacts_csv
from database_models import ContactUpload
from web.dashboard.blueprint import dashboard
from web.dashboard.contacts_messages import describe
from web.dashboard.operators import record_action
from web.dashboard.uploads import keep_upload, pending_upload
from web.i18n import format_number, localise_digits
from web.request_db import request_db

logger = logging.getLogger("web.dashboard.contacts")
MAX_UPLOAD_BYTES = 2 * 1024 * 1024  # about 40,000 rows, imported well inside gunicorn's timeout (as the API)
PREVIEW_ROWS = 20
ERRORS_SHOWN = 500


def _form(error: str | None = None, status: int = 200) -> Any:
    return render_template("dashboard/contacts_import.html", error=error, preview=None,
                           max_megabytes=localise_digits(MAX_UPLOAD_BYTES // (1024 * 1024))), status


@dashboard.get("/dashboard/contacts/import", endpoint="contacts_import")
def import_form() -> Any:
    """The upload form."""
    return _form()


@dashboard.post("/dashboard/contacts/import", endpoint="contacts_upload")
def upload() -> Any:
    """Check the uploaded CSV and keep it for the preview; a file that cannot be imported is refused."""
    # The CSRF check has parsed the form already, under the app's MAX_CONTENT_LENGTH (a 413 page past it).
    if (request.content_length or 0) > MAX_UPLOAD_BYTES + 64 * 1024:
        return _form(_("The file is larger than %(size)s MB: split it into smaller files.",
                       size=localise_digits(MAX_UPLOAD_BYTES // (1024 * 1024))), 413)
    given = request.files.get("file")
    data = given.read(MAX_UPLOAD_BYTES + 1) if given else b""
    if not data.strip():
        return _form(_("Choose a CSV file to upload."), 400)
    if len(data) > MAX_UPLOAD_BYTES:
        return _form(_("The file is larger than %(size)s MB: split it into smaller files.",
                       size=localise_digits(MAX_UPLOAD_BYTES // (1024 * 1024))), 413)
    try:
        parse_contacts_csv(data)
    except ContactError as error:
        return _form(describe(error), 400)
    with request_db() as db:
        token = keep_upload(db, ContactUpload, data, given.filename or "contacts.csv")
        db.commit()
    logger.info("contacts file uploaded", extra={"event": "dashboard.contacts_upload", "bytes": len(data)})
    return redirect(url_for("dashboard.contacts_import_preview", token=token))


@dashboard.get("/dashboard/contacts/import/<token>", endpoint="contacts_import_preview")
def preview(token: str) -> Any:
    """What the import would do: the first rows as they will be stored, and every line it would reject."""
    with request_db() as db:
        upload = pending_upload(db, ContactUpload, token)
        parsed = parse_contacts_csv(upload.data)
        addresses = [row[0] for _, row in parsed.rows]
        existing = count_existing(db, addresses)
        filename = upload.filename
    summary = {"valid": len(parsed.rows), "existing": existing, "new": len(parsed.rows) - existing,
               "rejected": len(parsed.errors)}
    errors = [(line, describe(error)) for line, error in parsed.errors[:ERRORS_SHOWN]]
    return render_template("dashboard/contacts_import.html", error=None, token=token, filename=filename,
                           preview=parsed.rows[:PREVIEW_ROWS], columns=parsed.columns, encoding=parsed.encoding,
                           summary=summary, errors=errors, errors_hidden=max(0, len(parsed.errors) - ERRORS_SHOWN),
                           max_megabytes=localise_digits(MAX_UPLOAD_BYTES // (1024 * 1024)))


@dashboard.post("/dashboard/contacts/import/<token>", endpoint="contacts_import_commit")
def commit(token: str) -> Response:
    """Import the previewed file in one transaction and say what it did."""
    with request_db() as db:
        upload = pending_upload(db, ContactUpload, token)
        report = import_contacts_csv(db, io.BytesIO(upload.data))
        db.delete(upload)
        record_action(db, "contacts.imported", None, None, created=report.created, updated=report.updated,
                      rejected=len(report.errors))
        db.commit()
    flash(_("Import done: %(created)s created, %(updated)s updated, %(unchanged)s unchanged, %(rejected)s rejected.",
            created=format_number(report.created), updated=format_number(report.updated),
            unchanged=format_number(report.unchanged), rejected=format_number(len(report.errors))), "success")
    return redirect(url_for("dashboard.contacts_list"))


@dashboard.post("/dashboard/contacts/import/<token>/discard", endpoint="contacts_import_discard")
def discard(token: str) -> Response:
    """Forget the uploaded file without importing it."""
    with request_db() as db:
        db.delete(pending_upload(db, ContactUpload, token))
        db.commit()
    flash(_("The file was discarded; nothing was imported."), "info")
    return redirect(url_for("dashboard.contacts_import"))
