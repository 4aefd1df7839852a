"""`/api/conversations`: contacts by latest activity, filtered as the team inbox filters them (`reads`)."""

from __future__ import annotations

from flask import Blueprint, Response, g

from database_models import utcnow
from web.api.reads import list_conversations
from web.api.support import db, json_response

conversations = Blueprint("conversations", __name__)


@conversations.get("/conversations")
def list_conversations_view() -> Response:
    """Conversations newest activity first; `state` (handoff = waiting for a person, bot) and `in_window` filter."""
    args = g.api_args
    page = list_conversations(db(), utcnow(), state=args.get("state"), in_window=args.get("in_window"),
                              updated_since=args.get("updated_since"), limit=args["limit"], cursor=args.get("cursor"))
    return json_response({"items": page.items, "next_cursor": page.next_cursor})
