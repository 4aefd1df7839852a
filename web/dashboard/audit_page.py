"""`/dashboard/audit`: the audit trail for admins — who did what, to which record, when; newest first, paged.

Rows are `audit_events` (written by `web.dashboard.operators.record_action` and the `users`
commands). Each action is named in the interface language (an action this page does not know
yet is shown by its code); the subject links to its page where it has one. Pages are keyset
pages on the id (`before`), so the thousandth page costs what the first does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from database_models import AuditEvent, Operator
from web.dashboard.access import admin_required
from web.dashboard.blueprint import dashboard
from web.i18n import localise_digits
from web.request_db import request_db

PAGE_SIZE = 50


@dataclass(frozen=True)
class AuditRow:
    """One line of the audit page."""

    id: int
    at: datetime
    operator: str | None  # None: the command line or the system
    action: str
    label: str
    subject: str | None
    link: str | None
    detail: dict[str, Any]


def action_labels() -> dict[str, str]:
    """What each recorded action means, in the interface language."""
    return {
        "login.succeeded": _("Logged in"),
        "login.failed": _("Failed login"),
        "logout": _("Logged out"),
        "operator.created": _("Created an operator"),
        "operator.disabled": _("Disabled an operator"),
        "operator.enabled": _("Enabled an operator"),
        "operator.password_reset": _("Set a new password"),
        "operator.password_changed": _("Changed their password"),
        "contact.edited": _("Edited a contact"),
        "contact.opted_out": _("Opted a contact out"),
        "contact.opted_in": _("Opted a contact back in"),
        "contacts.imported": _("Imported contacts"),
        "campaign.created": _("Scheduled a campaign"),
        "campaign.paused": _("Paused a campaign"),
        "campaign.resumed": _("Resumed a campaign"),
        "campaign.cancelled": _("Cancelled a campaign"),
        "campaign.resent_unknown": _("Resent a campaign's unconfirmed messages"),
        "webhook.created": _("Subscribed a webhook"),
        "webhook.deleted": _("Unsubscribed a webhook"),
        "message.sent": _("Sent a message"),
        "template.sent": _("Sent a template"),
        "conversation.released": _("Handed a conversation back to the bot"),
        "conversation.taken": _("Took a conversation"),
        "conversation.assigned": _("Assigned a conversation"),
        "note.added": _("Added a note"),
        "attachment.sent": _("Sent a file"),
        "saved_reply.created": _("Added a saved reply"),
        "saved_reply.updated": _("Edited a saved reply"),
        "saved_reply.deleted": _("Deleted a saved reply"),
        "templates.synced": _("Synced the templates"),
        "orders.imported": _("Imported orders"),
    }


def _subject(kind: str | None, key: str | None, names: dict[int, str]) -> tuple[str | None, str | None]:
    """The subject's label and the page it links to (None where it has no page)."""
    if not kind or not key:
        return None, None
    number = int(key) if key.isdigit() else None
    shown = localise_digits(key)
    if kind == "contact" and number:
        return _("Contact #%(id)s", id=shown), url_for("dashboard.contact_page", contact_id=number)
    if kind == "broadcast" and number:
        return _("Campaign #%(id)s", id=shown), url_for("dashboard.campaign_page", broadcast_id=number)
    if kind == "webhook" and number:
        return _("Webhook #%(id)s", id=shown), url_for("dashboard.webhook_deliveries", subscription_id=number)
    if kind == "operator" and number:
        return names.get(number, _("Operator #%(id)s", id=shown)), url_for("dashboard.users", _anchor=f"operator-{key}")
    return f"{kind} {key}", None


def audit_page(db: Session, before: int | None) -> tuple[list[AuditRow], int | None]:
    """A page of audit rows older than `before` (the id), newest first, and the `before` of the next page."""
    query = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(PAGE_SIZE + 1)
    if before is not None:
        query = query.where(AuditEvent.id < before)
    events = list(db.scalars(query))
    more = len(events) > PAGE_SIZE
    events = events[:PAGE_SIZE]
    names = {operator.id: operator.shown_name for operator in db.scalars(select(Operator))}
    labels = action_labels()
    rows = []
    for event in events:
        subject, link = _subject(event.subject_type, event.subject_id, names)
        rows.append(AuditRow(id=event.id, at=event.at,
                             operator=names.get(event.operator_id) if event.operator_id else None,
                             action=event.action, label=labels.get(event.action, event.action),
                             subject=subject, link=link, detail=dict(event.detail or {})))
    return rows, (events[-1].id if more else None)


@dashboard.get("/dashboard/audit", endpoint="audit")
@admin_required
def audit() -> str:
    """The audit trail, newest first, a page at a time."""
    raw = request.args.get("before", "")
    before = min(int(raw), 2**31) if raw.isdigit() else None
    with request_db() as db:
        rows, next_before = audit_page(db, before)
    return render_template("dashboard/audit.html", rows=rows, next_before=next_before, first_page=before is None)
