"""`/api/contacts…`: list and search, create, read, edit tags and attributes, opt out / in, CSV import and
export, messages.

Thin views: input is checked against the OpenAPI document (admin_api_support), the
work is done by contacts_service and admin_queries on the request's one session, and a
write commits once. Domain exceptions become HTTP in admin_api's error handlers.
"""

from __future__ import annotations

import io
import logging

from flask import Blueprint, Response, g, request

from campaigns.contacts import export_contacts_csv, import_contacts_csv
from web.api.idempotency import idempotent, respond_once
from web.api.queries import (
    contact_as_dict,
    contact_messages,
    create_contact,
    get_contact,
    list_contacts,
    set_opted_out,
    update_contact,
)
from web.api.support import ApiInputError, api_url, db, error_response, json_body, json_response, setting

logger = logging.getLogger(__name__)
contacts = Blueprint("contacts", __name__, url_prefix="/contacts")

DEFAULT_CSV_MAX_BYTES = 2 * 1024 * 1024  # about 40 000 rows: imported well inside gunicorn's 20 s timeout
ERRORS_LISTED = 1000
CSV_TYPES = ("text/csv", "application/csv")


@contacts.get("")
def list_contacts_view() -> Response:
    """Contacts newest first; `q` matches part of the name or number, `tag` and `opted_out` filter."""
    args = g.api_args
    page = list_contacts(db(), search=args.get("q"), tag=args.get("tag"), opted_out=args.get("opted_out"),
                         limit=args["limit"], cursor=args.get("cursor"), updated_since=args.get("updated_since"))
    return json_response({"items": [contact_as_dict(c) for c in page.items], "next_cursor": page.next_cursor})


@contacts.post("")
@idempotent
def create_contact_view() -> Response:
    """Create a contact (409 when the number exists)."""
    body = json_body()
    session = db()
    contact = create_contact(session, body["wa_id"], body.get("name"), body.get("tags") or [],
                             body.get("attributes") or {})
    response = json_response(contact_as_dict(contact), 201, {"Location": api_url(f"/contacts/{contact.id}")})
    respond_once(session, response)
    logger.info("contact created", extra={"event": "api.contact_created", "contact_id": contact.id})
    return response


@contacts.get("/<int:contact_id>")
def get_contact_view(contact_id: int) -> Response:
    """One contact."""
    return json_response(contact_as_dict(get_contact(db(), contact_id)))


@contacts.patch("/<int:contact_id>")
def update_contact_view(contact_id: int) -> Response:
    """Change name, tags (replace, add, remove) and attributes (merge; null removes)."""
    body = json_body()
    session = db()
    contact = update_contact(session, contact_id, body)
    session.commit()
    return json_response(contact_as_dict(contact))


@contacts.post("/<int:contact_id>/opt-out")
def opt_out_view(contact_id: int) -> Response:
    """Stop broadcasts to this contact."""
    return _set_opted_out(contact_id, True)


@contacts.post("/<int:contact_id>/opt-in")
def opt_in_view(contact_id: int) -> Response:
    """Allow broadcasts to this contact again."""
    return _set_opted_out(contact_id, False)


def _set_opted_out(contact_id: int, opted_out: bool) -> Response:
    session = db()
    contact = set_opted_out(session, contact_id, opted_out)
    session.commit()
    logger.info("contact opt-out changed", extra={"event": "api.contact_opt_out", "contact_id": contact_id,
                                                  "opted_out": opted_out})
    return json_response(contact_as_dict(contact))


@contacts.get("/<int:contact_id>/messages")
def contact_messages_view(contact_id: int) -> Response:
    """A contact's inbound and outbound messages, newest first."""
    args = g.api_args
    page = contact_messages(db(), contact_id, limit=args["limit"], cursor=args.get("cursor"))
    return json_response({"items": page.items, "next_cursor": page.next_cursor})


@contacts.get("/export")
def export_contacts_view() -> Response:
    """Every contact as CSV (wa_id,user_id,username,name,tags and the attributes), importable as it is."""
    return Response(export_contacts_csv(db()), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=contacts.csv"})


@contacts.post("/import")
def import_contacts_view() -> Response:
    """Import a CSV body; every bad line is reported with its number, the good ones are imported."""
    if request.mimetype not in CSV_TYPES:
        return error_response(415, "send the CSV as the body with Content-Type: text/csv", "body")
    request.max_content_length = int(setting("ADMIN_CSV_MAX_BYTES", DEFAULT_CSV_MAX_BYTES))
    data = request.get_data(cache=False)  # 413 past the limit
    if not data.strip():
        raise ApiInputError("body", "is empty; send a CSV with a header line wa_id,name,tags,…")
    session = db()
    report = import_contacts_csv(session, io.BytesIO(data))
    session.commit()
    errors = [{"line": line, "error": reason} for line, reason in report.errors[:ERRORS_LISTED]]
    return json_response({"created": report.created, "updated": report.updated, "unchanged": report.unchanged,
                          "rejected": len(report.errors), "errors": errors,
                          "errors_truncated": len(report.errors) > ERRORS_LISTED})
