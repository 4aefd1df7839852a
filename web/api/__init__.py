"""The admin JSON API under `/api/v1/` (alias `/api/`; bearer ADMIN_API_TOKEN) and the protected `/metrics` endpoint.

`admin_api` is the one blueprint `create_app()` registers. It holds `/metrics` (`metrics`)
and the `/api` blueprint built here from one module per resource: `broadcasts`, `contacts`,
`conversations` (and the other sync reads, in `reads`), `messages` (one message sent by an
integrator; its rules in `sending`), `analytics`, `orders` (a shop's backend keeps its
orders here), `templates` (the synced message templates), plus the OpenAPI document (`openapi_spec`,
its schemas in `openapi_schemas`). Authentication lives in `auth` (429s for guessers and
heavy clients in `throttle`), the mapping of domain exceptions to HTTP in `errors` and
`Idempotency-Key` on creating POSTs in `idempotency`, each applied to every resource.
Query strings and JSON bodies are checked against the OpenAPI document (`support`); one
session per request (`web.request_db`, through `support.db`) is committed once by the views that write and closed
at teardown.

`webhooks` (outbound webhook subscriptions; its part of the document is `openapi_webhooks`).

May import the services, `campaigns`, `orders`, `database_models` and `runtime`; nothing imports it
but `webhook_handler`.
"""

from __future__ import annotations

from flask import Blueprint, Response

from web.api.analytics import analytics
from web.api.auth import authenticate
from web.api.broadcasts import broadcasts
from web.api.contacts import contacts
from web.api.conversations import conversations
from web.api.errors import register_error_handlers
from web.api.messages import messages
from web.api.metrics import metrics
from web.api.openapi_spec import SPEC
from web.api.orders import orders
from web.api.support import API_PREFIX, json_response
from web.api.templates import templates
from web.api.unmodelled import unmodelled
from web.api.webhooks import webhooks
from web.request_db import close_request_session

admin_api = Blueprint("admin_api", __name__)
api = Blueprint("api", __name__, url_prefix="/api")
api.before_request(authenticate)
api.teardown_request(close_request_session)
register_error_handlers(api)


@api.get("/openapi.json")
def openapi_document() -> Response:
    """The OpenAPI 3.1 document of this API."""
    return json_response(SPEC)


for _resource in (broadcasts, contacts, conversations, messages, analytics, unmodelled, orders, templates):
    api.register_blueprint(_resource)
# One blueprint, registered under the documented prefix and under the older one as an alias.
admin_api.register_blueprint(api, url_prefix=API_PREFIX, name="api_v1")
api.register_blueprint(webhooks)
admin_api.register_blueprint(api)
admin_api.register_blueprint(metrics)
