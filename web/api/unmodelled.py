"""`/api/unmodelled`: what webhooks brought that the code does not model, for an operator to see.

Ingestion never drops an acknowledged item: a change of an unknown field (or a message
naming no sender) is kept raw in `unmodelled_items`, and a message of an unknown type is
stored in its contact's thread. This lists the raw items, newest first, and counts the
stored messages per unmodelled type (each is in its thread, `/api/contacts/{id}/messages`).
"""

from __future__ import annotations

from flask import Blueprint, Response, g
from sqlalchemy import func, select

from database_models import ReceivedMessageLog, UnmodelledItem
from inbound.ingestion import MODELLED_MESSAGE_TYPES
from web.api.queries import _id_from_cursor, encode_cursor
from web.api.support import db, json_response

unmodelled = Blueprint("unmodelled", __name__, url_prefix="/unmodelled")


@unmodelled.get("")
def list_unmodelled_view() -> Response:
    """One page of raw items, newest first, and the count of messages per unmodelled type."""
    args, session = g.api_args, db()
    limit, before = args["limit"], _id_from_cursor(args.get("cursor"))
    query = select(UnmodelledItem).order_by(UnmodelledItem.id.desc()).limit(limit + 1)
    if before is not None:
        query = query.where(UnmodelledItem.id < before)
    items = list(session.scalars(query))
    more = len(items) > limit
    items = items[:limit]
    types = dict(session.execute(
        select(ReceivedMessageLog.message_type, func.count())
        .where(ReceivedMessageLog.message_type.not_in(sorted(MODELLED_MESSAGE_TYPES)))
        .group_by(ReceivedMessageLog.message_type)).all())
    return json_response({
        "items": [{"id": item.id, "field": item.field, "received_at": item.received_at.isoformat(),
                   "payload": item.payload} for item in items],
        "next_cursor": encode_cursor(items[-1].id) if more else None,
        "message_types": types,
    })
