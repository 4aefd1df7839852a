"""What every dashboard page shares: the error page, the template context, the security headers."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from flask import g, render_template
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from database_models import utcnow
from runtime.context import platform
from web.dashboard import inbox
from web.dashboard.blueprint import dashboard
from web.dashboard.login import csrf_token
from web.request_db import request_db

logger = logging.getLogger("web.dashboard")


@dashboard.errorhandler(HTTPException)
def _error_page(error: HTTPException) -> Any:
    return render_template("dashboard/error.html", error=error), error.code or 500


def _local(moment: datetime | None, pattern: str = "%d %b, %H:%M") -> str:
    return moment.astimezone(platform().config.zone).strftime(pattern) if moment else "–"


@dashboard.context_processor
def _page_context() -> dict[str, Any]:
    waiting = None
    if g.get("dashboard_logged_in"):
        with request_db() as db:
            waiting = inbox.handoff_count(db)
    return {"csrf_token": csrf_token, "waiting_count": waiting, "local": _local, "now": utcnow(),
            "parse_time": datetime.fromisoformat, "config_timezone": platform().config.timezone}


@dashboard.after_request
def _security_headers(response: Response) -> Response:
    # No script runs on these pages and nothing loads from elsewhere; pages hold customer data.
    response.headers.setdefault("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self' "
                                "data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Cache-Control", "no-store")
    return response
