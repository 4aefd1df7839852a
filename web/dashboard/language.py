"""The language switch in every page's header: remembers the choice in a cookie, then goes back."""

from __future__ import annotations

from flask import abort, redirect, request
from werkzeug.wrappers import Response

from web.dashboard.blueprint import dashboard
from web.dashboard.login import next_parameter, safe_next
from web.i18n import LANGUAGE_COOKIE, LANGUAGE_COOKIE_AGE, LANGUAGES


@dashboard.get("/dashboard/language/<language>")
def choose_language(language: str) -> Response:
    """`/dashboard/language/en?next=/dashboard/inbox`: English from now on in this browser."""
    if language not in LANGUAGES:
        abort(404)
    response = redirect(safe_next(next_parameter(request.args)))
    response.set_cookie(LANGUAGE_COOKIE, language, max_age=LANGUAGE_COOKIE_AGE, httponly=True, samesite="Lax",
                        secure=request.is_secure)
    return response
