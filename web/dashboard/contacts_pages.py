"""The contacts pages: the list (search, filters, keyset pages), the CSV export, a contact's page with
its thread, the edit form and the opt-out switch.

Queries are `contacts_queries`' (the list) and `inbox`'s (the thread); edits go through the admin
API's `update_contact`, so the dashboard and the API store the same things. Every form is checked
here, server-side, and a refusal says why in the interface language, changing nothing. Edits and
opt-out changes are recorded in the audit trail with the operator, in the same transaction.
"""

from __future__ import annotations

import logging
import re
from dataclasses import replace
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from campaigns.contacts import RESERVED_COLUMNS, ContactError, clean_attributes, clean_name, parse_tags
from campaigns.opt_out import OPERATOR as OPERATOR_SOURCE
from campaigns.opt_out import set_choice
from database_models import Contact, utcnow
from web.api.queries import update_contact
from web.dashboard import contacts_import  # noqa: F401  (registers the import pages with this module)
from web.dashboard.blueprint import dashboard
from web.dashboard.contacts_messages import describe
from web.dashboard.contacts_queries import ContactFilter, all_tags, contact_page, export_csv
from web.dashboard.inbox import ContactNotFound, get_contact, is_window_open, thread, window_closes_at
from web.dashboard.operators import current_operator, record_action
from web.dashboard.orders_pages import recent_orders
from web.request_db import request_db

logger = logging.getLogger("web.dashboard.contacts")
_CONTACT = "<int(min=1, max=2147483647):contact_id>"
OPERATOR = "operator"  # the actor named when no operator is logged in (never, behind the login guard)


def _actor() -> str:
    """Who acts, for the contact's own history: the logged-in operator's username."""
    operator = current_operator()
    return operator.username if operator is not None else OPERATOR
THREAD_ON_PAGE = 50
MAX_REASON = 256
_TAG_SEPARATORS = re.compile(r"[,،;|\n]")


@dashboard.get("/dashboard/contacts", endpoint="contacts_list")
def contacts_list() -> str:
    """Contacts, newest first: search, filters and keyset pages."""
    chosen = ContactFilter.from_args(request.args)
    now = utcnow()
    with request_db() as db:
        page = contact_page(db, chosen, now)
        tags = all_tags(db)
        windows = {contact.id: is_window_open(contact, now) for contact in page.contacts}
    return render_template("dashboard/contacts.html", page=page, chosen=chosen, tags=tags, windows=windows)


@dashboard.get("/dashboard/contacts/export.csv", endpoint="contacts_export")
def contacts_export() -> Response:
    """The filtered list (all pages) as CSV, UTF-8 with a BOM so Excel reads Persian; formula cells neutralised."""
    chosen = replace(ContactFilter.from_args(request.args), before=None)  # every page, not the one shown
    with request_db() as db:
        text = export_csv(db, chosen, utcnow())
    logger.info("contacts exported", extra={"event": "dashboard.contacts_export", "rows": text.count("\n") - 1})
    return Response("\ufeff" + text, mimetype="text/csv", headers={
        "Content-Disposition": "attachment; filename=contacts.csv"})


def _contact_context(db: Session, contact: Contact) -> dict[str, Any]:
    """What the contact's page shows, all loaded now: the page is rendered after the session closes
    (on SQLite the page's inbox count would otherwise wait for this transaction's lock)."""
    now = utcnow()
    return {"contact": contact, "tags": contact.tag_names, "items": thread(db, contact.id, THREAD_ON_PAGE),
            "window_open": is_window_open(contact, now), "window_closes_at": window_closes_at(contact.last_inbound_at),
            "opt_out_source": getattr(contact, "opted_out_source", None),
            "opt_out_reason": getattr(contact, "opted_out_reason", None), "orders": recent_orders(db, contact.id)}


def _load(db: Session, contact_id: int) -> Contact:
    try:
        return get_contact(db, contact_id)
    except ContactNotFound:
        abort(404, _("There is no such contact."))


@dashboard.get(f"/dashboard/contacts/{_CONTACT}", endpoint="contact_page")
def contact_view(contact_id: int) -> str:
    """A contact: who they are, tags, fields, opt-out state, their thread, and the edit form."""
    with request_db() as db:
        contact = _load(db, contact_id)
        context = _contact_context(db, contact)
    form = {"name": contact.name or "", "tags": ", ".join(context["tags"]),
            "attributes": [(str(key), "" if value is None else str(value))
                           for key, value in sorted((contact.attributes or {}).items())]}
    return render_template("dashboard/contact.html", form=form, errors=[], **context)


