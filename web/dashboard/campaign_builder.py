"""The campaign builder (`/dashboard/campaigns/new`): name, content, audience, time; estimate and preview; schedule.

One form, two buttons, no JavaScript: "Preview and estimate" renders the page again with the
estimate (`broadcast_service.estimate_broadcast`: who gets the text, who the template, who
nothing and why) and the message as a few real recipients would get it; "Schedule" calls
`schedule_broadcast`, the function the CLI and the API call, so a campaign they refuse is
refused here with the same reason, in the interface language, and nothing is written.
"""

from __future__ import annotations

import logging

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import ngettext
from werkzeug.wrappers import Response

from broadcast_service import BroadcastError, PlaceholderError, estimate_broadcast, schedule_broadcast
from campaigns.contacts import ContactError
from campaigns.estimate import preview_recipients
from campaigns.message_templates import find_template
from campaigns.personalisation import known_fields
from campaigns.recipients import normalise_list
from campaigns.spreadsheet import EncodingError
from database_models import utcnow
from language.jalali import MomentError
from runtime.context import platform
from web.dashboard.access import admin_required
from web.dashboard.blueprint import dashboard
from web.dashboard.campaign_form import (
    CampaignForm,
    FormError,
    apply_template_choice,
    audience,
    content,
    explain,
    read_form,
    send_time,
)
from web.dashboard.operators import record_action
from web.i18n import format_number
from web.request_db import request_db

logger = logging.getLogger("web.dashboard.campaigns")
FIELDS_SHOWN = 12
REFUSALS = (BroadcastError, PlaceholderError, ContactError, FormError, MomentError, EncodingError)


def _render(form: CampaignForm, status: int = 200, **extra: object) -> tuple[str, int]:
    with request_db() as db:
        fields = " ".join("{" + name + "}" for name in known_fields(db)[:FIELDS_SHOWN])
        picked = find_template(db, *form.get("template").partition("|")[::2]) if form.get("template") else None
    return render_template("dashboard/campaign_new.html", form=form, fields=fields, picked=picked, **extra), status


@dashboard.route("/dashboard/campaigns/new", methods=["GET", "POST"], endpoint="campaign_new")
@admin_required
def campaign_new() -> Response | tuple[str, int]:
    """The empty builder (GET); estimate and preview (`action=estimate`) or schedule (`action=schedule`)."""
    if request.method == "GET":
        return _render(CampaignForm({"audience": "all", "when": "now", "language": "fa"}))
    form = CampaignForm({"audience": "all", "when": "now"})
    zone = current_app.config["PLATFORM_ZONE"]
    try:
        form = read_form(request.form, request.files)
        with request_db() as db:
            apply_template_choice(db, form)
            name, body, template = content(form)
            chosen = audience(db, form)
            arguments = {"name": name, "audience": chosen, "body": body, "template": template,
                         "send_at": send_time(form, zone), "timezone": platform().config.timezone}
            if request.form.get("action") == "schedule":
                report = schedule_broadcast(db, **arguments)
                record_action(db, "campaign.created", "broadcast", report.broadcast_id, name=name,
                              recipients=report.recipients)
                db.commit()
            else:
                return _estimate(db, form, arguments)
    except REFUSALS as error:
        return _render(form, 400, error=explain(error))
    logger.info("campaign scheduled from the dashboard", extra={"event": "dashboard.campaign_scheduled",
                                                                "broadcast_id": report.broadcast_id,
                                                                "recipients": report.recipients})
    flash(ngettext("Campaign scheduled for %(count)s recipient.", "Campaign scheduled for %(count)s recipients.",
                   report.recipients, count=format_number(report.recipients)), "success")
    return redirect(url_for("dashboard.campaign_page", broadcast_id=report.broadcast_id))


def _estimate(db, form: CampaignForm, arguments: dict) -> tuple[str, int]:
    """The page again, with the estimate and the preview; nothing is written."""
    now = utcnow()
    estimate = estimate_broadcast(db, now=now, **arguments)
    chosen, template = arguments["audience"], arguments["template"]
    addresses = normalise_list(chosen.numbers, {}) if chosen.kind == "numbers" else []
    previews = preview_recipients(db, kind=chosen.kind, tags=chosen.tags, match_all=chosen.match_all,
                                  addresses=addresses, body=arguments["body"],
                                  params=template.params if template else (), send_at=estimate.send_at,
                                  has_template=template is not None)
    db.rollback()
    return _render(form, estimate=estimate, previews=previews, template=template)
