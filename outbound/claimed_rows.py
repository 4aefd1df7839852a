"""A claimed queue row as a sending thread sees it: plain values, detached from any session.

A campaign row is personalised here, when it is sent, from its contact's current fields.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from campaigns.personalisation import PlaceholderError, contact_fields, personalise

logger = logging.getLogger("outbound.processor")  # its lines keep the processor's logger name


@dataclass(frozen=True)
class ClaimedRow:
    """The plain values a sending thread needs, detached from any session."""

    id: int
    kind: str
    wa_id: str
    opted_out: bool
    last_inbound_at: datetime | None
    broadcast_id: int | None
    body: str | None
    buttons: list | None
    reply_to_wamid: str | None
    template_name: str | None
    template_language: str | None
    template_params: list | None
    attempts: int
    send_by: float  # time.monotonic() after which the row must not be sent (its lease is ending)
    rendered: tuple[str | None, list | None] | None = None  # (body, params) when they differ from the stored ones
    content: dict | None = None  # a media message, or a template's header/button parameters

    @property
    def media(self) -> dict | None:
        """The image or document this row sends ({"type", "id" or "link", "caption", "filename"}), if any."""
        return (self.content or {}).get("media")

    @property
    def template_extra(self) -> dict | None:
        """A template's header and button parameters, when it has any."""
        extra = {key: value for key, value in (self.content or {}).items() if key in ("header", "buttons") and value}
        return extra or None

    @property
    def is_broadcast(self) -> bool:
        """Whether the row belongs to a campaign (opted-out contacts are skipped)."""
        return self.broadcast_id is not None

    @classmethod
    def of(cls, row: Any, recipient: Any, send_by: float) -> ClaimedRow:
        """Copy what sending needs out of a queue row and its recipient (`_load`), rendering a campaign row."""
        body, params = row.body, [str(p) for p in row.template_params or []] or None
        rendered = None
        if row.broadcast_id is not None:
            body, params = render_for_contact(row.id, body, params, recipient)
            if (body, params) != (row.body, row.template_params or None):
                rendered = (body, params)
        return cls(row.id, row.kind, recipient.wa_id, recipient.opted_out, recipient.last_inbound_at,
                   row.broadcast_id, body, row.buttons, row.reply_to_wamid, row.template_name,
                   row.template_language, params, row.attempts, send_by, rendered, getattr(row, "content", None))


def render_for_contact(row_id: int, body: str | None, params: list | None,
                       recipient: Any) -> tuple[str | None, list | None]:
    """A campaign row's body and template parameters for its contact's current fields.

    The campaign's placeholders were validated when it was scheduled; should one not parse
    now, the row's preview goes out rather than nothing.
    """
    try:
        rendered_body, rendered_params = personalise(
            recipient.campaign_body, recipient.campaign_params,
            contact_fields(recipient.identifier, recipient.name, recipient.attributes))
    except PlaceholderError:
        logger.warning("row %s: campaign placeholders do not parse; sending the stored text", row_id,
                       extra={"event": "processor.render_error", "row_id": row_id})
        return body, params
    return (body if rendered_body is None else rendered_body), (params if rendered_params is None else rendered_params)
