"""Domain exceptions → HTTP for the admin API, in this one place.

Services raise small exceptions (`BroadcastError`, `ContactError`, …); the views let them
pass and the handlers registered here answer 400 / 404 / 409 / 422 / 503 with `{"error", "code", "field"}`;
`http_error` gives HTTP errors under /api (routing's 404 and 405 too) the same shape.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask import Blueprint, Response, request
from sqlalchemy.exc import IntegrityError, OperationalError
from werkzeug.exceptions import HTTPException

from analytics_service import AnalyticsError
from broadcast_service import BroadcastError
from campaigns.contacts import ContactError
from campaigns.personalisation import PlaceholderError, UnknownPlaceholderError
from web.api.queries import ContactExistsError, CursorError, NotFoundError
from web.api.sending import SendRuleError
from web.api.support import ApiInputError, error_response

logger = logging.getLogger("web.api")


def _handler(status: int, field: str | None = None, code: str | None = None) -> Callable[[Exception], Response]:
    def handle(error: Exception) -> Response:
        return error_response(status, str(error), field, code=code)
    return handle


# The services' rule errors carry no field; their messages open with what they are about (broadcast_service),
# so the field is named here, in the one place HTTP is made (tests/unit/web/test_api_conventions.py checks each).
_BROADCAST_FIELDS = (("a tag audience", "audience.tags"), ("the audience", "audience"), ("send time", "send_at"),
                     ("a campaign needs a name", "name"), ("a campaign needs a text", "text"),
                     ("the text", "text"), ("the template needs", "template.name"),
                     ("template language", "template.language"))
_CONTACT_FIELDS = (("not a", "wa_id"), ("tag", "tags"), ("name", "name"), ("attribute", "attributes"),
                   ("invalid attribute", "attributes"))


def _field_of(message: str, fields: tuple[tuple[str, str], ...]) -> str | None:
    return next((field for opening, field in fields if message.startswith(opening)), None)


def _broadcast_rejected(error: BroadcastError) -> Response:
    return error_response(400, str(error), _field_of(str(error), _BROADCAST_FIELDS), code="broadcast_rejected")


def _contact_rejected(error: ContactError) -> Response:
    return error_response(400, str(error), _field_of(str(error), _CONTACT_FIELDS), code="invalid_contact")


def _placeholder_rejected(error: PlaceholderError) -> Response:
    body = request.get_json(silent=True) or {}
    field = "text" if isinstance(body, dict) and "text" in body else "template.params"
    code = "unknown_placeholder" if isinstance(error, UnknownPlaceholderError) else "invalid_placeholder"
    return error_response(400, str(error), field, code=code)


def _invalid_input(error: ApiInputError) -> Response:
    return error_response(400, str(error), error.field)


def _rule_violated(error: SendRuleError) -> Response:
    return error_response(422, str(error), error.field, code=error.code)


def _conflict(_error: IntegrityError) -> Response:
    return error_response(409, "the change conflicts with existing data (e.g. a contact created meanwhile); retry")


def _database_unavailable(_error: OperationalError) -> Response:
    logger.exception("admin API: database error", extra={"event": "api.db_error"})
    return error_response(503, "database unavailable, retry later")


def http_error(error: HTTPException) -> Response:
    """An HTTP error under /api as the API's JSON: 404 and 405 (with `Allow`) from routing, 413 naming the limit."""
    status = error.code or 500
    headers = {name: value for name, value in error.get_headers() if name.lower() != "content-type"}
    message = error.description or error.name
    if status == 404 and request.url_rule is None:
        message = f"no API operation at {request.path[:200]}; see /api/v1/openapi.json"
    elif status == 405:
        message = f"{request.method} is not allowed on {request.path[:200]}; allowed: {headers.get('Allow', '')}"
    elif status == 413:
        limit = request.max_content_length
        message = (f"the body is larger than the limit of {limit:,} bytes" if limit
                   else "the body is larger than the server accepts")
    return error_response(status, message, headers=headers)


def register_error_handlers(blueprint: Blueprint) -> None:
    """Map every domain exception the API's views may raise to its status, on `blueprint` and its children."""
    blueprint.register_error_handler(ApiInputError, _invalid_input)
    blueprint.register_error_handler(CursorError, _handler(400, "cursor", "invalid_cursor"))
    blueprint.register_error_handler(ContactExistsError, _handler(409, "wa_id", "contact_exists"))
    blueprint.register_error_handler(ContactError, _contact_rejected)
    blueprint.register_error_handler(PlaceholderError, _placeholder_rejected)
    blueprint.register_error_handler(BroadcastError, _broadcast_rejected)
    blueprint.register_error_handler(AnalyticsError, _handler(400, "to", "invalid_range"))
    blueprint.register_error_handler(SendRuleError, _rule_violated)
    blueprint.register_error_handler(NotFoundError, _handler(404))
    blueprint.register_error_handler(IntegrityError, _conflict)
    blueprint.register_error_handler(OperationalError, _database_unavailable)
    blueprint.register_error_handler(HTTPException, http_error)
