"""Words for the campaign pages: statuses, funnel stages, skip reasons and lifecycle refusals, translated.

The stored values stay English (the CLI, the API and the CSV read them); these functions give
their names in the interface language, called per request (never at import time, when no
language is chosen yet). Registered as the template filters `campaign_status`, `row_status`,
`stage_name`, `skip_reason` and `exclusion_name`.
"""

from __future__ import annotations

import re

from flask_babel import gettext as _

from web.dashboard.blueprint import dashboard


@dashboard.app_template_filter("campaign_status")
def campaign_status(status: str) -> str:
    """scheduled, sending, completed, paused, cancelled."""
    return {"scheduled": _("Scheduled"), "sending": _("Sending"), "completed": _("Completed"),
            "paused": _("Paused"), "cancelled": _("Cancelled")}.get(status, status)


@dashboard.app_template_filter("row_status")
def row_status(status: str) -> str:
    """A queue row's status."""
    return {"pending": _("Waiting"), "sending": _("Sending"), "sent": _("Sent"), "delivered": _("Delivered"),
            "read": _("Read"), "failed": _("Failed"), "cancelled": _("Cancelled"), "skipped": _("Skipped"),
            "unknown": _("Unconfirmed"), "paused": _("Paused")}.get(status, status)


@dashboard.app_template_filter("stage_name")
def stage_name(stage: str) -> str:
    """A funnel stage."""
    return {"queued": _("Queued"), "sent": _("Sent"), "delivered": _("Delivered"), "read": _("Read"),
            "replied": _("Replied"), "failed": _("Failed"), "skipped": _("Skipped")}.get(stage, stage)


@dashboard.app_template_filter("skip_reason")
def skip_reason(reason: str | None) -> str:
    """Why the processor skipped a row (its stored English reason)."""
    text = reason or ""
    if "opted out" in text:
        return _("Opted out")
    if "131047" in text:
        return _("The 24-hour window closed before the send, and there is no template")
    if "outside the 24-hour window" in text:
        return _("Outside the 24-hour window, and there is no template")
    return text or _("No reason recorded")


@dashboard.app_template_filter("exclusion_name")
def exclusion_name(kind: str) -> str:
    """Who the estimate or the scheduling left out, by kind."""
    return {"opted_out": _("Opted out"), "no_template": _("Outside the 24-hour window, and there is no template"),
            "invalid_number": _("Not a number or BSUID"), "duplicate": _("Repeated in the list")}.get(kind, kind)


_STATE = re.compile(r"broadcast \d+ is (\w+)")


def explain_lifecycle(error: Exception) -> str:
    """Why pause, resume, cancel or resend was refused."""
    found = _STATE.search(str(error))
    if found:
        status = campaign_status(found.group(1))
        return _("This campaign's status is %(status)s: it can no longer change.", status=status)
    return _("The campaign was refused: %(reason)s", reason=str(error))
