"""The admin JSON API under `/api/` (bearer ADMIN_API_TOKEN) and the protected `/metrics` endpoint.

`admin_api` is the one blueprint `create_app()` registers; it holds `/metrics` and the
`/api` blueprint (contacts live in admin_api_contacts). Every `/api` request must carry
`Authorization: Bearer <ADMIN_API_TOKEN>`, compared in constant time; a missing or wrong
token, or the token in the query string, gets 401 and nothing else. Without a configured
token the API answers 503 to everything (it is switched off, not open). Query strings
and JSON bodies are checked against the OpenAPI document (`openapi_spec`), domain
exceptions become 400 / 404 / 409 here and nowhere else, and one session per request
is committed once by the views that write.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
from collections.abc import Callable
from datetime import date, datetime
from functools import lru_cache

from flask import Blueprint, Response, g, request
from sqlalchemy.exc import IntegrityError, OperationalError

from admin_api_contacts import contacts
from admin_api_support import (
    ApiInputError,
    close_session,
    db,
    error_response,
    json_body,
    json_response,
    query_args,
    setting,
)
from admin_api_unmodelled import unmodelled
from admin_queries import (
    ContactExistsError,
    CursorError,
    NotFoundError,
    broadcast_as_dict,
    get_broadcast,
    list_broadcast_page,
)
from analytics_service import AnalyticsError, AnalyticsService
from broadcast_service import (
    Audience,
    BroadcastError,
    TemplateSpec,
    broadcast_report,
    cancel_broadcast,
    pause_broadcast,
    resume_broadcast,
    schedule_broadcast,
)
from contacts_service import ContactError
from metrics import CONTENT_TYPE_LATEST, render_metrics
from openapi_spec import ANALYTICS_SECTIONS, SPEC
from personalisation import PlaceholderError
from platform_context import platform

logger = logging.getLogger(__name__)

admin_api = Blueprint("admin_api", __name__)
api = Blueprint("api", __name__, url_prefix="/api")

# Query parameters a client might put a token in; refused even next to a right header (the URL leaked it).
TOKEN_PARAMETERS = frozenset({"access_token", "token", "api_key", "apikey", "key", "auth", "authorization",
                              "bearer", "admin_token", "admin_api_token"})
DEFAULT_METRICS_ALLOWED_IPS = "127.0.0.1,::1"
FIRST_DATE, LAST_DATE, MAX_RANGE_DAYS = date(2000, 1, 1), date(2100, 12, 31), 3660
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="admin"'}


# --- authentication ----------------------------------------------------------------------

def _bearer_matches(expected: str) -> bool:
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        given.strip().encode("utf-8", "replace"), expected.encode("utf-8"))


def _token_in_query(expected: str) -> bool:
    if any(name.lower() in TOKEN_PARAMETERS for name in request.args):
        return True
    secret = expected.encode("utf-8")
    return any(hmac.compare_digest(value.encode("utf-8", "replace"), secret)
               for values in request.args.listvalues() for value in values)


@api.before_request
def _authenticate() -> Response | None:
    """401 unless the right bearer token is in the header (and not in the URL); 503 when none is configured."""
    expected = platform().config.admin_api_token
    if not expected:
        return error_response(503, "the admin API is disabled: ADMIN_API_TOKEN is not set")
    if _token_in_query(expected):
        logger.warning("admin API token sent in the query string", extra={"event": "api.token_in_url"})
        return error_response(401, "send the token in the Authorization header, never in the URL", None, CHALLENGE)
    if not _bearer_matches(expected):
        return error_response(401, "missing or wrong bearer token", None, CHALLENGE)
    if request.method != "OPTIONS":
        g.api_args = query_args()
    return None


api.teardown_request(close_session)


# --- domain exceptions → HTTP (only here) ---------------------------------------------------

def _handler(status: int, field: str | None = None) -> Callable[[Exception], Response]:
    def handle(error: Exception) -> Response:
        return error_response(status, str(error), field)
    return handle


@api.errorhandler(ApiInputError)
def _invalid_input(error: ApiInputError) -> Response:
    return error_response(400, str(error), error.field)


api.register_error_handler(CursorError, _handler(400, "cursor"))
api.register_error_handler(ContactExistsError, _handler(409))
api.register_error_handler(ContactError, _handler(400))
api.register_error_handler(PlaceholderError, _handler(400))
api.register_error_handler(BroadcastError, _handler(400))
api.register_error_handler(AnalyticsError, _handler(400))
api.register_error_handler(NotFoundError, _handler(404))


@api.errorhandler(IntegrityError)
def _conflict(_error: IntegrityError) -> Response:
    return error_response(409, "the change conflicts with existing data (e.g. a contact created meanwhile); retry")


@api.errorhandler(OperationalError)
def _database_unavailable(_error: OperationalError) -> Response:
    logger.exception("admin API: database error", extra={"event": "api.db_error"})
    return error_response(503, "database unavailable, retry later")


# --- the document --------------------------------------------------------------------------

@api.get("/openapi.json")
def openapi_document() -> Response:
    """The OpenAPI 3.1 document of this API."""
    return json_response(SPEC)


# --- broadcasts ----------------------------------------------------------------------------

@api.get("/broadcasts")
def list_broadcasts_view() -> Response:
    """Broadcasts newest first with their rows counted by status."""
    page = list_broadcast_page(db(), g.api_args["limit"], g.api_args.get("cursor"))
    return json_response({"items": page.items, "next_cursor": page.next_cursor})


def _send_at(raw: str | None) -> datetime | None:
    if raw is None:
        return None
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise ApiInputError("send_at", "is not a valid date and time (e.g. 2026-12-01T09:30)") from None
    if not FIRST_DATE <= moment.date() <= LAST_DATE:
        raise ApiInputError("send_at", f"must lie between {FIRST_DATE} and {LAST_DATE}")
    return moment


def _audience(spec: dict) -> Audience:
    if spec.get("all"):
        return Audience.everyone()
    if "tags" in spec:
        return Audience.with_tags(spec["tags"], match_all=spec.get("match") == "all")
    return Audience.of_numbers(spec["numbers"])


@api.post("/broadcasts")
def create_broadcast_view() -> Response:
    """Schedule a broadcast: text and/or template, audience, optional send time."""
    body = json_body()
    if "text" not in body and "template" not in body:
        raise ApiInputError("text", "give text, template, or both")
    if "match" in body["audience"] and "tags" not in body["audience"]:
        raise ApiInputError("audience.match", "belongs to a tags audience")
    template = body.get("template")
    spec = TemplateSpec(template["name"], template["language"], tuple(template.get("params", ()))) if template else None
    session = db()
    report = schedule_broadcast(session, name=body["name"], audience=_audience(body["audience"]),
                                body=body.get("text"), template=spec, send_at=_send_at(body.get("send_at")),
                                timezone=platform().config.timezone)
    session.commit()
    logger.info("broadcast created through the API", extra={"event": "api.broadcast_created",
                                                            "broadcast_id": report.broadcast_id,
                                                            "recipients": report.recipients})
    return json_response({"id": report.broadcast_id, "scheduled_at": report.scheduled_at.isoformat(),
                          "recipients": report.recipients, "excluded": report.excluded,
                          "contacts_created": report.contacts_created, "missing_values": report.missing_values},
                         201, {"Location": f"/api/broadcasts/{report.broadcast_id}"})


@api.get("/broadcasts/<int:broadcast_id>")
def get_broadcast_view(broadcast_id: int) -> Response:
    """A broadcast with its content, audience and delivery report."""
    session = db()
    broadcast = get_broadcast(session, broadcast_id)
    report = broadcast_report(session, broadcast_id).as_dict()
    template = None
    if broadcast.template_name:
        template = {"name": broadcast.template_name, "language": broadcast.template_language,
                    "params": list(broadcast.template_params or [])}
    return json_response({**broadcast_as_dict(broadcast, report["counts"]), "text": broadcast.body,
                          "template": template, "audience": broadcast.audience,
                          "created_at": broadcast.created_at.isoformat(), "report": report})


def _lifecycle(broadcast_id: int, action: str, change: Callable) -> Response:
    session = db()
    broadcast = get_broadcast(session, broadcast_id)
    try:
        changed = change(session, broadcast_id)
    except BroadcastError as error:  # the campaign exists, so this is its state refusing the change
        return error_response(409, str(error))
    session.commit()
    logger.info("broadcast %s through the API", action,
                extra={"event": f"api.broadcast_{action}", "broadcast_id": broadcast_id, "rows": changed})
    return json_response({"id": broadcast_id, "status": broadcast.status, "changed": changed})


@api.post("/broadcasts/<int:broadcast_id>/pause")
def pause_broadcast_view(broadcast_id: int) -> Response:
    """Hold every unclaimed row of the broadcast."""
    return _lifecycle(broadcast_id, "pause", pause_broadcast)


@api.post("/broadcasts/<int:broadcast_id>/resume")
def resume_broadcast_view(broadcast_id: int) -> Response:
    """Release the held rows."""
    return _lifecycle(broadcast_id, "resume", resume_broadcast)


@api.post("/broadcasts/<int:broadcast_id>/cancel")
def cancel_broadcast_view(broadcast_id: int) -> Response:
    """Cancel every row not yet claimed."""
    return _lifecycle(broadcast_id, "cancel", cancel_broadcast)


# --- analytics -----------------------------------------------------------------------------

def _report_range() -> tuple[date | None, date | None]:
    days = {}
    for name in ("from", "to"):
        raw = g.api_args.get(name)
        try:
            days[name] = date.fromisoformat(raw) if raw is not None else None
        except ValueError:
            raise ApiInputError(name, "is not a date (YYYY-MM-DD)") from None
        if days[name] is not None and not FIRST_DATE <= days[name] <= LAST_DATE:
            raise ApiInputError(name, f"must lie between {FIRST_DATE} and {LAST_DATE}")
    start, end = days["from"], days["to"]
    if start and end and start > end:
        raise ApiInputError("to", "is before from")
    if start and end and (end - start).days >= MAX_RANGE_DAYS:
        raise ApiInputError("to", f"the range may span at most {MAX_RANGE_DAYS} days")
    return start, end


def _analytics() -> AnalyticsService:
    return AnalyticsService(db(), platform().config.timezone)


@api.get("/analytics/summary")
def analytics_summary() -> Response:
    """Every report section for the range (the analytics contract; same JSON as the CLI's --json)."""
    return json_response(_analytics().summary(*_report_range()))


def _section_view(section: str) -> Callable[[], Response]:
    def view() -> Response:
        return json_response(getattr(_analytics(), section)(*_report_range()))
    view.__doc__ = f"The `{section}` section of the analytics summary."
    return view


for _section in ANALYTICS_SECTIONS:
    api.add_url_rule(f"/analytics/{_section.replace('_', '-')}", f"analytics_{_section}", _section_view(_section))

api.register_blueprint(contacts)
api.register_blueprint(unmodelled)
admin_api.register_blueprint(api)


# --- /metrics ------------------------------------------------------------------------------

@lru_cache(maxsize=8)
def _networks(spec: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    networks = []
    for item in filter(None, (part.strip() for part in spec.split(","))):
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            logger.error("METRICS_ALLOWED_IPS: ignoring %r (not an address or network)", item,
                         extra={"event": "metrics.bad_allowed_ip"})
    return tuple(networks)


def _address_allowed(address: str | None) -> bool:
    try:
        ip = ipaddress.ip_address((address or "").split("%")[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    allowed = setting("METRICS_ALLOWED_IPS", DEFAULT_METRICS_ALLOWED_IPS)
    spec = allowed if isinstance(allowed, str) else ",".join(allowed)  # Config may hold a tuple
    return any(ip in network for network in _networks(spec))


@admin_api.get("/metrics")
def metrics_view() -> Response:
    """Prometheus metrics, for allowed addresses (METRICS_ALLOWED_IPS) or the admin bearer token."""
    token = platform().config.admin_api_token
    if not _address_allowed(request.remote_addr) and not (token and _bearer_matches(token)):
        return error_response(403, "metrics are served to allowed addresses or with the admin token only")
    return Response(render_metrics(platform().session_factory), content_type=CONTENT_TYPE_LATEST)
