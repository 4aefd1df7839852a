"""What every dashboard page shares: the error page, the template context, the security headers."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from flask import g, render_template
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from database_models import utcnow
from runtime.context import platform
from web.dashboard import inbox
from web.dashboard.blueprint import dashboard
from web.dashboard.login import csrf_token
from web.i18n import format_moment, is_persian
from web.request_db import request_db

logger = logging.getLogger("web.dashboard")


def _error_texts(error: HTTPException) -> tuple[str, str]:
    """The error's title and explanation in the interface language (a message given to abort() is already so)."""
    titles = {400: _("Bad request"), 403: _("Not allowed"), 404: _("Not found"), 405: _("Method not allowed"),
              429: _("Too many requests"), 500: _("Something went wrong"), 503: _("Unavailable")}
    explanations = {
        400: _("The request could not be understood. Go back, reload the page and try again."),
        403: _("You may not open this page."),
        404: _("There is no such page. Check the address, or go back to the dashboard."),
        405: _("This address does not accept that kind of request."),
        429: _("Too many requests in a short time. Wait a minute and try again."),
        500: _("The server could not finish this request. Try again in a moment."),
        503: _("The dashboard is not available right now. Try again in a moment."),
    }
    code = error.code or 500
    given = error.description if error.description != type(error).description else None
    return titles.get(code, error.name), given or explanations.get(code, error.description or "")


@dashboard.errorhandler(HTTPException)
def error_page(error: HTTPException) -> Any:
    """The dashboard's error page, in the interface language (also for /dashboard addresses no page has)."""
    title, explanation = _error_texts(error)
    return render_template("dashboard/error.html", error=error, title=title, explanation=explanation), \
        error.code or 500


def _local(moment: datetime | None, pattern: str = "%d %b, %H:%M") -> str:
    """Kept for templates not yet converted: prefer the `when` filter (Jalali in Persian)."""
    if moment is None:
        return "–"
    return format_moment(moment) if is_persian() else moment.astimezone(platform().config.zone).strftime(pattern)


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
    # Nothing loads from elsewhere and no inline script runs; pages hold customer data. The only
    # scripts are the app's own files (the inbox's live updates), which fetch from the app only.
    response.headers.setdefault("Content-Security-Policy", "default-src 'none'; style-src 'self'; font-src 'self'; "
                                "img-src 'self' data:; script-src 'self'; connect-src 'self'; form-action 'self'; "
                                "frame-ancestors 'none'; base-uri 'none'")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Cache-Control", "no-store")
    return response
