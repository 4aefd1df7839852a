"""The admin JSON API under `/api/` (bearer ADMIN_API_TOKEN) and the protected `/metrics` endpoint.

`admin_api` is the one blueprint `create_app()` registers. It holds `/metrics` (`metrics`)
and the `/api` blueprint built here from one module per resource: `broadcasts`,
`contacts`, `analytics`, `orders`, plus the OpenAPI document (`openapi_spec`, its schemas in
`openapi_schemas`). Authentication lives in `auth` and the mapping of domain exceptions to
HTTP in `errors`, each registered once on `/api` and so applied to every resource. Query
strings and JSON bodies are checked against the OpenAPI document (`support`); one session
per request (`support.db`) is committed once by the views that write and closed at teardown.

May import the services, `campaigns`, `orders`, `database_models` and `runtime`; nothing imports it
but `webhook_handler`.
"""

from __future__ import annotations

from flask import Blueprint, Response

from web.api.analytics import analytics
from web.api.auth import authenticate
from web.api.broadcasts import broadcasts
from web.api.contacts import contacts
from web.api.errors import register_error_handlers
from web.api.metrics import metrics
from web.api.openapi_spec import SPEC
from web.api.orders import orders
from web.api.support import close_session, json_response
from web.api.unmodelled import unmodelled

admin_api = Blueprint("admin_api", __name__)
api = Blueprint("api", __name__, url_prefix="/api")
api.before_request(authenticate)
api.teardown_request(close_session)
register_error_handlers(api)


@api.get("/openapi.json")
def openapi_document() -> Response:
    """The OpenAPI 3.1 document of this API."""
    return json_response(SPEC)


for _resource in (broadcasts, contacts, analytics, unmodelled, orders):
    api.register_blueprint(_resource)
admin_api.register_blueprint(api)
admin_api.register_blueprint(metrics)
