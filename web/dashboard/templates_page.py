"""`/dashboard/templates` (admins): the business account's synced templates, and the button that syncs them.

The list shows each template's status, language, category and the parameters a send must
fill; "Sync templates" calls `campaigns.message_templates.sync_templates`, the function the
`templates sync` command calls, records the action, and commits once. A refusal (no business
account id, the Graph API's error) changes nothing and says why.
"""

from __future__ import annotations

import logging

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from campaigns.message_templates import TemplateSyncError, list_synced, sync_templates
from runtime.context import platform
from web.dashboard.access import admin_required
from web.dashboard.blueprint import dashboard
from web.dashboard.operators import record_action
from web.i18n import format_number
from web.request_db import request_db

logger = logging.getLogger("web.dashboard.templates")


@dashboard.get("/dashboard/templates", endpoint="templates")
@admin_required  # agents send the synced templates from the inbox; admins manage the list
def templates_page() -> str:
    """Every synced template with what it needs, newest sync first in the header."""
    with request_db() as db:
        templates = list_synced(db)
    synced_at = max((t.synced_at for t in templates), default=None)
    configured = bool(platform().config.whatsapp_business_account_id)
    return render_template("dashboard/templates.html", templates=templates, synced_at=synced_at,
                           configured=configured)


@dashboard.post("/dashboard/templates/sync", endpoint="templates_sync")
@admin_required
def sync() -> Response:
    """Fetch the templates from Meta and store them; the page again with the outcome."""
    context = platform()
    with request_db() as db:
        try:
            summary = sync_templates(db, context.sender, context.config.whatsapp_business_account_id)
        except TemplateSyncError as error:
            db.rollback()
            logger.warning("template sync refused: %s", error, extra={"event": "dashboard.templates_sync_failed"})
            if not context.config.whatsapp_business_account_id:
                flash(_("Set WHATSAPP_BUSINESS_ACCOUNT_ID (Meta: WhatsApp > API setup) to sync templates. "
                        "Nothing was changed."), "error")
            else:
                flash(_("Meta did not give the template list: %(reason)s. Nothing was changed.",
                        reason=str(error).removeprefix("the Graph API refused the template list: ")), "error")
            return redirect(url_for("dashboard.templates"))
        record_action(db, "templates.synced", "templates", None, fetched=summary.fetched, added=summary.added,
                      updated=summary.updated)
        db.commit()
    logger.info("templates synced", extra={"event": "dashboard.templates_synced", "fetched": summary.fetched})
    flash(_("%(count)s templates synced: %(added)s new, %(updated)s updated.", count=format_number(summary.fetched),
            added=format_number(summary.added), updated=format_number(summary.updated)), "success")
    return redirect(url_for("dashboard.templates"))
