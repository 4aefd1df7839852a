"""`GET /api/templates`: the business account's message templates as last synced (`flask … templates sync`).

Filters `status` (e.g. APPROVED) and `language`; each template with what a send must fill
(`parameters`: header, body and button counts) and Meta's components as synced. Not paged:
an account holds at most a few hundred templates.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, g

from campaigns.message_templates import list_synced
from database_models import MessageTemplate
from web.api.support import db, json_response

templates = Blueprint("templates", __name__)


def template_as_dict(template: MessageTemplate) -> dict[str, Any]:
    """One synced template as the API shows it."""
    needs = template.parameters or {}
    return {"name": template.name, "language": template.language, "category": template.category,
            "status": template.status, "meta_id": template.meta_id,
            "parameters": {"header": needs.get("header", 0), "body": needs.get("body", 0),
                           "buttons": list(needs.get("buttons", []))},
            "components": list(template.components or []), "synced_at": template.synced_at.isoformat()}


@templates.get("/templates")
def list_templates_view() -> Response:
    """The synced templates by name and language; `status` and `language` filter."""
    args = g.api_args
    found = list_synced(db(), status=args.get("status"), language=args.get("language"))
    return json_response({"items": [template_as_dict(t) for t in found]})
