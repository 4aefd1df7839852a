"""Who may call the admin API: the bearer token, in the header only, compared in constant time.

`authenticate` runs before every `/api` request (registered by the package); `bearer_matches`
is shared with `/metrics`. A missing or wrong token, or the token in the query string, gets
401; without a configured token the API answers 503 (switched off, not open). Addresses that fail
too many tokens or call too often get 429 first (`throttle`).
"""

from __future__ import annotations

import hmac
import logging

from flask import Response, g, request

from runtime.context import platform
from web.api.support import error_response, query_args
from web.api.throttle import check_rate, record_auth_failure

logger = logging.getLogger("web.api")

# Query parameters a client might put a token in; refused even next to a right header (the URL leaked it).
TOKEN_PARAMETERS = frozenset({"access_token", "token", "api_key", "apikey", "key", "auth", "authorization",
                              "bearer", "admin_token", "admin_api_token"})
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="admin"'}


def bearer_matches(expected: str) -> bool:
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        given.strip().encode("utf-8", "replace"), expected.encode("utf-8"))


def _token_in_query(expected: str) -> bool:
    if any(name.lower() in TOKEN_PARAMETERS for name in request.args):
        return True
    secret = expected.encode("utf-8")
    return any(hmac.compare_digest(value.encode("utf-8", "replace"), secret)
               for values in request.args.listvalues() for value in values)


def authenticate() -> Response | None:
    """401 unless the right bearer token is in the header (and not in the URL); 503 when none is configured."""
    expected = platform().config.admin_api_token
    if not expected:
        return error_response(503, "the admin API is disabled: ADMIN_API_TOKEN is not set")
    limited = check_rate()
    if limited is not None:
        return limited
    if _token_in_query(expected):
        logger.warning("admin API token sent in the query string", extra={"event": "api.token_in_url"})
        record_auth_failure()
        return error_response(401, "send the token in the Authorization header, never in the URL", None, CHALLENGE)
    if not bearer_matches(expected):
        record_auth_failure()
        return error_response(401, "missing or wrong bearer token", None, CHALLENGE)
    if request.method != "OPTIONS":
        g.api_args = query_args()
    return None
