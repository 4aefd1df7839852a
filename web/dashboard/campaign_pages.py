"""The campaigns list and a campaign's page: funnel, recipients, pause / resume / cancel, resend, CSV export.

Every change goes through the service the CLI and the API use (`broadcast_service`), so the
page refuses what they refuse; each action is a POST form (CSRF checked by `login._guard`),
commits once with its audit row (`record_action`) and comes back to the page with what happened.
Admins only (`access.admin_required`). The builder is `campaign_builder`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from broadcast_service import (
    BroadcastError,
    broadcast_report,
    cancel_broadcast,
    pause_broadcast,
    resend_unknown,
    resume_broadcast,
)
from campaigns.spreadsheet import csv_text
from database_models import CAMPAIGN_CANCELLED, CAMPAIGN_COMPLETED, CAMPAIGN_PAUSED, QUEUE_STATUSES
from web.dashboard import campaign_builder  # noqa: F401  (registers the builder's page on the blueprint)
from web.dashboard.access import admin_required
from web.dashboard.blueprint import dashboard
from web.dashboard.campaign_labels import explain_lifecycle
from web.dashboard.campaign_queries import (
    EXPORT_HEADER,
    FUNNEL,
    campaigns_page,
    export_rows,
    funnel,
    recipients_page,
)
from web.dashboard.operators import record_action
from web.i18n import format_number
from web.request_db import request_db

logger = logging.getLogger("web.dashboard.campaigns")
_CAMPAIGN = "<int(min=1, max=2147483647):broadcast_id>"


def _page_number() -> int:
    raw = request.args.get("page", "1")
    return max(1, min(int(raw), 100_000)) if raw.isdigit() else 1


@dashboard.get("/dashboard/campaigns", endpoint="campaigns_list")
@admin_required
def campaigns_list() -> str:
    """Campaigns newest first with their lifecycle and progress, a page at a time."""
    page = _page_number()
    with request_db() as db:
        rows, more = campaigns_page(db, page)
    return render_template("dashboard/campaigns.html", rows=rows, page=page, more=more)


def _filters() -> tuple[str, str, int]:
    search = request.args.get("q", "")[:100]
    status = request.args.get("status", "")
    status = status if status in QUEUE_STATUSES else ""
    after = request.args.get("after", "0")
    return search, status, int(after) if after.isdigit() and len(after) < 11 else 0


@dashboard.get(f"/dashboard/campaigns/{_CAMPAIGN}", endpoint="campaign_page")
@admin_required
def campaign_page(broadcast_id: int) -> str:
    """One campaign: its funnel, failures by Meta's code, skips by reason, its recipients and its controls."""
    search, status, after = _filters()
    with request_db() as db:
        try:
            report = broadcast_report(db, broadcast_id)
        except BroadcastError:
            abort(404, _("There is no such campaign."))
        rows, next_after = recipients_page(db, broadcast_id, search=search, status=status, after=after)
    stages = funnel(report)
    return render_template("dashboard/campaign.html", report=report, stages=stages, stage_names=FUNNEL,
                           rows=rows, next_after=next_after, search=search, status=status, after=after,
                           statuses=QUEUE_STATUSES, closed=report.status in (CAMPAIGN_CANCELLED, CAMPAIGN_COMPLETED),
                           paused=report.status == CAMPAIGN_PAUSED)


@dashboard.get(f"/dashboard/campaigns/{_CAMPAIGN}/results.csv", endpoint="campaign_export")
@admin_required
def campaign_export(broadcast_id: int) -> Response:
    """The (filtered) recipients' results as CSV, UTF-8 with a BOM so Excel reads Persian names."""
    search, status, _after = _filters()
    with request_db() as db:
        try:
            broadcast_report(db, broadcast_id)
        except BroadcastError:
            abort(404, _("There is no such campaign."))
        document = "\ufeff" + csv_text(EXPORT_HEADER, export_rows(db, broadcast_id, search, status))
    return Response(document.encode("utf-8"), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="campaign-{broadcast_id}-results.csv"'})


def _control(broadcast_id: int, change: Callable[[Session, int], int], done: Callable[[int], str],
             action: str) -> Response:
    back = url_for("dashboard.campaign_page", broadcast_id=broadcast_id)
    with request_db() as db:
        try:
            moved = change(db, broadcast_id)
        except BroadcastError as error:
            db.rollback()
            if "no broadcast" in str(error):
                abort(404, _("There is no such campaign."))
            flash(explain_lifecycle(error), "error")
            return redirect(back)
        record_action(db, action, "broadcast", broadcast_id, messages=moved)
        db.commit()
    logger.info("campaign changed from the dashboard", extra={"event": "dashboard.campaign_changed",
                                                              "broadcast_id": broadcast_id, "rows": moved,
                                                              "action": change.__name__})
    flash(done(moved), "success")
    return redirect(back)


@dashboard.post(f"/dashboard/campaigns/{_CAMPAIGN}/pause", endpoint="campaign_pause")
@admin_required
def campaign_pause(broadcast_id: int) -> Response:
    """Hold the campaign's unsent messages."""
    return _control(broadcast_id, pause_broadcast, lambda n: ngettext(
        "Paused: %(count)s message is held.", "Paused: %(count)s messages are held.", n,
        count=format_number(n)), "campaign.paused")


@dashboard.post(f"/dashboard/campaigns/{_CAMPAIGN}/resume", endpoint="campaign_resume")
@admin_required
def campaign_resume(broadcast_id: int) -> Response:
    """Let the held messages go again."""
    return _control(broadcast_id, resume_broadcast, lambda n: ngettext(
        "Resumed: %(count)s message will be sent.", "Resumed: %(count)s messages will be sent.", n,
        count=format_number(n)), "campaign.resumed")


@dashboard.post(f"/dashboard/campaigns/{_CAMPAIGN}/cancel", endpoint="campaign_cancel")
@admin_required
def campaign_cancel(broadcast_id: int) -> Response:
    """Stop every message not yet on its way."""
    return _control(broadcast_id, cancel_broadcast, lambda n: ngettext(
        "Cancelled: %(count)s message will not be sent.", "Cancelled: %(count)s messages will not be sent.", n,
        count=format_number(n)), "campaign.cancelled")


@dashboard.post(f"/dashboard/campaigns/{_CAMPAIGN}/resend-unknown", endpoint="campaign_resend_unknown")
@admin_required
def campaign_resend_unknown(broadcast_id: int) -> Response:
    """The operator's decision to send again the messages a crashed send left unconfirmed."""
    if request.form.get("accept_duplicates") != "yes":
        flash(_("Tick the box to confirm: some of these messages may already have arrived and will arrive twice."),
              "error")
        return redirect(url_for("dashboard.campaign_page", broadcast_id=broadcast_id))
    return _control(broadcast_id, resend_unknown, lambda n: ngettext(
        "%(count)s unconfirmed message is queued again.", "%(count)s unconfirmed messages are queued again.", n,
        count=format_number(n)), "campaign.resent_unknown")
