"""`/api/broadcasts`: list, create, read, pause, resume and cancel campaigns; list a campaign's recipients."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from flask import Blueprint, Response, g

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
from runtime.context import platform
from web.api.idempotency import idempotent, respond_once
from web.api.queries import broadcast_as_dict, get_broadcast, list_broadcast_page
from web.api.reads import list_recipients
from web.api.sending import check_campaign_template
from web.api.support import FIRST_DATE, LAST_DATE, ApiInputError, api_url, db, error_response, json_body, json_response

logger = logging.getLogger("web.api")
broadcasts = Blueprint("broadcasts", __name__)


@broadcasts.get("/broadcasts")
def list_broadcasts_view() -> Response:
    """Broadcasts newest first with their rows counted by status."""
    page = list_broadcast_page(db(), g.api_args["limit"], g.api_args.get("cursor"), g.api_args.get("updated_since"))
    return json_response({"items": page.items, "next_cursor": page.next_cursor})


@broadcasts.get("/broadcasts/<int:broadcast_id>/recipients")
def list_recipients_view(broadcast_id: int) -> Response:
    """The campaign's recipients in order, each with its delivery status, paged."""
    args = g.api_args
    page = list_recipients(db(), broadcast_id, status=args.get("status"), updated_since=args.get("updated_since"),
                           limit=args["limit"], cursor=args.get("cursor"))
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


@broadcasts.post("/broadcasts")
@idempotent
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
    if spec is not None:  # a synced template's parameter count is known: checked before anything is written
        check_campaign_template(session, spec.name, spec.language, list(spec.params))
    report = schedule_broadcast(session, name=body["name"], audience=_audience(body["audience"]),
                                body=body.get("text"), template=spec, send_at=_send_at(body.get("send_at")),
                                timezone=platform().config.timezone)
    response = json_response({"id": report.broadcast_id, "scheduled_at": report.scheduled_at.isoformat(),
                              "recipients": report.recipients, "excluded": report.excluded,
                              "contacts_created": report.contacts_created, "missing_values": report.missing_values},
                             201, {"Location": api_url(f"/broadcasts/{report.broadcast_id}")})
    respond_once(session, response)
    logger.info("broadcast created through the API", extra={"event": "api.broadcast_created",
                                                            "broadcast_id": report.broadcast_id,
                                                            "recipients": report.recipients})
    return response


@broadcasts.get("/broadcasts/<int:broadcast_id>")
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
        return error_response(409, str(error), code="invalid_state")
    session.commit()
    logger.info("broadcast %s through the API", action,
                extra={"event": f"api.broadcast_{action}", "broadcast_id": broadcast_id, "rows": changed})
    return json_response({"id": broadcast_id, "status": broadcast.status, "changed": changed})


@broadcasts.post("/broadcasts/<int:broadcast_id>/pause")
def pause_broadcast_view(broadcast_id: int) -> Response:
    """Hold every unclaimed row of the broadcast."""
    return _lifecycle(broadcast_id, "pause", pause_broadcast)


@broadcasts.post("/broadcasts/<int:broadcast_id>/resume")
def resume_broadcast_view(broadcast_id: int) -> Response:
    """Release the held rows."""
    return _lifecycle(broadcast_id, "resume", resume_broadcast)


@broadcasts.post("/broadcasts/<int:broadcast_id>/cancel")
def cancel_broadcast_view(broadcast_id: int) -> Response:
    """Cancel every row not yet claimed."""
    return _lifecycle(broadcast_id, "cancel", cancel_broadcast)