def read_edit_form(form: Any, current: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The changes the edit form asks for (update_contact's shape) and, if any, why they cannot be made."""
    errors: list[str] = []
    try:
        name = clean_name(form.get("name", ""))  # Persian ی/ک, as the import stores names
    except ContactError as error:
        errors.append(describe(error))
        name = None
    try:
        tags = parse_tags([part for part in _TAG_SEPARATORS.split(form.get("tags", ""))])
    except ContactError as error:
        errors.append(describe(error))
        tags = []
    attributes: dict[str, Any] = {}
    for key, value in zip(form.getlist("attr_key"), form.getlist("attr_value"), strict=False):
        key, value = key.strip(), value.strip()
        if not key and not value:
            continue
        if not key:
            errors.append(_("The value %(value)s needs a field name.", value=value[:40]))
        elif key in attributes:
            errors.append(_("The field %(key)s appears twice.", key=key))
        elif key in RESERVED_COLUMNS:
            errors.append(_("%(key)s is not a field: it is one of the contact's own columns.", key=key))
        else:
            attributes[key] = value or None
    try:
        clean_attributes({key: value for key, value in attributes.items() if value is not None})
    except ContactError as error:
        errors.append(describe(error))
    removed = {key: None for key in current if key not in attributes}
    return {"name": name, "tags": tags, "attributes": attributes | removed}, errors


@dashboard.post(f"/dashboard/contacts/{_CONTACT}", endpoint="contact_edit")
def contact_edit(contact_id: int) -> Any:
    """Save the name, tags and fields; a refusal shows the form again with what was typed and why."""
    with request_db() as db:
        contact = _load(db, contact_id)
        changes, errors = read_edit_form(request.form, dict(contact.attributes or {}))
        if errors:
            context = _contact_context(db, contact)
        else:
            update_contact(db, contact_id, changes)
            record_action(db, "contact.edited", "contact", contact_id)
            db.commit()
    if errors:
        typed = {"name": request.form.get("name", ""), "tags": request.form.get("tags", ""),
                 "attributes": list(zip(request.form.getlist("attr_key"), request.form.getlist("attr_value"),
                                        strict=False))}
        return render_template("dashboard/contact.html", form=typed, errors=errors, **context), 400
    logger.info("contact edited", extra={"event": "dashboard.contact_edited", "contact_id": contact_id,
                                         "actor": _actor()})
    flash(_("Saved."), "success")
    return redirect(url_for("dashboard.contact_page", contact_id=contact_id))


def record_opt_out(db: Session, contact_id: int, opted_out: bool, reason: str | None) -> bool:
    """The one place the dashboard opts a contact out of broadcasts or back in; whether it changed.

    Written by `campaigns.opt_out` (the one writer): source "operator", the reason given, the actor;
    a change is recorded in the audit trail in the same transaction.
    """
    changed = set_choice(get_contact(db, contact_id), opted_out, OPERATOR_SOURCE, reason, actor=_actor())
    if changed:
        record_action(db, "contact.opted_out" if opted_out else "contact.opted_in", "contact", contact_id,
                      reason=reason)
    return changed


@dashboard.post(f"/dashboard/contacts/{_CONTACT}/opt-out", endpoint="contact_opt_out")
def contact_opt_out(contact_id: int) -> Response:
    """Opt the contact out of broadcasts (with the operator's reason) or back in (`opted_out=no`)."""
    opted_out = request.form.get("opted_out", "yes") != "no"
    reason = request.form.get("reason", "").strip()[:MAX_REASON] or None
    with request_db() as db:
        _load(db, contact_id)
        changed = record_opt_out(db, contact_id, opted_out, reason)
        db.commit()
    if not changed:
        flash(_("Nothing changed: the contact was already in that state."), "info")
    elif opted_out:
        flash(_("Opted out: this contact receives no broadcasts."), "success")
    else:
        flash(_("Opted back in: this contact receives broadcasts again."), "success")
    return redirect(url_for("dashboard.contact_page", contact_id=contact_id))
