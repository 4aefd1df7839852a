"""`/dashboard`: the analytics page for a date range (default: the last 30 days)."""

from __future__ import annotations

import logging

from flask import flash, render_template, request

from analytics_service import AnalyticsService
from database_models import utcnow
from runtime.context import platform
from web.dashboard.blueprint import dashboard
from web.dashboard.dates import parse_range, preset_names
from web.dashboard.kpis import build_overview
from web.request_db import request_db

logger = logging.getLogger("web.dashboard")


@dashboard.get("/dashboard")
def overview() -> str:
    """The analytics page for a date range (default: the last 30 days)."""
    config = platform().config
    today = utcnow().astimezone(config.zone).date()
    chosen = parse_range(request.args, today)
    for problem in chosen.problems:
        flash(problem, "error")
    with request_db() as db:
        summary = AnalyticsService(db, config.timezone).summary(chosen.start, chosen.end)
    return render_template("dashboard/overview.html", view=build_overview(summary, chosen, today), chosen=chosen,
                           presets=preset_names())
